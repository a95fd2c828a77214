// istio-mtls: record the policies that decide mTLS for the target, set STRICT then PERMISSIVE at
// the chosen scope while probing the matrix, and put every policy back exactly.
import { RunError, throwIfAborted } from '../../harness/engine/errors.ts';
import { changeObject, describeRef, objectDiff, readObject, restorable, restoreObject, type ObjectUndo } from '../../harness/faults/object-change.ts';
import { probeHttp } from '../../harness/probes/http-probe.ts';
import { clientTlsOverrides, effectiveMtls, allPolicies, nameOf, PA_API, readMeshPolicies, type PeerAuthentication } from '../../harness/probes/istio-policies.ts';
import { probeFromPod } from '../../harness/probes/pod-http.ts';
import { brokenPaths, lastRound, outcomeCounts, probeRounds, type PathId, type ProbePath, type Stage, type StageResult } from './matrix.ts';
import * as load from './load.ts';
import type { Ctx } from './target.ts';

const bound = (ctx: Ctx) => `${ctx.params.enforcedWithin / 1000}s`;
const modeOf = (o: unknown): string => (o as PeerAuthentication | null)?.spec?.mtls?.mode ?? 'UNSET';
const portLevel = (o: PeerAuthentication): string =>
  Object.entries(o.spec?.portLevelMtls ?? {}).map(([port, m]) => `${port}: ${m.mode ?? 'UNSET'}`).join(', ');

/** The three probe paths (two if the target has no NodePort). */
export function paths(ctx: Ctx): ProbePath[] {
  const p = ctx.params;
  const t = ctx.state.target!;
  const url = `http://${t.service}.${t.namespace}.svc.cluster.local:${t.port}${p.path}`;
  const timeoutSeconds = Math.ceil(p.probeTimeout / 1000);
  const where = `${t.service}.${t.namespace}:${t.port}`;
  const list: ProbePath[] = [
    { id: 'in-mesh', client: 'in-mesh client', target: where, probe: () => probeFromPod(ctx.cluster, { namespace: t.namespace, pod: ctx.state.clients.mesh, container: 'client', url, timeoutSeconds }) },
    { id: 'out-of-mesh', client: 'out-of-mesh client', target: where, probe: () => probeFromPod(ctx.cluster, { namespace: p.outsideNamespace, pod: ctx.state.clients.plain, container: 'client', url, timeoutSeconds }) },
  ];
  const nodePort = t.nodePort;
  if (nodePort) list.push({ id: 'host', client: 'host', target: `NodePort 127.0.0.1:${nodePort}`, probe: () => probeHttp({ host: '127.0.0.1', port: nodePort, path: p.path, timeoutMs: p.probeTimeout, signal: ctx.signal }) });
  return list;
}

/** Steady state: every policy that decides the result, journaled whole before anything changes. */
export async function recordPolicies(ctx: Ctx): Promise<void> {
  const t = ctx.state.target!;
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
function chooseObject(ctx: Ctx): { ref: { apiVersion: string; kind: string; namespace: string; name: string }; before: PeerAuthentication | null } {
  const { scope, istioNamespace } = ctx.params;
  const t = ctx.state.target!;
  const rec = ctx.state.recorded!;
  const existing = scope === 'mesh' ? rec.mesh[0] : scope === 'namespace' ? rec.namespace[0] : rec.workload[0];
  const namespace = existing?.metadata.namespace ?? (scope === 'mesh' ? istioNamespace : t.namespace);
  // A policy the run creates is named for the tool; one run at a time per target.
  const name = existing?.metadata.name ?? 'shakedown-mtls';
  return { ref: { apiVersion: PA_API.apiVersion, kind: PA_API.kind, namespace, name }, before: existing ?? null };
}

/** Sets mtls.mode at the chosen scope; the first change is journaled with the recorded copy. Returns when the API server answered. */
async function setMode(ctx: Ctx, mode: 'STRICT' | 'PERMISSIVE'): Promise<number> {
  if (!ctx.state.policy) {
    const { ref, before } = chooseObject(ctx);
    ctx.state.policy = { ref, before: before ? restorable(before) : null, changed: false };
  }
  const pol = ctx.state.policy;
  const t = ctx.state.target!;
  const fresh: Record<string, unknown> = {
    apiVersion: pol.ref.apiVersion,
    kind: pol.ref.kind,
    metadata: { name: pol.ref.name, namespace: pol.ref.namespace },
    spec: { ...(ctx.params.scope === 'workload' ? { selector: { matchLabels: t.selector } } : {}), mtls: { mode } },
  };
  const withMode = (o: Record<string, unknown>) => {
    const c = restorable(o) as { spec?: { mtls?: { mode?: string } } };
    c.spec = { ...c.spec, mtls: { ...c.spec?.mtls, mode } };
    return c as Record<string, unknown>;
  };
  let answeredAt: number;
  if (!pol.changed) {
    const what = pol.before ? `${describeRef(pol.ref)}: mtls.mode ${modeOf(pol.before)} → ${mode} (restored exactly afterwards)` : `create ${describeRef(pol.ref)} with mtls.mode ${mode} at ${ctx.params.scope} scope (deleted afterwards)`;
    pol.changed = true;
    ({ answeredAt } = await changeObject(ctx, { ref: pol.ref, before: pol.before, desired: pol.before ? withMode(pol.before) : fresh, description: what }));
  } else {
    const live = await readObject(ctx.cluster, pol.ref);
    if (!live) throw new RunError('INJECT', `${describeRef(pol.ref)} disappeared during the run`);
    const body = { ...withMode(live as Record<string, unknown>), metadata: { ...(restorable(live) as { metadata: object }).metadata, resourceVersion: live.metadata?.resourceVersion } };
    throwIfAborted(ctx.signal);
    await ctx.cluster.objects.replace(body);
    answeredAt = Date.now();
  }
  ctx.state.closeWindow?.();
  ctx.state.closeWindow = ctx.record.window(mode);
  ctx.record.event({ source: 'fault', type: 'policy-set', object: describeRef(pol.ref), message: `mtls.mode ${mode} answered by the API server`, apiTimes: { answeredAt: new Date(answeredAt).toISOString() } });
  return answeredAt;
}

const PATHS: PathId[] = ['in-mesh', 'out-of-mesh', 'host'];

/** Method: set a mode, then probe until the matrix holds or the bound runs out. A broken probe is an error. */
export async function applyMode(ctx: Ctx, mode: 'STRICT' | 'PERMISSIVE'): Promise<void> {
  const since = await setMode(ctx, mode);
  load.modeSet(ctx, mode);
  const r = await stage(ctx, mode, since);
  if (mode === 'STRICT') await load.holdUntilRejected(ctx, since);
  const name = mode.toLowerCase();
  if (r.enforcedAt !== undefined) {
    ctx.record.measurement({ name: `${name}-enforced`, value: r.enforcedAt - since, unit: 'ms', description: `API server's answer to ${mode} → first of ${ctx.params.consecutiveRounds} rounds in a row where the whole matrix held` });
    for (const id of PATHS) {
      const ms = r.perPath[id];
      const miss = r.lastMiss[id];
      const before = miss === undefined ? 'no earlier probe missed' : `the probe at +${miss} ms still saw the old policy`;
      if (ms !== undefined) ctx.record.metric(`${name}Enforced.${id}`, 'ms', ms, { description: `API server's answer to ${mode} → the probe from which the ${id} path held (resolution: probeEvery)` });
      if (ms !== undefined) ctx.record.measurement({ name: `${name}-enforced-${id}`, value: ms, unit: 'ms', description: `API server's answer to ${mode} → the probe from which the ${id} path held (${before}; resolution: probeEvery)` });
    }
    return;
  }
  const broken = brokenPaths(paths(ctx), r);
  if (broken.length) throw new RunError('OBSERVE', `under ${mode}, probes broke within ${bound(ctx)} (they say nothing about mTLS): ${broken.join('; ')}`);
  // Read now, while the mode is still applied: what overrides it is judged in verify.
  ctx.state.explanations[mode] = await explain(ctx, mode);
}

/** Why a mode did not hold, from the live policies: whatever decides the port otherwise, and client-side TLS overrides. */
async function explain(ctx: Ctx, mode: 'STRICT' | 'PERMISSIVE'): Promise<{ overrides: string[]; effective: string }> {
  const t = ctx.state.target!;
  const live = await readMeshPolicies(ctx.cluster, ctx.params.istioNamespace, t);
  const eff = effectiveMtls(live, t.targetPort);
  // Plaintext is served under PERMISSIVE and DISABLE alike; only STRICT rejects it.
  const differs = mode === 'STRICT' ? eff.mode !== 'STRICT' : eff.mode === 'STRICT';
  const overrides = [...(differs ? [eff.decidedBy] : []), ...clientTlsOverrides(live, t.port)];
  return { overrides, effective: `port ${t.targetPort} is ${eff.mode}: ${eff.decidedBy}` };
}

/** Verify: the checks for one mode, from the probe rounds. */
export function checkMode(ctx: Ctx, mode: 'STRICT' | 'PERMISSIVE'): Promise<void> {
  const r = ctx.state.stages.find((s) => s.stage === mode);
  const ps = paths(ctx);
  const name = mode === 'STRICT' ? 'strict-rejects-plaintext' : 'permissive-accepts-plaintext';
  const expected = mode === 'STRICT'
    ? `within ${bound(ctx)} of STRICT, for ${ctx.params.consecutiveRounds} rounds in a row: in-mesh served; out-of-mesh${ps.length > 2 ? ' and host → NodePort' : ''} reset or closed without a response`
    : `within ${bound(ctx)} of PERMISSIVE, for ${ctx.params.consecutiveRounds} rounds in a row: every path served (plaintext accepted, in-mesh still works)`;
  if (!r) throw new RunError('INTERNAL', `no probe rounds ran under ${mode}`);
  const held = r.enforcedAt !== undefined;
  const evidence = { rounds: r.rounds.length, perPathMs: r.perPath, last: r.rounds.at(-1)?.outcomes };
  if (held) {
    ctx.record.check({ name, expected, observed: `held after ${r.enforcedAt! - r.since} ms (${r.rounds.length} rounds): ${lastRound(ps, r)}`, passed: true, evidence });
    return Promise.resolve();
  }
  const why = ctx.state.explanations[mode] ?? { overrides: [], effective: 'the policies were not read' };
  ctx.record.check({ name, expected, observed: `did not hold within ${bound(ctx)} (${r.rounds.length} rounds); last round: ${lastRound(ps, r)}; ${why.effective}`, passed: false, evidence: { ...evidence, overrides: why.overrides } });
  // Each policy that overrides the mode is a finding of its own, named in the verdict.
  for (const o of why.overrides) ctx.record.check({ name: `${mode.toLowerCase()}-overridden`, target: o, expected: `nothing overrides ${mode} at ${ctx.params.scope} scope for port ${ctx.state.target!.targetPort} (no PeerAuthentication closer to the workload, no client TLS setting in a DestinationRule)`, observed: o, passed: false });
  return Promise.resolve();
}

/** Verify: put the policy back now (the rollback does it again, idempotently) and compare every recorded object. */
export async function restoreAndCompare(ctx: Ctx): Promise<void> {
  ctx.state.closeWindow?.();
  const pol = ctx.state.policy;
  const rows: (string | number)[][] = [];
  const diffs: Record<string, string[]> = {};
  if (pol?.changed) {
    const spec: ObjectUndo = { kind: 'object', apiVersion: pol.ref.apiVersion, objectKind: pol.ref.kind, namespace: pol.ref.namespace, name: pol.ref.name, before: pol.before };
    const action = await restoreObject(ctx.cluster, spec, { runId: ctx.runId });
    const live = await readObject(ctx.cluster, pol.ref);
    const d = objectDiff(pol.before, live);
    diffs[describeRef(pol.ref)] = d;
    rows.push([describeRef(pol.ref), action, d.join('; ') || 'identical']);
  }
  for (const o of allPolicies(ctx.state.recorded ?? { rootNamespace: '', mesh: [], namespace: [], workload: [], destinationRules: [] })) {
    const ref = { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
    if (diffs[describeRef(ref)]) continue;
    const d = objectDiff(restorable(o), await readObject(ctx.cluster, ref));
    diffs[describeRef(ref)] = d;
    rows.push([describeRef(ref), 'untouched', d.join('; ') || 'identical']);
  }
  ctx.record.table({ title: 'Restore: each recorded object against the cluster after the run', columns: ['object', 'action', 'difference'], rows });
  const bad = Object.entries(diffs).filter(([, d]) => d.length > 0);
  ctx.record.check({
    name: 'policies-restored',
    expected: 'every recorded policy has the same spec, labels and annotations as before; a policy the run created is gone',
    observed: bad.length ? bad.map(([k, d]) => `${k}: ${d.join('; ')}`).join(' | ') : `${rows.length} object(s) as recorded${rows.length ? `: ${rows.map((r) => `${r[0]} (${r[1]})`).join(', ')}` : ''}`,
    passed: bad.length === 0,
    evidence: { diffs },
  });
}

/** Verify: probe outcome counts per stage and path, for the report. */
export function summarize(ctx: Ctx): Promise<void> {
  const rows = outcomeCounts(ctx.state.stages, paths(ctx));
  ctx.record.table({ title: 'Probe outcomes', columns: ['stage', 'path', 'outcome', 'count'], rows });
  ctx.record.measurement({ name: 'probes', value: rows.reduce((n, r) => n + Number(r[3]), 0), unit: 'probes', description: 'probes sent in all stages' });
  return Promise.resolve();
}
