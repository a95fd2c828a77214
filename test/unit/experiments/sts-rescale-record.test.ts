// What statefulset-identity's checks record when things are missing or the rescale ran: each
// check's expected and observed text and its evidence, compared whole, as a reader of the report
// sees them (the rescale's three checks, a pod never deleted, one that did not come back, a claim
// list of two or none, no DNS answer, a pod without node or IP).
import assert from 'node:assert/strict';
import { verifyPods, verifyRescale } from '../../../experiments/statefulset-identity/checks.ts';
import { params } from '../../../experiments/statefulset-identity/params.ts';
import { initialState, type PodOutcome, type RescaleOutcome, type State } from '../../../experiments/statefulset-identity/state.ts';
import type { Ctx } from '../../../experiments/statefulset-identity/steps.ts';
import { recordingCtx } from './recording-ctx.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const claim = (name: string, uid: string) => ({ name, uid, volumeName: `pv-${name}` });
const c2 = claim('data-web-2', 'uid-2-0123456789');

function rescaled(patch: Partial<RescaleOutcome> = {}, s: Partial<State> = {}, token = true) {
  const state: State = { ...initialState(), replicas: 3, ...s };
  if (token) state.tokens.set(2, { path: '/data/token', value: 't', sha256: 'c'.repeat(64) });
  state.rescale = { pod: 'shakedown-web-2', claimsBefore: [c2], keptAfterScaleDown: [c2], claimsAfter: [c2], tokenRead: { sha256: 'c'.repeat(64), output: 'ok' }, readyAt: T0 + 5000, othersReplaced: [], outOfOrder: [], ...patch };
  const r = recordingCtx({ ...params.parse({}), rescale: true }, state);
  void verifyRescale(r.ctx as unknown as Ctx);
  return r;
}
const whole = (r: ReturnType<typeof rescaled>, name: string) => {
  const c = r.check(name);
  return { target: c.target, expected: c.expected, observed: c.observed, status: c.status, evidence: c.evidence };
};

describe('statefulset-identity: what verifyRescale records', () => {
  it('a rescale that kept the claim and the data, in ordinal order', () => {
    const r = rescaled();
    assert.deepEqual(whole(r, 'rescale-keeps-claim'), {
      target: 'shakedown-web-2', expected: 'after scaling to 2, data-web-2 still exists with the same UID', observed: 'kept: data-web-2 uid=uid-2-01', status: 'passed', evidence: { before: [c2], afterScaleDown: [c2] },
    });
    assert.deepEqual(whole(r, 'rescale-data-intact'), {
      target: 'shakedown-web-2', expected: 'shakedown-web-2 comes back on the same claim with /data/token intact', observed: 'claims data-web-2 uid=uid-2-01; token intact', status: 'passed',
      evidence: { claimsBefore: [c2], claimsAfter: [c2], readySeenAt: '2026-01-01T00:00:05.000Z' },
    });
    assert.deepEqual(whole(r, 'ordinal-order'), {
      target: 'shakedown-web', expected: 'only the highest ordinal is removed and re-created, and no pod is created before every lower ordinal is Ready', observed: 'other pods untouched; creation followed ordinal order', status: 'passed', evidence: { outOfOrder: [] },
    });
  });

  it('others replaced and pods created out of order are named; under Parallel creation order is not required', () => {
    const outOfOrder = [{ name: 'shakedown-web-2', waitingOn: ['shakedown-web-0', 'shakedown-web-1'] }, { name: 'shakedown-web-1', waitingOn: ['shakedown-web-0'] }];
    const r = rescaled({ othersReplaced: ['shakedown-web-0', 'shakedown-web-1'], outOfOrder });
    assert.deepEqual(whole(r, 'ordinal-order'), {
      target: 'shakedown-web', expected: 'only the highest ordinal is removed and re-created, and no pod is created before every lower ordinal is Ready',
      observed: 'other pods replaced: shakedown-web-0, shakedown-web-1; created before lower ordinals were Ready: shakedown-web-2 (waiting on shakedown-web-0, shakedown-web-1); shakedown-web-1 (waiting on shakedown-web-0)',
      status: 'failed', evidence: { outOfOrder },
    });
    assert.equal(rescaled({}, { orderedReady: false }).check('ordinal-order').expected, 'only the highest ordinal is removed and re-created (Parallel policy: creation order not required)');
  });

  it('no claim after the rescale and no token read: says none and not read; without a token of its own, "its token"', () => {
    const r = rescaled({ claimsAfter: [], tokenRead: undefined, readyAt: undefined }, {}, false);
    assert.deepEqual(whole(r, 'rescale-data-intact'), {
      target: 'shakedown-web-2', expected: 'shakedown-web-2 comes back on the same claim with its token intact', observed: 'claims none; token not intact (not read)', status: 'failed',
      evidence: { claimsBefore: [c2], claimsAfter: [], readySeenAt: undefined },
    });
  });

  it('claims that would be deleted on scale-down: the finding says which and why it was not scaled', () => {
    const two = [c2, claim('logs-web-2', 'uid-3')];
    const r = rescaled({ dataLossRisk: ['data-web-2', 'logs-web-2'], claimsBefore: two }, { replicas: 4 });
    assert.deepEqual(whole(r, 'rescale-keeps-claim'), {
      target: 'shakedown-web-2', expected: 'scaling to 3 keeps data-web-2, logs-web-2',
      observed: 'the StatefulSet deletes claims on scale-down (persistentVolumeClaimRetentionPolicy.whenScaled: Delete): data-web-2, logs-web-2 and its data would not survive a scale-down. Not scaled, to keep the data; set allowDataLoss=true to run the destructive check',
      status: 'failed', evidence: { claims: two, whenScaled: 'Delete' },
    });
    assert.equal(rescaled({ skipped: 'not run', claimsBefore: [] }).check('rescale-keeps-claim').expected, 'scaling to 2 keeps its PVC');
  });
});

function pods(outcomes: PodOutcome[], ordinals: number[]) {
  const state: State = { ...initialState(), replicas: 3, ordinals };
  for (const o of ordinals) state.tokens.set(o, { path: '/data/token', value: 't', sha256: 'a'.repeat(64) });
  for (const o of outcomes) state.pods.set(o.ordinal, o);
  const r = recordingCtx({ ...params.parse({}), recoveryWithin: 10_000, dnsWithin: 5_000 }, state);
  void verifyPods(r.ctx as unknown as Ctx);
  return r;
}
const identity = (uid: string, claims = [claim('data-web-0', 'claim-0-abcdefgh')], node?: string, ip?: string) => ({ name: 'shakedown-web-0', uid, hostname: 'shakedown-web-0', node, ip, claims, mountBacking: 'pvc:data-web-0' });
const recovery = { deleteRequestedAt: T0, oldUid: 'old-0', recreatedAt: T0 + 1000, readyAt: T0 + 4000, podIP: '10.0.0.2' };

describe('statefulset-identity: what verifyPods records when something is missing', () => {
  it('a pod never deleted and one that came back Ready under no pod of its name', () => {
    const r = pods([{ ordinal: 0, before: identity('old-0'), recovery }], [0, 1]);
    const never = r.check('recovered-within', 'shakedown-web-1');
    assert.deepEqual([never.expected, never.observed, never.status], ['shakedown-web-1 Ready again within 10.0s', 'not deleted (an earlier pod did not recover)', 'failed']);
    const gone = r.check('same-identity', 'shakedown-web-0');
    assert.deepEqual([gone.expected, gone.observed, gone.status], ['pod shakedown-web-0 exists again', 'no pod of that name', 'failed']);
  });

  it('two claims are listed with "; ", none as "no PVC"; no DNS answer is "unresolved"; no node or IP is "?"', () => {
    const two = [claim('data-web-0', 'claim-0-abcdefgh'), claim('logs-web-0', 'claim-1-abcdefgh')];
    const r = pods([{ ordinal: 0, before: identity('old-0', two), recovery, after: identity('new-0', []), tokenRead: { sha256: 'a'.repeat(64), output: 'ok' } }], [0]);
    assert.equal(r.check('same-claim').expected, '/data on a PVC, and the same PVC UIDs and PVs (data-web-0 uid=claim-0- pv=pv-data-web-0; logs-web-0 uid=claim-1- pv=pv-logs-web-0)');
    assert.equal(r.check('same-claim').observed, '/data backed by pvc:data-web-0; no PVC');
    assert.equal(r.check('dns-follows-pod').observed, 'still unresolved after 10.0s');
    assert.deepEqual(r.journal.tables[0]?.rows, [['shakedown-web-0', 'old-0 → new-0', '? → ?', '? → ?', 'pvc:data-web-0', 1, 4, null]]);
  });
});
