// The load judges at their bounds: which second belongs to which phase, which seconds the
// recovery looks at, a rate exactly at its limit, a series that arrives out of order, and the
// evidence and measurements every check carries.
import assert from 'node:assert/strict';
import { deliveryProblem, judgeLoad, phasesOf, phaseStats, phaseTable, recovery, type LoadLimits } from '../../../harness/load/judge.ts';
import { judgeRejection, rejectionOnset, servedAgain, type RejectionLimits } from '../../../harness/load/judge-rejection.ts';
import { series, T0, win, type Sec } from './series.ts';

const limits: LoadLimits = { maxFaultErrorRate: 0.05, maxP95Ratio: 3, recoverWithin: 10_000 };
const ok = (n: number, per = 20, ms = 10): Sec[] => Array.from({ length: n }, () => ({ ok: per, ms }));
const away = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 0, ms: 0, errors: 20 }));
/** A second in which requests were offered but none was sent (no outcome). */
const idle: Sec = { ok: 0, ms: 0, dropped: 1 };

describe('load judge: phases and the recovery window at their bounds', () => {
  it('a second whose middle is the span end belongs to the next span', () => {
    const s = series(ok(10));
    assert.equal(phaseStats('steady', s, { start: T0, end: T0 + 4500 }).seconds, 4);
    assert.equal(phaseStats('fault', s, { start: T0 + 4500, end: T0 + 6500 }).seconds, 2);
  });

  it('the recovery looks neither at a second that ended when the fault started nor at one starting at the end', () => {
    // The last steady second has 50% errors (steady 10%, band 11%): it is not an out-of-band second.
    const s = series([...ok(4), { ok: 10, ms: 10, errors: 10 }, ...ok(5), ...away(1)]);
    const w = win(0, 5, 7, 10);
    const steady = phaseStats('steady', s, w.steady);
    assert.equal(steady.errorRate, 0.1);
    // ... and the second after the recovery window, all errors, is not one either.
    assert.deepEqual(recovery(s, w, steady, limits), { band: { errorRate: 0.11, p95: 30.021 }, outOfBand: 0, recoveredAfter: 0 });
  });

  it('reads a series that arrives out of order in time order', () => {
    const s = series([...ok(5), { ok: 0, ms: 0, errors: 20, kind: 'refused' }, { ok: 15, ms: 30, errors: 5 }, ...ok(5)]);
    const w = win(0, 5, 7, 12);
    const inOrder = judgeLoad(s, w, limits).recovery;
    assert.deepEqual(inOrder, { band: { errorRate: 0.01, p95: 30.021 }, outOfBand: 2, recoveredAfter: 2000 });
    assert.deepEqual(judgeLoad([...s].reverse(), w, limits).recovery, inOrder);
  });

  it('a second is out of band by its own error rate: 1 error in 200 is inside a 1% band', () => {
    const s = series([...ok(5, 200), { ok: 199, ms: 10, errors: 1 }, { ok: 199, ms: 10, errors: 1 }, ...ok(3, 200)]);
    assert.deepEqual(judgeLoad(s, win(0, 5, 7, 10), limits).recovery, { band: { errorRate: 0.01, p95: 30.021 }, outOfBand: 0, recoveredAfter: 0 });
  });

  it('a second is out of band by its p95 alone; a p95 exactly at the band is inside', () => {
    const slow = series([...ok(5), ...ok(2, 20, 100), ...ok(3)]);
    assert.deepEqual(judgeLoad(slow, win(0, 5, 7, 10), limits).recovery, { band: { errorRate: 0.01, p95: 30.021 }, outOfBand: 2, recoveredAfter: 2000 });
    // Ratio 1: the band is the steady p95 itself, which every second here has.
    const j = judgeLoad(series(ok(10)), win(0, 5, 7, 10), { ...limits, maxP95Ratio: 1 });
    assert.deepEqual(j.recovery, { band: { errorRate: 0.01, p95: 10.007 }, outOfBand: 0, recoveredAfter: 0 });
    assert.deepEqual([j.checks[1]?.observed, j.checks[1]?.passed], ['p95 10.007ms during the fault vs 10.007ms steady (1.00×)', true]);
  });

  it('a p95 ratio of 0 sets no latency band: only errors take a second out of it', () => {
    const s = series([...ok(5), ...ok(2, 20, 100), ...ok(3)]);
    const w = win(0, 5, 7, 10);
    const zero = { ...limits, maxP95Ratio: 0 };
    assert.deepEqual(recovery(s, w, phaseStats('steady', s, w.steady), zero), { band: { errorRate: 0.01, p95: 0 }, outOfBand: 0, recoveredAfter: 0 });
  });

  it('a series whose last out-of-band second is followed only by seconds without requests has not recovered', () => {
    const s = series([...ok(5), ...away(1), idle]);
    const j = judgeLoad(s, win(0, 5, 7, 7), limits);
    assert.equal(j.driverProblem, undefined);
    assert.deepEqual(j.recovery, { band: { errorRate: 0.01, p95: 30.021 }, outOfBand: 1, recoveredAfter: undefined });
  });
});

describe('load judge: limits met exactly, texts and evidence', () => {
  const broke = () => series([...ok(5), { ok: 0, ms: 0, errors: 20, kind: 'refused' }, { ok: 15, ms: 30, errors: 5 }, ...ok(5)]);

  it('recovered exactly at the bound passes, and a rate of exactly 0.1% is shown with one decimal', () => {
    const j = judgeLoad(broke(), win(0, 5, 7, 12), { ...limits, recoverWithin: 2000, maxFaultErrorRate: 0.001 });
    assert.deepEqual([j.checks[2]?.observed, j.checks[2]?.passed], ["back in band 2.0s after the fault's start (2 s out of band)", true]);
    assert.equal(j.checks[0]?.expected, 'at most 0.1% of requests fail during the fault');
  });

  it('names the floor when the steady p95 is below it', () => {
    const j = judgeLoad(series([...ok(5, 20, 1), ...ok(2, 20, 2), ...ok(3, 20, 1)]), win(0, 5, 7, 10), limits);
    assert.equal(j.checks[1]?.observed, 'p95 2ms during the fault vs 1ms steady (0.20× of the 10ms floor)');
  });

  it('every check carries the phases without their outcome counts, the windows, and its own figures', () => {
    const w = win(0, 5, 7, 12);
    const j = judgeLoad(broke(), w, limits);
    const ev = j.checks[0]?.evidence as { phases: Record<string, unknown>[]; windows: unknown };
    assert.deepEqual(ev.windows, w);
    assert.deepEqual(ev.phases[1], { phase: 'fault', seconds: 2, offered: 40, sent: 40, requests: 40, errors: 25, errorRate: 0.625, p50: 30.015, p95: 30.015, p99: 30.015, max: 30.015 });
    assert.equal(ev.phases.length, 3);
    assert.deepEqual({ ratio: j.checks[1]?.evidence?.ratio, referenceP95: j.checks[1]?.evidence?.referenceP95 }, { ratio: 30.015 / 10.007, referenceP95: 10.007 });
    assert.deepEqual(j.checks[2]?.evidence?.recovery, { band: { errorRate: 0.01, p95: 30.021 }, outOfBand: 2, recoveredAfter: 2000 });
    // The error rate in the evidence is rounded to four decimals.
    const third = judgeLoad(series([...ok(5), { ok: 2, ms: 10, errors: 1 }, ...ok(5)]), win(0, 5, 6, 11), limits);
    assert.equal((third.checks[0]?.evidence as typeof ev).phases[1]?.errorRate, 0.3333);
  });

  it('the table names its columns', () => {
    assert.deepEqual(phaseTable(judgeLoad(broke(), win(0, 5, 7, 12), limits)).columns, ['phase', 'seconds', 'offered', 'sent', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms']);
  });

  it('a driver that sent exactly the minimum share delivered its load', () => {
    const { phases, evidence } = phasesOf(series(Array.from({ length: 10 }, () => ({ ok: 18, ms: 10, dropped: 2 }))), win(0, 5, 7, 10));
    assert.equal(phases.reduce((n, p) => n + p.sent, 0) / phases.reduce((n, p) => n + p.offered, 0), 0.9);
    assert.equal(deliveryProblem(phases, undefined, evidence), undefined);
    assert.equal(deliveryProblem(phases, undefined, evidence, 0.91)?.driverProblem, 'the load driver sent 180 of 200 offered requests (90.0%, below 91.0%)');
  });
});

describe('rejection judge at its bounds', () => {
  const rl: RejectionLimits = { rejectWithin: 5000, serveWithin: 5000, maxErrorRate: 0.05 };

  it('the fault holds the second whose middle is its start, not the one whose middle is its end', () => {
    assert.deepEqual(rejectionOnset(series([...ok(6), ...away(2)]), { start: T0 + 5500, end: T0 + 8000 }), { lastServedEnd: T0 + 6000, leakMs: 500, rejectedAfter: 2 });
    assert.deepEqual(rejectionOnset(series([...ok(5), ...away(2), ...ok(1)]), { start: T0 + 5000, end: T0 + 7500 }), { lastServedEnd: undefined, leakMs: 0, rejectedAfter: 2 });
  });

  it('reads out-of-order seconds in time order', () => {
    const s = series([...ok(7), ...away(1), ...away(2), ...ok(1), ...ok(2)]);
    const fault = { start: T0 + 5000, end: T0 + 8000 };
    assert.deepEqual(rejectionOnset([...s].reverse(), fault), { lastServedEnd: T0 + 7000, leakMs: 2000, rejectedAfter: 1 });
    const after = series([...ok(5), ...away(6), ...ok(2)]);
    assert.deepEqual(servedAgain([...after].reverse(), win(0, 5, 10, 13), 0.05), { servedAfter: 1000, badSeconds: 1 });
  });

  it('a second without requests is neither turned away nor served', () => {
    assert.deepEqual(rejectionOnset(series([...ok(6), idle]), { start: T0 + 5000, end: T0 + 7000 }), { lastServedEnd: T0 + 6000, leakMs: 1000, rejectedAfter: 0 });
    assert.deepEqual(servedAgain(series([...ok(5), ...away(6), idle]), win(0, 5, 10, 12), 0.05), { badSeconds: 1 });
  });

  it('a second at exactly the error limit counts as served again', () => {
    assert.deepEqual(servedAgain(series([...ok(5), ...away(5), { ok: 19, ms: 3, errors: 1 }, ...ok(1)]), win(0, 5, 10, 12), 0.05), { servedAfter: 0, badSeconds: 0 });
  });

  it('served until exactly the bound passes; carries its onset, what came back, and its measurements', () => {
    const j = judgeRejection(series([...ok(7), ...away(3), ...away(1), ...ok(4)]), win(0, 5, 10, 15), { ...rl, rejectWithin: 2000, serveWithin: 1000 });
    assert.deepEqual(j.checks.map((c) => [c.observed, c.passed]), [
      ["last request served 2.0s after the fault's start; then 3 s of requests all turned away (fault: 40 2xx, 60 reset)", true],
      ["served again 1.0s after the fault's end (1 s over the limit; after the fault: 80 2xx, 20 reset)", true],
    ]);
    assert.deepEqual(j.checks[0]?.evidence?.onset, { lastServedEnd: T0 + 7000, leakMs: 2000, rejectedAfter: 3 });
    assert.deepEqual(j.checks[1]?.evidence?.servedAgain, { servedAfter: 1000, badSeconds: 1 });
    assert.deepEqual(j.measurements, [
      { name: 'load-fault-served-for', value: 2000, unit: 'ms', description: 'fault start → end of the last second with a served request (the change propagating, as the load saw it; 1 s resolution)' },
      { name: 'load-served-again-after', value: 1000, unit: 'ms', description: 'fault end → every second back under the error limit (1 s resolution)' },
    ]);
  });

  it('still served at the end of the fault: says how many of the requests were served', () => {
    const j = judgeRejection(series([...ok(5), ...Array.from({ length: 5 }, () => ({ ok: 15, ms: 3, errors: 5 })), ...ok(5)]), win(0, 5, 10, 15), rl);
    assert.equal(j.checks[0]?.observed, 'requests were still served at the end of the fault (75 of 100 served: 75 2xx, 25 reset)');
  });
});
