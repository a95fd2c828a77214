import {
  AppsV1Api,
  AutoscalingV2Api,
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
  readonly objects: KubernetesObjectApi;

  constructor(resolved: ResolvedKubeConfig) {
    this.kubeConfig = resolved.kubeConfig;
    this.context = resolved.context;
    this.server = resolved.server;
    const counter = this.requests;
    const config = createConfiguration({
      baseServer: new ServerConfiguration(resolved.server, {}),
      authMethods: { default: resolved.kubeConfig },
      promiseMiddleware: [
        {
          pre: (ctx: RequestContext) => {
            counter.count(ctx.getHttpMethod());
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
    // KubernetesObjectApi takes a configuration the same way, so generic applies are counted too.
    this.objects = new KubernetesObjectApi(config);
  }
}

/** The HTTP status of a Kubernetes API error, or undefined for anything else. */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'number' ? err.code : undefined;
}

export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;
