import {
  ApisApi,
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  ServerConfiguration,
  StorageV1Api,
  VersionApi,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { ResolvedKubeConfig } from './kubeconfig.ts';

/** Every API request the harness makes is counted, so a run can report its footprint on the API server. */
export class RequestCounter {
  total = 0;
  readonly byVerb: Record<string, number> = {};
  count(verb: string): void {
    this.total++;
    this.byVerb[verb] = (this.byVerb[verb] ?? 0) + 1;
  }
}

/**
 * A connection to one cluster: typed API clients sharing one request counter. Watches and execs
 * do not go through the generated clients; their wrappers count themselves.
 */
export class ClusterSession {
  readonly kubeConfig: KubeConfig;
  readonly context: string;
  readonly server: string;
  readonly requests = new RequestCounter();
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly autoscaling: AutoscalingV2Api;
  readonly storage: StorageV1Api;
  readonly custom: CustomObjectsApi;
  readonly version: VersionApi;
  readonly coordination: CoordinationV1Api;
  /** API discovery (the groups the server serves). */
  readonly apis: ApisApi;
  readonly objects: KubernetesObjectApi;

  /** Bound on each API request (watches and execs have their own). */
  readonly requestTimeoutMs: number;

  constructor(resolved: ResolvedKubeConfig, opts: { requestTimeoutMs?: number } = {}) {
    this.kubeConfig = resolved.kubeConfig;
    this.context = resolved.context;
    this.server = resolved.server;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const counter = this.requests;
    const timeoutMs = this.requestTimeoutMs;
    const config = createConfiguration({
      baseServer: new ServerConfiguration(resolved.server, {}),
      authMethods: { default: resolved.kubeConfig },
      promiseMiddleware: [
        {
          pre: (ctx: RequestContext) => {
            counter.count(ctx.getHttpMethod());
            // Every request gets its own bound: a server that stops answering fails the request
            // (and the wait polling it moves on) instead of hanging it forever.
            ctx.setSignal(withTimeout(ctx.getSignal(), timeoutMs));
            return Promise.resolve(ctx);
          },
          post: (ctx: ResponseContext) => Promise.resolve(ctx),
        },
      ],
    });
    this.core = new CoreV1Api(config);
    this.apps = new AppsV1Api(config);
    this.autoscaling = new AutoscalingV2Api(config);
    this.storage = new StorageV1Api(config);
    this.custom = new CustomObjectsApi(config);
    this.version = new VersionApi(config);
    this.coordination = new CoordinationV1Api(config);
    this.apis = new ApisApi(config);
    // KubernetesObjectApi takes a configuration the same way, so generic applies are counted too.
    this.objects = new KubernetesObjectApi(config);
  }
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

export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;
