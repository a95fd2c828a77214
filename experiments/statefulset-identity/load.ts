// Load beside statefulset-identity's pod deletions: what a client of the StatefulSet's pods
// would have seen, through a Service in front of them (a NodePort on 127.0.0.1 for the fixture).
import { fileURLToPath } from 'node:url';
import { preflightError, RunError } from '../../harness/engine/errors.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { LoadRun, driverFor } from '../../harness/load/run.ts';
import type { Params } from './params.ts';
import type { Ctx } from './steps.ts';

export const K6_SCRIPT = fileURLToPath(new URL('./k6/load.ts', import.meta.url));

/** The Service in front of the fixture's pods that the load goes through. */
export const clientService = (sts: string) => `${sts}-client`;

// Per run (keyed by its state object), so the experiment's own State needs no load field.
const runs = new WeakMap<object, LoadRun>();
const closers = new WeakMap<object, () => void>();

export async function loadDriverReady(ctx: Ctx): Promise<void> {
  if (ctx.params.load !== 'k6') return;
  try {
    await driverFor(ctx.params, K6_SCRIPT).preflight();
  } catch (err) {
    throw preflightError((err as Error).message, err);
  }
}

/** The URL the load goes to: the user's, or the fixture's client Service on its NodePort. */
async function targetUrl(ctx: Ctx): Promise<string> {
  const { params: p, state: s } = ctx;
  if (p.loadUrl) return p.loadUrl;
  const name = clientService(s.sts);
  const svc = await ctx.cluster.core.readNamespacedService({ name, namespace: p.namespace });
  const port = svc.spec?.ports?.[0]?.nodePort;
  if (!port) throw new RunError('SETUP', `Service ${p.namespace}/${name} has no NodePort`);
  // The fixture serves index.html from its data directory (see manifests/statefulset.yaml).
  return `http://127.0.0.1:${port}/index.html`;
}

/** Starts the load at the end of the steady state and holds it there for loadSteadyFor. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const p: Params = ctx.params;
  if (p.load === 'off') return;
  const url = await targetUrl(ctx);
  // The Service answers once kube-proxy has programmed it: a condition with a deadline.
  await waitFor(
    async () => {
      const r = await fetch(url, { signal: AbortSignal.timeout(p.loadTimeout) });
      await r.body?.cancel();
      return r.ok ? done(undefined) : notYet(`HTTP ${r.status}`);
    },
    { what: `${url} to answer 2xx before the load starts`, timeoutMs: 60_000, intervalMs: 500, signal: ctx.signal, retryErrors: true },
  );
  const run = new LoadRun(p, driverFor(p, K6_SCRIPT), url, ctx.record);
  // Bounded by the run's deadline; the rollback stops it whatever happens.
  await run.start(Math.max(1000, Math.min(ctx.deadline - Date.now(), 6 * 3_600_000)), ctx.signal);
  ctx.rollback('stop the load', () => run.stop());
  runs.set(ctx.state, run);
  ctx.progress(`load: ${p.loadRate} req/s to ${url} (${p.load}); ${p.loadSteadyFor / 1000}s of steady state before the fault`);
  await run.steady(p.loadSteadyFor, ctx.signal);
}

/** Runs the first fault with the load's fault window opened before it. */
export async function faultOpens(ctx: Ctx, fault: (ctx: Ctx) => Promise<void>): Promise<void> {
  const run = runs.get(ctx.state);
  if (run) closers.set(ctx.state, run.faultStarted());
  await fault(ctx);
}

/** Runs the last fault and closes the fault window after it, however it ends. */
export async function faultCloses(ctx: Ctx, fault: (ctx: Ctx) => Promise<void>): Promise<void> {
  try {
    await fault(ctx);
  } finally {
    closers.get(ctx.state)?.();
  }
}

/** Keeps the load through the recovery window, stops it, and judges it per phase. */
export async function judgeLoadPhases(ctx: Ctx): Promise<void> {
  const run = runs.get(ctx.state);
  if (!run) return;
  ctx.progress(`load: ${ctx.params.loadRecoveryFor / 1000}s of recovery after the fault`);
  await run.finish(ctx.signal);
}
