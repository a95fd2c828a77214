// Plaintext load from the host beside istio-mtls's policy changes: what a client outside the
// mesh would have seen through the NodePort. The fault (STRICT) is meant to turn it away, so it
// is judged inverted (harness/load/judge-rejection.ts): served requests under STRICT are the
// finding, and PERMISSIVE must serve it again.
import { fileURLToPath } from 'node:url';
import { preflightError } from '../../harness/engine/errors.ts';
import * as attach from '../../harness/load/attach.ts';
import { formatDuration } from '../../harness/engine/time.ts';
import { done, notYet, waitFor, WaitTimeoutError } from '../../harness/engine/wait.ts';
import { judgeRejection, rejectionOnset } from '../../harness/load/judge-rejection.ts';
import type { Params } from './params.ts';
import type { Ctx } from './target.ts';

// The same open-loop HTTP script as statefulset-identity's (the URL and rate come by -e).
export const K6_SCRIPT = fileURLToPath(new URL('../statefulset-identity/k6/load.ts', import.meta.url));

const closers = new WeakMap<object, () => void>();

const url = (ctx: Ctx): string | undefined => {
  const t = ctx.state.target;
  return ctx.params.loadUrl ?? (t?.nodePort ? `http://127.0.0.1:${t.nodePort}${ctx.params.path}` : undefined);
};

export const describeTarget = (p: Params) => p.loadUrl ?? `the NodePort on 127.0.0.1 (${p.service ? "the Service's" : p.nodePort})`;

/** Preflight, after target selection: the driver runs here, and there is somewhere to send plaintext. */
export async function loadReady(ctx: Ctx): Promise<void> {
  if (ctx.params.load === 'off') return;
  if (!url(ctx)) throw preflightError(`load=${ctx.params.load} needs a NodePort on Service ${ctx.state.target?.namespace}/${ctx.state.target?.service} port ${ctx.params.port}, or loadUrl`);
  await attach.loadDriverReady(ctx, K6_SCRIPT);
}

/** Steady state: plaintext load from the host, whatever the policy answers before the change. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const target = url(ctx);
  if (ctx.params.load === 'off' || !target) return;
  await attach.startLoad(ctx, { url: target, k6Script: K6_SCRIPT, waitServed: false, what: 'plaintext from the host' });
}

/** Marks the load's fault window: opened when STRICT is answered, closed when PERMISSIVE is. */
export function modeSet(ctx: Ctx, mode: 'STRICT' | 'PERMISSIVE'): void {
  const run = attach.loadOf(ctx);
  if (!run) return;
  // The STRICT and PERMISSIVE windows are journaled by the policy change itself.
  if (mode === 'STRICT') closers.set(ctx.state, run.faultStarted(null));
  else closers.get(ctx.state)?.();
}

/**
 * Method, after STRICT held for the probes: keep STRICT until the load too has had whole seconds
 * of requests all turned away, within what is left of enforcedWithin. The probes open a fresh
 * connection each time; the load keeps its connections alive, and Envoy drains connections on a
 * changed listener rather than cutting them, so the load may see STRICT later than the probes.
 * If the bound runs out, the judge reports what the load saw; this step does not fail.
 */
export async function holdUntilRejected(ctx: Ctx, since: number): Promise<void> {
  const run = attach.loadOf(ctx);
  if (!run) return;
  const want = 2;
  const left = since + ctx.params.enforcedWithin - Date.now();
  try {
    await waitFor(
      () => {
        const o = rejectionOnset(run.seconds(), { start: since, end: Infinity });
        return o.rejectedAfter >= want ? done(undefined) : notYet(o.lastServedEnd ? `a request served ${o.leakMs} ms after STRICT` : `${o.rejectedAfter} s turned away`);
      },
      { what: `${want} s of the load turned away under STRICT`, timeoutMs: Math.max(0, left), intervalMs: 250, signal: ctx.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.event({ source: 'load', type: 'load-not-rejected', message: `plaintext load still served ${formatDuration(Date.now() - since)} after STRICT: ${err.message}` });
  }
}

/** Verify: after loadRecoveryFor under PERMISSIVE, stop the load and judge it per phase. */
export async function judgeLoad(ctx: Ctx): Promise<void> {
  const run = attach.loadOf(ctx);
  if (!run) return;
  const p = ctx.params;
  ctx.progress(`load: ${p.loadRecoveryFor / 1000}s under PERMISSIVE`);
  await run.finish(ctx.signal, {
    judge: (seconds, windows) => judgeRejection(seconds, windows, { rejectWithin: p.enforcedWithin, serveWithin: p.loadRecoverWithin, maxErrorRate: p.loadMaxErrorRate }),
    labels: { steady: 'before', fault: 'STRICT', recovery: 'PERMISSIVE' },
  });
}
