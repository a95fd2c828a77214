// istio-mtls: made only of the public entry's parts and its own steps (target.ts, steps.ts,
// checks.ts, load.ts), as a user's own experiment about their mesh would be. What Istio decides
// (PeerAuthentication precedence, injection, sidecars) is read in mesh.ts.
import { defineExperiment, fixtures, load as harnessLoad, probes, step } from '../../harness/index.ts';
import { checkMode, restoreAndCompare, summarize } from './checks.ts';
import * as load from './load.ts';
import { manifestFiles as manifests, manifestValues, meta } from './meta.ts';
import { targetName, type Params } from './params.ts';
import { needs } from './permissions.ts';
import { initialState, type Ctx } from './state.ts';
import * as steps from './steps.ts';
import * as target from './target.ts';

const where = (p: Params) => (p.scope === 'mesh' ? `mesh-wide (root namespace ${p.istioNamespace})` : p.scope === 'namespace' ? `in namespace ${p.namespace}` : `for workload ${targetName(p)} (selector)`);
const within = (p: Params) => `${p.enforcedWithin / 1000}s`;
// The server is deployed only for the fixture; the clients always.
const fixtureObjects = (p: Params) => fixtures.load(target.fixtureManifests(manifests, p.service === undefined), manifestValues(p));

export default defineExperiment({
  ...meta,
  initialState,
  preflight: [
    probes.clusterReachable(),
    step('probe', 'istio-installed', (p: Params) => `PeerAuthentication API (security.istio.io/v1) served, istiod Ready in ${p.istioNamespace}`, target.istioInstalled, needs.istioInstalled),
    step(
      'probe',
      'target',
      (p: Params) =>
        p.service
          ? `Service ${p.namespace}/${p.service} port ${p.port} exists and its pods carry the istio-proxy sidecar; namespace ${p.namespace} is injected, ${p.outsideNamespace} is not`
          : `namespace ${p.namespace} is injected (or absent: created injected), ${p.outsideNamespace} is not; NodePort ${p.nodePort} is free`,
      target.selectTarget,
      needs.selectTarget,
    ),
    step(
      'probe',
      'load-driver',
      (p: Params) => (p.load === 'off' ? 'skipped (load=off)' : `${p.load === 'k6' ? `\`${p.loadK6} version\` is k6 >= 1.0; ` : ''}plaintext load has a target: ${load.describeTarget(p)}`),
      load.loadReady,
      () => [],
    ),
  ],
  setup: [
    step(
      'fixture',
      'deploy-fixture',
      (p: Params) =>
        `${p.service ? '' : `server ${targetName(p)} (ClusterIP + NodePort ${p.nodePort}, port ${p.port} named http) in ${p.namespace}, `}an in-mesh client in ${p.namespace} and an out-of-mesh client in ${p.outsideNamespace}; all Ready within ${p.readyWithin / 1000}s`,
      (ctx: Ctx) => target.deploy(ctx, manifests),
      (p: Params) => [...fixtures.permissions(fixtureObjects(p)), ...needs.deploy(p)],
    ),
  ],
  steadyState: [
    step('probe', 'record-policies', 'journal every PeerAuthentication (mesh, namespace, workload, port-level) and TLS DestinationRule that applies to the target, whole', steps.recordPolicies, needs.recordPolicies),
    step('probe', 'in-mesh-before', (p: Params) => `probe rounds every ${p.probeEvery / 1000}s until in-mesh → service answers and the plaintext paths answer, within ${within(p)}`, steps.baseline, needs.baseline),
    step(
      'action',
      'start-load',
      (p: Params) => (p.load === 'off' ? 'skipped (load=off)' : `start ${p.load} plaintext load from the host, ${p.loadRate} req/s to ${load.describeTarget(p)}, for ${p.loadSteadyFor / 1000}s before the change (stopped by rollback)`),
      load.startLoad,
      // The worker pods run out of the mesh, in outsideNamespace.
      (p: Params) => harnessLoad.permissions(p, p.outsideNamespace),
    ),
  ],
  method: [
    step(
      'fault',
      'set-strict',
      (p: Params) => `set mtls.mode STRICT ${where(p)}; probe in-mesh, out-of-mesh and host → NodePort until the matrix holds ${p.consecutiveRounds} rounds in a row${p.load === 'off' ? '' : ' and the load has 2 s of requests all turned away'}, within ${within(p)}`,
      (ctx: Ctx) => steps.applyMode(ctx, 'STRICT'),
      needs.applyMode,
    ),
    step('fault', 'set-permissive', (p: Params) => `set mtls.mode PERMISSIVE on the same policy; probe until every path is served ${p.consecutiveRounds} rounds in a row, within ${within(p)}`, (ctx: Ctx) => steps.applyMode(ctx, 'PERMISSIVE'), needs.applyMode),
  ],
  verify: [
    step(
      'check',
      'load-per-phase',
      (p: Params) =>
        p.load === 'off'
          ? 'skipped (load=off)'
          : `after ${p.loadRecoveryFor / 1000}s under PERMISSIVE: the plaintext load stopped being served within ${within(p)} of STRICT and none was served until PERMISSIVE; served again (≤ ${p.loadMaxErrorRate * 100}% errors a second) within ${p.loadRecoverWithin / 1000}s of PERMISSIVE`,
      load.judgeLoad,
      () => [],
    ),
    step('check', 'strict-rejects-plaintext', (p: Params) => `under STRICT: out-of-mesh client and host → NodePort ${p.nodePort} rejected (reset or closed) within ${within(p)}; in-mesh served`, (ctx: Ctx) => checkMode(ctx, 'STRICT'), () => []),
    step('check', 'permissive-accepts-plaintext', 'under PERMISSIVE: plaintext from outside the mesh is served again; in-mesh still served', (ctx: Ctx) => checkMode(ctx, 'PERMISSIVE'), () => []),
    step('check', 'policies-restored', 'restore the policy (the rollback repeats it) and compare every recorded object with the cluster: same spec, labels, annotations; created ones gone', restoreAndCompare, needs.restoreAndCompare),
    step('action', 'probe-summary', 'probe outcome counts per stage and path', summarize, () => []),
  ],
});
