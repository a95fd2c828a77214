// Checks of a workload after pods were deleted: each replacement Ready within its bound, the
// workload whole again, its Service's endpoints back. The verdict of each is a pure function of
// what was recorded (recoveredInTime); the steps only wait for the cluster and record.
import { can } from '../cluster/permissions.ts';
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';
import { enc } from '../cluster/objects.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { step, type CheckInput, type Recorder } from '../engine/experiment.ts';
import { formatDuration } from '../engine/time.ts';
import { WaitTimeoutError, done, notYet, waitFor } from '../engine/wait.ts';
import { recorded, waitWhole, type DeletedPod, type WorkloadState } from '../target/select.ts';
import { describeWorkload } from '../target/workload.ts';

type Of<P, T> = (params: P) => T;

/** Whether one deleted pod's replacement was Ready within `withinMs` of the delete request. */
export function recoveredInTime(d: DeletedPod, withinMs: number): CheckInput {
  const r = d.recovery;
  const expected = `a replacement of ${d.pod} Ready within ${formatDuration(withinMs)} of its deletion`;
  const evidence = { oldUid: d.uid, newUid: r.newUid, newName: r.newName, deleteRequestedAt: new Date(r.deleteRequestedAt).toISOString(), readyTransition: r.readyTransition };
  if (r.readyAt === undefined) return { name: 'replacement-ready', target: d.pod, expected, observed: `no replacement Ready while followed (${r.notRecovered ?? 'not followed'})`, passed: false, evidence };
  const took = r.readyAt - r.deleteRequestedAt;
  const created = r.recreatedAt !== undefined ? `created after ${formatDuration(r.recreatedAt - r.deleteRequestedAt)}, ` : '';
  return { name: 'replacement-ready', target: d.pod, expected, observed: `${r.newName}: ${created}Ready after ${formatDuration(took)}`, passed: took <= withinMs, evidence: { ...evidence, readyAfterMs: took } };
}

/** The comparable metrics of one followed pod (`shakedown compare`): delete → recreated, delete → Ready. */
export function recordRecovery(ctx: { record: Recorder }, d: DeletedPod, target: string | undefined): void {
  const r = d.recovery;
  const opts = target === undefined ? {} : { target };
  if (r.recreatedAt !== undefined) ctx.record.metric('recreatedAfterDelete', 'ms', r.recreatedAt - r.deleteRequestedAt, { ...opts, description: 'delete request → the replacement (new UID) seen by the watch, per pod' });
  if (r.readyAt !== undefined) ctx.record.metric('readyAfterDelete', 'ms', r.readyAt - r.deleteRequestedAt, { ...opts, description: 'delete request → the replacement Ready, seen by the watch, per pod' });
}

/** Verify: every deleted pod's replacement was Ready within the bound (one check per pod). */
export function replacementsReady<P, S extends WorkloadState>(within: Of<P, number>): ClusterStep<P, S> {
  return step('check', 'replacements-ready', (p: P) => `each deleted pod's replacement was Ready within ${formatDuration(within(p))} of its deletion`, (ctx: ClusterContext<P, S>) => {
    const deleted = ctx.state.deleted;
    if (deleted.length === 0) {
      ctx.record.check({ name: 'replacement-ready', expected: 'at least one pod deleted and followed', observed: 'no pod was deleted', passed: 'error' });
      return Promise.resolve();
    }
    const target = ctx.state.workload ? describeWorkload(ctx.state.workload) : undefined;
    for (const d of deleted) {
      const c = ctx.record.check(recoveredInTime(d, within(ctx.params)));
      if (d.recovery.readyAt !== undefined) ctx.record.measurement({ name: `${d.pod} delete→Ready`, value: d.recovery.readyAt - d.recovery.deleteRequestedAt, unit: 'ms', description: `replaced by ${c.evidence['newName'] as string}` });
      recordRecovery(ctx, d, target);
    }
    return Promise.resolve();
  }, () => []);
}

// Stryker disable all: the steps below wait on the API server (waitWhole, EndpointSlices); the
// integration and e2e tiers (fault-primitives, pod-delete runs) kill these, the unit tier cannot
// reach them without a stand-in API server.
/** Verify: the workload has every desired pod Ready again (as many as before the fault) within `within`. */
export function readyReplicasRestored<P, S extends WorkloadState>(within: Of<P, number>): ClusterStep<P, S> {
  return step('check', 'ready-replicas-restored', (p: P) => `the target has as many Ready pods as before the fault within ${formatDuration(within(p))}`, async (ctx: ClusterContext<P, S>) => {
    const w = recorded(ctx.state.workload, 'the target workload', 'target-selectable');
    const before = recorded(ctx.state.before, 'the readiness before the fault', 'workload-ready');
    const expected = `${describeWorkload(w)}: ${before.ready}/${before.desired} Ready again within ${formatDuration(within(ctx.params))}`;
    try {
      const r = await waitWhole(ctx.cluster, w, within(ctx.params), ctx.signal, 'Ready again');
      ctx.record.check({ name: 'ready-replicas-restored', expected, observed: `${r.ready}/${r.desired} Ready`, passed: r.ready >= before.ready });
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      ctx.record.check({ name: 'ready-replicas-restored', expected, observed: err.message, passed: false });
    }
  }, () => []);
}

/** Ready endpoints of a Service (addresses of its EndpointSlices marked ready, by target pod). */
export async function readyEndpoints(session: ClusterSession, namespace: string, service: string): Promise<number> {
  type Slice = { endpoints?: { conditions?: { ready?: boolean }; targetRef?: { uid?: string }; addresses?: string[] }[] };
  const list = await session.rest.get<{ items: Slice[] }>(`/apis/discovery.k8s.io/v1/namespaces/${enc(namespace)}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${service}` });
  const ready = new Set<string>();
  // An unknown readiness counts as ready, as the API documents; one pod in two slices (IPv4 and IPv6) once.
  for (const s of list.items) for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) ready.add(e.targetRef?.uid ?? (e.addresses ?? []).join(','));
  return ready.size;
}

/** Steady state: records the Service's ready endpoints before the fault (at least one). */
export function serviceEndpoints<P, S extends WorkloadState>(service: Of<P, { namespace: string; name: string } | undefined>): ClusterStep<P, S> {
  return step('probe', 'service-endpoints', (p: P) => (service(p) ? `record the ready endpoints of Service ${service(p)?.name}` : 'skipped (no Service named)'), async (ctx: ClusterContext<P, S>) => {
    const svc = service(ctx.params);
    if (!svc) return;
    const n = await waitFor(async () => {
      const c = await readyEndpoints(ctx.cluster, svc.namespace, svc.name);
      return c > 0 ? done(c) : notYet(`${c} ready endpoints`);
    }, { what: `Service ${svc.namespace}/${svc.name} to have a ready endpoint`, timeoutMs: 60_000, intervalMs: 500, signal: ctx.signal });
    ctx.state.endpoints = { service: svc.name, ready: n };
  }, (p: P) => (service(p) ? [can('discovery.k8s.io', 'endpointslices', 'list')] : []));
}

/** Verify: the Service has as many ready endpoints as before the fault within `within`. */
export function endpointsRestored<P, S extends WorkloadState>(within: Of<P, number>): ClusterStep<P, S> {
  return step('check', 'endpoints-restored', (p: P) => `the Service has as many ready endpoints as before within ${formatDuration(within(p))} (when one is named)`, async (ctx: ClusterContext<P, S>) => {
    const before = ctx.state.endpoints;
    if (!before) return;
    const ns = recorded(ctx.state.workload, 'the target workload', 'target-selectable').namespace;
    const expected = `Service ${before.service}: ${before.ready} ready endpoints again within ${formatDuration(within(ctx.params))}`;
    let last = 0;
    try {
      last = await waitFor(async () => {
        last = await readyEndpoints(ctx.cluster, ns, before.service);
        return last >= before.ready ? done(last) : notYet(`${last} ready endpoints`);
      }, { what: `Service ${before.service}'s endpoints`, timeoutMs: within(ctx.params), intervalMs: 500, signal: ctx.signal });
      ctx.record.check({ name: 'endpoints-restored', expected, observed: `${last} ready endpoints`, passed: true });
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      ctx.record.check({ name: 'endpoints-restored', expected, observed: err.message, passed: false });
    }
  }, () => [can('discovery.k8s.io', 'endpointslices', 'list')]);
}
// Stryker restore all
