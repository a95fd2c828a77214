import type {
  V1APIGroupList,
  V1APIResourceList,
  V1Deployment,
  V1Lease,
  V1LeaseList,
  V1Namespace,
  V1NodeList,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodList,
  V1Scale,
  V1Service,
  V1ServiceList,
  V1StatefulSet,
  V1StorageClass,
  V2HorizontalPodAutoscaler,
  V2HorizontalPodAutoscalerList,
  VersionInfo,
} from '@kubernetes/client-node';
import type { ResolvedKubeConfig } from './kubeconfig.ts';
import { ObjectApi, enc } from './objects.ts';
import { KubeRest } from './rest.ts';
import { apiUseOf, type ApiUse } from './permissions.ts';

/**
 * Every API request the harness makes is counted, so a run can report its footprint on the API
 * server, and what it used (verb and resource) noted, to compare with what its parts declared.
 */
export class RequestCounter {
  total = 0;
  readonly byVerb: Record<string, number> = {};
  /** Each distinct use, by group, resource, verb and namespace. */
  readonly uses = new Map<string, ApiUse>();
  count(verb: string, ...uses: (ApiUse | undefined)[]): void {
    this.total++;
    this.byVerb[verb] = (this.byVerb[verb] ?? 0) + 1;
    for (const use of uses) if (use) this.uses.set(`${use.group}/${use.resource}/${use.verb}/${use.namespace ?? '*'}`, use);
  }
  /** Counts a request by its method, path and (for a patch) content type. */
  request(method: string, path: string, query?: Record<string, unknown>, contentType?: string): void {
    const use = apiUseOf(method === 'WATCH' ? 'GET' : method, path, method === 'WATCH' ? { ...query, watch: true } : query);
    // A server-side apply creates the object when it is absent, which the API server authorizes as create too: one request, both uses.
    this.count(method, use, use && contentType === 'application/apply-patch+yaml' ? { ...use, verb: 'create' } : undefined);
  }
}

type Named = { name: string; namespace: string };
type Listing = { namespace: string; labelSelector?: string | undefined; fieldSelector?: string | undefined };
type Custom = { group: string; version: string; plural: string; namespace?: string; labelSelector?: string; limit?: number };

const ns = (p: { namespace: string }) => `/namespaces/${enc(p.namespace)}`;

/**
 * A connection to one cluster: the API calls the harness makes, sharing one request counter.
 * Each is plain JSON over client-node's authentication (see rest.ts); the types are client-node's.
 * Watches and execs go through client-node's Watch and Exec; their wrappers count themselves.
 */
export class ClusterSession {
  /** The kubeconfig the session was made from (its context selected). */
  readonly kubeConfig: ResolvedKubeConfig['kubeConfig'];
  /** The kubeconfig context this session talks to. */
  readonly context: string;
  /** The API server's URL. */
  readonly server: string;
  /** Every request this session sent, by verb and by use: the run's `api requests` measurement and the permissions it used. */
  readonly requests = new RequestCounter();
  /** Bound on each API request (watches and execs have their own). */
  readonly requestTimeoutMs: number;
  /** Raw REST access to the API server (paths, verbs), for what the typed groups below lack. */
  readonly rest: KubeRest;
  /** Any kind by apiVersion and kind (server-side apply, Istio's policies, the cleanup sweep). */
  readonly objects: ObjectApi;

  constructor(resolved: ResolvedKubeConfig, opts: { requestTimeoutMs?: number } = {}) {
    this.kubeConfig = resolved.kubeConfig;
    this.context = resolved.context;
    this.server = resolved.server;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const counter = this.requests;
    this.rest = new KubeRest(resolved.kubeConfig, resolved.server, (method, path, query, contentType) => counter.request(method, path, query, contentType), this.requestTimeoutMs);
    this.objects = new ObjectApi(this.rest);
  }

  private get = <T>(path: string, query?: Record<string, string | number | undefined>) => this.rest.get<T>(path, query);
  private put = <T>(path: string, body: unknown) => this.rest.request<T>('PUT', path, { body });
  private post = <T>(path: string, body: unknown) => this.rest.request<T>('POST', path, { body });

  /** The core API group (v1): pods, services, endpoints, namespaces, claims, events. */
  readonly core = {
    getAPIResources: () => this.get<V1APIResourceList>('/api/v1'),
    listNode: () => this.get<V1NodeList>('/api/v1/nodes'),
    readNamespace: (p: { name: string }) => this.get<V1Namespace>(`/api/v1/namespaces/${enc(p.name)}`),
    createNamespace: (p: { body: V1Namespace }) => this.post<V1Namespace>('/api/v1/namespaces', p.body),
    readNamespacedPod: (p: Named) => this.get<V1Pod>(`/api/v1${ns(p)}/pods/${enc(p.name)}`),
    listNamespacedPod: (p: Listing) => this.get<V1PodList>(`/api/v1${ns(p)}/pods`, { labelSelector: p.labelSelector, fieldSelector: p.fieldSelector }),
    /** Deletes one pod; `body.preconditions.uid` makes it that incarnation only. */
    deleteNamespacedPod: (p: Named & { gracePeriodSeconds?: number; body?: { preconditions?: { uid?: string } } }) =>
      this.rest.request<V1Pod>('DELETE', `/api/v1${ns(p)}/pods/${enc(p.name)}`, {
        body: { ...p.body, ...(p.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: p.gracePeriodSeconds } : {}) },
      }),
    readNamespacedService: (p: Named) => this.get<V1Service>(`/api/v1${ns(p)}/services/${enc(p.name)}`),
    listServiceForAllNamespaces: () => this.get<V1ServiceList>('/api/v1/services'),
    readNamespacedPersistentVolumeClaim: (p: Named) => this.get<V1PersistentVolumeClaim>(`/api/v1${ns(p)}/persistentvolumeclaims/${enc(p.name)}`),
  };

  /** The apps/v1 group: StatefulSets, Deployments, DaemonSets, ReplicaSets and their scale subresource. */
  readonly apps = {
    readNamespacedDeployment: (p: Named) => this.get<V1Deployment>(`/apis/apps/v1${ns(p)}/deployments/${enc(p.name)}`),
    readNamespacedStatefulSet: (p: Named) => this.get<V1StatefulSet>(`/apis/apps/v1${ns(p)}/statefulsets/${enc(p.name)}`),
    readNamespacedStatefulSetScale: (p: Named) => this.get<V1Scale>(`/apis/apps/v1${ns(p)}/statefulsets/${enc(p.name)}/scale`),
    replaceNamespacedStatefulSetScale: (p: Named & { body: V1Scale }) => this.put<V1Scale>(`/apis/apps/v1${ns(p)}/statefulsets/${enc(p.name)}/scale`, p.body),
    readNamespacedDeploymentScale: (p: Named) => this.get<V1Scale>(`/apis/apps/v1${ns(p)}/deployments/${enc(p.name)}/scale`),
    replaceNamespacedDeploymentScale: (p: Named & { body: V1Scale }) => this.put<V1Scale>(`/apis/apps/v1${ns(p)}/deployments/${enc(p.name)}/scale`, p.body),
  };

  /** The autoscaling/v2 group: HorizontalPodAutoscalers. */
  readonly autoscaling = {
    readNamespacedHorizontalPodAutoscaler: (p: Named) => this.get<V2HorizontalPodAutoscaler>(`/apis/autoscaling/v2${ns(p)}/horizontalpodautoscalers/${enc(p.name)}`),
    listNamespacedHorizontalPodAutoscaler: (p: { namespace: string }) => this.get<V2HorizontalPodAutoscalerList>(`/apis/autoscaling/v2${ns(p)}/horizontalpodautoscalers`),
  };

  /** The storage.k8s.io/v1 group: StorageClasses. */
  readonly storage = {
    readStorageClass: (p: { name: string }) => this.get<V1StorageClass>(`/apis/storage.k8s.io/v1/storageclasses/${enc(p.name)}`),
  };

  /** The coordination.k8s.io/v1 group: Leases (a run's own Lease). */
  readonly coordination = {
    readNamespacedLease: (p: Named) => this.get<V1Lease>(`/apis/coordination.k8s.io/v1${ns(p)}/leases/${enc(p.name)}`),
    createNamespacedLease: (p: { namespace: string; body: V1Lease }) => this.post<V1Lease>(`/apis/coordination.k8s.io/v1${ns(p)}/leases`, p.body),
    replaceNamespacedLease: (p: Named & { body: V1Lease }) => this.put<V1Lease>(`/apis/coordination.k8s.io/v1${ns(p)}/leases/${enc(p.name)}`, p.body),
    deleteNamespacedLease: (p: Named) => this.rest.request<unknown>('DELETE', `/apis/coordination.k8s.io/v1${ns(p)}/leases/${enc(p.name)}`),
    listNamespacedLease: (p: Listing) => this.get<V1LeaseList>(`/apis/coordination.k8s.io/v1${ns(p)}/leases`, { labelSelector: p.labelSelector }),
  };

  /** Custom resources and aggregated APIs (metrics.k8s.io, Istio's) by group, version and plural. */
  readonly custom = {
    listClusterCustomObject: (p: Custom) => this.get<unknown>(`/apis/${p.group}/${p.version}/${p.plural}`, { labelSelector: p.labelSelector, limit: p.limit }),
    listNamespacedCustomObject: (p: Custom & { namespace: string }) =>
      this.get<unknown>(`/apis/${p.group}/${p.version}${ns(p)}/${p.plural}`, { labelSelector: p.labelSelector, limit: p.limit }),
    getAPIResources: (p: { group: string; version: string }) => this.get<V1APIResourceList>(`/apis/${p.group}/${p.version}`),
  };

  /** The API server's version (`/version`). */
  readonly version = { getCode: () => this.get<VersionInfo>('/version') };

  /** API discovery (the groups the server serves). */
  readonly apis = { getAPIVersions: () => this.get<V1APIGroupList>('/apis') };
}

/** Default bound on one API request; long enough for a large list on a slow control plane. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** A signal that fires at the timeout or when the caller's own signal does. */
export function withTimeout(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const t = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, t]) : t;
}

/** The HTTP status of a Kubernetes API error, or undefined for anything else. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'number' ? err.code : undefined;
}

/** Whether an error from the API is a 404: the object does not exist. */
export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;
