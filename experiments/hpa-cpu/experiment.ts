// hpa-cpu: made only of the public entry's parts and its own steps (the controller's formula,
// the HPA sampler, the scale checks), as a user's own CPU-load experiment would be.
import { defineExperiment, probes, step } from '../../harness/index.ts';
import { verifyScaleOut } from './checks.ts';
import { manifestValues, manifests, meta } from './meta.ts';
import type { Params } from './params.ts';
import { needs } from './permissions.ts';
import { startSampler } from './sampler.ts';
import { FIXTURE, initialState, type Ctx, type State } from './state.ts';
import * as steps from './steps.ts';
import { metricsApi, selectTarget } from './target.ts';

const name = (p: Params) => p.target ?? FIXTURE;
const loaded = (p: Params) => (p.loadPods === 'all' ? 'every pod' : `${p.loadPods} pod(s)`);

export default defineExperiment({
  ...meta,
  initialState,
  preflight: [
    probes.clusterReachable<Params, State>(),
    step('probe', 'metrics-api', 'the metrics API (metrics.k8s.io) answers', metricsApi, needs.metricsApi),
    step(
      'probe',
      'target-has-cpu-requests',
      (p: Params) =>
        p.target
          ? `${p.targetKind} ${p.namespace}/${p.target} exists, sets CPU requests, and an HPA with a CPU Utilization target scales it`
          : `the fixture requests CPU (${p.cpuRequest})`,
      selectTarget,
      needs.selectTarget,
    ),
  ],
  setup: [
    step(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        p.target
          ? 'nothing to deploy: testing an existing workload'
          : `server-side apply Deployment ${p.namespace}/${name(p)} (requests ${p.cpuRequest}, limit ${p.cpuLimit}) and its HPA (min ${p.minReplicas}, max ${p.maxReplicas}, target ${p.targetUtilization}%, scale-down window ${p.scaleDownWindowSeconds}s)`,
      (ctx: Ctx) => steps.deployFixture(ctx, { manifests, manifestValues }),
      needs.deployFixture,
    ),
  ],
  steadyState: [step('probe', 'baseline', 'record baseline replicas; the HPA reads CPU utilisation for Ready pods', steps.baseline, needs.baseline)],
  observe: [
    {
      name: 'hpa-sampler',
      describe: (p: Params) => `every ${p.sampleEvery / 1000}s: HPA status, per-pod CPU from the metrics API, and the formula's prediction`,
      permissions: needs.sampler,
      start: startSampler,
    },
  ],
  method: [
    step(
      'fault',
      'cpu-load',
      (p: Params) => `exec \`timeout ${Math.round(p.loadFor / 1000)} sha256sum /dev/zero\` ×${p.processesPerPod} in ${loaded(p)}`,
      steps.startLoad,
      needs.startLoad,
    ),
  ],
  // scale-out judges the sampler's samples; stop-load and scale-in act on and read the cluster.
  verify: [
    step('check', 'scale-out', (p: Params) => `replicas reach the clamped prediction within ${p.scaleOutWithin / 1000}s, and what the load needs fits under maxReplicas`, verifyScaleOut, () => []),
    step('action', 'stop-load', 'stop the load and prove no sha256sum survives in any loaded pod', steps.stopLoad, needs.stopLoad),
    step('check', 'scale-in', (p: Params) => `replicas return to where they were before the load (minReplicas for the fixture) within ${p.scaleInWithin / 1000}s`, steps.verifyScaleIn, needs.scaleIn),
  ],
});
