// statefulset-identity's parameters, built from the public entry's parameter schemas.
import { load, params as schemas, z } from '../../harness/index.ts';

const { duration, image: imageRef, labelName: k8sLabelName, name: k8sName } = schemas;

/** The largest fixture: a local node's kubelet takes 110 pods by default, system pods included. */
export const MAX_REPLICAS = 100;

/** The chosen ordinals in deletion batches of `size`, in the order given. */
export function batchesOf(ordinals: readonly number[], size: number): number[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number of 1 or more, not ${size}`);
  const out: number[][] = [];
  for (let i = 0; i < ordinals.length; i += size) out.push(ordinals.slice(i, i + size));
  return out;
}

/**
 * Why `batch` cannot be used with this pod management policy, or undefined. Under OrderedReady
 * the controller recreates one missing pod at a time, lowest ordinal first, each only once the
 * lower ones are Ready: a second pod deleted alongside would wait for the first, and its
 * recovery time (and the ordering check) would measure the queue, not the pod.
 */
export function batchProblem(batch: number, policy: string): string | undefined {
  if (batch <= 1 || policy === 'Parallel') return undefined;
  return `is ${batch}, but podManagementPolicy is ${policy}: only one pod at a time may be deleted there (the controller recreates them one by one, so a second deletion would measure the queue); use batch=1, or podManagementPolicy=Parallel`;
}

export const params = z
  .strictObject({
  namespace: k8sLabelName().default('shakedown-sts').describe('namespace of the StatefulSet (created for the fixture)'),
  statefulset: k8sLabelName()
    .optional()
    .describe('an existing StatefulSet to test; when unset the run deploys its own fixture "shakedown-web"'),
  ordinals: z
    .union([z.literal('all'), z.array(z.number().int().min(0)).min(1)], { error: 'must be "all" or a list of ordinals like [0,2]' })
    .default('all')
    .describe('which pods to delete, by ordinal: "all" or a list like [0,2]'),
  replicas: z.number().int().min(2).max(MAX_REPLICAS).default(3).describe(`replicas of the fixture, 2 to ${MAX_REPLICAS} (needs 2+ for the rescale step)`),
  podManagementPolicy: z
    .enum(['OrderedReady', 'Parallel'])
    .optional()
    .describe("the fixture's podManagementPolicy (default OrderedReady); an existing StatefulSet's is read from its spec"),
  batch: z
    .number()
    .int()
    .min(1)
    .max(MAX_REPLICAS)
    .default(1)
    .describe('how many of the chosen ordinals are deleted at once (then all followed back to Ready before the next batch); above 1 only under podManagementPolicy Parallel'),
  image: imageRef().default('busybox:1.36').describe('fixture image; needs sh, httpd, sha256sum, nslookup (busybox)'),
  storageClass: k8sName().default('standard').describe('StorageClass of the fixture\'s volumeClaimTemplates'),
  mountPath: z
    .string()
    .regex(/^\/[^\0\n]*$/, 'must be an absolute path')
    .optional()
    .describe('where the data volume is mounted: the fixture mounts it there (default /data); for an existing StatefulSet it overrides what is read from its spec'),
  container: k8sLabelName().optional().describe('container holding the data volume (default: read from the spec: the one that mounts a volumeClaimTemplate)'),
  gracePeriodSeconds: z.number().int().min(0).max(600).default(30).describe('grace period of each pod deletion'),
  force: z.boolean().default(false).describe('delete with grace period 0 (force) instead'),
  recoveryWithin: duration('120s', { min: '5s', max: '30m' }).describe('bound on deleted → recreated → Ready, per pod'),
  dnsWithin: duration('60s', { min: '5s', max: '30m' }).describe('bound on the pod\'s DNS record pointing at its new IP'),
  rescale: z.boolean().default(true).describe('also scale down by one and back up, checking PVC, data and ordinal order'),
  allowDataLoss: z
    .boolean()
    .default(false)
    .describe('run the rescale even when the StatefulSet deletes claims on scale-down (whenScaled: Delete), destroying that ordinal\'s data; by default the risk is reported as a finding instead'),
  ...load.params(),
  })
  // What can be known without the cluster is checked here, before anything is touched: the
  // fixture's ordinals exist. An existing StatefulSet's replicas are checked in preflight.
  .superRefine((p, ctx) => {
    load.refine(p, ctx);
    if (p.statefulset !== undefined && p.podManagementPolicy !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['podManagementPolicy'], message: `applies to the fixture only: StatefulSet ${p.statefulset}'s own policy is read from its spec` });
    }
    // An existing StatefulSet's policy is known in preflight (checked there, before any change).
    const batch = p.statefulset === undefined ? batchProblem(p.batch, p.podManagementPolicy ?? 'OrderedReady') : undefined;
    if (batch) ctx.addIssue({ code: 'custom', path: ['batch'], message: batch });
    // A batch larger than the pods chosen would delete fewer at once than it says.
    const chosen = Array.isArray(p.ordinals) ? p.ordinals.length : p.statefulset === undefined ? p.replicas : undefined;
    if (chosen !== undefined && p.batch > chosen) {
      ctx.addIssue({ code: 'custom', path: ['batch'], message: `is ${p.batch}, but only ${chosen} pod(s) are chosen for deletion (${Array.isArray(p.ordinals) ? `ordinals ${JSON.stringify(p.ordinals)}` : `replicas ${p.replicas}`}): at most ${chosen}` });
    }
    const list = p.ordinals;
    if (Array.isArray(list)) {
      const dup = list.filter((o, i) => list.indexOf(o) !== i);
      if (dup.length) ctx.addIssue({ code: 'custom', path: ['ordinals'], message: `ordinal ${dup[0]} is listed twice` });
      const beyond = p.statefulset === undefined ? list.filter((o) => o >= p.replicas) : [];
      if (beyond.length) ctx.addIssue({ code: 'custom', path: ['ordinals'], message: `ordinal(s) ${beyond.join(', ')} do not exist: the fixture has ${p.replicas} replicas (0–${p.replicas - 1})` });
    }
    // An existing StatefulSet has no client Service of ours: the URL its clients use must be given.
    if (p.load !== 'off' && p.statefulset && !p.loadUrl) {
      ctx.addIssue({ code: 'custom', path: ['loadUrl'], message: 'is required with load on and an existing statefulset (a loopback URL that reaches its pods, e.g. a NodePort on 127.0.0.1)' });
    }
  });
export type Params = z.output<typeof params>;
