// istio-mtls's checks: what the probe rounds showed under each mode, and that every recorded
// policy is back as it was. They judge what the steps recorded; restoreAndCompare also puts the
// policy back first (the rollback repeats it and finds nothing left to do).
import { checks, faults, probes, RunError } from '../../harness/index.ts';
import { lastRound, outcomeCounts } from './matrix.ts';
import { allPolicies } from './mesh.ts';
import { targetOf, type Ctx, type Mode } from './state.ts';
import { bound, describeRef, paths } from './steps.ts';

/** Verify: the checks for one mode, from the probe rounds. */
export function checkMode(ctx: Ctx, mode: Mode): Promise<void> {
  const r = ctx.state.stages.find((s) => s.stage === mode);
  const ps = paths(ctx);
  const name = mode === 'STRICT' ? 'strict-rejects-plaintext' : 'permissive-accepts-plaintext';
  const expected = mode === 'STRICT'
    ? `within ${bound(ctx)} of STRICT, for ${ctx.params.consecutiveRounds} rounds in a row: in-mesh served; out-of-mesh${ps.length > 2 ? ' and host → NodePort' : ''} reset or closed without a response`
    : `within ${bound(ctx)} of PERMISSIVE, for ${ctx.params.consecutiveRounds} rounds in a row: every path served (plaintext accepted, in-mesh still works)`;
  if (!r) throw new RunError('INTERNAL', `no probe rounds ran under ${mode}`);
  const evidence = { rounds: r.rounds.length, perPathMs: r.perPath, last: r.rounds.at(-1)?.outcomes };
  if (r.enforcedAt !== undefined) {
    ctx.record.check({ name, expected, observed: `held after ${r.enforcedAt - r.since} ms (${r.rounds.length} rounds): ${lastRound(ps, r)}`, passed: true, evidence });
    return Promise.resolve();
  }
  const why = ctx.state.explanations[mode] ?? { overrides: [], effective: 'the policies were not read' };
  ctx.record.check({ name, expected, observed: `did not hold within ${bound(ctx)} (${r.rounds.length} rounds); last round: ${lastRound(ps, r)}; ${why.effective}`, passed: false, evidence: { ...evidence, overrides: why.overrides } });
  // Each policy that overrides the mode is a finding of its own, named in the verdict.
  const port = targetOf(ctx).targetPort;
  for (const o of why.overrides) ctx.record.check({ name: `${mode.toLowerCase()}-overridden`, target: o, expected: `nothing overrides ${mode} at ${ctx.params.scope} scope for port ${port} (no PeerAuthentication closer to the workload, no client TLS setting in a DestinationRule)`, observed: o, passed: false });
  return Promise.resolve();
}

/** Verify: put the policy back now (the rollback does it again, idempotently) and compare every recorded object. */
export async function restoreAndCompare(ctx: Ctx): Promise<void> {
  ctx.state.closeWindow?.();
  const pol = ctx.state.policy;
  const rows: (string | number)[][] = [];
  const diffs: Record<string, string[]> = {};
  const action = pol && (await faults.restoreObject(ctx, pol.ref));
  if (pol && action) {
    const d = checks.objectDiff(pol.before, await probes.readObject(ctx.cluster, pol.ref));
    diffs[describeRef(pol.ref)] = d;
    rows.push([describeRef(pol.ref), action, d.join('; ') || 'identical']);
  }
  for (const o of ctx.state.recorded ? allPolicies(ctx.state.recorded) : []) {
    const ref = { apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name };
    if (diffs[describeRef(ref)]) continue;
    const d = checks.objectDiff(o, await probes.readObject(ctx.cluster, ref));
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
