import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineExperiment, pendingStep } from '../../harness/engine/experiment.ts';
import { duration, imageRef, k8sName } from '../../harness/engine/params.ts';
import { clusterReachable } from '../../harness/probes/cluster.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));
const CLUSTER_LAYER = 'the HPA experiment (issue "hpa-cpu experiment, end to end") is not built yet';

/** A CPU quantity as Kubernetes writes it: "200m" or "0.5" / "1" cores. */
const cpuQuantity = () => z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'must be a CPU quantity like 200m or 0.5');

const params = z
  .strictObject({
    namespace: k8sName().default('shakedown-hpa').describe('namespace of the target (created for the fixture)'),
    target: k8sName()
      .optional()
      .describe('an existing Deployment or StatefulSet with an HPA; when unset the run deploys the fixture "shakedown-cpu"'),
    targetKind: z.enum(['Deployment', 'StatefulSet']).default('Deployment').describe('kind of the target'),
    hpa: k8sName().optional().describe('the HPA to watch (default: the one whose scaleTargetRef is the target)'),
    image: imageRef().default('busybox:1.36').describe('fixture image; needs sh, httpd, sha256sum, timeout (busybox)'),
    cpuRequest: cpuQuantity().default('100m').describe('fixture CPU request, the base of utilisation'),
    cpuLimit: cpuQuantity().default('200m').describe('fixture CPU limit, caps what one load process can burn'),
    minReplicas: z.number().int().min(1).default(1).describe('fixture HPA minReplicas'),
    maxReplicas: z.number().int().min(1).default(5).describe('fixture HPA maxReplicas'),
    targetUtilization: z.number().int().min(1).max(1000).default(50).describe('fixture HPA target average CPU utilisation, %'),
    scaleDownWindowSeconds: z.number().int().min(0).max(3600).default(30).describe('fixture HPA scale-down stabilization window'),
    loadPods: z.union([z.literal('all'), z.number().int().min(1)], { error: 'must be "all" or a pod count of 1 or more' }).default(1).describe('how many pods get load: a count or "all"'),
    processesPerPod: z.number().int().min(1).max(8).default(1).describe('sha256sum processes per loaded pod'),
    loadFor: duration('4m').describe('how long each load process runs (it is started under `timeout`)'),
    scaleOutWithin: duration('3m').describe('bound on reaching the predicted replicas after the load starts'),
    scaleInWithin: duration('3m').describe('bound on returning to minReplicas after the load stops'),
    sampleEvery: duration('15s').describe('sampling interval of HPA status and pod metrics (the HPA sync period)'),
  })
  .refine((p) => p.minReplicas <= p.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] });
type Params = z.output<typeof params>;

const name = (p: Params) => p.target ?? 'shakedown-cpu';
const loaded = (p: Params) => (p.loadPods === 'all' ? 'every pod' : `${p.loadPods} pod(s)`);

export default defineExperiment({
  name: 'hpa-cpu',
  description: 'Load pods with sha256sum; prove the HPA scales out as its formula predicts and back in after',
  hypothesis:
    'Under CPU load the HPA sets ceil(current × utilisation / target) replicas (clamped to min/max, within its 10% tolerance) within the bound, has room under maxReplicas for what the load needs, and returns to minReplicas once the load stops.',
  params,
  manifests: [manifest('deployment.yaml'), manifest('hpa.yaml')],
  manifestValues: (p: Params) => ({
    namespace: p.namespace,
    target: name(p),
    image: p.image,
    cpuRequest: p.cpuRequest,
    cpuLimit: p.cpuLimit,
    minReplicas: p.minReplicas,
    maxReplicas: p.maxReplicas,
    targetUtilization: p.targetUtilization,
    scaleDownWindowSeconds: p.scaleDownWindowSeconds,
  }),
  initialState: () => ({}),
  preflight: [
    clusterReachable(),
    pendingStep('probe', 'metrics-api', 'the metrics API (metrics.k8s.io) answers for pods', CLUSTER_LAYER),
    pendingStep(
      'probe',
      'target-has-cpu-requests',
      (p: Params) =>
        p.target
          ? `${p.targetKind} ${p.namespace}/${p.target} exists, sets CPU requests, and an HPA targets it`
          : 'the fixture sets CPU requests',
      CLUSTER_LAYER,
    ),
  ],
  setup: [
    pendingStep(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        p.target
          ? 'nothing to deploy: testing an existing workload'
          : `apply Deployment ${p.namespace}/${name(p)} (requests ${p.cpuRequest}, limit ${p.cpuLimit}) and its HPA (min ${p.minReplicas}, max ${p.maxReplicas}, target ${p.targetUtilization}%, scale-down window ${p.scaleDownWindowSeconds}s)`,
      CLUSTER_LAYER,
    ),
  ],
  steadyState: [
    pendingStep('probe', 'baseline', 'record baseline replicas, HPA status and per-pod CPU', CLUSTER_LAYER),
  ],
  method: [
    pendingStep(
      'fault',
      'cpu-load',
      (p: Params) =>
        `exec \`timeout ${Math.round(p.loadFor / 1000)} sha256sum /dev/zero\` ×${p.processesPerPod} in ${loaded(p)}`,
      CLUSTER_LAYER,
    ),
  ],
  observe: [],
  verify: [
    pendingStep('check', 'controller-follows-formula', (p: Params) => `replicas reach the clamped prediction within ${p.scaleOutWithin / 1000}s`, CLUSTER_LAYER),
    pendingStep('check', 'capacity-for-load', 'the replicas the load needs (unclamped) fit under maxReplicas', CLUSTER_LAYER),
    pendingStep('action', 'stop-load', 'stop the load and prove no sha256sum survives in any pod', CLUSTER_LAYER),
    pendingStep('check', 'scale-in', (p: Params) => `replicas return to minReplicas within ${p.scaleInWithin / 1000}s`, CLUSTER_LAYER),
  ],
});
