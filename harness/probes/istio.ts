import { isNotFound } from '../cluster/session.ts';
import { preflightError } from '../engine/errors.ts';
import { step } from '../engine/experiment.ts';
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';

/**
 * Preflight: Istio's PeerAuthentication API is served and istiod is Ready. Missing Istio is an
 * `error` verdict (a prerequisite), found before anything is touched.
 */
export function istioInstalled<P extends { istioNamespace: string }, S>(): ClusterStep<P, S> {
  return step('probe', 'istio-installed', (p: P) => `PeerAuthentication API (security.istio.io/v1) served, istiod Ready in ${p.istioNamespace}`, async (ctx: ClusterContext<P, S>) => {
    const cluster = ctx.cluster;
    try {
      await cluster.custom.listClusterCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', limit: 1 });
    } catch (err) {
      if (isNotFound(err)) throw preflightError('Istio is not installed: the cluster does not serve security.istio.io/v1 PeerAuthentication');
      throw err;
    }
    try {
      const d = await cluster.apps.readNamespacedDeployment({ name: 'istiod', namespace: ctx.params.istioNamespace });
      if ((d.status?.readyReplicas ?? 0) < 1) throw preflightError(`istiod in ${ctx.params.istioNamespace} has no Ready replica`);
    } catch (err) {
      if (isNotFound(err)) throw preflightError(`no istiod Deployment in ${ctx.params.istioNamespace} (set istioNamespace to Istio's root namespace)`);
      throw err;
    }
  });
}
