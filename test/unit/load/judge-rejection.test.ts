// The inverted judgement (a fault meant to turn requests away, such as Istio STRICT against
// plaintext) on synthetic per-second series: when the fault took hold, whether anything was
// served after it, when requests were served again, and a driver that broke.
import assert from 'node:assert/strict';
import { judgeRejection, rejectionOnset, servedAgain, type RejectionLimits } from '../../../harness/load/judge-rejection.ts';
import { phaseTable } from '../../../harness/load/judge.ts';
import { series, win, type Sec } from './series.ts';

const limits: RejectionLimits = { rejectWithin: 5_000, serveWithin: 5_000, maxErrorRate: 0.05 };
const ok = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 20, ms: 3 }));
const turnedAway = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 0, ms: 0, errors: 20 }));
const byName = (j: ReturnType<typeof judgeRejection>, n: string) => j.checks.find((c) => c.name === n);

describe('load: judgement of a fault that turns requests away', () => {
  it('passes when the fault takes hold within its bound and the load is served again after it', () => {
    // 5 s served; fault at 5: 1 s mixed, 4 s rejected; lifted at 10: 1 s mixed, then served.
    const s = series([...ok(5), { ok: 8, ms: 3, errors: 12 }, ...turnedAway(4), { ok: 15, ms: 3, errors: 5 }, ...ok(6)]);
    const j = judgeRejection(s, win(0, 5, 10, 17), limits);
    assert.equal(j.driverProblem, undefined);
    assert.equal(byName(j, 'load-rejected-during-fault')?.passed, true);
    assert.match(byName(j, 'load-rejected-during-fault')?.observed ?? '', /last request served 1\.0s after the fault's start; then 4 s of requests all turned away/);
    assert.equal(byName(j, 'load-served-after-fault')?.passed, true);
    const m = Object.fromEntries((j.measurements ?? []).map((x) => [x.name, x.value]));
    assert.deepEqual(m, { 'load-fault-served-for': 1000, 'load-served-again-after': 1000 });
    assert.deepEqual(phaseTable(j, { steady: 'before', fault: 'STRICT', recovery: 'PERMISSIVE' }).rows.map((r) => [r[0], r[4]]), [['before', 0], ['STRICT', 92], ['PERMISSIVE', 5]]);
  });

  it('is a finding when requests are still served at the end of the fault (nothing turned away)', () => {
    const s = series([...ok(5), ...ok(5), ...ok(5)]);
    const j = judgeRejection(s, win(0, 5, 10, 15), limits);
    const c = byName(j, 'load-rejected-during-fault');
    assert.equal(c?.passed, false);
    assert.match(c?.observed ?? '', /still served at the end of the fault \(100 of 100 served: 100 2xx\)/);
  });

  it('is a finding when a request is served again after the fault had taken hold (a leak after enforcement)', () => {
    // Rejected from 5, but a served second at 8: the last served second decides.
    const s = series([...ok(5), ...turnedAway(3), { ok: 1, ms: 3, errors: 19 }, ...turnedAway(1), ...ok(5)]);
    const onset = rejectionOnset(s, win(0, 5, 10, 15).fault);
    assert.equal(onset.leakMs, 4000);
    assert.equal(onset.rejectedAfter, 1);
    // With a 3 s bound the leak at +4 s is a finding; with 5 s it is within the bound.
    assert.equal(byName(judgeRejection(s, win(0, 5, 10, 15), { ...limits, rejectWithin: 3000 }), 'load-rejected-during-fault')?.passed, false);
    assert.equal(byName(judgeRejection(s, win(0, 5, 10, 15), limits), 'load-rejected-during-fault')?.passed, true);
  });

  it('does not hold the second the fault ended in against it (requests served after the end may be in it)', () => {
    // Fault from 5 to 9.8: turned away from 6; the second from 9 holds the end, and requests served
    // in its last 0.2 s, after the fault was lifted. Its middle lies in the fault, yet it is not evidence of a leak.
    const s = series([...ok(5), { ok: 8, ms: 3, errors: 12 }, ...turnedAway(3), { ok: 4, ms: 3, errors: 16 }, ...ok(6)]);
    const w = win(0, 5, 9.8, 16);
    const onset = rejectionOnset(s, w.fault);
    assert.deepEqual([onset.leakMs, onset.rejectedAfter], [1000, 3]);
    const c = byName(judgeRejection(s, w, limits), 'load-rejected-during-fault');
    assert.equal(c?.passed, true, c?.observed);
    // A second wholly inside the fault that serves a request is still a leak.
    assert.equal(rejectionOnset(series([...ok(5), ...turnedAway(2), { ok: 1, ms: 3, errors: 19 }, ...turnedAway(2), ...ok(5)]), win(0, 5, 9.8, 15).fault).leakMs, 3000);
  });

  it('is a finding when the load is not served again, or only after the bound', () => {
    const never = series([...ok(5), ...turnedAway(5), ...turnedAway(5)]);
    const j = judgeRejection(never, win(0, 5, 10, 15), limits);
    assert.equal(byName(j, 'load-served-after-fault')?.passed, false);
    assert.match(byName(j, 'load-served-after-fault')?.observed ?? '', /still over 5\.0% errors when the load ended/);
    const late = series([...ok(5), ...turnedAway(5), ...turnedAway(7), ...ok(3)]);
    assert.deepEqual(servedAgain(late, win(0, 5, 10, 20), 0.05), { servedAfter: 7000, badSeconds: 7 });
    assert.equal(byName(judgeRejection(late, win(0, 5, 10, 20), limits), 'load-served-after-fault')?.passed, false);
  });

  it('passes when the policy already turned the load away before the fault (rejected throughout, served after)', () => {
    const s = series([...turnedAway(5), ...turnedAway(5), ...ok(5)]);
    const j = judgeRejection(s, win(0, 5, 10, 15), limits);
    assert.deepEqual(j.checks.map((c) => c.passed), [true, true]);
    assert.match(byName(j, 'load-rejected-during-fault')?.observed ?? '', /no request was served during the fault/);
  });

  it('flags a driver that did not cover a phase or did not deliver as an error, not a finding', () => {
    const short = series([...ok(5), ...turnedAway(5)]);
    const j = judgeRejection(short, win(0, 5, 10, 15), limits);
    assert.equal(j.driverProblem, 'the load did not cover the window after the fault');
    assert.deepEqual(j.checks.map((c) => [c.name, c.passed]), [['load-delivered', 'error']]);
    const dropped = series([...ok(5), ...Array.from({ length: 5 }, () => ({ ok: 0, ms: 0, errors: 2, dropped: 18 })), ...ok(5)]);
    assert.match(judgeRejection(dropped, win(0, 5, 10, 15), limits).driverProblem ?? '', /sent 210 of 300 offered requests/);
  });
});
