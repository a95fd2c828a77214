// Readiness of a StatefulSet as its pods show it.
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSession } from '../cluster/session.ts';
import { done, notYet, waitFor } from '../engine/wait.ts';

/** A StatefulSet and the label selector of its pods. */
export interface StatefulSetRef {
  /** Its namespace. */
  namespace: string;
  /** Its name. */
  name: string;
  /** Label selector of its pods (from spec.selector.matchLabels). */
  selector: string;
}

/** A StatefulSet's replicas as its pods show them. */
export interface StatefulSetReadiness {
  /** Pods with the expected ordinal names that are Ready and not terminating. */
  ready: number;
  /** spec.replicas. */
  want: number;
  /** Pods of the selector that are not terminating. */
  current: number;
  /** The controller's own view has caught up: status.readyReplicas = want for the current generation. */
  statusCaughtUp: boolean;
  /** Why pods are not Ready, as the API shows it (an image that cannot be pulled, a pod that cannot be scheduled). */
  problems: string[];
}

/** Container states that are only a pod on its way up, not a reason it is stuck. */
const STARTING = new Set(['ContainerCreating', 'PodInitializing']);

/**
 * What keeps pods from becoming Ready, one line a pod: a container waiting for a reason other
 * than starting (ImagePullBackOff, CrashLoopBackOff, CreateContainerConfigError ...), or the
 * scheduler's refusal. Empty while pods are merely on their way.
 */
export function podProblems(pods: readonly V1Pod[], max = 3): string[] {
  const out: string[] = [];
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const name = p.metadata?.name ?? '?';
    const unscheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].find((c) => c.state?.waiting?.reason && !STARTING.has(c.state.waiting.reason));
    if (waiting) out.push(`${name} ${waiting.name}: ${waiting.state!.waiting!.reason}${waiting.state!.waiting!.message ? ` (${waiting.state!.waiting!.message})` : ''}`);
    else if (unscheduled) out.push(`${name}: not scheduled${unscheduled.message ? ` (${unscheduled.message})` : ''}`);
  }
  return out.length > max ? [...out.slice(0, max), `and ${out.length - max} more`] : out;
}

/**
 * Replicas as the pods themselves show them: the StatefulSet's status lags a pod deletion, so a
 * pod just deleted would still count as Ready there.
 */
export async function statefulSetReadiness(cluster: ClusterSession, sts: StatefulSetRef): Promise<StatefulSetReadiness> {
  const obj = await cluster.apps.readNamespacedStatefulSet({ name: sts.name, namespace: sts.namespace });
  const want = obj.spec?.replicas ?? 0;
  const pods = (await cluster.core.listNamespacedPod({ namespace: sts.namespace, labelSelector: sts.selector })).items;
  const expected = new Set([...Array(want).keys()].map((o) => `${sts.name}-${o}`));
  const live = pods.filter((x) => !x.metadata?.deletionTimestamp);
  const ready = live.filter((x) => expected.has(x.metadata?.name ?? '') && x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  const statusCaughtUp = (obj.status?.observedGeneration ?? 0) >= (obj.metadata?.generation ?? 0) && (obj.status?.readyReplicas ?? 0) === want;
  return { ready, want, current: live.length, statusCaughtUp, problems: podProblems(live) };
}

/**
 * Waits until every replica is Ready, no extra pod is left, and the StatefulSet's status says so
 * too (what `kubectl get sts` shows a user lags the pods); resolves to what was seen.
 */
export function waitStatefulSetReady(cluster: ClusterSession, sts: StatefulSetRef, opts: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<StatefulSetReadiness> {
  return waitFor(
    async () => {
      const r = await statefulSetReadiness(cluster, sts);
      return r.ready === r.want && r.current === r.want && r.statusCaughtUp ? done(r) : notYet(`${r.ready}/${r.want} Ready, ${r.current} pods${r.statusCaughtUp ? '' : ', status not caught up'}${r.problems.length ? `; ${r.problems.join('; ')}` : ''}`);
    },
    { what: `StatefulSet ${sts.namespace}/${sts.name} to have all replicas Ready`, timeoutMs: opts.timeoutMs, intervalMs: 1000, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
}
