import { z } from 'zod';
import { duration, imageRef, k8sName } from '../../harness/engine/params.ts';

export const params = z.strictObject({
  namespace: k8sName().default('shakedown-sts').describe('namespace of the StatefulSet (created for the fixture)'),
  statefulset: k8sName()
    .optional()
    .describe('an existing StatefulSet to test; when unset the run deploys its own fixture "shakedown-web"'),
  ordinals: z
    .union([z.literal('all'), z.array(z.number().int().min(0)).min(1)], { error: 'must be "all" or a list of ordinals like [0,2]' })
    .default('all')
    .describe('which pods to delete, by ordinal: "all" or a list like [0,2]'),
  replicas: z.number().int().min(2).max(10).default(3).describe('replicas of the fixture (needs 2+ for the rescale step)'),
  image: imageRef().default('busybox:1.36').describe('fixture image; needs sh, httpd, sha256sum, nslookup (busybox)'),
  storageClass: k8sName().default('standard').describe('StorageClass of the fixture\'s volumeClaimTemplates'),
  mountPath: z.string().startsWith('/').default('/data').describe('where the volume is mounted in the pod'),
  container: z.string().optional().describe('container to exec into (default: the first)'),
  gracePeriodSeconds: z.number().int().min(0).max(600).default(30).describe('grace period of each pod deletion'),
  force: z.boolean().default(false).describe('delete with grace period 0 (force) instead'),
  recoveryWithin: duration('120s').describe('bound on deleted → recreated → Ready, per pod'),
  dnsWithin: duration('60s').describe('bound on the pod\'s DNS record pointing at its new IP'),
  rescale: z.boolean().default(true).describe('also scale down by one and back up, checking PVC, data and ordinal order'),
});
export type Params = z.output<typeof params>;
