// The steps of statefulset-identity: what is recorded before the fault, the fault itself, and the
// checks. Everything reads the real cluster; timings come from watch events (PodLifecycle).
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { execInPod } from '../../harness/cluster/exec.ts';
import { deployFixture as deployOwnFixture } from '../../harness/cluster/fixture.ts';
import { isNotFound, type ClusterSession } from '../../harness/cluster/session.ts';
import { RunError, injectError, preflightError, targetSelectionError } from '../../harness/engine/errors.ts';
import type { ClusterContext } from '../../harness/cluster/context.ts';
import { formatDuration } from '../../harness/engine/time.ts';
import { WaitTimeoutError, done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { PodLifecycle, type Incarnation } from '../../harness/observe/pod-lifecycle.ts';
import type { Params } from './params.ts';
import { resolveInPod } from '../../harness/probes/dns.ts';
import { newToken, readTokenSha, removeToken, writeToken, type Token } from '../../harness/probes/file-token.ts';


export const FIXTURE = 'shakedown-web';

export interface Claim {
  name: string;
  uid: string;
  volumeName?: string | undefined;
}

/** What one pod was before the fault (and, re-read, after it). */
export interface PodIdentity {
  ordinal: number;
  name: string;
  uid: string;
  hostname: string;
  node?: string | undefined;
  ip?: string | undefined;
  claims: Claim[];
  /** What backs the volume mounted at mountPath: a PVC, an emptyDir ... */
  mountBacking: string;
}

export interface Timing {
  deleteRequestedAt: number;
  oldUid: string;
  newUid?: string;
  recreatedAt?: number;
  readyAt?: number;
  readyTransition?: string | undefined;
  dnsAt?: number;
  dnsAnswer?: string[];
}

export interface State {
  fixture: boolean;
  sts: string;
  service: string;
  container: string;
  replicas: number;
  ordinals: number[];
  selector: string;
  orderedReady: boolean;
  before: Map<number, PodIdentity>;
  tokens: Map<number, Token>;
  timings: Map<number, Timing>;
  lifecycle?: PodLifecycle;
}

export const initialState = (): State => ({
  fixture: true,
  sts: FIXTURE,
  service: `${FIXTURE}-headless`,
  container: 'web',
  replicas: 0,
  ordinals: [],
  selector: '',
  orderedReady: true,
  before: new Map(),
  tokens: new Map(),
  timings: new Map(),
});

export type Ctx = ClusterContext<Params, State>;

const podName = (s: State, ordinal: number) => `${s.sts}-${ordinal}`;
const fqdn = (s: State, p: Params, ordinal: number) => `${podName(s, ordinal)}.${s.service}.${p.namespace}.svc.cluster.local`;
const secs = (ms: number) => Math.round(ms / 100) / 10;

// ---------------------------------------------------------------- preflight

/** Finds the StatefulSet to test (or checks the fixture can be deployed) and fixes the ordinals. */
export async function selectTarget(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  if (!p.statefulset) {
    try {
      await cluster.storage.readStorageClass({ name: p.storageClass });
    } catch (err) {
      if (isNotFound(err)) throw preflightError(`StorageClass "${p.storageClass}" does not exist, so the fixture's claims could not bind (set storageClass to one that provisions volumes)`);
      throw err;
    }
    Object.assign(s, { fixture: true, sts: FIXTURE, service: `${FIXTURE}-headless`, container: 'web', replicas: p.replicas, selector: `app.kubernetes.io/name=${FIXTURE}`, orderedReady: true });
  } else {
    let sts: V1StatefulSet;
    try {
      sts = await cluster.apps.readNamespacedStatefulSet({ name: p.statefulset, namespace: p.namespace });
    } catch (err) {
      if (isNotFound(err)) throw targetSelectionError(`StatefulSet ${p.namespace}/${p.statefulset} does not exist`);
      throw err;
    }
    const service = sts.spec?.serviceName;
    if (!service) throw targetSelectionError(`StatefulSet ${p.statefulset} names no serviceName, so its pods have no DNS records`);
    try {
      const svc = await cluster.core.readNamespacedService({ name: service, namespace: p.namespace });
      if (svc.spec?.clusterIP !== 'None') throw targetSelectionError(`Service ${service} is not headless (clusterIP ${svc.spec?.clusterIP}); pods get no per-pod DNS records`);
    } catch (err) {
      if (isNotFound(err)) throw targetSelectionError(`the StatefulSet's Service ${p.namespace}/${service} does not exist`);
      throw err;
    }
    const containers = sts.spec?.template.spec?.containers ?? [];
    const container = p.container ? containers.find((c) => c.name === p.container) : containers[0];
    if (!container) throw targetSelectionError(`StatefulSet ${p.statefulset} has no container ${p.container ?? ''}`.trim());
    if (!container.volumeMounts?.some((m) => m.mountPath === p.mountPath)) {
      throw targetSelectionError(`container ${container.name} mounts nothing at ${p.mountPath} (set mountPath to where its data lives)`);
    }
    const matchLabels = sts.spec?.selector.matchLabels ?? {};
    Object.assign(s, {
      fixture: false,
      sts: p.statefulset,
      service,
      container: container.name,
      replicas: sts.spec?.replicas ?? 1,
      selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(','),
      orderedReady: (sts.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady',
    });
  }
  s.ordinals = p.ordinals === 'all' ? [...Array(s.replicas).keys()] : [...p.ordinals];
  const outOfRange = s.ordinals.filter((o) => o >= s.replicas);
  if (outOfRange.length) throw targetSelectionError(`ordinals ${outOfRange.join(', ')} do not exist: ${s.sts} has ${s.replicas} replicas`);
  ctx.progress(`target: StatefulSet ${p.namespace}/${s.sts} (${s.replicas} replicas, Service ${s.service}), deleting ordinals ${s.ordinals.join(', ')}`);
}

// ---------------------------------------------------------------- setup

export async function deployFixture(ctx: Ctx, def: { manifests: string[]; manifestValues(p: Params): Record<string, unknown> }): Promise<void> {
  if (ctx.state.fixture) await deployOwnFixture(ctx, def);
}

// ---------------------------------------------------------------- steady state

/**
 * Replicas as the pods themselves show them: the StatefulSet's status lags a pod deletion, so a
 * pod just deleted would still count as Ready there. `ready` counts pods that are Ready and not
 * terminating, with the ordinal names the StatefulSet should have.
 */
async function readyReplicas(cluster: ClusterSession, p: Params, s: State) {
  const sts = await cluster.apps.readNamespacedStatefulSet({ name: s.sts, namespace: p.namespace });
  const want = sts.spec?.replicas ?? 0;
  const pods = (await cluster.core.listNamespacedPod({ namespace: p.namespace, labelSelector: s.selector })).items;
  const expected = new Set([...Array(want).keys()].map((o) => podName(s, o)));
  const ready = pods.filter(
    (x) => expected.has(x.metadata?.name ?? '') && !x.metadata?.deletionTimestamp && x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
  return { ready, want, current: pods.filter((x) => !x.metadata?.deletionTimestamp).length };
}

/** Waits (bounded) until the StatefulSet has all its replicas Ready; records the outcome as a check. */
export async function statefulSetReady(ctx: Ctx, timeoutMs: number, checkName = 'statefulset-ready'): Promise<boolean> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const started = Date.now();
  try {
    const r = await waitFor(
      async () => {
        const r = await readyReplicas(cluster, p, s);
        return r.ready === r.want && r.current === r.want ? done(r) : notYet(`${r.ready}/${r.want} Ready`);
      },
      { what: `StatefulSet ${s.sts} to have all replicas Ready`, timeoutMs, intervalMs: 1000, signal: ctx.signal },
    );
    ctx.record.check({ name: checkName, expected: `${r.want} of ${r.want} replicas Ready`, observed: `${r.ready} of ${r.want} Ready after ${formatDuration(Date.now() - started)}`, passed: true });
    return true;
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: checkName, expected: `every replica of ${s.sts} Ready within ${formatDuration(timeoutMs)}`, observed: `not Ready: ${String(err.lastObserved)}`, passed: false, evidence: { waitedMs: timeoutMs } });
    return false;
  }
}

async function claimsOf(cluster: ClusterSession, namespace: string, pod: V1Pod): Promise<Claim[]> {
  const names = (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
  const claims: Claim[] = [];
  for (const name of names.sort()) {
    const pvc = await cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace });
    claims.push({ name, uid: pvc.metadata?.uid ?? '', volumeName: pvc.spec?.volumeName });
  }
  return claims;
}

function mountBacking(pod: V1Pod, container: string, mountPath: string): string {
  const mount = pod.spec?.containers.find((c) => c.name === container)?.volumeMounts?.find((m) => m.mountPath === mountPath);
  if (!mount) return 'none';
  const vol = pod.spec?.volumes?.find((v) => v.name === mount.name);
  if (!vol) return 'none';
  if (vol.persistentVolumeClaim) return `pvc:${vol.persistentVolumeClaim.claimName}`;
  const kind = Object.keys(vol).find((k) => k !== 'name');
  return kind ?? 'unknown';
}

/** Reads one pod's identity: UID, hostname (from inside), node, IP, claims and what backs mountPath. */
export async function readIdentity(ctx: Ctx, ordinal: number): Promise<PodIdentity> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const name = podName(s, ordinal);
  const pod = await cluster.core.readNamespacedPod({ name, namespace: p.namespace });
  const h = await execInPod(cluster, { namespace: p.namespace, pod: name, container: s.container, command: ['hostname'], timeoutMs: 15_000 });
  if (h.exitCode !== 0) throw new RunError('OBSERVE', `\`hostname\` failed in ${name}: exit ${h.exitCode} ${h.stderr.trim()}`);
  return {
    ordinal,
    name,
    uid: pod.metadata?.uid ?? '',
    hostname: h.stdout.trim(),
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    claims: await claimsOf(cluster, p.namespace, pod),
    mountBacking: mountBacking(pod, s.container, p.mountPath),
  };
}

/** A Ready pod other than `ordinal` to resolve names from (or the pod itself if it is alone). */
function resolverFor(s: State, ordinal: number): number {
  return s.replicas > 1 ? (ordinal + 1) % s.replicas : ordinal;
}

export async function recordIdentity(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  for (const ordinal of s.ordinals) {
    const id = await readIdentity(ctx, ordinal);
    s.before.set(ordinal, id);
    const dns = await resolveInPod(cluster, { namespace: p.namespace, pod: podName(s, resolverFor(s, ordinal)), container: s.container }, fqdn(s, p, ordinal));
    ctx.record.event({
      source: 'probe',
      type: 'identity-recorded',
      object: `Pod/${p.namespace}/${id.name}`,
      message: `uid=${id.uid} hostname=${id.hostname} node=${id.node} ip=${id.ip} claims=${id.claims.map((c) => `${c.name}(${c.uid.slice(0, 8)})→${c.volumeName}`).join(',') || 'none'} dns=${dns.addresses.join(',') || 'unresolved'}`,
      data: { ...id, dns: dns.addresses },
    });
    ctx.record.check({
      name: 'dns-before',
      target: id.name,
      expected: `${fqdn(s, p, ordinal)} resolves to the pod IP ${id.ip}`,
      observed: dns.addresses.length ? `resolves to ${dns.addresses.join(', ')}` : `does not resolve: ${dns.output.split('\n').slice(-2).join(' ')}`,
      passed: id.ip !== undefined && dns.addresses.includes(id.ip),
      evidence: { nslookup: dns.output },
    });
  }
}

/** Writes a token to each chosen pod's volume, and to the highest ordinal (for the rescale check). */
export async function writeTokens(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const targets = new Set(s.ordinals);
  if (p.rescale) targets.add(s.replicas - 1);
  for (const ordinal of [...targets].sort((a, b) => a - b)) {
    const token = newToken(p.mountPath, ctx.runId, podName(s, ordinal));
    const where = { namespace: p.namespace, pod: podName(s, ordinal), container: s.container };
    await writeToken(cluster, where, token);
    s.tokens.set(ordinal, token);
    ctx.record.event({ source: 'exec', type: 'token-written', object: `Pod/${p.namespace}/${where.pod}`, message: `${token.path} sha256=${token.sha256.slice(0, 16)}… (synced)` });
    // A run against someone's own StatefulSet leaves their volumes as it found them.
    if (!s.fixture) {
      ctx.teardown(`remove ${token.path} from ${where.pod}`, () =>
        // The pod may be restarting (an interrupted run); retry for a bounded while.
        waitFor(
          async () => {
            await removeToken(cluster, where, token.path);
            return done(undefined);
          },
          { what: `${token.path} removed from ${where.pod}`, timeoutMs: 60_000, intervalMs: 2000, retryErrors: true },
        ),
      );
    }
  }
}

// ---------------------------------------------------------------- observe

export async function startLifecycle(ctx: Ctx): Promise<() => Promise<void>> {
  const lifecycle = new PodLifecycle(ctx.cluster, ctx.params.namespace, ctx.state.selector, ctx.record);
  await lifecycle.start();
  ctx.state.lifecycle = lifecycle;
  return () => {
    lifecycle.stop();
    return Promise.resolve();
  };
}

/** Waits on the watch's view (no API polling) until `pick` finds what it looks for. */
function waitOnWatch<T>(ctx: Ctx, what: string, timeoutMs: number, pick: () => T | undefined): Promise<T> {
  return waitFor(() => {
    const v = pick();
    return v === undefined ? notYet() : done(v);
  }, { what, timeoutMs, intervalMs: 100, signal: ctx.signal });
}

const newIncarnation = (lc: PodLifecycle, name: string, oldUid: string): Incarnation | undefined =>
  lc.incarnations(name).find((i) => i.uid !== oldUid && i.deletedAt === undefined);

// ---------------------------------------------------------------- method

/** Restores the replica count if a step changed it, and waits until all are Ready again. */
export function registerReplicaRollback(ctx: Ctx): void {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const want = s.replicas;
  ctx.rollback(`StatefulSet ${s.sts} back to ${want} Ready replicas`, async () => {
    const scale = await cluster.apps.readNamespacedStatefulSetScale({ name: s.sts, namespace: p.namespace });
    if (scale.spec?.replicas !== want) {
      await cluster.apps.replaceNamespacedStatefulSetScale({ name: s.sts, namespace: p.namespace, body: { ...scale, spec: { replicas: want } } });
    }
    await waitFor(
      async () => {
        const r = await readyReplicas(cluster, p, s);
        return r.ready === want && r.current === want ? done(undefined) : notYet(`${r.ready}/${want} Ready`);
      },
      { what: `${s.sts} back to ${want} Ready replicas`, timeoutMs: Math.max(p.recoveryWithin * 2, 120_000), intervalMs: 1000 },
    );
  });
}

/** Deletes each chosen pod in turn and follows it, from watch events, back to Ready and into DNS. */
export async function deletePods(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const lc = s.lifecycle;
  if (!lc) throw new RunError('INTERNAL', 'the pod lifecycle observer is not running');
  registerReplicaRollback(ctx);
  for (const ordinal of s.ordinals) {
    const name = podName(s, ordinal);
    const before = s.before.get(ordinal)!;
    const t: Timing = { deleteRequestedAt: Date.now(), oldUid: before.uid };
    s.timings.set(ordinal, t);
    try {
      await cluster.core.deleteNamespacedPod({ name, namespace: p.namespace, gracePeriodSeconds: p.force ? 0 : p.gracePeriodSeconds });
    } catch (err) {
      throw injectError(`could not delete pod ${name}`, err);
    }
    ctx.record.event({ source: 'fault', type: 'pod-delete-requested', object: `Pod/${p.namespace}/${name}`, message: `delete ${name} (uid ${before.uid.slice(0, 8)}) with grace ${p.force ? '0 (force)' : `${p.gracePeriodSeconds}s`}` });
    ctx.progress(`deleted ${name}; following it back to Ready`);
    // Waits run longer than the bound, so a slow recovery is measured and judged, not cut short.
    const followFor = p.recoveryWithin * 2 + p.gracePeriodSeconds * 1000;
    try {
      const inc = await waitOnWatch(ctx, `${name} recreated with a new UID`, followFor, () => newIncarnation(lc, name, before.uid));
      t.newUid = inc.uid;
      t.recreatedAt = inc.seenAt;
      const ready = await waitOnWatch(ctx, `${name} Ready again`, Math.max(1000, followFor - (Date.now() - t.deleteRequestedAt)), () => {
        const i = newIncarnation(lc, name, before.uid);
        return i?.readyAt !== undefined ? i : undefined;
      });
      t.readyAt = ready.readyAt;
      t.readyTransition = ready.readyTransition;
    } catch (err) {
      if (!(err instanceof WaitTimeoutError)) throw err;
      ctx.record.event({ source: 'harness', type: 'not-recovered', object: `Pod/${p.namespace}/${name}`, message: err.message });
      // Deleting more pods while one is missing would only compound the damage.
      ctx.progress(`${name} did not come back; not deleting further pods`);
      return;
    }
    ctx.progress(`${name} Ready again after ${formatDuration(t.readyAt! - t.deleteRequestedAt)}`);
    await followDns(ctx, ordinal, t);
  }
}

/** Polls DNS from a neighbour pod until the pod's FQDN answers with its new IP (bounded). */
async function followDns(ctx: Ctx, ordinal: number, t: Timing): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const inc = s.lifecycle!.current(podName(s, ordinal));
  const ip = inc?.podIP;
  const name = fqdn(s, p, ordinal);
  try {
    const answer = await waitFor(
      async () => {
        const a = await resolveInPod(cluster, { namespace: p.namespace, pod: podName(s, resolverFor(s, ordinal)), container: s.container }, name);
        return ip && a.addresses.includes(ip) ? done(a) : notYet(a.addresses.join(',') || a.output.split('\n').pop());
      },
      { what: `${name} to resolve to ${ip}`, timeoutMs: p.dnsWithin * 2, intervalMs: 1000, signal: ctx.signal, retryErrors: true },
    );
    t.dnsAt = Date.now();
    t.dnsAnswer = answer.addresses;
    ctx.record.event({ source: 'probe', type: 'dns-updated', object: `Pod/${p.namespace}/${podName(s, ordinal)}`, message: `${name} → ${answer.addresses.join(', ')}` });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    t.dnsAnswer = [];
    ctx.record.event({ source: 'probe', type: 'dns-stale', object: `Pod/${p.namespace}/${podName(s, ordinal)}`, message: err.message });
  }
}

// ---------------------------------------------------------------- verify

export async function verifyPods(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  const rows: (string | number | null)[][] = [];
  const recreate: number[] = [];
  const ready: number[] = [];
  const dns: number[] = [];
  const detection: number[] = [];
  for (const ordinal of s.ordinals) {
    const before = s.before.get(ordinal)!;
    const t = s.timings.get(ordinal);
    const name = before.name;
    if (!t?.readyAt) {
      ctx.record.check({ name: 'recovered-within', target: name, expected: `${name} Ready again within ${formatDuration(p.recoveryWithin)}`, observed: t ? 'never came back Ready while followed' : 'not deleted (an earlier pod did not recover)', passed: false });
      continue;
    }
    let after: PodIdentity;
    try {
      after = await readIdentity(ctx, ordinal);
    } catch (err) {
      if (isNotFound(err)) {
        ctx.record.check({ name: 'same-identity', target: name, expected: `pod ${name} exists again`, observed: 'no pod of that name', passed: false });
        continue;
      }
      throw err;
    }
    ctx.record.check({
      name: 'same-identity',
      target: name,
      expected: `same name and hostname (${before.hostname}), new UID`,
      observed: `name ${after.name}, hostname ${after.hostname}, uid ${before.uid.slice(0, 8)} → ${after.uid.slice(0, 8)}`,
      passed: after.hostname === before.hostname && after.uid !== before.uid,
      evidence: { before: { uid: before.uid, hostname: before.hostname, node: before.node, ip: before.ip }, after: { uid: after.uid, hostname: after.hostname, node: after.node, ip: after.ip } },
    });
    const claimText = (c: Claim[]) => c.map((x) => `${x.name} uid=${x.uid.slice(0, 8)} pv=${x.volumeName}`).join('; ') || 'no PVC';
    ctx.record.check({
      name: 'same-claim',
      target: name,
      expected: `${p.mountPath} on a PVC, and the same PVC UIDs and PVs (${claimText(before.claims)})`,
      observed: `${p.mountPath} backed by ${after.mountBacking}; ${claimText(after.claims)}`,
      passed: after.mountBacking.startsWith('pvc:') && before.claims.length > 0 && JSON.stringify(after.claims) === JSON.stringify(before.claims),
      evidence: { before: before.claims, after: after.claims, mountBacking: after.mountBacking },
    });
    const token = s.tokens.get(ordinal)!;
    const read = await readTokenSha(cluster, { namespace: p.namespace, pod: name, container: s.container }, token.path);
    ctx.record.check({
      name: 'data-intact',
      target: name,
      expected: `${token.path} has sha256 ${token.sha256.slice(0, 16)}…`,
      observed: read.sha256 ? `sha256 ${read.sha256.slice(0, 16)}…` : `missing: ${read.output}`,
      passed: read.sha256 === token.sha256,
      evidence: { expectedSha256: token.sha256, read: read.output },
    });
    ctx.record.check({
      name: 'dns-follows-pod',
      target: name,
      expected: `${fqdn(s, p, ordinal)} resolves to the new IP ${after.ip} within ${formatDuration(p.dnsWithin)}`,
      observed: t.dnsAt ? `resolved to ${t.dnsAnswer?.join(', ')} ${formatDuration(t.dnsAt - t.readyAt)} after Ready` : `still ${t.dnsAnswer?.join(', ') || 'unresolved'} after ${formatDuration(p.dnsWithin * 2)}`,
      passed: t.dnsAt !== undefined && after.ip !== undefined && (t.dnsAnswer ?? []).includes(after.ip) && t.dnsAt - t.readyAt <= p.dnsWithin,
      evidence: { answer: t.dnsAnswer, newIp: after.ip, oldIp: before.ip },
    });
    const readyMs = t.readyAt - t.deleteRequestedAt;
    ctx.record.check({
      name: 'recovered-within',
      target: name,
      expected: `deleted → Ready within ${formatDuration(p.recoveryWithin)}`,
      observed: `Ready ${formatDuration(readyMs)} after the delete request`,
      passed: readyMs <= p.recoveryWithin,
      evidence: { deleteRequestedAt: new Date(t.deleteRequestedAt).toISOString(), recreatedSeenAt: t.recreatedAt && new Date(t.recreatedAt).toISOString(), readySeenAt: new Date(t.readyAt).toISOString(), readyTransition: t.readyTransition },
    });
    recreate.push(t.recreatedAt! - t.deleteRequestedAt);
    ready.push(readyMs);
    if (t.dnsAt) dns.push(t.dnsAt - t.deleteRequestedAt);
    if (t.readyTransition) detection.push(t.readyAt - Date.parse(t.readyTransition));
    rows.push([
      name,
      `${before.uid.slice(0, 8)} → ${after.uid.slice(0, 8)}`,
      `${before.node ?? '?'} → ${after.node ?? '?'}`,
      `${before.ip ?? '?'} → ${after.ip ?? '?'}`,
      after.claims.map((c) => `${c.name} → ${c.volumeName}`).join(', ') || after.mountBacking,
      secs(t.recreatedAt! - t.deleteRequestedAt),
      secs(readyMs),
      t.dnsAt ? secs(t.dnsAt - t.deleteRequestedAt) : null,
    ]);
  }
  ctx.record.table({ title: 'Pods before and after deletion', columns: ['pod', 'uid', 'node', 'ip', 'claims → PV', 'recreated (s)', 'Ready (s)', 'DNS (s)'], rows });
  const stat = (name: string, values: number[], description: string) => {
    if (values.length === 0) return;
    ctx.record.measurement({ name: `${name} (mean)`, value: secs(values.reduce((a, b) => a + b, 0) / values.length), unit: 's', description });
    ctx.record.measurement({ name: `${name} (max)`, value: secs(Math.max(...values)), unit: 's', description });
  };
  stat('time to recreate', recreate, 'delete request → new UID seen by the watch');
  stat('time to Ready', ready, 'delete request → Ready=True seen by the watch');
  stat('time to DNS', dns, 'delete request → FQDN resolves to the new IP');
  if (detection.length) {
    ctx.record.measurement({ name: 'detection latency (max)', value: Math.max(...detection), unit: 'ms', description: "watch arrival of Ready=True − the condition's lastTransitionTime (which has 1 s resolution)" });
  }
}

/** Scales down by one and back up: the claim of the removed ordinal is kept and reused with its data. */
export async function rescale(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  if (!p.rescale) return;
  const cluster = ctx.cluster;
  const lc = s.lifecycle!;
  const top = s.replicas - 1;
  const name = podName(s, top);
  const topNow = await readIdentity(ctx, top);
  const uidsBefore = new Map([...Array(s.replicas).keys()].map((o) => [o, lc.current(podName(s, o))?.uid]));
  const scaleTo = async (replicas: number) => {
    const scale = await cluster.apps.readNamespacedStatefulSetScale({ name: s.sts, namespace: p.namespace });
    await cluster.apps.replaceNamespacedStatefulSetScale({ name: s.sts, namespace: p.namespace, body: { ...scale, spec: { replicas } } });
    ctx.record.event({ source: 'fault', type: 'scaled', object: `StatefulSet/${p.namespace}/${s.sts}`, message: `replicas → ${replicas}` });
  };
  const bound = p.recoveryWithin * 2;

  await scaleTo(s.replicas - 1);
  await waitOnWatch(ctx, `${name} removed by the scale-down`, bound, () => (lc.incarnations(name).find((i) => i.uid === topNow.uid)?.deletedAt ? true : undefined));
  const kept: Claim[] = [];
  for (const c of topNow.claims) {
    try {
      const pvc = await cluster.core.readNamespacedPersistentVolumeClaim({ name: c.name, namespace: p.namespace });
      if (!pvc.metadata?.deletionTimestamp) kept.push({ name: c.name, uid: pvc.metadata?.uid ?? '', volumeName: pvc.spec?.volumeName });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  ctx.record.check({
    name: 'rescale-keeps-claim',
    target: name,
    expected: `after scaling to ${s.replicas - 1}, ${topNow.claims.map((c) => c.name).join(', ') || 'its PVC'} still exists with the same UID`,
    observed: kept.length ? `kept: ${kept.map((c) => `${c.name} uid=${c.uid.slice(0, 8)}`).join(', ')}` : 'the claim is gone (deleted on scale-down)',
    passed: topNow.claims.length > 0 && JSON.stringify(kept) === JSON.stringify(topNow.claims),
    evidence: { before: topNow.claims, afterScaleDown: kept },
  });

  await scaleTo(s.replicas);
  const back = await waitOnWatch(ctx, `${name} back and Ready after the scale-up`, bound, () => {
    const i = newIncarnation(lc, name, topNow.uid);
    return i?.readyAt !== undefined ? i : undefined;
  });
  const after = await readIdentity(ctx, top);
  const token = s.tokens.get(top)!;
  const read = await readTokenSha(cluster, { namespace: p.namespace, pod: name, container: s.container }, token.path);
  ctx.record.check({
    name: 'rescale-data-intact',
    target: name,
    expected: `${name} comes back on the same claim with ${token.path} intact`,
    observed: `claims ${after.claims.map((c) => `${c.name} uid=${c.uid.slice(0, 8)}`).join(', ') || 'none'}; token ${read.sha256 === token.sha256 ? 'intact' : `not intact (${read.output})`}`,
    passed: JSON.stringify(after.claims) === JSON.stringify(topNow.claims) && read.sha256 === token.sha256,
    evidence: { claimsBefore: topNow.claims, claimsAfter: after.claims, readySeenAt: back.readyAt && new Date(back.readyAt).toISOString() },
  });
  const changed = [...uidsBefore].filter(([o, uid]) => o !== top && lc.current(podName(s, o))?.uid !== uid).map(([o]) => podName(s, o));
  const outOfOrder = lc.all().filter((i) => (i.createdBeforeLowerReady?.length ?? 0) > 0);
  ctx.record.check({
    name: 'ordinal-order',
    target: s.sts,
    expected: s.orderedReady
      ? 'only the highest ordinal is removed and re-created, and no pod is created before every lower ordinal is Ready'
      : 'only the highest ordinal is removed and re-created (Parallel policy: creation order not required)',
    observed: [
      changed.length ? `other pods replaced: ${changed.join(', ')}` : 'other pods untouched',
      outOfOrder.length ? `created before lower ordinals were Ready: ${outOfOrder.map((i) => `${i.name} (waiting on ${i.createdBeforeLowerReady?.join(', ')})`).join('; ')}` : 'creation followed ordinal order',
    ].join('; '),
    passed: changed.length === 0 && (!s.orderedReady || outOfOrder.length === 0),
    evidence: { outOfOrder },
  });
}
