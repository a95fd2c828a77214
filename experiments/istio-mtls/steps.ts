// istio-mtls: record the policies that decide mTLS for the target, set STRICT then PERMISSIVE at
// the chosen scope while probing the matrix. The checks of what was seen are in checks.ts.
import { faults, probes, RunError } from '../../harness/index.ts';
import { brokenPaths, lastRound, probeRounds, type PathId, type ProbePath, type Stage, type StageResult } from './matrix.ts';
import { clientTlsOverrides, effectiveMtls, allPolicies, nameOf, PA_API, readMeshPolicies, type PeerAuthentication } from './mesh.ts';
import * as load from './load.ts';
import { recordedOf, targetOf, type Ctx, type Mode, type State } from './state.ts';

export const bound = (ctx: Ctx) => `${ctx.params.enforcedWithin / 1000}s`;
export const describeRef = (ref: NonNullable<State['policy']>['ref']): string => `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
const modeOf = (o: unknown): string => (o as PeerAuthentication | null)?.spec?.mtls?.mode ?? 'UNSET';
const portLevel = (o: PeerAuthentication): string =>
  Object.entries(o.spec?.portLevelMtls ?? {}).map(([port, m]) => `${port}: ${m.mode ?? 'UNSET'}`).join(', ');

/** The three probe paths (two if the target has no NodePort). */
export function paths(ctx: Ctx): ProbePath[] {
  const p = ctx.params;
  const t = targetOf(ctx);
  const url = `http://${t.service}.${t.namespace}.svc.cluster.local:${t.port}${p.path}`;
  const timeoutSeconds = Math.ceil(p.probeTimeout / 1000);
  const where = `${t.service}.${t.namespace}:${t.port}`;
  const fromPod = (namespace: string, pod: string) => () => probes.httpFromPod(ctx.cluster, { namespace, pod, container: 'client', url, timeoutSeconds });
  const list: ProbePath[] = [
    { id: 'in-mesh', client: 'in-mesh client', target: where, probe: fromPod(t.namespace, ctx.state.clients.mesh) },
    { id: 'out-of-mesh', client: 'out-of-mesh client', target: where, probe: fromPod(p.outsideNamespace, ctx.state.clients.plain) },
  ];
  const nodePort = t.nodePort;
  if (nodePort) list.push({ id: 'host', client: 'host', target: `NodePort 127.0.0.1:${nodePort}`, probe: () => probes.httpFromHost({ host: '127.0.0.1', port: nodePort, path: p.path, timeoutMs: p.probeTimeout, signal: ctx.signal }) });
  return list;
}

/** Steady state: every policy that decides the result, journaled whole before anything changes. */
export async function recordPolicies(ctx: Ctx): Promise<void> {
  const t = targetOf(ctx);
  if (t.fixture) {
    // The fixture's pods carry more labels than its selector (the run's, Istio's); selectors may match any.
    const pods = await ctx.cluster.core.listNamespacedPod({ namespace: t.namespace, labelSelector: `app.kubernetes.io/name=${t.service}` });
    t.podLabels = pods.items[0]?.metadata?.labels ?? t.podLabels;
  }
  const rec = await readMeshPolicies(ctx.cluster, ctx.params.istioNamespace, t);
  ctx.state.recorded = rec;
  const all = allPolicies(rec);
  ctx.record.event({
    source: 'harness',
    type: 'policies-recorded',
    message: all.length ? `recorded ${all.map(nameOf).join(', ')}` : 'no PeerAuthentication or TLS DestinationRule applies to the target',
    data: { rootNamespace: rec.rootNamespace, mesh: rec.mesh, namespace: rec.namespace, workload: rec.workload, destinationRules: rec.destinationRules },
  });
  const scope = (o: object) => (rec.mesh.includes(o as never) ? 'mesh' : rec.namespace.includes(o as never) ? 'namespace' : rec.workload.includes(o as never) ? 'workload' : 'client (DestinationRule)');
  ctx.record.table({
    title: 'Policies that decide mTLS for the target, before the run',
    columns: ['object', 'scope', 'mode', 'port-level', 'labels', 'resourceVersion'],
    rows: all.map((o) => [
      nameOf(o),
      scope(o),
      o.kind === 'PeerAuthentication' ? modeOf(o) : JSON.stringify((o as { spec?: { trafficPolicy?: unknown } }).spec?.trafficPolicy ?? {}),
      o.kind === 'PeerAuthentication' ? portLevel(o as PeerAuthentication) : '',
      JSON.stringify(o.metadata.labels ?? {}),
      (o.metadata as { resourceVersion?: string }).resourceVersion ?? '',
    ]),
  });
  const eff = effectiveMtls(rec, t.targetPort);
  ctx.progress(`before the run, port ${t.targetPort} is ${eff.mode}: ${eff.decidedBy}`);
}

/** Runs probe rounds for a stage and keeps the result. */
async function stage(ctx: Ctx, s: Stage, since: number): Promise<StageResult> {
  const p = ctx.params;
  const r = await probeRounds(paths(ctx), { stage: s, since, boundMs: p.enforcedWithin, everyMs: p.probeEvery, consecutive: p.consecutiveRounds, signal: ctx.signal, record: ctx.record });
  ctx.state.stages.push(r);
  return r;
}

/** Steady state before: the mesh answers in-mesh requests; plaintext paths answer one way or the other. */
export async function baseline(ctx: Ctx): Promise<void> {
  const ps = paths(ctx);
  const r = await stage(ctx, 'baseline', Date.now());
  if (r.enforcedAt !== undefined) {
    ctx.record.check({ name: 'in-mesh-before', expected: 'in-mesh client → service answers before any change', observed: lastRound(ps, r), passed: true });
    return;
  }
  const broken = brokenPaths(ps, r);
  if (broken.length) throw new RunError('OBSERVE', `probes broken before any change (they say nothing about mTLS): ${broken.join('; ')}`);
  ctx.record.check({ name: 'in-mesh-before', expected: `in-mesh client → service answers within ${bound(ctx)}`, observed: lastRound(ps, r), passed: false });
}

/** Which object sets the mode at the chosen scope: the oldest that Istio honours there, else a new one. */
function chooseObject(ctx: Ctx): NonNullable<State['policy']> {
  const { scope, istioNamespace } = ctx.params;
  const t = targetOf(ctx);
  const rec = recordedOf(ctx);
  const existing = scope === 'mesh' ? rec.mesh[0] : scope === 'namespace' ? rec.namespace[0] : rec.workload[0];
  const namespace = existing?.metadata.namespace ?? (scope === 'mesh' ? istioNamespace : t.namespace);
  // A policy the run creates is named for the tool; one run at a time per target.
  const name = existing?.metadata.name ?? 'shakedown-mtls';
  return { ref: { apiVersion: PA_API.apiVersion, kind: PA_API.kind, namespace, name }, before: (existing as Record<string, unknown> | undefined) ?? null };
}

/** The policy with `mode` set: the recorded one changed in mtls.mode alone, or a new one at the chosen scope. */
function withMode(ctx: Ctx, pol: NonNullable<State['policy']>, mode: Mode): Record<string, unknown> {
  if (pol.before) {
    const c = structuredClone(pol.before) as { spec?: { mtls?: { mode?: string } } };
    c.spec = { ...c.spec, mtls: { ...c.spec?.mtls, mode } };
    return c;
  }
  const selector = ctx.params.scope === 'workload' ? { selector: { matchLabels: targetOf(ctx).selector } } : {};
  return { apiVersion: pol.ref.apiVersion, kind: pol.ref.kind, metadata: { name: pol.ref.name, namespace: pol.ref.namespace }, spec: { ...selector, mtls: { mode } } };
}

/**
 * Sets mtls.mode at the chosen scope. The first change journals the recorded copy (or that the
 * run creates the policy) before it is made; the second goes under that undo. Returns when the
 * API server answered.
 */
async function setMode(ctx: Ctx, mode: Mode): Promise<number> {
  const pol = (ctx.state.policy ??= chooseObject(ctx));
  const what = pol.before
    ? `${describeRef(pol.ref)}: mtls.mode ${modeOf(pol.before)} → ${mode} (restored exactly afterwards)`
    : `create ${describeRef(pol.ref)} with mtls.mode ${mode} at ${ctx.params.scope} scope (deleted afterwards)`;
  const { answeredAt } = await faults.changeObject(ctx, { ref: pol.ref, before: pol.before, desired: withMode(ctx, pol, mode), description: what });
  ctx.state.closeWindow?.();
  ctx.state.closeWindow = ctx.record.window(mode);
  ctx.record.event({ source: 'fault', type: 'policy-set', object: describeRef(pol.ref), message: `mtls.mode ${mode} answered by the API server`, apiTimes: { answeredAt: new Date(answeredAt).toISOString() } });
  return answeredAt;
}

const PATHS: PathId[] = ['in-mesh', 'out-of-mesh', 'host'];

/** The time from the API server's answer to the matrix holding, as a whole and per path. */
function measureEnforced(ctx: Ctx, mode: Mode, r: StageResult, enforcedAt: number): void {
  const name = mode.toLowerCase();
  ctx.record.measurement({ name: `${name}-enforced`, value: enforcedAt - r.since, unit: 'ms', description: `API server's answer to ${mode} → first of ${ctx.params.consecutiveRounds} rounds in a row where the whole matrix held` });
  for (const id of PATHS) {
    const ms = r.perPath[id];
    if (ms === undefined) continue;
    const miss = r.lastMiss[id];
    const before = miss === undefined ? 'no earlier probe missed' : `the probe at +${miss} ms still saw the old policy`;
    ctx.record.metric(`${name}Enforced.${id}`, 'ms', ms, { description: `API server's answer to ${mode} → the probe from which the ${id} path held (resolution: probeEvery)` });
    ctx.record.measurement({ name: `${name}-enforced-${id}`, value: ms, unit: 'ms', description: `API server's answer to ${mode} → the probe from which the ${id} path held (${before}; resolution: probeEvery)` });
  }
}

/** Method: set a mode, then probe until the matrix holds or the bound runs out. A broken probe is an error. */
export async function applyMode(ctx: Ctx, mode: Mode): Promise<void> {
  const since = await setMode(ctx, mode);
  load.modeSet(ctx, mode);
  const r = await stage(ctx, mode, since);
  if (mode === 'STRICT') await load.holdUntilRejected(ctx, since);
  if (r.enforcedAt !== undefined) return measureEnforced(ctx, mode, r, r.enforcedAt);
  const broken = brokenPaths(paths(ctx), r);
  if (broken.length) throw new RunError('OBSERVE', `under ${mode}, probes broke within ${bound(ctx)} (they say nothing about mTLS): ${broken.join('; ')}`);
  // Read now, while the mode is still applied: what overrides it is judged in verify.
  ctx.state.explanations[mode] = await explain(ctx, mode);
}

/** Why a mode did not hold, from the live policies: whatever decides the port otherwise, and client-side TLS overrides. */
async function explain(ctx: Ctx, mode: Mode): Promise<{ overrides: string[]; effective: string }> {
  const t = targetOf(ctx);
  const live = await readMeshPolicies(ctx.cluster, ctx.params.istioNamespace, t);
  const eff = effectiveMtls(live, t.targetPort);
  // Plaintext is served under PERMISSIVE and DISABLE alike; only STRICT rejects it.
  const differs = mode === 'STRICT' ? eff.mode !== 'STRICT' : eff.mode === 'STRICT';
  const overrides = [...(differs ? [eff.decidedBy] : []), ...clientTlsOverrides(live, t.port)];
  return { overrides, effective: `port ${t.targetPort} is ${eff.mode}: ${eff.decidedBy}` };
}
