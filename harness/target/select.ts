// Steps that make any workload a run's target: resolve it (preflight), wait for it to be whole
// and record what it was (steady state), and watch its pods while the fault runs.
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';
import { RunError, targetSelectionError } from '../engine/errors.ts';
import { step, type Observer } from '../engine/experiment.ts';
import { formatDuration } from '../engine/time.ts';
import { WaitTimeoutError, done, notYet, waitFor } from '../engine/wait.ts';
import type { ClusterSession } from '../cluster/session.ts';
import type { PodRecovery } from '../faults/pod-delete.ts';
import { PodLifecycle } from '../observe/pod-lifecycle.ts';
import { describeWorkload, readReadiness, resolveWorkload, workloadPods, workloadReads, type Readiness, type Workload, type WorkloadRef } from './workload.ts';
import { can } from '../cluster/permissions.ts';

/** One pod a fault deleted, and what the watch saw of its replacement. */
export interface DeletedPod {
  /** The deleted pod's name. */
  pod: string;
  /** The deleted pod's UID. */
  uid: string;
  /** The node it ran on (a DaemonSet's replacement comes back there). */
  node?: string | undefined;
  /** What the watch saw of its replacement: when it appeared and became Ready, or that it did not. */
  recovery: PodRecovery;
}

/**
 * What the workload steps record, kept in the run's state: an experiment built on them starts
 * from `workloadState()` (or a state that extends it).
 */
export interface WorkloadState {
  /** The target as resolved in preflight. */
  workload?: Workload;
  /** Its pods and readiness in the steady state before the fault. */
  pods: V1Pod[];
  /** Its readiness in the steady state before the fault (what must be restored). */
  before?: Readiness;
  /** Ready endpoints of the Service named to probes.endpoints, before the fault. */
  endpoints?: { service: string; ready: number };
  /** The watch on its pods while the fault runs. */
  lifecycle?: PodLifecycle;
  /** Every pod the fault deleted, with its replacement's recovery. */
  deleted: DeletedPod[];
}

export const workloadState = (): WorkloadState => ({ pods: [], deleted: [] });

/** A step's prerequisite that an earlier step records; missing means the experiment's steps are out of order. */
export function recorded<T>(value: T | undefined, what: string, by: string): T {
  if (value === undefined) throw new RunError('INTERNAL', `${what} was not recorded: the experiment needs the ${by} step before this one`);
  return value;
}

type Of<P, T> = (params: P) => T;

/** How long a workload that wants pods is given to create its first one (a fixture applied a moment ago). */
const FIRST_POD_WITHIN_MS = 60_000;

/**
 * Preflight: the workload exists, selects its pods and has at least one. A workload that wants
 * pods but has none yet (just applied) is waited for; one scaled to zero is refused at once.
 */
export function selectWorkload<P, S extends WorkloadState>(ref: Of<P, WorkloadRef>): ClusterStep<P, S> {
  return step('probe', 'target-selectable', (p: P) => `${describeWorkload(ref(p))} exists and has pods (found through their owners; waits up to ${formatDuration(FIRST_POD_WITHIN_MS)} for the first)`, async (ctx: ClusterContext<P, S>) => {
    const w = await resolveWorkload(ctx.cluster, ref(ctx.params));
    const pods = await firstPods(ctx.cluster, w, ctx.signal);
    ctx.state.workload = w;
    ctx.record.event({ source: 'preflight', type: 'target-selected', object: `${w.kind}/${w.namespace}/${w.name}`, message: `${pods.length} pods: ${pods.map((p) => p.metadata?.name).join(', ')}`, data: { uid: w.uid, selector: w.selector } });
    // The reads of the workload and its pods that every target part makes are declared here, where the kind is known.
  }, (p: P) => workloadReads(ref(p).kind));
}

async function firstPods(session: ClusterSession, w: Workload, signal: AbortSignal): Promise<V1Pod[]> {
  const none = (why: string) => targetSelectionError(`${describeWorkload(w)} has no running pod to delete (selector ${w.selector}): ${why}`);
  try {
    return await waitFor(
      async () => {
        const pods = await workloadPods(session, w);
        if (pods.length > 0) return done(pods);
        const r = await readReadiness(session, w);
        if (r.observed && r.desired === 0) throw none(w.kind === 'DaemonSet' ? 'it schedules no pod on any node' : 'it is scaled to zero replicas');
        return notYet(`no pod yet (${r.desired} desired)`);
      },
      { what: `${describeWorkload(w)} to have a pod`, timeoutMs: FIRST_POD_WITHIN_MS, intervalMs: 500, signal },
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError) throw none(err.message);
    throw err;
  }
}

/** Steady state: every desired pod of the workload is Ready (waited for up to `within`); records them. */
export function workloadReady<P, S extends WorkloadState>(within: Of<P, number>): ClusterStep<P, S> {
  return step('probe', 'workload-ready', (p: P) => `every desired pod of the target is Ready (waits up to ${formatDuration(within(p))})`, async (ctx: ClusterContext<P, S>) => {
    const w = recorded(ctx.state.workload, 'the target workload', 'target-selectable');
    let r: Readiness;
    try {
      r = await waitWhole(ctx.cluster, w, within(ctx.params), ctx.signal, 'to be Ready before the fault');
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      // Not whole before the fault: a finding, and the engine does not inject the fault.
      ctx.record.check({ name: 'steady-state', expected: `${describeWorkload(w)}: every desired pod Ready`, observed: err.message, passed: false });
      return;
    }
    ctx.state.before = r;
    ctx.state.pods = await workloadPods(ctx.cluster, w);
    ctx.record.check({ name: 'steady-state', expected: `${describeWorkload(w)}: every desired pod Ready`, observed: `${r.ready}/${r.desired} Ready`, passed: true, evidence: { pods: ctx.state.pods.map((p) => p.metadata?.name) } });
  }, () => []);
}

/** Waits until the workload's status shows every desired pod Ready; resolves to that readiness. */
export function waitWhole(session: ClusterSession, w: WorkloadRef, timeoutMs: number, signal: AbortSignal, why: string): Promise<Readiness> {
  return waitFor(
    async () => {
      const r = await readReadiness(session, w);
      return r.observed && r.desired > 0 && r.ready >= r.desired ? done(r) : notYet(`${r.ready}/${r.desired} Ready`);
    },
    { what: `${describeWorkload(w)} ${why}`, timeoutMs, intervalMs: 500, signal },
  );
}

/**
 * Observes the workload's pods on a watch (deleted → replaced → Ready), stamped on arrival, into
 * `state.lifecycle`; `describe` says what it watches, for the plan.
 */
export function watchPods<P, S extends Pick<WorkloadState, 'workload' | 'lifecycle'>>(
  describe = "watch the target's pods: deleted → replaced → Ready, stamped on arrival beside the API's timestamps",
): Observer<P, S, ClusterSession> {
  return {
    name: 'pod-lifecycle',
    describe: () => describe,
    permissions: () => [can('', 'pods', 'list', 'watch')],
    async start(ctx) {
      const w = recorded(ctx.state.workload, 'the target workload', 'target-selectable');
      const lifecycle = new PodLifecycle(ctx.cluster, w.namespace, w.selector, ctx.record);
      await lifecycle.start();
      ctx.state.lifecycle = lifecycle;
      return () => Promise.resolve(lifecycle.stop());
    },
  };
}
