// The API permissions a part of an experiment declares it needs, in RBAC's terms. Only types
// here: the engine carries declarations without knowing what a cluster is (see
// harness/cluster/permissions.ts for reading requests and comparing).

export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
/** An RBAC verb a part may need (one of VERBS). */
export type Verb = (typeof VERBS)[number];

/** Verbs on a resource, as an RBAC rule grants them. */
export interface Permission {
  /** API group: "" for the core group, "apps", "coordination.k8s.io"; "*" any. */
  group: string;
  /** Plural resource, with its subresource after a slash: "pods", "pods/exec", "services/proxy"; "*" any. */
  resource: string;
  /** The verbs it needs on that resource. */
  verbs: readonly Verb[];
  /** Needed across namespaces or on a cluster-scoped resource (a ClusterRole), not only in the run's namespace. */
  cluster?: boolean;
  /** Needed in this namespace rather than the run's (the run's Lease lives in "default"). */
  namespace?: string;
}
