// What decides mTLS for one workload port: PeerAuthentications at mesh (root namespace),
// namespace and workload scope, with Istio's precedence, and the DestinationRules that set TLS for
// the service's host. Read from the cluster whole, so a run can journal them and restore them.
// Istio's own rules, so they live with the experiment rather than in the harness.
import type { V1Pod } from '@kubernetes/client-node';
import { isNotFound, type ClusterSession } from '../../harness/index.ts';

export const PA_API = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' } as const;
export const DR_API = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules', apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule' } as const;

interface Meta {
  name: string;
  namespace: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type Mode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';
export interface PeerAuthentication {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: { selector?: { matchLabels?: Record<string, string> }; mtls?: { mode?: Mode }; portLevelMtls?: Record<string, { mode?: Mode }> };
}
export interface DestinationRule {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  spec?: { host?: string; trafficPolicy?: { tls?: { mode?: string }; portLevelSettings?: { port?: { number?: number }; tls?: { mode?: string } }[] } };
}

/** The workload port whose mTLS is decided, and who it is. */
export interface MtlsTarget {
  namespace: string;
  service: string;
  /** The Service's port (what DestinationRules' port settings name). */
  port: number;
  /** The pods' port behind it (what portLevelMtls names). */
  targetPort: number;
  /** Labels of the target's pods (what workload selectors match). */
  podLabels: Record<string, string>;
}

export interface MeshPolicies {
  rootNamespace: string;
  /** Oldest first, as Istio picks the oldest when several apply at one level. */
  mesh: PeerAuthentication[];
  namespace: PeerAuthentication[];
  workload: PeerAuthentication[];
  destinationRules: DestinationRule[];
}

export const nameOf = (o: { kind: string; metadata: Meta }): string => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
const byAge = <T extends { metadata: Meta }>(list: T[]) =>
  [...list].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
const hasSelector = (pa: PeerAuthentication) => Object.keys(pa.spec?.selector?.matchLabels ?? {}).length > 0;
const selects = (pa: PeerAuthentication, labels: Record<string, string>) =>
  hasSelector(pa) && Object.entries(pa.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

async function list<T>(session: ClusterSession, api: { group: string; version: string; plural: string }, namespace?: string): Promise<T[]> {
  try {
    const r = (namespace
      ? await session.custom.listNamespacedCustomObject({ group: api.group, version: api.version, plural: api.plural, namespace })
      : await session.custom.listClusterCustomObject({ group: api.group, version: api.version, plural: api.plural })) as { items: T[] };
    return r.items;
  } catch (err) {
    if (isNotFound(err)) return []; // the kind is not served (DestinationRules without Istio's networking API)
    throw err;
  }
}

/** True when a DestinationRule's host (short names resolve in the rule's namespace) covers the service. */
export function hostCovers(host: string, ruleNamespace: string, target: Pick<MtlsTarget, 'namespace' | 'service'>): boolean {
  const fqdn = `${target.service}.${target.namespace}.svc.cluster.local`;
  const h = host.includes('.') || host === '*' ? host : `${host}.${ruleNamespace}.svc.cluster.local`;
  if (h === '*') return true;
  if (h.startsWith('*.')) return fqdn.endsWith(h.slice(1));
  const full = h.endsWith('.svc') ? `${h}.cluster.local` : h.split('.').length === 2 ? `${h}.svc.cluster.local` : h;
  return full === fqdn;
}

/** Every PeerAuthentication that applies to the target's pods and every DestinationRule setting TLS for its host. */
export async function readMeshPolicies(session: ClusterSession, rootNamespace: string, target: MtlsTarget): Promise<MeshPolicies> {
  const root = await list<PeerAuthentication>(session, PA_API, rootNamespace);
  const own = target.namespace === rootNamespace ? root : await list<PeerAuthentication>(session, PA_API, target.namespace);
  const rules = await list<DestinationRule>(session, DR_API);
  const setsTls = (dr: DestinationRule) => Boolean(dr.spec?.trafficPolicy?.tls || dr.spec?.trafficPolicy?.portLevelSettings?.some((s) => s.tls));
  return {
    rootNamespace,
    mesh: byAge(root.filter((pa) => !hasSelector(pa))),
    namespace: target.namespace === rootNamespace ? [] : byAge(own.filter((pa) => !hasSelector(pa))),
    workload: byAge(own.filter((pa) => selects(pa, target.podLabels))),
    destinationRules: byAge(rules.filter((dr) => setsTls(dr) && hostCovers(dr.spec?.host ?? '', dr.metadata.namespace, target))),
  };
}

export const allPolicies = (p: MeshPolicies): (PeerAuthentication | DestinationRule)[] => [...p.mesh, ...p.namespace, ...p.workload, ...p.destinationRules];

export interface EffectiveMtls {
  mode: Exclude<Mode, 'UNSET'>;
  /** The policy and setting that decided it; "Istio's default" when none did. */
  decidedBy: string;
}

/**
 * The mode Istio applies to the target port: the oldest workload policy, else the oldest
 * namespace policy, else the oldest mesh policy; UNSET inherits from the level above, and the
 * workload policy's portLevelMtls for the port beats its own mode. PERMISSIVE when nothing is set.
 */
export function effectiveMtls(p: MeshPolicies, targetPort: number): EffectiveMtls {
  let eff: EffectiveMtls = { mode: 'PERMISSIVE', decidedBy: "Istio's default (no policy sets a mode)" };
  for (const pa of [p.mesh[0], p.namespace[0], p.workload[0]]) {
    const mode = pa?.spec?.mtls?.mode;
    if (pa && mode && mode !== 'UNSET') eff = { mode, decidedBy: `${nameOf(pa)} (mtls.mode ${mode})` };
  }
  const w = p.workload[0];
  const port = w?.spec?.portLevelMtls?.[String(targetPort)]?.mode;
  if (w && port && port !== 'UNSET') eff = { mode: port, decidedBy: `${nameOf(w)} sets port ${targetPort} to ${port} (portLevelMtls)` };
  return eff;
}

/** DestinationRules that make in-mesh clients send something other than Istio mTLS to the port. */
export function clientTlsOverrides(p: MeshPolicies, servicePort: number): string[] {
  const out: string[] = [];
  for (const dr of p.destinationRules) {
    const tp = dr.spec?.trafficPolicy;
    const mode = tp?.portLevelSettings?.find((s) => s.port?.number === servicePort)?.tls?.mode ?? tp?.tls?.mode;
    if (mode && mode !== 'ISTIO_MUTUAL') out.push(`${nameOf(dr)} sets client TLS for port ${servicePort} to ${mode}`);
  }
  return out;
}

/** The pod runs Istio's proxy: a sidecar container, or a native sidecar (an init container that keeps running). */
export function hasSidecar(pod: V1Pod): boolean {
  const spec = pod.spec;
  return Boolean(spec?.containers.some((c) => c.name === 'istio-proxy') || spec?.initContainers?.some((c) => c.name === 'istio-proxy' && c.restartPolicy === 'Always'));
}

/** How a namespace asks for injection: by label `istio-injection=enabled` or a revision label `istio.io/rev`. */
export function injectionOf(labels: Record<string, string> | undefined): { injected: boolean; how: string } {
  const l = labels ?? {};
  if (l['istio-injection'] === 'enabled') return { injected: true, how: 'istio-injection=enabled' };
  if (l['istio-injection'] === 'disabled') return { injected: false, how: 'istio-injection=disabled' };
  if (l['istio.io/rev']) return { injected: true, how: `istio.io/rev=${l['istio.io/rev']}` };
  return { injected: false, how: 'neither istio-injection=enabled nor istio.io/rev is set' };
}
