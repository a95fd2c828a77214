// statefulset-identity: made only of the public entry's parts and its own steps (steps.ts,
// checks.ts, load.ts), as a user's own StatefulSet experiment would be.
import { defineExperiment, fixtures, load as loads, probes, step, target } from '../../harness/index.ts';
import { verifyPods, verifyRescale } from './checks.ts';
import * as load from './load.ts';
import { manifestValues, manifests, meta } from './meta.ts';
import type { Params } from './params.ts';
import { needs } from './permissions.ts';
import { FIXTURE, FIXTURE_MOUNT, initialState, type State } from './state.ts';
import * as steps from './steps.ts';
import { selectTarget } from './target.ts';

const sts = (p: Params) => `StatefulSet ${p.namespace}/${p.statefulset ?? FIXTURE}`;
const which = (p: Params) => (p.ordinals === 'all' ? 'every ordinal' : `ordinals ${p.ordinals.join(', ')}`);
const mount = (p: Params) => p.mountPath ?? (p.statefulset ? 'the mount of its volumeClaimTemplate' : FIXTURE_MOUNT);

// The client Service is only deployed when load goes through it.
const fixtureManifests = (p: Params) => (p.load === 'off' || p.loadUrl ? manifests.filter((m) => !m.endsWith('client-service.yaml')) : manifests);

export default defineExperiment({
  ...meta,
  initialState,
  preflight: [
    probes.clusterReachable(),
    step(
      'probe',
      'target-selectable',
      (p: Params) =>
        p.statefulset
          ? `${sts(p)} exists with a headless Service; find the container and path of its data (${mount(p)}) and whether a scale-down deletes claims; the ordinals exist`
          : `StorageClass "${p.storageClass}" exists for the fixture; the ordinals exist`,
      selectTarget,
      needs.selectTarget,
    ),
    step(
      'probe',
      'load-driver',
      (p: Params) => (p.load === 'k6' ? `\`${p.loadK6} version\` is k6 >= 1.0` : p.load === 'builtin' ? 'the built-in load driver needs nothing' : 'skipped (load=off)'),
      load.loadDriverReady,
      () => [],
    ),
  ],
  setup: [
    step(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        p.statefulset
          ? 'nothing to deploy: testing an existing StatefulSet'
          : `server-side apply a headless Service${fixtureManifests(p).length > 2 ? ', a client NodePort Service' : ''} and ${sts(p)} (${p.replicas} replicas, image ${p.image}), labelled with the run id`,
      (ctx: steps.Ctx) => steps.deployFixture(ctx, { manifests: fixtureManifests(ctx.params), manifestValues }),
      (p: Params) => (p.statefulset ? [] : fixtures.permissions(fixtures.load(fixtureManifests(p), manifestValues(p)))),
    ),
  ],
  steadyState: [
    step('probe', 'statefulset-ready', (p: Params) => `all replicas of ${sts(p)} are Ready`, steps.statefulSetReady, needs.statefulSetReady),
    step('probe', 'record-identity', (p: Params) => `record UID, hostname, node, PVC name and UID, bound PV for ${which(p)}; wait (≤ ${p.dnsWithin / 1000}s) for each FQDN to answer with the pod IP`, steps.recordIdentity, needs.recordIdentity),
    step('action', 'write-token', (p: Params) => `write a unique token to ${mount(p)} in each chosen pod${p.rescale ? ' and the highest ordinal' : ''} (synced to disk) and keep its sha256; on a user's volume its removal is journaled first`, steps.writeTokens, needs.writeTokens),
    step(
      'action',
      'start-load',
      (p: Params) => (p.load === 'off' ? 'skipped (load=off)' : `start ${p.load} load, ${p.loadRate} req/s to ${p.loadUrl ?? "the client Service's NodePort on 127.0.0.1"}, for ${p.loadSteadyFor / 1000}s of steady state before the fault (stopped by rollback)`),
      load.startLoad,
      needs.startLoad,
    ),
  ],
  observe: [target.watchPods<Params, State>("watch the StatefulSet's pods: deleted → recreated (new UID) → Ready, stamped on arrival beside the API's timestamps")],
  // The load's fault window opens with the first fault and closes after the last.
  method: loads.aroundFault(
    step(
      'fault',
      'delete-pod',
      (p: Params) => `journal the replicas, then delete ${which(p)} one at a time (${p.force ? 'force, grace 0' : `grace ${p.gracePeriodSeconds}s`}), each followed until Ready and resolvable again, and read back`,
      steps.deletePods,
      needs.deletePods,
    ),
    step(
      'fault',
      'scale-down-and-up',
      (p: Params) =>
        p.rescale
          ? `scale down by one and back up, observing the highest ordinal's claim and data (not when claims are deleted on scale-down${p.allowDataLoss ? ', unless allowDataLoss — set' : ''})`
          : 'skipped (rescale=false)',
      steps.rescale,
      needs.rescale,
    ),
  ),
  // The checks judge what the steps recorded: they read nothing from the cluster.
  verify: [
    step(
      'check',
      'load-per-phase',
      (p: Params) =>
        p.load === 'off'
          ? 'skipped (load=off)'
          : `after ${p.loadRecoveryFor / 1000}s of recovery: errors during the faults ≤ ${p.loadMaxErrorRate * 100}%, p95 ≤ ${p.loadMaxP95Ratio}× steady, back in the steady band within ${p.loadRecoverWithin / 1000}s`,
      load.judgeLoadPhases,
      () => [],
    ),
    step('check', 'pods-came-back', (p: Params) => `same name and hostname with a new UID; same PVC UID and PV; token intact; FQDN → new IP within ${p.dnsWithin / 1000}s; Ready within ${p.recoveryWithin / 1000}s`, verifyPods, () => []),
    step('check', 'rescale-kept-claims', (p: Params) => (p.rescale ? 'the PVC survived the scale-down, the data is intact, pods returned in ordinal order' : 'skipped (rescale=false)'), verifyRescale, () => []),
  ],
});
