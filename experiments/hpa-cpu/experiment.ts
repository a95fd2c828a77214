import { defineExperiment, step } from '../../harness/engine/experiment.ts';
import { clusterReachable } from '../../harness/probes/cluster.ts';
import { manifestValues, manifests, meta } from './meta.ts';
import type { Params } from './params.ts';
import { FIXTURE, initialState, type Ctx } from './state.ts';
import * as steps from './steps.ts';
import { metricsApi, selectTarget } from './target.ts';

const name = (p: Params) => p.target ?? FIXTURE;
const loaded = (p: Params) => (p.loadPods === 'all' ? 'every pod' : `${p.loadPods} pod(s)`);

export default defineExperiment({
  ...meta,
  initialState: initialState,
  preflight: [
    clusterReachable(),
    step('probe', 'metrics-api', 'the metrics API (metrics.k8s.io) answers', metricsApi),
    step(
      'probe',
      'target-has-cpu-requests',
      (p: Params) =>
        p.target
          ? `${p.targetKind} ${p.namespace}/${p.target} exists, sets CPU requests, and an HPA with a CPU Utilization target scales it`
          : `the fixture requests CPU (${p.cpuRequest})`,
      selectTarget,
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
    ),
  ],
  steadyState: [step('probe', 'baseline', 'record baseline replicas; the HPA reads CPU utilisation for Ready pods', steps.baseline)],
  observe: [
    {
      name: 'hpa-sampler',
      describe: (p: Params) => `every ${p.sampleEvery / 1000}s: HPA status, per-pod CPU from the metrics API, and the formula's prediction`,
      start: steps.startSampler,
    },
  ],
  method: [
    step(
      'fault',
      'cpu-load',
      (p: Params) => `exec \`timeout ${Math.round(p.loadFor / 1000)} sha256sum /dev/zero\` ×${p.processesPerPod} in ${loaded(p)}`,
      steps.startLoad,
    ),
  ],
  verify: [
    step('check', 'scale-out', (p: Params) => `replicas reach the clamped prediction within ${p.scaleOutWithin / 1000}s, and what the load needs fits under maxReplicas`, steps.verifyScaleOut),
    step('action', 'stop-load', 'stop the load and prove no sha256sum survives in any loaded pod', steps.stopLoad),
    step('check', 'scale-in', (p: Params) => `replicas return to where they were before the load (minReplicas for the fixture) within ${p.scaleInWithin / 1000}s`, steps.verifyScaleIn),
  ],
});
