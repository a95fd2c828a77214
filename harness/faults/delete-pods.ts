// The pod-deletion fault on any workload: its pods deleted one at a time or in batches, each
// followed on the watch until its controller's replacement is Ready.
import { can } from '../cluster/permissions.ts';
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';
import { step } from '../engine/experiment.ts';
import { formatDuration } from '../engine/time.ts';
import { recorded, type WorkloadState } from '../target/select.ts';
import { podControllers } from '../target/workload.ts';
import { deletePodAndFollow, type Replacement } from './pod-delete.ts';

/** What the pod-deletion fault deletes, how many at once, and how long it follows each pod. */
export interface DeletePodsOptions {
  /** How many of the target's pods, in name order; 'all' for every one. */
  count: number | 'all';
  /** Deleted at once, then all followed back to Ready before the next batch. */
  batch: number;
  /** The deletion's grace period, as `kubectl delete --grace-period` takes it. */
  gracePeriodSeconds: number;
  /** How long each pod is followed: longer than the hypothesis' bound, so slowness is measured. */
  followForMs: number;
}

/** The fault: deletes the target's pods (UID-preconditioned) and follows each replacement to Ready. */
export function deletePods<P, S extends WorkloadState>(options: (params: P) => DeletePodsOptions): ClusterStep<P, S> {
  const what = (o: DeletePodsOptions) =>
    `delete ${o.count === 'all' ? 'every pod' : `${o.count} pod${o.count === 1 ? '' : 's'}`} of the target ${o.batch === 1 ? 'one at a time' : `${o.batch} at a time`} (grace ${o.gracePeriodSeconds}s), each followed until its replacement is Ready (up to ${formatDuration(o.followForMs)})`;
  return step('fault', 'delete-pods', (p: P) => what(options(p)), async (ctx: ClusterContext<P, S>) => {
    const o = options(ctx.params);
    const w = recorded(ctx.state.workload, 'the target workload', 'target-selectable');
    const lifecycle = recorded(ctx.state.lifecycle, 'the pod watch', 'pod-lifecycle observer');
    const pods = ctx.state.pods.slice(0, o.count === 'all' ? undefined : o.count);
    for (let i = 0; i < pods.length; i += o.batch) {
      const batch = pods.slice(i, i + o.batch);
      // Read per batch: a Deployment's replacement may come from a ReplicaSet made since.
      const owners = await podControllers(ctx.cluster, w);
      const claimed = new Set<string>();
      ctx.progress(`deleting ${batch.map((p) => p.metadata?.name).join(', ')}`);
      await Promise.all(
        batch.map(async (pod) => {
          const name = pod.metadata?.name ?? '';
          const uid = pod.metadata?.uid ?? '';
          const node = pod.spec?.nodeName;
          const replacement: Replacement = w.kind === 'StatefulSet' ? { by: 'same-name' } : { by: 'owner', owners, claimed, node: w.kind === 'DaemonSet' ? node : undefined };
          ctx.record.event({ source: 'fault', type: 'pod-delete', object: `Pod/${w.namespace}/${name}`, message: `deleting ${name} (uid ${uid.slice(0, 8)}, grace ${o.gracePeriodSeconds}s)`, data: { uid, node } });
          const recovery = await deletePodAndFollow(ctx.cluster, lifecycle, { namespace: w.namespace, pod: name, uid, gracePeriodSeconds: o.gracePeriodSeconds, followForMs: o.followForMs, signal: ctx.signal, replacement });
          ctx.state.deleted.push({ pod: name, uid, node, recovery });
          const back = recovery.readyAt !== undefined ? `${recovery.newName} Ready after ${formatDuration(recovery.readyAt - recovery.deleteRequestedAt)}` : `not back: ${recovery.notRecovered}`;
          ctx.progress(`${name}: ${back}`);
        }),
      );
    }
  }, () => [can('', 'pods', 'delete')]);
}
