// istio-mtls preflight and setup: what the target is, that the mesh covers it, and the clients.
// Nothing is touched before setup; a gap found here is an `error` naming it.
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import type { ClusterContext } from '../../harness/cluster/context.ts';
import { deployFixture } from '../../harness/cluster/fixture.ts';
import { isNotFound } from '../../harness/cluster/session.ts';
import { RunError, preflightError, targetSelectionError } from '../../harness/engine/errors.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { hasSidecar, injectionOf, type MeshPolicies, type MtlsTarget } from '../../harness/probes/istio-policies.ts';
import type { StageResult } from './matrix.ts';
import { manifestValues } from './meta.ts';
import { FIXTURE, type Params } from './params.ts';

export interface Target extends MtlsTarget {
  fixture: boolean;
  /** The Service's selector (a workload-scope policy selects the same pods). */
  selector: Record<string, string>;
  /** NodePort probed from the host on 127.0.0.1; undefined when the Service has none. */
  nodePort?: number | undefined;
}

export interface State {
  target?: Target;
  clients: { mesh: string; plain: string };
  /** Every policy that decides the result, as read before the first change. */
  recorded?: MeshPolicies;
  /** The policy the run sets, and its recorded copy (null: the run creates it). */
  policy?: { ref: { apiVersion: string; kind: string; namespace: string; name: string }; before: Record<string, unknown> | null; changed: boolean };
  stages: StageResult[];
  /** What decided the port when a mode did not hold, read while that mode was applied. */
  explanations: Partial<Record<'STRICT' | 'PERMISSIVE', { overrides: string[]; effective: string }>>;
  closeWindow?: (() => void) | undefined;
}

export const initialState = (): State => ({ clients: { mesh: '', plain: '' }, stages: [], explanations: {} });
export type Ctx = ClusterContext<Params, State>;


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

/**
 * Preflight: the target namespace is injected (or will be created injected), the out-of-mesh
 * namespace is not, and an existing target's pods all carry the sidecar.
 */
export async function selectTarget(ctx: Ctx): Promise<void> {
  const p = ctx.params;
  const nsLabels = await namespaceLabels(ctx, p.namespace);
  const fixture = p.service === undefined;
  if (nsLabels) {
    const inj = injectionOf(nsLabels);
    if (!inj.injected) throw preflightError(`namespace ${p.namespace} is not injected: ${inj.how} (label it istio-injection=enabled or istio.io/rev=<revision>, or pick another namespace)`);
  } else if (!fixture) {
    throw targetSelectionError(`namespace ${p.namespace} does not exist`);
  }
  const outside = await namespaceLabels(ctx, p.outsideNamespace);
  if (outside && injectionOf(outside).injected) throw preflightError(`namespace ${p.outsideNamespace} (outsideNamespace) is injected (${injectionOf(outside).how}); the out-of-mesh client needs one without injection`);

  if (fixture) {
    // The fixture's NodePort must be free: another Service holding it would make setup fail half-way.
    const holder = (await ctx.cluster.core.listServiceForAllNamespaces()).items.find((s) => s.spec?.ports?.some((x) => x.nodePort === p.nodePort));
    if (holder) throw preflightError(`NodePort ${p.nodePort} is already used by Service ${holder.metadata?.namespace}/${holder.metadata?.name} (set nodePort to a free port)`);
    const labels = { 'app.kubernetes.io/name': FIXTURE };
    ctx.state.target = { fixture, namespace: p.namespace, service: FIXTURE, port: p.port, targetPort: 8080, podLabels: labels, selector: labels, nodePort: p.nodePort };
  } else {
    const name = p.service!;
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
    if (pods.length === 0) throw targetSelectionError(`Service ${p.namespace}/${name} selects no pod (${labelSelector})`);
    const bare = pods.filter((x) => !hasSidecar(x)).map((x) => x.metadata?.name);
    if (bare.length) throw preflightError(`pod(s) ${bare.join(', ')} of Service ${p.namespace}/${name} carry no istio-proxy sidecar (restart them after enabling injection)`);
    if (!sp.name?.startsWith('http') && !sp.appProtocol) {
      ctx.record.event({ source: 'harness', type: 'protocol-undeclared', message: `port ${p.port} of ${name} declares no protocol (name http… or appProtocol): the sidecars treat it as TCP; mTLS is still enforced` });
    }
    const nodePort = sp.nodePort ?? undefined;
    if (!nodePort) ctx.record.event({ source: 'harness', type: 'no-node-port', message: `Service ${p.namespace}/${name} has no NodePort for port ${p.port}: the host → NodePort path is not probed` });
    ctx.state.target = { fixture, namespace: p.namespace, service: name, port: p.port, targetPort: podPort(svc, p.port, pods[0]), podLabels: pods[0]!.metadata?.labels ?? {}, selector, nodePort };
  }
  const t = ctx.state.target;
  ctx.state.clients = { mesh: `${t.service}-client-mesh`, plain: `${t.service}-client-plain` };
  ctx.record.event({ source: 'harness', type: 'target', message: `${t.fixture ? 'fixture' : 'existing'} Service ${t.namespace}/${t.service} port ${t.port} → pod port ${t.targetPort}${t.nodePort ? `, NodePort ${t.nodePort}` : ''}`, data: { ...t } });
}

const ready = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

/** Waits until the pods matching `labelSelector` are all Ready (at least one), bounded. */
async function podsReady(ctx: Ctx, namespace: string, labelSelector: string): Promise<V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (await ctx.cluster.core.listNamespacedPod({ namespace, labelSelector })).items.filter((x) => !x.metadata?.deletionTimestamp);
      return pods.length > 0 && pods.every(ready) ? done(pods) : notYet(pods.map((x) => `${x.metadata?.name}: ${x.status?.phase}`));
    },
    { what: `pods ${labelSelector} in ${namespace} Ready`, timeoutMs: ctx.params.readyWithin, intervalMs: 1000, signal: ctx.signal, retryErrors: true },
  );
}

/** Setup: the clients (and the server, for the fixture), Ready, sidecars where they belong. */
export async function deploy(ctx: Ctx, manifests: { namespaces: string; server: string; clients: string }): Promise<void> {
  const t = ctx.state.target!;
  const files = t.fixture ? [manifests.namespaces, manifests.server, manifests.clients] : [manifests.namespaces, manifests.clients];
  await deployFixture(ctx, { manifests: files, manifestValues });
  if (t.fixture) await podsReady(ctx, t.namespace, `app.kubernetes.io/name=${t.service}`);
  const [mesh] = await podsReady(ctx, t.namespace, `app.kubernetes.io/name=${ctx.state.clients.mesh}`);
  const [plain] = await podsReady(ctx, ctx.params.outsideNamespace, `app.kubernetes.io/name=${ctx.state.clients.plain}`);
  if (!hasSidecar(mesh!)) throw new RunError('SETUP', `the in-mesh client ${t.namespace}/${ctx.state.clients.mesh} got no istio-proxy sidecar: is istiod's injection webhook serving namespace ${t.namespace}?`);
  if (hasSidecar(plain!)) throw new RunError('SETUP', `the out-of-mesh client ${ctx.params.outsideNamespace}/${ctx.state.clients.plain} got a sidecar`);
}
