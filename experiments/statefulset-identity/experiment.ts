import { fileURLToPath } from 'node:url';
import { defineExperiment, step } from '../../harness/engine/experiment.ts';
import { clusterReachable } from '../../harness/probes/cluster.ts';
import { verifyPods, verifyRescale } from './checks.ts';
import { params, type Params } from './params.ts';
import { FIXTURE, FIXTURE_MOUNT, initialState } from './state.ts';
import * as steps from './steps.ts';
import { selectTarget } from './target.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));

const target = (p: Params) => `StatefulSet ${p.namespace}/${p.statefulset ?? FIXTURE}`;
const which = (p: Params) => (p.ordinals === 'all' ? 'every ordinal' : `ordinals ${p.ordinals.join(', ')}`);
const mount = (p: Params) => p.mountPath ?? (p.statefulset ? 'the mount of its volumeClaimTemplate' : FIXTURE_MOUNT);

const manifests = [manifest('headless-service.yaml'), manifest('statefulset.yaml')];
const manifestValues = (p: Params) => ({
  namespace: p.namespace,
  statefulset: p.statefulset ?? FIXTURE,
  service: `${p.statefulset ?? FIXTURE}-headless`,
  replicas: p.replicas,
  image: p.image,
  storageClass: p.storageClass,
  mountPath: p.mountPath ?? FIXTURE_MOUNT,
});

export default defineExperiment({
  name: 'statefulset-identity',
  description: 'Delete StatefulSet pods; prove each returns with the same name, hostname, DNS record, PVC and data',
  hypothesis:
    'A deleted StatefulSet pod is recreated with the same name and hostname, re-attached to the same PVC and PV with its data intact, and its DNS record follows its new IP, within the recovery bound.',
  params,
  manifests,
  manifestValues,
  initialState,
  preflight: [
    clusterReachable(),
    step(
      'probe',
      'target-selectable',
      (p: Params) =>
        p.statefulset
          ? `${target(p)} exists with a headless Service; find the container and path of its data (${mount(p)}) and whether a scale-down deletes claims; the ordinals exist`
          : `StorageClass "${p.storageClass}" exists for the fixture; the ordinals exist`,
      selectTarget,
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
    step('probe', 'statefulset-ready', (p: Params) => `all replicas of ${target(p)} are Ready`, steps.statefulSetReady),
    step('probe', 'record-identity', (p: Params) => `record UID, hostname, node, PVC name and UID, bound PV for ${which(p)}; wait (≤ ${p.dnsWithin / 1000}s) for each FQDN to answer with the pod IP`, steps.recordIdentity),
    step('action', 'write-token', (p: Params) => `write a unique token to ${mount(p)} in each chosen pod${p.rescale ? ' and the highest ordinal' : ''} (synced to disk) and keep its sha256; on a user's volume its removal is journaled first`, steps.writeTokens),
  ],
  observe: [
    {
      name: 'pod-lifecycle',
      describe: () => "watch the StatefulSet's pods: deleted → recreated (new UID) → Ready, stamped on arrival beside the API's timestamps",
      start: steps.startLifecycle,
    },
  ],
  method: [
    step(
      'fault',
      'delete-pod',
      (p: Params) => `journal the replicas, then delete ${which(p)} one at a time (${p.force ? 'force, grace 0' : `grace ${p.gracePeriodSeconds}s`}), each followed until Ready and resolvable again, and read back`,
      steps.deletePods,
    ),
    step(
      'fault',
      'scale-down-and-up',
      (p: Params) =>
        p.rescale
          ? `scale down by one and back up, observing the highest ordinal's claim and data (not when claims are deleted on scale-down${p.allowDataLoss ? ', unless allowDataLoss — set' : ''})`
          : 'skipped (rescale=false)',
      steps.rescale,
    ),
  ],
  verify: [
    step('check', 'pods-came-back', (p: Params) => `same name and hostname with a new UID; same PVC UID and PV; token intact; FQDN → new IP within ${p.dnsWithin / 1000}s; Ready within ${p.recoveryWithin / 1000}s`, verifyPods),
    step('check', 'rescale-kept-claims', (p: Params) => (p.rescale ? 'the PVC survived the scale-down, the data is intact, pods returned in ordinal order' : 'skipped (rescale=false)'), verifyRescale),
  ],
});
