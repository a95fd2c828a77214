// Plaintext load from the host beside istio-mtls's policy changes: what a client outside the
// mesh would have seen through the NodePort. The fault (STRICT) is meant to turn it away, so it
// is judged inverted (load.rejecting): served requests under STRICT are the finding, and
// PERMISSIVE must serve it again.
import { fileURLToPath } from 'node:url';
import { formatDuration, load, probes, resultKey, RunError, WaitTimeoutError } from '../../harness/index.ts';
import type { Params } from './params.ts';
import type { Ctx, Mode } from './state.ts';

// The same open-loop HTTP script as statefulset-identity's (the URL and rate come by -e).
export const K6_SCRIPT = fileURLToPath(new URL('../statefulset-identity/k6/load.ts', import.meta.url));

/** Closes the load's fault window: opened when STRICT is answered, closed when PERMISSIVE is. */
const CLOSE_FAULT_WINDOW = resultKey<() => void>('istio-mtls:close-load-fault-window');

const url = (ctx: Ctx): string | undefined => {
  const t = ctx.state.target;
  if (ctx.params.loadUrl) return ctx.params.loadUrl;
  // Worker pods (in the out-of-mesh namespace) go to the Service's cluster DNS name, as plaintext from outside the mesh.
  if (ctx.params.loadWorkers > 1) return t ? `http://${t.service}.${t.namespace}.svc:${t.port}${ctx.params.path}` : undefined;
  return t?.nodePort ? `http://127.0.0.1:${t.nodePort}${ctx.params.path}` : undefined;
};

export const describeTarget = (p: Params) =>
  p.loadUrl ?? (p.loadWorkers > 1 ? `the Service's cluster DNS name, from ${p.loadWorkers} worker pods in ${p.outsideNamespace}` : `the NodePort on 127.0.0.1 (${p.service ? "the Service's" : p.nodePort})`);

/** Preflight, after target selection: the driver runs here, and there is somewhere to send plaintext. */
export async function loadReady(ctx: Ctx): Promise<void> {
  if (ctx.params.load === 'off') return;
  if (!url(ctx)) throw new RunError('PREFLIGHT', `load=${ctx.params.load} needs a NodePort on Service ${ctx.state.target?.namespace}/${ctx.state.target?.service} port ${ctx.params.port}, or loadUrl`);
  await load.driverReady(ctx, K6_SCRIPT);
}

/** Steady state: plaintext load from the host, whatever the policy answers before the change. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const target = url(ctx);
  if (ctx.params.load === 'off' || !target) return;
  await load.start(ctx, { url: target, k6Script: K6_SCRIPT, waitServed: false, what: ctx.params.loadWorkers > 1 ? 'plaintext from out-of-mesh pods' : 'plaintext from the host', workerNamespace: ctx.params.outsideNamespace });
}

/** Marks the load's fault window: opened when STRICT is answered, closed when PERMISSIVE is. */
export function modeSet(ctx: Ctx, mode: Mode): void {
  const run = load.rejecting(ctx);
  if (!run) return;
  // The STRICT and PERMISSIVE windows are journaled by the policy change itself.
  if (mode === 'STRICT') ctx.results.set(CLOSE_FAULT_WINDOW, run.faultStarted());
  else ctx.results.get(CLOSE_FAULT_WINDOW)?.();
}

/**
 * Method, after STRICT held for the probes: keep STRICT until the load too has had whole seconds
 * of requests all turned away, within what is left of enforcedWithin. The probes open a fresh
 * connection each time; the load keeps its connections alive, and Envoy drains connections on a
 * changed listener rather than cutting them, so the load may see STRICT later than the probes.
 * If the bound runs out, the judge reports what the load saw; this step does not fail.
 */
export async function holdUntilRejected(ctx: Ctx, since: number): Promise<void> {
  const run = load.rejecting(ctx);
  if (!run) return;
  const want = 2;
  const left = since + ctx.params.enforcedWithin - Date.now();
  try {
    await probes.waitFor(
      async () => {
        const o = await run.rejectedSince(since);
        return o.rejectedSeconds >= want ? probes.done(undefined) : probes.notYet(o.lastServedMs !== undefined ? `a request served ${o.lastServedMs} ms after STRICT` : `${o.rejectedSeconds} s turned away`);
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
  const run = load.rejecting(ctx);
  if (!run) return;
  ctx.progress(`load: ${ctx.params.loadRecoveryFor / 1000}s under PERMISSIVE`);
  await run.finish(ctx.signal, { rejectWithin: ctx.params.enforcedWithin, labels: { steady: 'before', fault: 'STRICT', recovery: 'PERMISSIVE' } });
}
