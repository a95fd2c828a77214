// pod-delete: made only of the public entry's parts, as a user's own experiment would be.
import { checks, defineExperiment, faults, fixtures, load, probes, target, type WorkloadRef } from '../../harness/index.ts';
import * as loadSteps from './load.ts';
import { fixtureManifests, manifestValues, meta } from './meta.ts';
import { FIXTURE, type Params } from './params.ts';

const workloadOf = (p: Params): WorkloadRef => ({ namespace: p.namespace, ...(p.workload ?? { kind: 'Deployment', name: FIXTURE }) });
const serviceOf = (p: Params) => {
  const name = p.service ?? (p.workload ? undefined : FIXTURE);
  return name ? { namespace: p.namespace, name } : undefined;
};

// The optional continuous probe through the Service, during the fault (off without probePath).
const http = probes.http((p: Params) => {
  const svc = serviceOf(p);
  return p.probePath !== undefined && svc ? { namespace: svc.namespace, service: svc.name, port: p.probePort, path: p.probePath } : undefined;
}, { name: 'http-probe', during: 'fault', every: (p: Params) => p.probeEvery, timeout: (p: Params) => p.probeTimeout });

export default defineExperiment({
  ...meta,
  initialState: target.state,
  preflight: [probes.clusterReachable(), loadSteps.driverReady],
  setup: [
    {
      kind: 'fixture',
      name: 'deploy-fixture',
      describe: (p: Params) =>
        p.workload
          ? `nothing to deploy: testing ${target.describe(workloadOf(p))}`
          : `server-side apply Deployment ${FIXTURE} (${p.replicas} replicas, image ${p.image}) and its Service${fixtureManifests(p).length > 1 ? ', a client NodePort Service for the load' : ''}, labelled with the run id`,
      run: (ctx) => (ctx.params.workload ? Promise.resolve() : fixtures.fromManifests(ctx, { manifests: fixtureManifests(ctx.params), manifestValues })),
      permissions: (p: Params) => (p.workload ? [] : fixtures.permissions(fixtures.load(fixtureManifests(p), manifestValues(p)))),
    },
  ],
  // The target is selected after setup: the fixture exists only then (a user's workload is not
  // touched before this either way).
  steadyState: [
    target.select(workloadOf),
    target.ready((p: Params) => p.recoveryWithin),
    probes.serviceEndpoints(serviceOf),
    loadSteps.start,
  ],
  observe: [target.watchPods(), http],
  // With load on, its fault window is the deletions.
  method: load.aroundFault(
    faults.deletePods((p: Params) => ({
      count: p.count,
      batch: p.batch,
      gracePeriodSeconds: p.gracePeriodSeconds,
      // Followed past the bound, so a slow recovery is measured rather than cut short.
      followForMs: p.recoveryWithin * 2 + p.gracePeriodSeconds * 1000,
    })),
  ),
  verify: [
    loadSteps.judge,
    checks.replacementsReady((p: Params) => p.recoveryWithin),
    checks.readyReplicasRestored((p: Params) => p.restoredWithin),
    checks.endpointsRestored((p: Params) => p.restoredWithin),
    checks.probeHeld(http, 'fault', (p: Params) => p.probeMaxFailures),
  ],
});
