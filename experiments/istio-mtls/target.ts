// istio-mtls preflight and setup: what the target is, that the mesh covers it, and the clients.
// Nothing is touched before setup; a gap found here is an `error` naming it.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { fixtures, isNotFound, probes, RunError } from '../../harness/index.ts';
import { hasSidecar, injectionOf, PA_API } from './mesh.ts';
import { manifestValues } from './meta.ts';
import { FIXTURE } from './params.ts';
import { targetOf, type Ctx, type Target } from './state.ts';

const preflightError = (message: string) => new RunError('PREFLIGHT', message);
const targetSelectionError = (message: string) => new RunError('TARGET_SELECTION', message);

/**
 * Preflight: Istio's PeerAuthentication API is served and istiod is Ready. Missing Istio is an
 * `error` verdict (a prerequisite), found before anything is touched.
 */
export async function istioInstalled(ctx: Ctx): Promise<void> {
  const { cluster, params: p } = ctx;
  try {
    await cluster.custom.listClusterCustomObject({ group: PA_API.group, version: PA_API.version, plural: PA_API.plural, limit: 1 });
  } catch (err) {
    if (isNotFound(err)) throw preflightError('Istio is not installed: the cluster does not serve security.istio.io/v1 PeerAuthentication');
    throw err;
  }
  try {
    const d = await cluster.apps.readNamespacedDeployment({ name: 'istiod', namespace: p.istioNamespace });
    if ((d.status?.readyReplicas ?? 0) < 1) throw preflightError(`istiod in ${p.istioNamespace} has no Ready replica`);
  } catch (err) {
    if (isNotFound(err)) throw preflightError(`no istiod Deployment in ${p.istioNamespace} (set istioNamespace to Istio's root namespace)`);
    throw err;
  }
}

async function namespaceLabels(ctx: Ctx, name: string): Promise<Record<string, string> | null> {
  try {
    return (await ctx.cluster.core.readNamespace({ name })).metadata?.labels ?? {};
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** The pod port a Service port leads to (a named targetPort is looked up in the pod's containers). */
function podPort(svc: V1Service, port: number, pod: V1Pod | undefined): number {
  const sp = svc.spec?.ports?.find((x) => x.port === port);
  const tp = sp?.targetPort ?? port;
  if (typeof tp === 'number') return tp;
  const named = pod?.spec?.containers.flatMap((c) => c.ports ?? []).find((x) => x.name === tp)?.containerPort;
  if (named === undefined) throw targetSelectionError(`Service ${svc.metadata?.namespace}/${svc.metadata?.name} port ${port} targets "${tp}", which no container of its pods names`);
  return Number(named);
}

/** The fixture as the target: its NodePort must be free (another Service holding it would make setup fail half-way). */
async function fixtureTarget(ctx: Ctx): Promise<Target> {
  const p = ctx.params;
  const holder = (await ctx.cluster.core.listServiceForAllNamespaces()).items.find((s) => s.spec?.ports?.some((x) => x.nodePort === p.nodePort));
  if (holder) throw preflightError(`NodePort ${p.nodePort} is already used by Service ${holder.metadata?.namespace}/${holder.metadata?.name} (set nodePort to a free port)`);
  const labels = { 'app.kubernetes.io/name': FIXTURE };
  return { fixture: true, namespace: p.namespace, service: FIXTURE, port: p.port, targetPort: 8080, podLabels: labels, selector: labels, nodePort: p.nodePort };
}

/** A user's Service as the target: it has the port, selects pods, and every one of them carries a sidecar. */
async function existingTarget(ctx: Ctx, name: string): Promise<Target> {
  const p = ctx.params;
  let svc: V1Service;
  try {
    svc = await ctx.cluster.core.readNamespacedService({ name, namespace: p.namespace });
  } catch (err) {
    if (isNotFound(err)) throw targetSelectionError(`Service ${p.namespace}/${name} does not exist`);
    throw err;
  }
  const sp = svc.spec?.ports?.find((x) => x.port === p.port);
  if (!sp) throw targetSelectionError(`Service ${p.namespace}/${name} has no port ${p.port} (it has ${(svc.spec?.ports ?? []).map((x) => x.port).join(', ') || 'none'}); set port`);
  const selector = svc.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) throw targetSelectionError(`Service ${p.namespace}/${name} has no selector: its endpoints are not pods the mesh can be checked on`);
  const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
  const pods = (await ctx.cluster.core.listNamespacedPod({ namespace: p.namespace, labelSelector })).items.filter((x) => !x.metadata?.deletionTimestamp);
  const [first] = pods;
  if (!first) throw targetSelectionError(`Service ${p.namespace}/${name} selects no pod (${labelSelector})`);
  const bare = pods.filter((x) => !hasSidecar(x)).map((x) => x.metadata?.name);
  if (bare.length) throw preflightError(`pod(s) ${bare.join(', ')} of Service ${p.namespace}/${name} carry no istio-proxy sidecar (restart them after enabling injection)`);
  if (!sp.name?.startsWith('http') && !sp.appProtocol) {
    ctx.record.event({ source: 'harness', type: 'protocol-undeclared', message: `port ${p.port} of ${name} declares no protocol (name http… or appProtocol): the sidecars treat it as TCP; mTLS is still enforced` });
  }
  const nodePort = sp.nodePort ?? undefined;
  if (!nodePort) ctx.record.event({ source: 'harness', type: 'no-node-port', message: `Service ${p.namespace}/${name} has no NodePort for port ${p.port}: the host → NodePort path is not probed` });
  return { fixture: false, namespace: p.namespace, service: name, port: p.port, targetPort: podPort(svc, p.port, first), podLabels: first.metadata?.labels ?? {}, selector, nodePort };
}

/**
 * Preflight: the target namespace is injected (or will be created injected), the out-of-mesh
 * namespace is not, and an existing target's pods all carry the sidecar.
 */
export async function selectTarget(ctx: Ctx): Promise<void> {
  const p = ctx.params;
  const nsLabels = await namespaceLabels(ctx, p.namespace);
  if (nsLabels) {
    const inj = injectionOf(nsLabels);
    if (!inj.injected) throw preflightError(`namespace ${p.namespace} is not injected: ${inj.how} (label it istio-injection=enabled or istio.io/rev=<revision>, or pick another namespace)`);
  } else if (p.service !== undefined) {
    throw targetSelectionError(`namespace ${p.namespace} does not exist`);
  }
  const outside = await namespaceLabels(ctx, p.outsideNamespace);
  if (outside && injectionOf(outside).injected) throw preflightError(`namespace ${p.outsideNamespace} (outsideNamespace) is injected (${injectionOf(outside).how}); the out-of-mesh client needs one without injection`);
  const t = p.service === undefined ? await fixtureTarget(ctx) : await existingTarget(ctx, p.service);
  ctx.state.target = t;
  ctx.state.clients = { mesh: `${t.service}-client-mesh`, plain: `${t.service}-client-plain` };
  ctx.record.event({ source: 'harness', type: 'target', message: `${t.fixture ? 'fixture' : 'existing'} Service ${t.namespace}/${t.service} port ${t.port} → pod port ${t.targetPort}${t.nodePort ? `, NodePort ${t.nodePort}` : ''}`, data: { ...t } });
}

const ready = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** Waits until the pods matching `labelSelector` are all Ready (at least one), bounded; returns the first. */
async function podReady(ctx: Ctx, namespace: string, labelSelector: string): Promise<V1Pod> {
  return probes.waitFor(
    async () => {
      const pods = (await ctx.cluster.core.listNamespacedPod({ namespace, labelSelector })).items.filter((x) => !x.metadata?.deletionTimestamp);
      const [first] = pods;
      return first && pods.every(ready) ? probes.done(first) : probes.notYet(pods.map((x) => `${x.metadata?.name}: ${x.status?.phase}`));
    },
    { what: `pods ${labelSelector} in ${namespace} Ready`, timeoutMs: ctx.params.readyWithin, intervalMs: 1000, signal: ctx.signal, retryErrors: true },
  );
}

/** The manifests a run applies: the clients always, the server only for the fixture. */
export const fixtureManifests = (manifests: { namespaces: string; server: string; clients: string }, fixture: boolean): string[] =>
  fixture ? [manifests.namespaces, manifests.server, manifests.clients] : [manifests.namespaces, manifests.clients];

/** Setup: the clients (and the server, for the fixture), Ready, sidecars where they belong. */
export async function deploy(ctx: Ctx, manifests: { namespaces: string; server: string; clients: string }): Promise<void> {
  const t = targetOf(ctx);
  await fixtures.fromManifests(ctx, { manifests: fixtureManifests(manifests, t.fixture), manifestValues });
  if (t.fixture) await podReady(ctx, t.namespace, `app.kubernetes.io/name=${t.service}`);
  const mesh = await podReady(ctx, t.namespace, `app.kubernetes.io/name=${ctx.state.clients.mesh}`);
  const plain = await podReady(ctx, ctx.params.outsideNamespace, `app.kubernetes.io/name=${ctx.state.clients.plain}`);
  if (!hasSidecar(mesh)) throw new RunError('SETUP', `the in-mesh client ${t.namespace}/${ctx.state.clients.mesh} got no istio-proxy sidecar: is istiod's injection webhook serving namespace ${t.namespace}?`);
  if (hasSidecar(plain)) throw new RunError('SETUP', `the out-of-mesh client ${ctx.params.outsideNamespace}/${ctx.state.clients.plain} got a sidecar`);
}
