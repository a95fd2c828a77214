import { fileURLToPath } from 'node:url';
import { defineExperiment, step } from '../../harness/engine/experiment.ts';
import { clusterReachable } from '../../harness/probes/cluster.ts';
import { params, type Params } from './params.ts';
import * as steps from './steps.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));

const target = (p: Params) => `StatefulSet ${p.namespace}/${p.statefulset ?? 'shakedown-web'}`;
const which = (p: Params) => (p.ordinals === 'all' ? 'every ordinal' : `ordinals ${p.ordinals.join(', ')}`);

const manifests = [manifest('headless-service.yaml'), manifest('statefulset.yaml')];
const manifestValues = (p: Params) => ({
  namespace: p.namespace,
  statefulset: p.statefulset ?? steps.FIXTURE,
  service: `${p.statefulset ?? steps.FIXTURE}-headless`,
  replicas: p.replicas,
  image: p.image,
  storageClass: p.storageClass,
  mountPath: p.mountPath,
});

export default defineExperiment({
  name: 'statefulset-identity',
  description: 'Delete StatefulSet pods; prove each returns with the same name, hostname, DNS record, PVC and data',
  hypothesis:
    'A deleted StatefulSet pod is recreated with the same name and hostname, re-attached to the same PVC and PV with its data intact, and its DNS record follows its new IP, within the recovery bound.',
  params,
  manifests,
  manifestValues,
  initialState: steps.initialState,
  preflight: [
    clusterReachable(),
    step(
      'probe',
      'target-selectable',
      (p: Params) =>
        p.statefulset
          ? `${target(p)} exists, has a headless Service, and its container mounts ${p.mountPath}; the ordinals exist`
          : `StorageClass "${p.storageClass}" exists for the fixture; the ordinals exist`,
      steps.selectTarget,
    ),
  ],
  setup: [
    step(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        p.statefulset
          ? 'nothing to deploy: testing an existing StatefulSet'
          : `server-side apply a headless Service and ${target(p)} (${p.replicas} replicas, image ${p.image}), labelled with the run id`,
      (ctx: steps.Ctx) => steps.deployFixture(ctx, { manifests, manifestValues }),
    ),
  ],
  steadyState: [
    step('probe', 'statefulset-ready', (p: Params) => `all replicas of ${target(p)} are Ready`, async (ctx: steps.Ctx) => {
      await steps.statefulSetReady(ctx, Math.max(ctx.params.recoveryWithin, 180_000));
    }),
    step('probe', 'record-identity', (p: Params) => `record UID, hostname, node, PVC name and UID, bound PV and DNS answer for ${which(p)}`, steps.recordIdentity),
    step('action', 'write-token', (p: Params) => `write a unique token to ${p.mountPath} in each chosen pod${p.rescale ? ' and the highest ordinal' : ''} (synced to disk) and keep its sha256`, steps.writeTokens),
  ],
  observe: [
    {
      name: 'pod-lifecycle',
      describe: () => 'watch the StatefulSet\'s pods: deleted → recreated (new UID) → Ready, stamped on arrival beside the API\'s timestamps',
      start: steps.startLifecycle,
    },
  ],
  method: [
    step(
      'fault',
      'delete-pod',
      (p: Params) => `delete ${which(p)} one at a time (${p.force ? 'force, grace 0' : `grace ${p.gracePeriodSeconds}s`}), each followed until Ready and resolvable again`,
      steps.deletePods,
    ),
  ],
  verify: [
    step('check', 'pods-came-back', (p: Params) => `same name and hostname with a new UID; same PVC UID and PV; token intact; FQDN → new IP within ${p.dnsWithin / 1000}s; Ready within ${p.recoveryWithin / 1000}s`, steps.verifyPods),
    step(
      'check',
      'rescale-keeps-claims',
      (p: Params) => (p.rescale ? 'scale down by one and back up: the PVC is kept, the data intact, pods return in ordinal order' : 'skipped (rescale=false)'),
      steps.rescale,
    ),
  ],
});
