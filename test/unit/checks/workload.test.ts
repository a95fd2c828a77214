// The pod-loss checks' verdicts, from what was recorded (harness/checks/workload.ts): each
// deleted pod's replacement Ready within the bound, judged per pod.
import assert from 'node:assert/strict';
import { recoveredInTime, replacementsReady } from '../../../harness/checks/workload.ts';
import type { DeletedPod, WorkloadState } from '../../../harness/target/select.ts';
import { recordingCtx } from '../experiments/recording-ctx.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const deleted = (pod: string, recovery: Partial<DeletedPod['recovery']>): DeletedPod => ({
  pod,
  uid: `${pod}-uid`,
  recovery: { deleteRequestedAt: T0, oldUid: `${pod}-uid`, newUid: `${pod}-new`, newName: `${pod}-x`, ...recovery },
});

describe('checks: a deleted pod\'s replacement Ready in time', () => {
  it('Ready within the bound holds, at the bound too; a millisecond later is a finding', () => {
    const ok = recoveredInTime(deleted('web-a', { recreatedAt: T0 + 500, readyAt: T0 + 3000 }), 3000);
    assert.equal(ok.passed, true);
    assert.equal(ok.name, 'replacement-ready');
    assert.equal(ok.target, 'web-a');
    assert.equal(ok.expected, 'a replacement of web-a Ready within 3.0s of its deletion');
    assert.equal(ok.observed, 'web-a-x: created after 500ms, Ready after 3.0s');
    assert.deepEqual(ok.evidence, { oldUid: 'web-a-uid', newUid: 'web-a-new', newName: 'web-a-x', deleteRequestedAt: '2026-01-01T00:00:00.000Z', readyTransition: undefined, readyAfterMs: 3000 });
    assert.equal(recoveredInTime(deleted('web-a', { readyAt: T0 + 3001 }), 3000).passed, false);
    assert.equal(recoveredInTime(deleted('web-a', { readyAt: T0 + 3001 }), 3000).observed, 'web-a-x: Ready after 3.0s');
  });

  it('no replacement Ready while followed is a finding that says why', () => {
    const never = recoveredInTime(deleted('web-b', { notRecovered: 'no replacement within 60s' }), 3000);
    assert.equal(never.passed, false);
    assert.equal(never.observed, 'no replacement Ready while followed (no replacement within 60s)');
    assert.equal(never.evidence?.['readyAfterMs'], undefined);
    assert.equal(recoveredInTime(deleted('web-b', {}), 3000).observed, 'no replacement Ready while followed (not followed)');
  });

  it('the step records one check per deleted pod and a measurement for each that came back', async () => {
    const state: WorkloadState = { pods: [], deleted: [deleted('web-a', { readyAt: T0 + 2000 }), deleted('web-b', { notRecovered: 'gone' })] };
    const r = recordingCtx({ within: 5000 }, state);
    const s = replacementsReady<{ within: number }, WorkloadState>((p) => p.within);
    assert.equal(s.describe({ within: 5000 }), 'each deleted pod\'s replacement was Ready within 5.0s of its deletion');
    await s.run(r.ctx as never);
    assert.deepEqual(r.journal.checks.map((c) => [c.target, c.status]), [['web-a', 'passed'], ['web-b', 'failed']]);
    assert.deepEqual(r.journal.measurements, [{ name: 'web-a delete→Ready', value: 2000, unit: 'ms', description: 'replaced by web-a-x' }]);
  });

  it('with no pod deleted the check could not be evaluated: an error, never a pass', async () => {
    const r = recordingCtx({}, { pods: [], deleted: [] });
    await replacementsReady(() => 1000).run(r.ctx as never);
    assert.equal(r.journal.checks.length, 1);
    assert.deepEqual([r.journal.checks[0]!.status, r.journal.checks[0]!.expected, r.journal.checks[0]!.observed], ['error', 'at least one pod deleted and followed', 'no pod was deleted']);
  });
});
