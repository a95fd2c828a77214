// Per-phase judgement on synthetic per-second series: error rate and percentiles per phase,
// time to recover to the steady band, and which checks pass, fail or flag a broken driver.
import assert from 'node:assert/strict';
import { judgeLoad, phaseStats, phaseTable, type LoadLimits } from '../../../harness/load/judge.ts';
import { series, win, type Sec } from './series.ts';

const limits: LoadLimits = { maxFaultErrorRate: 0.05, maxP95Ratio: 3, recoverWithin: 10_000 };
const steady = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 20, ms: 10 }));
const byName = (j: ReturnType<typeof judgeLoad>, n: string) => j.checks.find((c) => c.name === n);

describe('load: per-phase judgement', () => {
  it('computes error rate and merged percentiles per phase', () => {
    const s = series([...steady(5), { ok: 10, ms: 100, errors: 10 }, { ok: 20, ms: 100 }, ...steady(3)]);
    const w = win(0, 5, 7, 10);
    const st = phaseStats('steady', s, w.steady);
    const f = phaseStats('fault', s, w.fault);
    assert.equal(st.requests, 100);
    assert.equal(st.errorRate, 0);
    assert.ok(Math.abs(st.p95 - 10) < 0.1);
    assert.equal(f.requests, 40);
    assert.equal(f.errors, 10);
    assert.equal(f.errorRate, 0.25);
    assert.ok(Math.abs(f.p50 - 100) < 0.2, 'resets carry no latency; the answers took 100 ms');
    assert.equal(f.outcomes.reset, 10);
  });

  it('passes a fault the users did not notice', () => {
    const j = judgeLoad(series([...steady(5), ...steady(3), ...steady(4)]), win(0, 5, 8, 12), limits);
    assert.equal(j.driverProblem, undefined);
    assert.deepEqual(j.checks.map((c) => [c.name, c.passed]), [
      ['load-errors-during-fault', true],
      ['load-p95-during-fault', true],
      ['load-recovered', true],
    ]);
    assert.equal(j.recovery.recoveredAfter, 0);
  });

  it('fails the error-rate check when the fault breaks requests beyond the limit, and times the recovery', () => {
    const s = series([...steady(5), { ok: 0, ms: 0, errors: 20, kind: 'refused' }, { ok: 15, ms: 10, errors: 5 }, ...steady(5)]);
    const j = judgeLoad(s, win(0, 5, 7, 12), limits);
    const c = byName(j, 'load-errors-during-fault');
    assert.equal(c?.passed, false);
    assert.match(c?.observed ?? '', /25 of 40 failed.*5 reset, 20 refused/);
    // Out of band in seconds 5 and 6: back for good at the end of second 6, 2 s after the fault's start.
    assert.equal(j.recovery.recoveredAfter, 2000);
    assert.equal(j.recovery.outOfBand, 2);
    assert.equal(byName(j, 'load-recovered')?.passed, true);
    // The same with a limit of 100 % passes: the limit is a parameter, not a constant.
    assert.equal(byName(judgeLoad(s, win(0, 5, 7, 12), { ...limits, maxFaultErrorRate: 1 }), 'load-errors-during-fault')?.passed, true);
  });

  it('fails the p95 check when latency during the fault exceeds the ratio to steady', () => {
    const s = series([...steady(5), { ok: 20, ms: 50 }, { ok: 20, ms: 50 }, ...steady(3)]);
    const j = judgeLoad(s, win(0, 5, 7, 10), limits);
    const c = byName(j, 'load-p95-during-fault');
    assert.equal(c?.passed, false);
    assert.match(c?.observed ?? '', /5\.0\d×/);
    assert.equal(byName(judgeLoad(s, win(0, 5, 7, 10), { ...limits, maxP95Ratio: 6 }), 'load-p95-during-fault')?.passed, true);
  });

  it('fails recovery when the series ends out of band, or recovers too late', () => {
    const bad = { ok: 10, ms: 10, errors: 10 };
    const never = judgeLoad(series([...steady(5), bad, bad, bad, bad]), win(0, 5, 7, 9), limits);
    assert.equal(never.recovery.recoveredAfter, undefined);
    assert.equal(byName(never, 'load-recovered')?.passed, false);
    assert.match(byName(never, 'load-recovered')?.observed ?? '', /still out of band/);
    const late = judgeLoad(series([...steady(5), bad, bad, bad, bad, ...steady(3)]), win(0, 5, 7, 12), { ...limits, recoverWithin: 3000 });
    assert.equal(late.recovery.recoveredAfter, 4000);
    assert.equal(byName(late, 'load-recovered')?.passed, false);
  });

  it('reports a driver that did not deliver the load as a driver problem, not a finding', () => {
    const s = series([...steady(5), ...Array.from({ length: 5 }, () => ({ ok: 5, ms: 10, dropped: 15 }))]);
    const j = judgeLoad(s, win(0, 5, 7, 10), limits);
    assert.match(j.driverProblem ?? '', /sent \d+ of \d+ offered/);
    assert.deepEqual(j.checks.map((c) => c.passed), ['error']);
    const empty = judgeLoad([], win(0, 5, 7, 10), limits);
    assert.match(empty.driverProblem ?? '', /no request during the steady state/);
  });

  it('renders one table row per phase', () => {
    const t = phaseTable(judgeLoad(series([...steady(5), ...steady(2), ...steady(2)]), win(0, 5, 7, 9), limits));
    assert.deepEqual(t.rows.map((r) => r[0]), ['steady', 'fault', 'recovery']);
    assert.equal(t.rows[0]?.[2], 100);
  });
});

describe('load: the p95 floor', () => {
  it('judges a loopback-fast steady state against the floor, not against 1 ms', () => {
    const fast = (n: number, ms: number): Sec[] => Array.from({ length: n }, () => ({ ok: 20, ms }));
    const s = series([...fast(5, 1), ...fast(2, 8), ...fast(3, 1)]);
    const j = judgeLoad(s, win(0, 5, 7, 10), limits);
    assert.equal(byName(j, 'load-p95-during-fault')?.passed, true, '8 ms is 0.8× the 10 ms floor');
    assert.equal(byName(judgeLoad(s, win(0, 5, 7, 10), { ...limits, p95FloorMs: 1 }), 'load-p95-during-fault')?.passed, false, 'without the floor it is 8×');
  });
});
