// statefulset-identity's hypothesis checks judge only what the steps recorded (state.ts): each
// deviation below must make its own check fail, and a pod that came back as it was must pass.
import assert from 'node:assert/strict';
import { verifyPods, verifyRescale } from '../../../experiments/statefulset-identity/checks.ts';
import { params } from '../../../experiments/statefulset-identity/params.ts';
import { initialState, type PodOutcome, type RescaleOutcome, type State } from '../../../experiments/statefulset-identity/state.ts';
import type { Ctx } from '../../../experiments/statefulset-identity/steps.ts';
import { recordingCtx } from './recording-ctx.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const claim = (uid: string) => ({ name: 'data-web-0', uid, volumeName: `pv-${uid}` });
const identity = (uid: string, ip: string) => ({ name: 'shakedown-web-0', uid, hostname: 'shakedown-web-0', node: 'node-a', ip, claims: [claim('claim-uid-1234567')], mountBacking: 'pvc:data-web-0' });

function outcome(patch: Partial<PodOutcome> = {}): PodOutcome {
  return {
    ordinal: 0,
    before: identity('old-uid-0000000', '10.0.0.1'),
    recovery: { deleteRequestedAt: T0, oldUid: 'old-uid-0000000', newUid: 'new-uid-1111111', recreatedAt: T0 + 1000, readyAt: T0 + 4000, readyTransition: new Date(T0 + 3500).toISOString(), podIP: '10.0.0.2' },
    after: identity('new-uid-1111111', '10.0.0.2'),
    tokenRead: { sha256: 'a'.repeat(64), output: 'ok' },
    dns: { addresses: ['10.0.0.2'], at: T0 + 5000 },
    ...patch,
  };
}

function run(o: PodOutcome | undefined, p: Partial<ReturnType<typeof params.parse>> = {}) {
  const state: State = { ...initialState(), replicas: 3, ordinals: [0] };
  state.tokens.set(0, { path: '/data/token', value: 't', sha256: 'a'.repeat(64) });
  if (o) state.pods.set(0, o);
  const r = recordingCtx({ ...params.parse({}), recoveryWithin: 10_000, dnsWithin: 5_000, ...p }, state);
  void verifyPods(r.ctx as unknown as Ctx);
  return r;
}

const statusOf = (r: ReturnType<typeof run>) => Object.fromEntries(r.journal.checks.map((c) => [c.name, c.status]));

describe('statefulset-identity: verifyPods', () => {
  it('a pod that came back with its name, claim, data and DNS within the bounds passes every check, and its timings are measured', () => {
    const r = run(outcome());
    assert.deepEqual(statusOf(r), { 'same-identity': 'passed', 'same-claim': 'passed', 'data-intact': 'passed', 'dns-follows-pod': 'passed', 'recovered-within': 'passed' });
    assert.equal(r.check('recovered-within', 'shakedown-web-0').observed, 'Ready 4.0s after the delete request');
    assert.equal(r.check('dns-follows-pod').observed, 'resolved to 10.0.0.2 1.0s after Ready');
    assert.equal(r.check('same-identity').observed, 'name shakedown-web-0, hostname shakedown-web-0, uid old-uid- → new-uid-');
    assert.equal(r.measurement('time to recreate (mean)'), 1);
    assert.equal(r.measurement('time to Ready (max)'), 4);
    assert.equal(r.measurement('time to DNS (mean)'), 5);
    assert.equal(r.measurement('detection latency (max)'), 500);
    const table = r.journal.tables[0];
    assert.ok(table);
    assert.deepEqual(table.rows, [['shakedown-web-0', 'old-uid- → new-uid-', 'node-a → node-a', '10.0.0.1 → 10.0.0.2', 'data-web-0 → pv-claim-uid-1234567', 1, 4, 5]]);
  });

  it('a pod never deleted, or never Ready again, fails recovered-within and nothing else is judged', () => {
    const notDeleted = run(undefined);
    assert.deepEqual(statusOf(notDeleted), { 'recovered-within': 'failed' });
    assert.equal(notDeleted.check('recovered-within').observed, 'not deleted (an earlier pod did not recover)');
    const never = run(outcome({ recovery: { deleteRequestedAt: T0, oldUid: 'old', notRecovered: 'no Ready pod within 20s' } }));
    assert.deepEqual(statusOf(never), { 'recovered-within': 'failed' });
    assert.equal(never.check('recovered-within').observed, 'never came back Ready while followed (no Ready pod within 20s)');
    assert.deepEqual(never.journal.measurements, []);
  });

  it('a pod Ready again but not found under its name fails same-identity alone', () => {
    const r = run(outcome({ after: undefined }));
    assert.deepEqual(statusOf(r), { 'same-identity': 'failed' });
    assert.equal(r.check('same-identity').observed, 'no pod of that name');
  });

  it('the same UID, or another hostname, fails same-identity', () => {
    assert.equal(run(outcome({ after: identity('old-uid-0000000', '10.0.0.2') })).check('same-identity').status, 'failed');
    assert.equal(run(outcome({ after: { ...identity('new-uid-1111111', '10.0.0.2'), hostname: 'other' } })).check('same-identity').status, 'failed');
  });

  it('another claim UID, no claim, or a volume not backed by a PVC fails same-claim', () => {
    assert.equal(run(outcome({ after: { ...identity('new-uid-1111111', '10.0.0.2'), claims: [claim('claim-uid-other')] } })).check('same-claim').status, 'failed');
    assert.equal(run(outcome({ after: { ...identity('new-uid-1111111', '10.0.0.2'), mountBacking: 'emptyDir' } })).check('same-claim').status, 'failed');
    const none = outcome();
    none.before.claims = [];
    none.after!.claims = [];
    const r = run(none);
    assert.equal(r.check('same-claim').status, 'failed');
    assert.match(r.check('same-claim').expected, /\(no PVC\)/);
  });

  it('a token with another sha256, or none read back, fails data-intact', () => {
    assert.equal(run(outcome({ tokenRead: { sha256: 'b'.repeat(64), output: 'changed' } })).check('data-intact').status, 'failed');
    const missing = run(outcome({ tokenRead: { output: 'No such file' } }));
    assert.equal(missing.check('data-intact').status, 'failed');
    assert.equal(missing.check('data-intact').observed, 'missing: No such file');
  });

  it('DNS still on the old IP, or resolving too late, fails dns-follows-pod', () => {
    const stale = run(outcome({ dns: { addresses: ['10.0.0.1'], stale: '10.0.0.1' } }));
    assert.equal(stale.check('dns-follows-pod').status, 'failed');
    assert.equal(stale.check('dns-follows-pod').observed, 'still 10.0.0.1 after 10.0s');
    assert.equal(stale.measurement('time to DNS (mean)'), undefined);
    assert.equal(run(outcome({ dns: { addresses: ['10.0.0.1'], at: T0 + 5000 } })).check('dns-follows-pod').status, 'failed');
    assert.equal(run(outcome({ dns: { addresses: ['10.0.0.2'], at: T0 + 9001 } })).check('dns-follows-pod').status, 'failed');
    assert.equal(run(outcome({ dns: { addresses: ['10.0.0.2'], at: T0 + 9000 } })).check('dns-follows-pod').status, 'passed');
  });

  it('Ready later than the bound fails recovered-within; exactly at the bound holds', () => {
    assert.equal(run(outcome(), { recoveryWithin: 3999 }).check('recovered-within').status, 'failed');
    assert.equal(run(outcome(), { recoveryWithin: 4000 }).check('recovered-within').status, 'passed');
  });
});

function rescaled(patch: Partial<RescaleOutcome> = {}, s: Partial<State> = {}, rescale = true) {
  const state: State = { ...initialState(), replicas: 3, ...s };
  state.tokens.set(2, { path: '/data/token', value: 't', sha256: 'c'.repeat(64) });
  state.rescale = { pod: 'shakedown-web-2', claimsBefore: [claim('u2')], keptAfterScaleDown: [claim('u2')], claimsAfter: [claim('u2')], tokenRead: { sha256: 'c'.repeat(64), output: 'ok' }, othersReplaced: [], outOfOrder: [], ...patch };
  const r = recordingCtx({ ...params.parse({}), rescale }, state);
  void verifyRescale(r.ctx as unknown as Ctx);
  return r;
}

describe('statefulset-identity: verifyRescale', () => {
  it('the claim kept, the data intact and ordinal order held pass all three checks', () => {
    const r = rescaled();
    assert.deepEqual(statusOf(r), { 'rescale-keeps-claim': 'passed', 'rescale-data-intact': 'passed', 'ordinal-order': 'passed' });
    assert.equal(r.check('rescale-keeps-claim').observed, 'kept: data-web-0 uid=u2');
    assert.equal(r.check('ordinal-order').observed, 'other pods untouched; creation followed ordinal order');
    assert.equal(r.check('rescale-data-intact').expected, 'shakedown-web-2 comes back on the same claim with /data/token intact');
  });

  it('rescale=false, or no rescale recorded, records nothing', () => {
    assert.equal(rescaled({}, {}, false).journal.checks.length, 0);
    const r = recordingCtx({ ...params.parse({}), rescale: true }, { ...initialState(), replicas: 3 });
    void verifyRescale(r.ctx as unknown as Ctx);
    assert.equal(r.journal.checks.length, 0);
  });

  it('claims deleted on scale-down are a finding, not scaled; a skip is a failed check with its reason', () => {
    const risk = rescaled({ dataLossRisk: ['data-web-2'] });
    assert.deepEqual(statusOf(risk), { 'rescale-keeps-claim': 'failed' });
    assert.match(risk.check('rescale-keeps-claim').observed, /whenScaled: Delete\): data-web-2/);
    const skipped = rescaled({ skipped: 'the pod did not come back' });
    assert.deepEqual(statusOf(skipped), { 'rescale-keeps-claim': 'failed' });
    assert.equal(skipped.check('rescale-keeps-claim').observed, 'the pod did not come back');
    assert.equal(skipped.check('rescale-keeps-claim').expected, 'scaling to 2 keeps data-web-0');
  });

  it('a claim gone on scale-down, another claim after, or a changed token fail their checks', () => {
    const gone = rescaled({ keptAfterScaleDown: [] });
    assert.equal(gone.check('rescale-keeps-claim').status, 'failed');
    assert.equal(gone.check('rescale-keeps-claim').observed, 'the claim is gone (deleted on scale-down)');
    assert.equal(rescaled({ claimsAfter: [claim('u3')] }).check('rescale-data-intact').status, 'failed');
    const token = rescaled({ tokenRead: { sha256: 'd'.repeat(64), output: 'changed' } });
    assert.equal(token.check('rescale-data-intact').status, 'failed');
    assert.equal(token.check('rescale-data-intact').observed, 'claims data-web-0 uid=u2; token not intact (changed)');
  });

  it('another pod replaced fails ordinal-order; out-of-order creation fails only under OrderedReady', () => {
    const replaced = rescaled({ othersReplaced: ['shakedown-web-0'] });
    assert.equal(replaced.check('ordinal-order').status, 'failed');
    assert.match(replaced.check('ordinal-order').observed, /other pods replaced: shakedown-web-0/);
    const early = { outOfOrder: [{ name: 'shakedown-web-2', waitingOn: ['shakedown-web-1'] }] };
    assert.equal(rescaled(early).check('ordinal-order').status, 'failed');
    assert.match(rescaled(early).check('ordinal-order').observed, /shakedown-web-2 \(waiting on shakedown-web-1\)/);
    assert.equal(rescaled(early, { orderedReady: false }).check('ordinal-order').status, 'passed');
  });
});
