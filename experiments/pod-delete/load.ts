// Optional load beside pod-delete's deletions: what a client of the workload would have seen,
// through the fixture's client NodePort Service, or the user's own loopback URL.
import { fileURLToPath } from 'node:url';
import { load, RunError, step, type ClusterContext, type Permission, type WorkloadState } from '../../harness/index.ts';
import { CLIENT_SERVICE, type Params } from './params.ts';

type Ctx = ClusterContext<Params, WorkloadState>;

// The built-ins' constant-arrival-rate k6 script (k6 reads the URL and rate from its environment).
const K6_SCRIPT = fileURLToPath(new URL('../statefulset-identity/k6/load.ts', import.meta.url));

const off = (p: Params) => p.load === 'off';

/** The URL the load goes to: the user's, or the fixture's client Service on its NodePort. */
async function targetUrl(ctx: Ctx): Promise<string> {
  const p = ctx.params;
  if (p.loadUrl) return p.loadUrl;
  const svc = await ctx.cluster.core.readNamespacedService({ name: CLIENT_SERVICE, namespace: p.namespace });
  // Worker pods go to the Service's cluster DNS name; the harness itself to its NodePort on loopback.
  if (p.loadWorkers > 1) return `http://${CLIENT_SERVICE}.${p.namespace}.svc:${svc.spec?.ports?.[0]?.port ?? 80}/index.html`;
  const port = svc.spec?.ports?.[0]?.nodePort;
  if (!port) throw new RunError('SETUP', `Service ${p.namespace}/${CLIENT_SERVICE} has no NodePort`);
  // The fixture serves index.html (see manifests/deployment.yaml).
  return `http://127.0.0.1:${port}/index.html`;
}

/** Preflight: the driver is there (k6 >= 1.0 for load=k6). */
export const driverReady = step(
  'probe',
  'load-driver',
  (p: Params) => (p.load === 'k6' ? `\`${p.loadK6} version\` is k6 >= 1.0` : p.load === 'builtin' ? 'the built-in load driver needs nothing' : 'skipped (load=off)'),
  (ctx: Ctx) => load.driverReady(ctx, K6_SCRIPT),
  () => [],
);

/** The end of the steady state: load starts and holds loadSteadyFor before the fault. */
export const start = step(
  'action',
  'start-load',
  (p: Params) => (off(p) ? 'skipped (load=off)' : `start ${p.load} load${p.loadWorkers > 1 ? ` in ${p.loadWorkers} worker pods` : ''}, ${p.loadRate} req/s to ${p.loadUrl ?? (p.loadWorkers > 1 ? "the fixture's client Service by its cluster DNS name" : "the fixture's client NodePort Service on 127.0.0.1")}, for ${p.loadSteadyFor / 1000}s of steady state before the fault (stopped by rollback)`),
  async (ctx: Ctx) => {
    if (off(ctx.params)) return;
    await load.start(ctx, { url: await targetUrl(ctx), k6Script: K6_SCRIPT, waitServed: true, what: 'through the workload\'s Service' });
  },
  (p: Params): Permission[] => [...(!off(p) && !p.loadUrl ? [{ group: '', resource: 'services', verbs: ['get'] } as Permission] : []), ...load.permissions(p)],
);

/** Verify: holds the load through loadRecoveryFor, stops it and judges it per phase. */
export const judge = step(
  'check',
  'load-per-phase',
  (p: Params) =>
    off(p)
      ? 'skipped (load=off)'
      : `after ${p.loadRecoveryFor / 1000}s of recovery: errors during the fault ≤ ${p.loadMaxErrorRate * 100}%, p95 ≤ ${p.loadMaxP95Ratio}× steady, back in the steady band within ${p.loadRecoverWithin / 1000}s`,
  async (ctx: Ctx) => {
    const run = load.of(ctx);
    if (!run) return;
    ctx.progress(`load: ${ctx.params.loadRecoveryFor / 1000}s of recovery after the fault`);
    await run.finish(ctx.signal);
  },
  () => [],
);
