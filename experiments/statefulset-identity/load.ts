// Load beside statefulset-identity's pod deletions: what a client of the StatefulSet's pods
// would have seen, through a Service in front of them (a NodePort on 127.0.0.1 for the fixture).
import { fileURLToPath } from 'node:url';
import { load, RunError } from '../../harness/index.ts';
import type { Params } from './params.ts';
import { clientService } from './state.ts';
import type { Ctx } from './steps.ts';

export const K6_SCRIPT = fileURLToPath(new URL('./k6/load.ts', import.meta.url));

export { clientService };

export const loadDriverReady = (ctx: Ctx): Promise<void> => load.driverReady(ctx, K6_SCRIPT);

/** The URL the load goes to: the user's, or the fixture's client Service on its NodePort. */
async function targetUrl(ctx: Ctx): Promise<string> {
  const { params: p, state: s } = ctx;
  if (p.loadUrl) return p.loadUrl;
  const name = clientService(s.sts);
  const svc = await ctx.cluster.core.readNamespacedService({ name, namespace: p.namespace });
  // Worker pods go to the Service's cluster DNS name; the harness itself to its NodePort on loopback.
  if (p.loadWorkers > 1) return `http://${name}.${p.namespace}.svc:${svc.spec?.ports?.[0]?.port ?? 80}/index.html`;
  const port = svc.spec?.ports?.[0]?.nodePort;
  if (!port) throw new RunError('SETUP', `Service ${p.namespace}/${name} has no NodePort`);
  // The fixture serves index.html from its data directory (see manifests/statefulset.yaml).
  return `http://127.0.0.1:${port}/index.html`;
}

/** Starts the load at the end of the steady state and holds it there for loadSteadyFor. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const p: Params = ctx.params;
  if (p.load === 'off') return;
  await load.start(ctx, { url: await targetUrl(ctx), k6Script: K6_SCRIPT, waitServed: true, what: "through the StatefulSet's client Service" });
}

/** Keeps the load through the recovery window, stops it, and judges it per phase. */
export async function judgeLoadPhases(ctx: Ctx): Promise<void> {
  const run = load.of(ctx);
  if (!run) return;
  ctx.progress(`load: ${ctx.params.loadRecoveryFor / 1000}s of recovery after the fault`);
  await run.finish(ctx.signal);
}
