// RBAC from the declarations: the rules a run's parts declare, placed in Roles per namespace
// (a ClusterRole only for cluster-scoped or all-namespace needs), rendered as YAML for
// `shakedown rbac`, and checked against the caller's own access before a run touches anything.
import { stringify } from 'yaml';
import { mergePermissions, type Permission, type Verb } from './permissions.ts';
import type { ClusterSession } from './session.ts';

/** A declared permission with its namespace made explicit: a namespace, or cluster-wide. */
export interface ScopedRule {
  group: string;
  resource: string;
  verbs: readonly Verb[];
  /** Undefined: cluster-wide (a ClusterRole). */
  namespace?: string;
}

/** Each permission placed: in its own namespace, the run's, or cluster-wide. */
export const placeRules = (perms: readonly Permission[], runNamespace: string): Permission[] =>
  perms.map((p): Permission => (p.cluster ? { group: p.group, resource: p.resource, verbs: p.verbs, cluster: true } : { ...p, namespace: p.namespace ?? runNamespace }));

/** Permissions placed (see placeRules) and merged: one rule per resource and scope. */
export function scopeRules(perms: readonly Permission[], runNamespace: string): ScopedRule[] {
  return mergePermissions(placeRules(perms, runNamespace)).map((p) => ({ group: p.group, resource: p.resource, verbs: p.verbs, ...(p.cluster || p.namespace === undefined ? {} : { namespace: p.namespace }) }));
}

/** "delete pods in namespace shop", "get storage.k8s.io/storageclasses cluster-wide". */
export const describeRule = (r: ScopedRule, verbs: readonly Verb[] = r.verbs): string =>
  `${verbs.join(', ')} ${r.group ? `${r.group}/` : ''}${r.resource} ${r.namespace === undefined ? 'cluster-wide' : `in namespace ${r.namespace}`}`;

/** What the access check found missing, one line per resource and scope, every verb named. */
export function missingText(missing: readonly ScopedRule[], who: string): string {
  return [`${who} may not:`, ...missing.map((r) => `  - ${describeRule(r)}`)].join('\n');
}

type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[] };
const policyRule = (r: ScopedRule): PolicyRule => ({ apiGroups: [r.group], resources: [r.resource], verbs: [...r.verbs] });

/**
 * The objects granting exactly `rules` to a ServiceAccount: the account, a Role and RoleBinding
 * per namespace, and a ClusterRole and ClusterRoleBinding when any rule is cluster-wide.
 */
export function rbacObjects(o: { name: string; serviceAccount: string; namespace: string; rules: readonly ScopedRule[]; labels?: Record<string, string> }): Record<string, unknown>[] {
  const labels = { 'app.kubernetes.io/managed-by': 'shakedown', ...o.labels };
  const subject = { kind: 'ServiceAccount', name: o.serviceAccount, namespace: o.namespace };
  const out: Record<string, unknown>[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: o.serviceAccount, namespace: o.namespace, labels } }];
  const namespaces = [...new Set(o.rules.flatMap((r) => (r.namespace === undefined ? [] : [r.namespace])))].sort();
  for (const ns of namespaces) {
    // In another namespace (the Lease's, default) the account's namespace is part of the name, so two accounts' Roles do not collide.
    const metadata = { name: ns === o.namespace ? o.name : `${o.name}-${o.namespace}`, namespace: ns, labels };
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: o.rules.filter((r) => r.namespace === ns).map(policyRule) });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name }, subjects: [subject] });
  }
  const cluster = o.rules.filter((r) => r.namespace === undefined);
  if (cluster.length > 0) {
    // Cluster objects have one name across namespaces: the account's namespace is part of it.
    const metadata = { name: `${o.name}-${o.namespace}`, labels };
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata, rules: cluster.map(policyRule) });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: metadata.name }, subjects: [subject] });
  }
  return out;
}

/** Objects as one YAML stream, `---` between documents. */
export const renderYaml = (objects: readonly Record<string, unknown>[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

interface AccessReview {
  status?: { allowed?: boolean };
}

/**
 * Asks the API server, one SelfSubjectAccessReview per rule and verb (all at once), whether the
 * caller may do each; returns what it may not, verbs grouped per rule. Any authorizer answers
 * these (unlike SelfSubjectRulesReview, which webhook authorizers leave incomplete).
 */
export async function missingAccess(session: ClusterSession, rules: readonly ScopedRule[]): Promise<ScopedRule[]> {
  const asks = rules.flatMap((r) => r.verbs.map((verb) => ({ r, verb })));
  const answers = await Promise.all(
    asks.map(async ({ r, verb }) => {
      const [resource, subresource] = r.resource.split('/');
      const resourceAttributes = { verb, group: r.group, resource, ...(subresource ? { subresource } : {}), ...(r.namespace === undefined ? {} : { namespace: r.namespace }) };
      const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } };
      const review = await session.rest.request<AccessReview>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body });
      return review.status?.allowed === true;
    }),
  );
  const missing = new Map<ScopedRule, Verb[]>();
  asks.forEach(({ r, verb }, i) => {
    if (!answers[i]) missing.set(r, [...(missing.get(r) ?? []), verb]);
  });
  return [...missing].map(([r, verbs]) => ({ ...r, verbs }));
}
