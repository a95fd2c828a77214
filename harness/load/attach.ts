// Load as an experiment's steps use it: check the driver in preflight, start it at the end of
// the steady state (the rollback stops it, always), and keep it in the run's results.
import { preflightError } from '../engine/errors.ts';
import { resultKey, type RunContext, type RunResults, type Step } from '../engine/experiment.ts';
import { done, notYet, waitFor } from '../engine/wait.ts';
import type { LoadParams } from './params.ts';
import { usesWorkers } from './workers/permissions.ts';
import { RunError } from '../engine/errors.ts';
import type { LoadRun } from './run.ts';

// The drivers (a worker thread, HDR histograms, k6 through execa) load only when a run has load:
// a run with load=off (the default) carries none of them in memory.
const drivers = () => import('./run.ts');

type LoadCtx = RunContext<LoadParams, object, unknown>;

// Per run, in its results, so an experiment's own State needs no load field.
const LOAD = resultKey<LoadRun>('load');

/** The run's load, if one was started. */
export const loadOf = (ctx: { results: RunResults }): LoadRun | undefined => ctx.results.get(LOAD);

/** The run's load as an experiment's steps use it (see `load.of`). */
export interface AttachedLoad {
  /** Opens the load's fault window (journaled as the window "fault"); call the result when the fault is over. */
  faultStarted(): () => void;
  /** Holds the load through loadRecoveryFor, stops it, and records its checks per phase (steady, fault, recovery). */
  finish(signal: AbortSignal): Promise<unknown>;
}

/** Preflight: `k6 version` for load=k6; the built-in driver needs nothing. */
export async function loadDriverReady(ctx: LoadCtx, k6Script: string): Promise<void> {
  if (ctx.params.load !== 'k6') return;
  const { driverFor } = await drivers();
  try {
    await driverFor(ctx.params, k6Script).preflight();
  } catch (err) {
    throw preflightError((err as Error).message, err);
  }
}

/** Where `load.start` sends the load, and how. */
export interface LoadStartOptions {
  /** Where the requests go (a loopback URL: the host's view of a NodePort ...). */
  url: string;
  /** The k6 script, for load=k6. */
  k6Script: string;
  /** Wait (bounded) for a 2xx before starting: the target must serve before a baseline means anything. */
  waitServed: boolean;
  /** What the load is, for the progress line. */
  what: string;
  /** Where the worker pods run with loadWorkers > 1 (default: the run's `namespace` parameter). */
  workerNamespace?: string;
}

/** Starts the load and holds it for loadSteadyFor of steady state; returns it (undefined for load=off). */
export async function startLoad(ctx: LoadCtx, o: LoadStartOptions): Promise<LoadRun | undefined> {
  const p = ctx.params;
  if (p.load === 'off') return undefined;
  const workers = usesWorkers(p) ? await workerHost(ctx, o) : undefined;
  // Worker pods wait for the target themselves: an in-cluster address does not answer the harness.
  if (o.waitServed && !workers) {
    // A Service answers once kube-proxy has programmed it: a condition with a deadline.
    await waitFor(
      async () => {
        const r = await fetch(o.url, { signal: AbortSignal.timeout(p.loadTimeout) });
        await r.body?.cancel();
        return r.ok ? done(undefined) : notYet(`HTTP ${r.status}`);
      },
      { what: `${o.url} to answer 2xx before the load starts`, timeoutMs: 60_000, intervalMs: 500, signal: ctx.signal, retryErrors: true },
    );
  }
  const { LoadRun, driverFor } = await drivers();
  const { K6_OUTPUT_FILE } = await import('./k6.ts');
  const run = new LoadRun(p, driverFor(p, o.k6Script, ctx.artifactDir, workers), o.url, ctx.record);
  // Bounded by the run's deadline; the rollback stops it whatever happens.
  await run.start(Math.max(1000, Math.min(ctx.deadline - Date.now(), 6 * 3_600_000)), ctx.signal);
  ctx.rollback('stop the load', () => run.stop());
  ctx.results.set(LOAD, run);
  if (p.load === 'k6' && ctx.artifactDir) ctx.record.event({ source: 'load', type: 'k6-output', message: `k6's raw --out json is kept as ${K6_OUTPUT_FILE} in the report folder` });
  ctx.progress(`load: ${o.what}, ${p.loadRate} req/s to ${o.url} (${p.load}); ${p.loadSteadyFor / 1000}s of steady state before the fault`);
  await run.steady(p.loadSteadyFor, ctx.signal);
  return run;
}

/** What the worker driver needs from the run: its cluster session, labels, journal and rollback. */
async function workerHost(ctx: LoadCtx, o: LoadStartOptions) {
  const { ClusterSession } = await import('../cluster/session.ts');
  const { DEFAULT_WORKER_IMAGE } = await import('./params.ts');
  const namespace = o.workerNamespace ?? (ctx.params as { namespace?: unknown }).namespace;
  if (!(ctx.cluster instanceof ClusterSession)) throw new RunError('INTERNAL', 'loadWorkers > 1 needs a run against a cluster');
  if (typeof namespace !== 'string') throw new RunError('SETUP', 'loadWorkers > 1 needs a namespace for the worker pods: the experiment has no `namespace` parameter and gave none');
  const p = ctx.params;
  return {
    session: ctx.cluster,
    namespace,
    runId: ctx.runId,
    labels: ctx.labels,
    image: p.loadWorkerImage ?? DEFAULT_WORKER_IMAGE,
    workers: p.loadWorkers ?? 1,
    waitServedMs: o.waitServed ? 60_000 : 0,
    record: ctx.record,
    rollback: ctx.rollback.bind(ctx),
  };
}

/** Closes the load's fault window that `aroundFault`'s first step opened. */
const CLOSE_FAULT_WINDOW = resultKey<() => void>('load:close-fault-window');

/**
 * The fault steps given, with the load's fault window opened before the first and closed after
 * the last however it ends (nothing changes without load). The window is what the load's
 * per-phase judgement calls "fault".
 */
export function aroundFault<P, S, C>(...steps: Step<P, S, C>[]): Step<P, S, C>[] {
  const first = steps[0];
  const last = steps[steps.length - 1];
  if (!first || !last) throw new TypeError('load.aroundFault needs at least one step');
  return steps.map((s) => ({
    ...s,
    run: async (ctx: RunContext<P, S, C>) => {
      if (s === first) {
        const run = loadOf(ctx);
        if (run) ctx.results.set(CLOSE_FAULT_WINDOW, run.faultStarted());
      }
      try {
        await s.run(ctx);
      } finally {
        if (s === last) ctx.results.get(CLOSE_FAULT_WINDOW)?.();
      }
    },
  }));
}

/** The run's load as a fault meant to turn it away sees it (a policy that rejects plaintext ...): see `load.rejecting`. */
export interface RejectedLoad {
  /** Opens the load's fault window without journaling a window of its own (the fault journals its own); call the result when the fault is lifted. */
  faultStarted(): () => void;
  /**
   * How the load has seen the fault since `since` (epoch ms): whole seconds with requests, all
   * turned away, after the last one that served a request; and how long after `since` a request
   * was last served (undefined: none was).
   */
  rejectedSince(since: number): Promise<{ rejectedSeconds: number; lastServedMs?: number | undefined }>;
  /**
   * Holds the load through loadRecoveryFor, stops it, and judges it inverted: requests served
   * later than `rejectWithin` after the fault started are the finding; every second must be served
   * again (at most loadMaxErrorRate errors) within loadRecoverWithin of its end. `labels` name the
   * phases in the report's table (e.g. the policy's modes).
   */
  finish(signal: AbortSignal, o: { rejectWithin: number; labels?: { steady?: string; fault?: string; recovery?: string } }): Promise<unknown>;
}

/** The run's load, if one was started, judged as one its fault turns away. */
export function rejectingLoadOf(ctx: { results: RunResults; params: LoadParams }): RejectedLoad | undefined {
  const run = loadOf(ctx);
  if (!run) return undefined;
  const p = ctx.params;
  // The judge loads with the drivers (already in memory once the load runs).
  const judges = () => import('./judge-rejection.ts');
  return {
    faultStarted: () => run.faultStarted(null),
    rejectedSince: async (since) => {
      const o = (await judges()).rejectionOnset(run.seconds(), { start: since, end: Infinity });
      return { rejectedSeconds: o.rejectedAfter, lastServedMs: o.lastServedEnd === undefined ? undefined : o.leakMs };
    },
    finish: async (signal, o) => {
      const { judgeRejection } = await judges();
      return run.finish(signal, {
        judge: (seconds, windows) => judgeRejection(seconds, windows, { rejectWithin: o.rejectWithin, serveWithin: p.loadRecoverWithin, maxErrorRate: p.loadMaxErrorRate }),
        ...(o.labels ? { labels: o.labels } : {}),
      });
    },
  };
}
