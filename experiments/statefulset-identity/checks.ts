// The hypothesis checks of statefulset-identity: each judges what the steps observed (state.ts),
// so a check never changes the cluster and never re-reads a pod that a later fault replaced.
import { formatDuration, type Claim } from '../../harness/index.ts';
import type { Params } from './params.ts';
import { fqdn, type Ctx } from './steps.ts';
import type { PodOutcome, State } from './state.ts';

const secs = (ms: number) => Math.round(ms / 100) / 10;
const claimText = (c: Claim[]) => c.map((x) => `${x.name} uid=${x.uid.slice(0, 8)} pv=${x.volumeName}`).join('; ') || 'no PVC';
const sameClaims = (a: Claim[], b: Claim[]) => a.length > 0 && JSON.stringify(a) === JSON.stringify(b);

/** The timings of the pods that came back, gathered across them for the measurements. */
interface Timings {
  recreate: number[];
  ready: number[];
  dns: number[];
  detection: number[];
}

/** Same name, hostname, claims and data; DNS follows; recovered within the bound — per deleted pod. */
export function verifyPods(ctx: Ctx): Promise<void> {
  const { state: s } = ctx;
  const rows: (string | number | null)[][] = [];
  const t: Timings = { recreate: [], ready: [], dns: [], detection: [] };
  for (const ordinal of s.ordinals) {
    const row = checkPod(ctx, ordinal, t);
    if (row) rows.push(row);
  }
  ctx.record.table({ title: 'Pods before and after deletion', columns: ['pod', 'uid', 'node', 'ip', 'claims → PV', 'recreated (s)', 'Ready (s)', 'DNS (s)'], rows });
  measureTimings(ctx, t);
  return Promise.resolve();
}

/** Records the checks of one deleted pod and adds its timings; its table row, when it came back. */
function checkPod(ctx: Ctx, ordinal: number, t: Timings): (string | number | null)[] | undefined {
  const { params: p, state: s } = ctx;
  const o = s.pods.get(ordinal);
  const name = o?.before.name ?? `${s.sts}-${ordinal}`;
  const r = o?.recovery;
  if (!o || !r || r.readyAt === undefined) {
    ctx.record.check({ name: 'recovered-within', target: name, expected: `${name} Ready again within ${formatDuration(p.recoveryWithin)}`, observed: r ? `never came back Ready while followed (${r.notRecovered})` : 'not deleted (an earlier pod did not recover)', passed: false });
    return undefined;
  }
  const { before, after } = o;
  if (!after) {
    ctx.record.check({ name: 'same-identity', target: name, expected: `pod ${name} exists again`, observed: 'no pod of that name', passed: false });
    return undefined;
  }
  checkIdentityAndData(ctx, ordinal, o, after);
  const d = o.dns;
  ctx.record.check({
    name: 'dns-follows-pod',
    target: name,
    expected: `${fqdn(s, p, ordinal)} resolves to the new IP ${r.podIP} within ${formatDuration(p.dnsWithin)}`,
    observed: d?.at ? `resolved to ${d.addresses.join(', ')} ${formatDuration(d.at - r.readyAt)} after Ready` : `still ${d?.stale ?? 'unresolved'} after ${formatDuration(p.dnsWithin * 2)}`,
    passed: d?.at !== undefined && r.podIP !== undefined && d.addresses.includes(r.podIP) && d.at - r.readyAt <= p.dnsWithin,
    evidence: { answer: d?.addresses, newIp: r.podIP, oldIp: before.ip },
  });
  const readyMs = r.readyAt - r.deleteRequestedAt;
  ctx.record.check({
    name: 'recovered-within',
    target: name,
    expected: `deleted → Ready within ${formatDuration(p.recoveryWithin)}`,
    observed: `Ready ${formatDuration(readyMs)} after the delete request`,
    passed: readyMs <= p.recoveryWithin,
    evidence: { deleteRequestedAt: new Date(r.deleteRequestedAt).toISOString(), recreatedSeenAt: r.recreatedAt && new Date(r.recreatedAt).toISOString(), readySeenAt: new Date(r.readyAt).toISOString(), readyTransition: r.readyTransition },
  });
  t.recreate.push(r.recreatedAt! - r.deleteRequestedAt);
  t.ready.push(readyMs);
  if (d?.at) t.dns.push(d.at - r.deleteRequestedAt);
  const target = { target: `StatefulSet ${p.namespace}/${s.sts}` };
  ctx.record.metric('recreatedAfterDelete', 'ms', r.recreatedAt! - r.deleteRequestedAt, { ...target, description: 'delete request → the new pod (new UID) seen by the watch, per pod' });
  ctx.record.metric('readyAfterDelete', 'ms', readyMs, { ...target, description: 'delete request → Ready=True seen by the watch, per pod' });
  if (d?.at) ctx.record.metric('dnsAfterDelete', 'ms', d.at - r.deleteRequestedAt, { ...target, description: "delete request → the pod's FQDN resolves to its new IP, per pod" });
  if (r.readyTransition) t.detection.push(r.readyAt - Date.parse(r.readyTransition));
  return [
    name,
    `${before.uid.slice(0, 8)} → ${after.uid.slice(0, 8)}`,
    `${before.node ?? '?'} → ${after.node ?? '?'}`,
    `${before.ip ?? '?'} → ${after.ip ?? '?'}`,
    after.claims.map((c) => `${c.name} → ${c.volumeName}`).join(', ') || after.mountBacking,
    secs(r.recreatedAt! - r.deleteRequestedAt),
    secs(readyMs),
    d?.at ? secs(d.at - r.deleteRequestedAt) : null,
  ];
}

/** Same name and hostname with a new UID; the same claims; the token intact. */
function checkIdentityAndData(ctx: Ctx, ordinal: number, o: PodOutcome, after: NonNullable<PodOutcome['after']>): void {
  const s = ctx.state;
  const { before } = o;
  const name = before.name;
  ctx.record.check({
    name: 'same-identity',
    target: name,
    expected: `same name and hostname (${before.hostname}), new UID`,
    observed: `name ${after.name}, hostname ${after.hostname}, uid ${before.uid.slice(0, 8)} → ${after.uid.slice(0, 8)}`,
    passed: after.hostname === before.hostname && after.uid !== before.uid,
    evidence: { before: { uid: before.uid, hostname: before.hostname, node: before.node, ip: before.ip }, after: { uid: after.uid, hostname: after.hostname, node: after.node, ip: after.ip } },
  });
  ctx.record.check({
    name: 'same-claim',
    target: name,
    expected: `${s.mountPath} on a PVC, and the same PVC UIDs and PVs (${claimText(before.claims)})`,
    observed: `${s.mountPath} backed by ${after.mountBacking}; ${claimText(after.claims)}`,
    passed: after.mountBacking.startsWith('pvc:') && sameClaims(before.claims, after.claims),
    evidence: { before: before.claims, after: after.claims, mountBacking: after.mountBacking },
  });
  const token = s.tokens.get(ordinal)!;
  ctx.record.check({
    name: 'data-intact',
    target: name,
    expected: `${token.path} has sha256 ${token.sha256.slice(0, 16)}…`,
    observed: o.tokenRead?.sha256 ? `sha256 ${o.tokenRead.sha256.slice(0, 16)}…` : `missing: ${o.tokenRead?.output ?? 'not read'}`,
    passed: o.tokenRead?.sha256 === token.sha256,
    evidence: { expectedSha256: token.sha256, read: o.tokenRead?.output },
  });
}

/** Mean and max of each timing across the pods, and the watch's detection latency. */
function measureTimings(ctx: Ctx, t: Timings): void {
  const stat = (name: string, values: number[], description: string) => {
    if (values.length === 0) return;
    ctx.record.measurement({ name: `${name} (mean)`, value: secs(values.reduce((a, b) => a + b, 0) / values.length), unit: 's', description });
    ctx.record.measurement({ name: `${name} (max)`, value: secs(Math.max(...values)), unit: 's', description });
  };
  stat('time to recreate', t.recreate, 'delete request → new UID seen by the watch');
  stat('time to Ready', t.ready, 'delete request → Ready=True seen by the watch');
  stat('time to DNS', t.dns, 'delete request → FQDN resolves to the new IP');
  if (t.detection.length) {
    ctx.record.measurement({ name: 'detection latency (max)', value: Math.max(...t.detection), unit: 'ms', description: "watch arrival of Ready=True − the condition's lastTransitionTime (which has 1 s resolution)" });
  }
}

/** The claim survives a scale-down and is reused with its data; pods return in ordinal order. */
export function verifyRescale(ctx: Ctx): Promise<void> {
  const s: State = ctx.state;
  const p: Params = ctx.params;
  const r = s.rescale;
  if (!p.rescale || !r) return Promise.resolve();
  const claims = r.claimsBefore.map((c) => c.name).join(', ') || 'its PVC';
  if (r.dataLossRisk) {
    ctx.record.check({
      name: 'rescale-keeps-claim',
      target: r.pod,
      expected: `scaling to ${s.replicas - 1} keeps ${claims}`,
      observed: `the StatefulSet deletes claims on scale-down (persistentVolumeClaimRetentionPolicy.whenScaled: Delete): ${r.dataLossRisk.join(', ')} and its data would not survive a scale-down. Not scaled, to keep the data; set allowDataLoss=true to run the destructive check`,
      passed: false,
      evidence: { claims: r.claimsBefore, whenScaled: 'Delete' },
    });
    return Promise.resolve();
  }
  if (r.skipped) {
    ctx.record.check({ name: 'rescale-keeps-claim', target: r.pod, expected: `scaling to ${s.replicas - 1} keeps ${claims}`, observed: r.skipped, passed: false });
    return Promise.resolve();
  }
  ctx.record.check({
    name: 'rescale-keeps-claim',
    target: r.pod,
    expected: `after scaling to ${s.replicas - 1}, ${claims} still exists with the same UID`,
    observed: r.keptAfterScaleDown.length ? `kept: ${r.keptAfterScaleDown.map((c) => `${c.name} uid=${c.uid.slice(0, 8)}`).join(', ')}` : 'the claim is gone (deleted on scale-down)',
    passed: sameClaims(r.claimsBefore, r.keptAfterScaleDown),
    evidence: { before: r.claimsBefore, afterScaleDown: r.keptAfterScaleDown },
  });
  const token = s.tokens.get(s.replicas - 1);
  const intact = token !== undefined && r.tokenRead?.sha256 === token.sha256;
  ctx.record.check({
    name: 'rescale-data-intact',
    target: r.pod,
    expected: `${r.pod} comes back on the same claim with ${token?.path ?? 'its token'} intact`,
    observed: `claims ${r.claimsAfter.map((c) => `${c.name} uid=${c.uid.slice(0, 8)}`).join(', ') || 'none'}; token ${intact ? 'intact' : `not intact (${r.tokenRead?.output ?? 'not read'})`}`,
    passed: sameClaims(r.claimsBefore, r.claimsAfter) && intact,
    evidence: { claimsBefore: r.claimsBefore, claimsAfter: r.claimsAfter, readySeenAt: r.readyAt && new Date(r.readyAt).toISOString() },
  });
  ctx.record.check({
    name: 'ordinal-order',
    target: s.sts,
    expected: s.orderedReady
      ? 'only the highest ordinal is removed and re-created, and no pod is created before every lower ordinal is Ready'
      : 'only the highest ordinal is removed and re-created (Parallel policy: creation order not required)',
    observed: [
      r.othersReplaced.length ? `other pods replaced: ${r.othersReplaced.join(', ')}` : 'other pods untouched',
      r.outOfOrder.length ? `created before lower ordinals were Ready: ${r.outOfOrder.map((i) => `${i.name} (waiting on ${i.waitingOn.join(', ')})`).join('; ')}` : 'creation followed ordinal order',
    ].join('; '),
    passed: r.othersReplaced.length === 0 && (!s.orderedReady || r.outOfOrder.length === 0),
    evidence: { outOfOrder: r.outOfOrder },
  });
  return Promise.resolve();
}
