import { preflightError } from '../engine/errors.ts';
import { step } from '../engine/experiment.ts';
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';
import { describeError } from '../engine/errors.ts';

/**
 * Preflight: the API server answers. An unreachable cluster is an `error` verdict (exit 3),
 * found before anything is touched.
 */
export function clusterReachable<P, S>(): ClusterStep<P, S> {
  return step('probe', 'cluster-reachable', 'the API server answers (GET /version)', async (ctx: ClusterContext<P, S>) => {
    const cluster = ctx.cluster;
    try {
      const v = await cluster.version.getCode();
      ctx.record.environment({ serverVersion: v.gitVersion });
      ctx.record.event({ source: 'preflight', type: 'cluster-reachable', message: `API server ${cluster.server} answers: Kubernetes ${v.gitVersion}`, data: { gitVersion: v.gitVersion, platform: v.platform } });
    } catch (err) {
      throw preflightError(`the API server ${cluster.server} (context ${cluster.context}) does not answer: ${describeError(err)}`, err);
    }
    // GET /version is a non-resource URL every authenticated user may read (system:discovery).
  }, () => []);
}
