import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineExperiment, pendingStep } from '../../harness/engine/experiment.ts';
import { duration, imageRef, k8sName } from '../../harness/engine/params.ts';
import { clusterReachable } from '../../harness/probes/cluster.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));
const CLUSTER_LAYER = 'the statefulset-identity steps are not built yet (issue "statefulset-identity experiment, end to end")';

const params = z.strictObject({
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
type Params = z.output<typeof params>;

const target = (p: Params) => `StatefulSet ${p.namespace}/${p.statefulset ?? 'shakedown-web'}`;
const which = (p: Params) => (p.ordinals === 'all' ? 'every ordinal' : `ordinals ${p.ordinals.join(', ')}`);

export default defineExperiment({
  name: 'statefulset-identity',
  description: 'Delete StatefulSet pods; prove each returns with the same name, hostname, DNS record, PVC and data',
  hypothesis:
    'A deleted StatefulSet pod is recreated with the same name and hostname, re-attached to the same PVC and PV with its data intact, and its DNS record follows its new IP, within the recovery bound.',
  params,
  manifests: [manifest('headless-service.yaml'), manifest('statefulset.yaml')],
  manifestValues: (p: Params) => ({
    namespace: p.namespace,
    statefulset: p.statefulset ?? 'shakedown-web',
    service: `${p.statefulset ?? 'shakedown-web'}-headless`,
    replicas: p.replicas,
    image: p.image,
    storageClass: p.storageClass,
    mountPath: p.mountPath,
  }),
  initialState: () => ({}),
  preflight: [
    clusterReachable(),
    pendingStep(
      'probe',
      'target-selectable',
      (p: Params) =>
        p.statefulset
          ? `${target(p)} exists, has a headless Service and volumeClaimTemplates`
          : `StorageClass "${p.storageClass}" exists for the fixture`,
      CLUSTER_LAYER,
    ),
  ],
  setup: [
    pendingStep(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        p.statefulset
          ? 'nothing to deploy: testing an existing StatefulSet'
          : `apply a headless Service and ${target(p)} (${p.replicas} replicas, image ${p.image}), labelled with the run id`,
      CLUSTER_LAYER,
    ),
  ],
  steadyState: [
    pendingStep('probe', 'statefulset-ready', (p: Params) => `all replicas of ${target(p)} are Ready`, CLUSTER_LAYER),
    pendingStep(
      'probe',
      'record-identity',
      (p: Params) => `record UID, hostname, node, PVC name and UID, bound PV and DNS answer for ${which(p)}`,
      CLUSTER_LAYER,
    ),
    pendingStep(
      'action',
      'write-token',
      (p: Params) => `write a unique token to ${p.mountPath} in each chosen pod (fsync) and keep its sha256`,
      CLUSTER_LAYER,
    ),
  ],
  method: [
    pendingStep(
      'fault',
      'delete-pod',
      (p: Params) =>
        `delete ${which(p)} one at a time (${p.force ? 'force, grace 0' : `grace ${p.gracePeriodSeconds}s`}), each followed until Ready again`,
      CLUSTER_LAYER,
    ),
  ],
  observe: [],
  verify: [
    pendingStep('check', 'same-identity', 'same pod name and hostname, new UID', CLUSTER_LAYER),
    pendingStep('check', 'same-claim', 'same PVC UID and bound PV', CLUSTER_LAYER),
    pendingStep('check', 'data-intact', 'the token\'s sha256 reads back unchanged', CLUSTER_LAYER),
    pendingStep('check', 'dns-follows-pod', (p: Params) => `the pod FQDN resolves to the new pod IP within ${p.dnsWithin / 1000}s`, CLUSTER_LAYER),
    pendingStep('check', 'recovered-within', (p: Params) => `deleted → Ready within ${p.recoveryWithin / 1000}s per pod`, CLUSTER_LAYER),
    pendingStep(
      'check',
      'rescale-keeps-claims',
      (p: Params) =>
        p.rescale
          ? 'scale down by one and back up: the PVC is kept, the data intact, pods return in ordinal order'
          : 'skipped (rescale=false)',
      CLUSTER_LAYER,
    ),
  ],
});
