// The API permissions a run needs, as each part declares them (verbs on resources, RBAC's terms),
// and the API requests it actually made, read from their paths, so the two can be compared: a
// request no part declared is a gap in the declarations (and in any Role built from them).
import type { AnyExperiment } from '../engine/experiment.ts';
import { VERBS, type Permission, type Verb } from '../engine/permission.ts';

export type { Permission, Verb };

/** One API request, in RBAC's terms. */
export interface ApiUse {
  group: string;
  resource: string;
  verb: Verb;
  /** Cluster-scoped, or a list or watch across all namespaces. */
  cluster: boolean;
  /** The namespace of a namespaced use. */
  namespace?: string;
}

/**
 * Reads a request's path: `/api/v1/namespaces/ns/pods/name/exec`, `/apis/apps/v1/deployments`.
 * Discovery (`/api`, `/apis/apps/v1`) and non-resource paths (`/version`) need no rule: undefined.
 */
export function apiUseOf(method: string, path: string, query: Record<string, unknown> = {}): ApiUse | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
  let rest: string[];
  let group: string;
  if (parts[0] === 'api' && parts.length > 2) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length > 3) [group, rest] = [parts[1]!, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  // namespaces/<ns>/<resource>...: namespaced; namespaces or namespaces/<name> alone: the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, sub] = rest;
  if (!resource) return undefined;
  const m = method.toUpperCase();
  let verb: Verb;
  // pods/exec, attach, portforward: over SPDY a POST (create), over WebSocket a GET (get; exec.ts
  // counts create beside it, which API servers that authorize the upgrade ask too).
  if (m === 'GET') verb = name === undefined ? (query['watch'] === true || query['watch'] === 'true' ? 'watch' : 'list') : 'get';
  else if (m === 'POST') verb = 'create';
  else if (m === 'PUT') verb = 'update';
  else if (m === 'PATCH') verb = 'patch';
  else if (m === 'DELETE') verb = name === undefined ? 'deletecollection' : 'delete';
  else return undefined;
  // A cluster-scoped list of a namespaced kind (pods in all namespaces) is still a cluster rule.
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb, cluster: namespace === undefined, ...(namespace === undefined ? {} : { namespace }) };
}

/**
 * Whether `p` grants `u`: group and resource match (or "*"), the verb is granted, a cluster-wide
 * use has a cluster rule, and a rule for one namespace is used in that one.
 */
export function allows(p: Permission, u: ApiUse): boolean {
  return (
    (p.group === '*' || p.group === u.group) &&
    (p.resource === '*' || p.resource === u.resource) &&
    p.verbs.includes(u.verb) &&
    (!u.cluster || p.cluster === true) &&
    (p.namespace === undefined || p.namespace === u.namespace)
  );
}

/** The uses no declared permission allows. */
export function undeclared(uses: Iterable<ApiUse>, declared: readonly Permission[]): ApiUse[] {
  return [...uses].filter((u) => !declared.some((p) => allows(p, u)));
}

/** One rule per group, resource and scope, verbs merged and ordered as VERBS lists them. */
export function mergePermissions(list: readonly Permission[]): Permission[] {
  const merged = new Map<string, Permission & { verbs: Verb[] }>();
  for (const p of list) {
    const key = `${p.group}\u0000${p.resource}\u0000${p.cluster === true}\u0000${p.namespace ?? ''}`;
    const m = merged.get(key) ?? { group: p.group, resource: p.resource, verbs: [], ...(p.cluster ? { cluster: true } : {}), ...(p.namespace === undefined ? {} : { namespace: p.namespace }) };
    for (const v of p.verbs) if (!m.verbs.includes(v)) m.verbs.push(v);
    merged.set(key, m);
  }
  return [...merged.values()]
    .map((p) => ({ ...p, verbs: VERBS.filter((v) => p.verbs.includes(v)) }))
    .sort((a, b) => `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`) || Number(a.cluster ?? false) - Number(b.cluster ?? false));
}

/** "apps/deployments: get, list" or "pods/exec: create (cluster)". */
export const formatPermission = (p: Permission | ApiUse): string =>
  `${p.group ? `${p.group}/` : ''}${p.resource}: ${'verbs' in p ? p.verbs.join(', ') : p.verb}${p.cluster ? ' (cluster-wide)' : p.namespace ? ` (in namespace ${p.namespace})` : ''}`;

/** Shorthand for declaring: `can('apps', 'deployments', 'get', 'list')`. */
export const can = (group: string, resource: string, ...verbs: Verb[]): Permission => ({ group, resource, verbs });

/** The same, across namespaces or on a cluster-scoped resource. */
export const canClusterWide = (group: string, resource: string, ...verbs: Verb[]): Permission => ({ group, resource, verbs, cluster: true });

/** What the harness itself does in every run against a cluster: the run's Lease in namespace default. */
export const HARNESS_PERMISSIONS: readonly Permission[] = [{ ...can('coordination.k8s.io', 'leases', 'get', 'list', 'create', 'update', 'delete'), namespace: 'default' }];

const partsOf = (def: AnyExperiment) => [...def.preflight, ...(def.setup ?? []), ...def.steadyState, ...def.method, ...def.verify, ...(def.teardown ?? []), ...(def.observe ?? [])];

/**
 * Everything a run of `def` with `params` declares it needs: each step's and observer's own
 * declarations and the harness's (plus `extra`, what the command adds, e.g. recording the
 * verdict), merged. Parts that declare nothing contribute nothing.
 */
export function experimentPermissions(def: AnyExperiment, params: Record<string, unknown>, extra: readonly Permission[] = []): Permission[] {
  return mergePermissions([...HARNESS_PERMISSIONS, ...extra, ...partsOf(def).flatMap((s) => s.permissions?.(params) ?? [])]);
}

/** Whether any part of `def` declares its permissions (a definition that declares none is not compared). */
export const declaresPermissions = (def: AnyExperiment): boolean => partsOf(def).some((s) => s.permissions !== undefined);

/** What a run used against what its parts declared: a table for the journal, and the uses no part declared. */
export function permissionsUsed(def: AnyExperiment, params: Record<string, unknown>, uses: Iterable<ApiUse>): { rows: [string, string][]; missing: ApiUse[] } {
  const all = [...uses];
  const missing = undeclared(all, experimentPermissions(def, params));
  // One row per resource and scope, its verbs together, those declared apart from those not.
  const rows = new Map<string, { use: Permission; declared: boolean }>();
  for (const u of all) {
    const declared = !missing.includes(u);
    const key = `${u.group}/${u.resource}/${u.cluster}/${u.namespace ?? ''}/${declared}`;
    const row = rows.get(key) ?? { use: { group: u.group, resource: u.resource, verbs: [], ...(u.cluster ? { cluster: true } : {}), ...(u.namespace === undefined ? {} : { namespace: u.namespace }) }, declared };
    row.use = { ...row.use, verbs: VERBS.filter((v) => v === u.verb || row.use.verbs.includes(v)) };
    rows.set(key, row);
  }
  const table = [...rows.values()].map((r): [string, string] => [formatPermission(r.use), r.declared ? 'declared' : 'NOT DECLARED']).sort((a, b) => a[0].localeCompare(b[0]));
  return { rows: table, missing };
}
