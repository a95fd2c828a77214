// What statefulset-identity's verifyPods records for a reader of the report: each check's
// expected and observed text and its evidence, the per-pod table, and the mean and max timings
// over two pods (pod 0: recreated 1 s, Ready 4 s, DNS 5 s after its delete; pod 1: 3 s, 8 s,
// DNS still on the old IP, no node seen).
import assert from 'node:assert/strict';
import { verifyPods } from '../../../experiments/statefulset-identity/checks.ts';
import { params } from '../../../experiments/statefulset-identity/params.ts';
import { initialState, type State } from '../../../experiments/statefulset-identity/state.ts';
import type { Ctx } from '../../../experiments/statefulset-identity/steps.ts';
import { recordingCtx } from './recording-ctx.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const claim = (n: string, uid: string) => ({ name: n, uid, volumeName: `pv-${n}` });
const id = (o: number, uid: string, ip: string, node: string | undefined) => ({ name: `shakedown-web-${o}`, uid, hostname: `shakedown-web-${o}`, node, ip, claims: [claim(`data-shakedown-web-${o}`, `claim-${o}-abcdefgh`)], mountBacking: `pvc:data-shakedown-web-${o}` });

function twoPods() {
  const state: State = { ...initialState(), replicas: 3, ordinals: [0, 1] };
  state.tokens.set(0, { path: '/data/token', value: 't', sha256: 'a'.repeat(64) });
  state.tokens.set(1, { path: '/data/token', value: 't', sha256: 'b'.repeat(64) });
  state.pods.set(0, { ordinal: 0, before: id(0, 'old-0-123456789', '10.0.0.1', 'node-a'), recovery: { deleteRequestedAt: T0, oldUid: 'old-0-123456789', recreatedAt: T0 + 1000, readyAt: T0 + 4000, readyTransition: new Date(T0 + 3500).toISOString(), podIP: '10.0.0.2' }, after: id(0, 'new-0-123456789', '10.0.0.2', 'node-b'), tokenRead: { sha256: 'a'.repeat(64), output: 'ok' }, dns: { addresses: ['10.0.0.2'], at: T0 + 5000 } });
  state.pods.set(1, { ordinal: 1, before: id(1, 'old-1-123456789', '10.0.1.1', 'node-a'), recovery: { deleteRequestedAt: T0 + 10000, oldUid: 'old-1-123456789', recreatedAt: T0 + 13000, readyAt: T0 + 18000, readyTransition: new Date(T0 + 17800).toISOString(), podIP: '10.0.1.2' }, after: id(1, 'new-1-123456789', '10.0.1.2', undefined), tokenRead: { sha256: 'b'.repeat(64), output: 'ok' }, dns: { addresses: ['10.0.1.1'], stale: '10.0.1.1' } });
  const r = recordingCtx({ ...params.parse({}), recoveryWithin: 10_000, dnsWithin: 5_000 }, state);
  void verifyPods(r.ctx as unknown as Ctx);
  return r;
}

describe('statefulset-identity: what verifyPods records', () => {
  it('each check of a pod that came back says what was expected, what was seen, with its evidence', () => {
    const r = twoPods();
    assert.equal(r.journal.checks.length, 10);
    const of = (name: string) => {
      const c = r.check(name, 'shakedown-web-0');
      return { expected: c.expected, observed: c.observed, evidence: c.evidence };
    };
    assert.deepEqual(of('same-identity'), {
      expected: 'same name and hostname (shakedown-web-0), new UID',
      observed: 'name shakedown-web-0, hostname shakedown-web-0, uid old-0-12 → new-0-12',
      evidence: { before: { uid: 'old-0-123456789', hostname: 'shakedown-web-0', node: 'node-a', ip: '10.0.0.1' }, after: { uid: 'new-0-123456789', hostname: 'shakedown-web-0', node: 'node-b', ip: '10.0.0.2' } },
    });
    const claims = [claim('data-shakedown-web-0', 'claim-0-abcdefgh')];
    assert.deepEqual(of('same-claim'), {
      expected: '/data on a PVC, and the same PVC UIDs and PVs (data-shakedown-web-0 uid=claim-0- pv=pv-data-shakedown-web-0)',
      observed: '/data backed by pvc:data-shakedown-web-0; data-shakedown-web-0 uid=claim-0- pv=pv-data-shakedown-web-0',
      evidence: { before: claims, after: claims, mountBacking: 'pvc:data-shakedown-web-0' },
    });
    assert.deepEqual(of('data-intact'), { expected: `/data/token has sha256 ${'a'.repeat(16)}…`, observed: `sha256 ${'a'.repeat(16)}…`, evidence: { expectedSha256: 'a'.repeat(64), read: 'ok' } });
    assert.deepEqual(of('dns-follows-pod'), {
      expected: 'shakedown-web-0.shakedown-web-headless.shakedown-sts.svc.cluster.local resolves to the new IP 10.0.0.2 within 5.0s',
      observed: 'resolved to 10.0.0.2 1.0s after Ready',
      evidence: { answer: ['10.0.0.2'], newIp: '10.0.0.2', oldIp: '10.0.0.1' },
    });
    assert.deepEqual(of('recovered-within'), {
      expected: 'deleted → Ready within 10.0s',
      observed: 'Ready 4.0s after the delete request',
      evidence: { deleteRequestedAt: '2026-01-01T00:00:00.000Z', recreatedSeenAt: '2026-01-01T00:00:01.000Z', readySeenAt: '2026-01-01T00:00:04.000Z', readyTransition: '2026-01-01T00:00:03.500Z' },
    });
    assert.equal(r.check('dns-follows-pod', 'shakedown-web-1').status, 'failed');
    assert.equal(r.check('dns-follows-pod', 'shakedown-web-1').observed, 'still 10.0.1.1 after 10.0s');
  });

  it('the table has one row per pod, and the timings are the mean and the max over the pods', () => {
    const r = twoPods();
    assert.deepEqual(r.journal.tables, [
      {
        title: 'Pods before and after deletion',
        columns: ['pod', 'uid', 'node', 'ip', 'claims → PV', 'recreated (s)', 'Ready (s)', 'DNS (s)'],
        rows: [
          ['shakedown-web-0', 'old-0-12 → new-0-12', 'node-a → node-b', '10.0.0.1 → 10.0.0.2', 'data-shakedown-web-0 → pv-data-shakedown-web-0', 1, 4, 5],
          ['shakedown-web-1', 'old-1-12 → new-1-12', 'node-a → ?', '10.0.1.1 → 10.0.1.2', 'data-shakedown-web-1 → pv-data-shakedown-web-1', 3, 8, null],
        ],
      },
    ]);
    const recreate = 'delete request → new UID seen by the watch';
    const ready = 'delete request → Ready=True seen by the watch';
    const dns = 'delete request → FQDN resolves to the new IP';
    assert.deepEqual(r.journal.measurements, [
      { name: 'time to recreate (mean)', value: 2, unit: 's', description: recreate },
      { name: 'time to recreate (max)', value: 3, unit: 's', description: recreate },
      { name: 'time to Ready (mean)', value: 6, unit: 's', description: ready },
      { name: 'time to Ready (max)', value: 8, unit: 's', description: ready },
      { name: 'time to DNS (mean)', value: 5, unit: 's', description: dns },
      { name: 'time to DNS (max)', value: 5, unit: 's', description: dns },
      { name: 'detection latency (max)', value: 500, unit: 'ms', description: "watch arrival of Ready=True − the condition's lastTransitionTime (which has 1 s resolution)" },
    ]);
  });
});
