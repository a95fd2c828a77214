// The steps of statefulset-identity that are its own: what is recorded before the fault, the
// faults (delete each pod; scale down and back up), each observed into the state. The generic
// parts come from the public entry (faults, probes, target); the checks are in checks.ts.
import { faults, fixtures, formatDuration, isNotFound, probes, target, WaitTimeoutError, type Claim, type ClusterContext, type PodLifecycle } from '../../harness/index.ts';
import { batchesOf, type Params } from './params.ts';
import type { State } from './state.ts';

export type Ctx = ClusterContext<Params, State>;

export const podName = (s: State, ordinal: number) => `${s.sts}-${ordinal}`;
export const fqdn = (s: State, p: Params, ordinal: number) => `${podName(s, ordinal)}.${s.service}.${p.namespace}.svc.cluster.local`;
const stsRef = (ctx: Ctx) => ({ namespace: ctx.params.namespace, name: ctx.state.sts, selector: ctx.state.selector });
const identityOf = (ctx: Ctx, ordinal: number) =>
  probes.podIdentity(ctx.cluster, { namespace: ctx.params.namespace, pod: podName(ctx.state, ordinal), container: ctx.state.container, mountPath: ctx.state.mountPath });
const inPod = (ctx: Ctx, ordinal: number) => ({ namespace: ctx.params.namespace, pod: podName(ctx.state, ordinal), container: ctx.state.container });
/** A Ready pod other than `ordinal` to resolve names from (or the pod itself if it is alone). */
const resolverFor = (s: State, ordinal: number) => (s.replicas > 1 ? (ordinal + 1) % s.replicas : ordinal);

// ---------------------------------------------------------------- setup

export async function deployFixture(ctx: Ctx, def: { manifests: string[]; manifestValues(p: Params): Record<string, unknown> }): Promise<void> {
  if (ctx.state.fixture) await fixtures.fromManifests(ctx, def);
}

// ---------------------------------------------------------------- steady state

/** Waits (bounded) until every replica is Ready; records the outcome as a check. */
export async function statefulSetReady(ctx: Ctx): Promise<void> {
  const timeoutMs = Math.max(ctx.params.recoveryWithin, 180_000);
  const started = Date.now();
  // What the pod watch (target.watchPods) follows: the StatefulSet exists from here on, fixture or not.
  ctx.state.workload = await target.resolve(ctx.cluster, { kind: 'StatefulSet', namespace: ctx.params.namespace, name: ctx.state.sts });
  try {
    const r = await target.statefulSetReady(ctx.cluster, stsRef(ctx), { timeoutMs, signal: ctx.signal });
    ctx.record.check({ name: 'statefulset-ready', expected: `${r.want} of ${r.want} replicas Ready`, observed: `${r.ready} of ${r.want} Ready after ${formatDuration(Date.now() - started)}`, passed: true });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: 'statefulset-ready', expected: `every replica of ${ctx.state.sts} Ready within ${formatDuration(timeoutMs)}`, observed: `not Ready: ${String(err.lastObserved)}`, passed: false, evidence: { waitedMs: timeoutMs } });
  }
}

/**
 * Records each chosen pod's identity, and that its DNS record answers with its IP. A record
 * propagates after the pod turns Ready, so it is waited for within dnsWithin; only that bound
 * running out is a finding (once was a false one, asking CoreDNS a single time).
 */
export async function recordIdentity(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  for (const ordinal of s.ordinals) {
    const id = await identityOf(ctx, ordinal);
    s.pods.set(ordinal, { ordinal, before: id });
    const name = fqdn(s, p, ordinal);
    let addresses: string[] = [];
    let waited = '';
    try {
      const r = await probes.waitForDns(ctx.cluster, inPod(ctx, resolverFor(s, ordinal)), name, id.ip, { timeoutMs: p.dnsWithin, signal: ctx.signal });
      addresses = r.answer.addresses;
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      waited = String(err.lastObserved ?? 'no answer');
    }
    ctx.record.event({
      source: 'probe',
      type: 'identity-recorded',
      object: `Pod/${p.namespace}/${id.name}`,
      message: `uid=${id.uid} hostname=${id.hostname} node=${id.node} ip=${id.ip} claims=${id.claims.map((c) => `${c.name}(${c.uid.slice(0, 8)})→${c.volumeName}`).join(',') || 'none'} dns=${addresses.join(',') || 'unresolved'}`,
      data: { ...id, dns: addresses },
    });
    ctx.record.check({
      name: 'dns-before',
      target: id.name,
      expected: `${name} resolves to the pod IP ${id.ip} within ${formatDuration(p.dnsWithin)}`,
      observed: addresses.length ? `resolves to ${addresses.join(', ')}` : `did not resolve to it within ${formatDuration(p.dnsWithin)}: ${waited}`,
      passed: addresses.length > 0,
    });
  }
}

/** Writes a token to each chosen pod's volume, and to the highest ordinal (for the rescale). */
export async function writeTokens(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const targets = new Set(s.ordinals);
  if (p.rescale) targets.add(s.replicas - 1);
  for (const ordinal of [...targets].sort((a, b) => a - b)) {
    const where = inPod(ctx, ordinal);
    // On a user's volume the removal is journaled first; the fixture's volumes go with it.
    const token = await faults.writeToken(ctx, where, { dir: s.mountPath, label: where.pod, journalRemoval: !s.fixture });
    s.tokens.set(ordinal, token);
    ctx.record.event({ source: 'exec', type: 'token-written', object: `Pod/${p.namespace}/${where.pod}`, message: `${token.path} sha256=${token.sha256.slice(0, 16)}… (synced)` });
  }
}

// ---------------------------------------------------------------- method

/** The pod watch of the run (target.watchPods, started before the faults). */
const lifecycleOf = (ctx: Ctx): PodLifecycle => target.recorded(ctx.state.lifecycle, 'the pod watch', 'pod-lifecycle observer');

/** Journals the replica count before any fault, with its undo: set back, wait until all are Ready. */
async function guardStatefulSet(ctx: Ctx): Promise<void> {
  const withinMs = Math.max(ctx.params.recoveryWithin * 2, 120_000);
  await faults.guardReplicas(ctx, { workload: 'StatefulSet', namespace: ctx.params.namespace, name: ctx.state.sts }, ctx.state.replicas, {
    withinMs,
    waitRestored: async (signal) => {
      await target.statefulSetReady(ctx.cluster, stsRef(ctx), { timeoutMs: withinMs, signal });
    },
  });
}

/**
 * Deletes the chosen pods in batches of `batch` (one at a time unless the policy is Parallel),
 * follows every pod of a batch back to Ready before the next batch, then checks each one's DNS
 * record and reads what it is now.
 */
export async function deletePods(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const lc = lifecycleOf(ctx);
  await guardStatefulSet(ctx);
  const grace = p.force ? 'grace 0, force' : `grace ${p.gracePeriodSeconds}s`;
  for (const batch of batchesOf(s.ordinals, p.batch)) {
    const names = batch.map((o) => s.pods.get(o)!.before.name);
    ctx.progress(`deleting ${names.join(', ')} (${grace}); following ${names.length > 1 ? 'them' : 'it'} back`);
    const recoveries = await Promise.all(
      batch.map((ordinal) => {
        const out = s.pods.get(ordinal)!;
        const name = out.before.name;
        ctx.record.event({ source: 'fault', type: 'pod-delete-requested', object: `Pod/${p.namespace}/${name}`, message: `delete ${name} (uid ${out.before.uid.slice(0, 8)}) with grace ${p.force ? '0 (force)' : `${p.gracePeriodSeconds}s`}` });
        // Followed longer than the bound, so a slow recovery is measured and judged, not cut short.
        return faults.deletePod(ctx.cluster, lc, {
          namespace: p.namespace,
          pod: name,
          uid: out.before.uid,
          gracePeriodSeconds: p.force ? 0 : p.gracePeriodSeconds,
          followForMs: p.recoveryWithin * 2 + p.gracePeriodSeconds * 1000,
          signal: ctx.signal,
        }).then((recovery) => {
          out.recovery = recovery;
          return recovery;
        });
      }),
    );
    const lost = batch.filter((_, i) => recoveries[i]!.notRecovered);
    for (const ordinal of lost) {
      ctx.record.event({ source: 'harness', type: 'not-recovered', object: `Pod/${p.namespace}/${podName(s, ordinal)}`, message: s.pods.get(ordinal)!.recovery!.notRecovered! });
    }
    if (lost.length) {
      // Deleting more pods while one is missing would only compound the damage.
      ctx.progress(`${lost.map((o) => podName(s, o)).join(', ')} did not come back; not deleting further pods`);
      return;
    }
    // The batch's pods are all Ready: check each one's DNS record, identity and token side by side.
    await Promise.all(batch.map((ordinal) => afterRecovery(ctx, ordinal)));
  }
}

/** A deleted pod is Ready again: its DNS record, what it is now, and its token. */
async function afterRecovery(ctx: Ctx, ordinal: number): Promise<void> {
  const { params: p, state: s } = ctx;
  const out = s.pods.get(ordinal)!;
  const name = out.before.name;
  const recovery = out.recovery!;
  ctx.progress(`${name} Ready again after ${formatDuration(recovery.readyAt! - recovery.deleteRequestedAt)}`);
  const dnsName = fqdn(s, p, ordinal);
  try {
    const r = await probes.waitForDns(ctx.cluster, inPod(ctx, resolverFor(s, ordinal)), dnsName, recovery.podIP, { timeoutMs: p.dnsWithin * 2, signal: ctx.signal });
    out.dns = { addresses: r.answer.addresses, at: r.at };
    ctx.record.event({ source: 'probe', type: 'dns-updated', object: `Pod/${p.namespace}/${name}`, message: `${dnsName} → ${r.answer.addresses.join(', ')}` });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    out.dns = { addresses: [], stale: String(err.lastObserved ?? 'no answer') };
    ctx.record.event({ source: 'probe', type: 'dns-stale', object: `Pod/${p.namespace}/${name}`, message: err.message });
  }
  try {
    out.after = await identityOf(ctx, ordinal);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const token = s.tokens.get(ordinal);
  if (token) out.tokenRead = await probes.readToken(ctx.cluster, inPod(ctx, ordinal), token.path);
}

/** Claims of a pod that still exist (not deleted, not terminating). */
async function claimsStillThere(ctx: Ctx, claims: Claim[]): Promise<Claim[]> {
  const kept: Claim[] = [];
  for (const c of claims) {
    try {
      const pvc = await ctx.cluster.core.readNamespacedPersistentVolumeClaim({ name: c.name, namespace: ctx.params.namespace });
      if (!pvc.metadata?.deletionTimestamp) kept.push({ name: c.name, uid: pvc.metadata?.uid ?? '', volumeName: pvc.spec?.volumeName });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return kept;
}

/**
 * Scales down by one and back up, observing the highest ordinal's claim and data. When the
 * StatefulSet deletes claims on scale-down, it does not scale (the data would be lost for good)
 * unless allowDataLoss is set: the risk is recorded for the checks to report as a finding.
 */
export async function rescale(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  if (!p.rescale) return;
  const top = s.replicas - 1;
  const pod = podName(s, top);
  const before = await identityOf(ctx, top);
  const r: NonNullable<State['rescale']> = { pod, claimsBefore: before.claims, keptAfterScaleDown: [], claimsAfter: [], othersReplaced: [], outOfOrder: [] };
  s.rescale = r;
  if ([...s.pods.values()].some((o) => !o.recovery || o.recovery.notRecovered)) {
    r.skipped = 'not scaled: a deleted pod did not come back';
    return;
  }
  if (s.claimsDeletedOnScaleDown && !p.allowDataLoss) {
    r.skipped = `not scaled: whenScaled: Delete would delete ${before.claims.map((c) => c.name).join(', ') || 'its claims'} and the data on it`;
    r.dataLossRisk = before.claims.map((c) => c.name);
    ctx.progress(`${r.skipped} (set allowDataLoss=true to run the destructive check)`);
    return;
  }
  const lc = lifecycleOf(ctx);
  const w = { workload: 'StatefulSet' as const, namespace: p.namespace, name: s.sts };
  const uidsBefore = new Map([...Array(s.replicas).keys()].map((o) => [o, lc.current(podName(s, o))?.uid]));
  const bound = p.recoveryWithin * 2;
  await faults.setReplicas(ctx.cluster, w, s.replicas - 1, ctx.signal);
  ctx.record.event({ source: 'fault', type: 'scaled', object: `StatefulSet/${p.namespace}/${s.sts}`, message: `replicas → ${s.replicas - 1}` });
  await lc.until(`${pod} removed by the scale-down`, bound, () => (lc.incarnations(pod).find((i) => i.uid === before.uid)?.deletedAt ? true : undefined), ctx.signal);
  r.keptAfterScaleDown = await claimsStillThere(ctx, before.claims);
  await faults.setReplicas(ctx.cluster, w, s.replicas, ctx.signal);
  ctx.record.event({ source: 'fault', type: 'scaled', object: `StatefulSet/${p.namespace}/${s.sts}`, message: `replicas → ${s.replicas}` });
  const back = await lc.until(`${pod} back and Ready after the scale-up`, bound, () => {
    const i = lc.replacement(pod, before.uid);
    return i?.readyAt !== undefined ? i : undefined;
  }, ctx.signal);
  r.readyAt = back.readyAt;
  r.claimsAfter = (await identityOf(ctx, top)).claims;
  const token = s.tokens.get(top);
  if (token) r.tokenRead = await probes.readToken(ctx.cluster, inPod(ctx, top), token.path);
  r.othersReplaced = [...uidsBefore].filter(([o, uid]) => o !== top && lc.current(podName(s, o))?.uid !== uid).map(([o]) => podName(s, o));
  r.outOfOrder = lc.all().filter((i) => (i.createdBeforeLowerReady?.length ?? 0) > 0).map((i) => ({ name: i.name, waitingOn: i.createdBeforeLowerReady ?? [] }));
}
