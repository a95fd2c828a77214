import { formatDuration, params as schemas, z } from '../../harness/index.ts';
import { millicores } from './formula.ts';

const { duration, image: imageRef, labelName: k8sLabelName, name: k8sName } = schemas;

/** A CPU quantity as Kubernetes writes it: "200m" or "0.5" / "1" cores. */
const cpuQuantity = () => z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, 'must be a CPU quantity like 200m or 0.5');

export const params = z
  .strictObject({
    namespace: k8sLabelName().default('shakedown-hpa').describe('namespace of the target (created for the fixture)'),
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
    loadFor: duration('4m', { min: '10s', max: '30m' }).describe('how long each load process runs (it is started under `timeout`)'),
    scaleOutWithin: duration('3m', { min: '15s', max: '30m' }).describe('bound on reaching the predicted replicas after the load starts'),
    scaleInWithin: duration('3m', { min: '15s', max: '30m' }).describe('bound on returning to the replicas before the load after it stops (at least the HPA\'s scale-down window + 60s)'),
    sampleEvery: duration('15s', { min: '1s', max: '5m' }).describe('sampling interval of HPA status and pod metrics (the HPA sync period)'),
  })
  .refine((p) => p.minReplicas <= p.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] })
  // Rules between parameters, checked here so that a run would not break on them in preflight,
  // at apply time or halfway through (or quietly do less than asked).
  .superRefine((p, ctx) => {
    const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    // The HPA's utilisation is usage over the request: without one it has nothing to divide by.
    if (millicores(p.cpuRequest) <= 0) issue('cpuRequest', `is ${p.cpuRequest}: the fixture must request CPU (the HPA's utilisation is usage / request)`);
    // The API server refuses a container whose request exceeds its limit.
    else if (millicores(p.cpuLimit) < millicores(p.cpuRequest)) issue('cpuLimit', `${p.cpuLimit} is below cpuRequest ${p.cpuRequest}: a limit must be at least the request`);
    if (p.target === undefined && p.hpa !== undefined) issue('hpa', `applies to an existing target only: the fixture's HPA is its own (set target, or leave hpa unset)`);
    // The fixture starts at minReplicas pods; asking for more would load fewer than asked.
    if (p.target === undefined && typeof p.loadPods === 'number' && p.loadPods > p.minReplicas) {
      issue('loadPods', `is ${p.loadPods}, but the fixture runs minReplicas=${p.minReplicas} pod(s) when the load starts (raise minReplicas, or use loadPods=all)`);
    }
    // One sample at least must fall inside each bound, or the bound could never be seen met.
    const unseen = (['scaleOutWithin', 'scaleInWithin'] as const).filter((bound) => p.sampleEvery >= p[bound]);
    if (unseen.length) issue('sampleEvery', `${formatDuration(p.sampleEvery)} is not shorter than ${unseen.map((b) => `${b} ${formatDuration(p[b])}`).join(' and ')}: no sample could see the bound met`);
  })
  // The fixture's HPA holds a scale-down for its window; a bound shorter than that plus a sync or
  // two could never see the scale-in (a user's target is checked against its HPA in preflight).
  .refine((p) => p.target !== undefined || p.scaleInWithin >= scaleInNeeds(p.scaleDownWindowSeconds * 1000), {
    message: 'must leave the scale-down window (scaleDownWindowSeconds) plus 60s for the HPA to scale in',
    path: ['scaleInWithin'],
  });

/** The shortest scale-in bound that can see an HPA with this scale-down window come back: the window, then a sync or two and the pods terminating. */
export const scaleInNeeds = (scaleDownWindowMs: number): number => scaleDownWindowMs + 60_000;
export type Params = z.output<typeof params>;
