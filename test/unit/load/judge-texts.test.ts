// What the load checks say: each check's expected and observed text is what a reader of the
// report acts on, so the figures in it are asserted exactly on series whose figures are known.
import assert from 'node:assert/strict';
import { judgeLoad, phaseTable, type LoadLimits } from '../../../harness/load/judge.ts';
import { judgeRejection, type RejectionLimits } from '../../../harness/load/judge-rejection.ts';
import { series, win, type Sec } from './series.ts';

const limits: LoadLimits = { maxFaultErrorRate: 0.05, maxP95Ratio: 3, recoverWithin: 10_000 };
const steady = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 20, ms: 10 }));
const texts = (j: { checks: { name: string; expected: string; observed: string; passed: boolean | 'error' }[] }) => j.checks.map((c) => [c.name, c.expected, c.observed, c.passed]);

describe('load: what the checks say', () => {
  it('a fault that broke requests: counts by outcome, the p95 ratio, and when the band came back', () => {
    const s = series([...steady(5), { ok: 0, ms: 0, errors: 20, kind: 'refused' }, { ok: 15, ms: 30, errors: 5 }, ...steady(5)]);
    const j = judgeLoad(s, win(0, 5, 7, 12), limits);
    assert.deepEqual(texts(j), [
      ['load-errors-during-fault', 'at most 5.0% of requests fail during the fault', '25 of 40 failed (62.5%; steady 0.0%): 5 reset, 20 refused', false],
      ['load-p95-during-fault', 'p95 latency during the fault at most 3× the steady p95 (at least 10ms)', 'p95 30.015ms during the fault vs 10.007ms steady (3.00×)', true],
      ['load-recovered', "back in the steady band (error rate ≤ 1.0%, p95 ≤ 30.021ms) within 10.0s of the fault's start", "back in band 2.0s after the fault's start (2 s out of band)", true],
    ]);
    assert.deepEqual(phaseTable(j).rows, [
      ['steady', 5, 100, 100, 0, '0.0%', 10.007, 10.007, 10.007, 10.007],
      ['fault', 2, 40, 40, 25, '62.5%', 30.015, 30.015, 30.015, 30.015],
      ['recovery', 5, 100, 100, 0, '0.0%', 10.007, 10.007, 10.007, 10.007],
    ]);
    assert.equal(phaseTable(j).title, "Load per phase (what the service's users saw)");
  });

  it('an unnoticed fault never left the band; the floor and the slack given are the ones used', () => {
    const j = judgeLoad(series([...steady(5), ...steady(2), ...steady(3)]), win(0, 5, 7, 10), { ...limits, p95FloorMs: 5, bandErrorSlack: 0.002 });
    assert.deepEqual(texts(j), [
      ['load-errors-during-fault', 'at most 5.0% of requests fail during the fault', '0 of 40 failed (0.0%; steady 0.0%)', true],
      ['load-p95-during-fault', 'p95 latency during the fault at most 3× the steady p95 (at least 5ms)', 'p95 10.007ms during the fault vs 10.007ms steady (1.00×)', true],
      ['load-recovered', "back in the steady band (error rate ≤ 0.2%, p95 ≤ 30.021ms) within 10.0s of the fault's start", 'never left the steady band', true],
    ]);
    assert.deepEqual(j.recovery, { band: { errorRate: 0.002, p95: 30.021 }, outOfBand: 0, recoveredAfter: 0 });
  });

  it('a series that ends out of band has not recovered, and says how long it was out', () => {
    const j = judgeLoad(series([...steady(5), { ok: 0, ms: 0, errors: 20 }, { ok: 0, ms: 0, errors: 20 }]), win(0, 5, 7, 7), limits);
    assert.deepEqual(j.checks.map((c) => [c.observed, c.passed]), [
      ['40 of 40 failed (100.0%; steady 0.0%): 40 reset', false],
      ['p95 0ms during the fault vs 10.007ms steady (0.00×)', true],
      ['still out of band when the load ended (2 s out of band)', false],
    ]);
  });

  it('a rate under 0.1% keeps three decimals, so a limit of 0.05% is not shown as 0.1%', () => {
    const j = judgeLoad(series([...steady(5), ...steady(2), ...steady(3)]), win(0, 5, 7, 10), { ...limits, maxFaultErrorRate: 0.0005 });
    assert.equal(j.checks[0]?.expected, 'at most 0.050% of requests fail during the fault');
  });

  it('a driver that sent too little names what it sent of what it offered, as an error check', () => {
    const j = judgeLoad(series([...steady(5).map((x) => ({ ...x, dropped: 5 })), ...steady(2)]), win(0, 5, 7, 7), limits);
    assert.equal(j.driverProblem, 'the load driver sent 140 of 165 offered requests (84.8%, below 90.0%)');
    assert.deepEqual(j.checks.map((c) => [c.name, c.expected, c.observed, c.passed]), [['load-delivered', 'the driver sends at least 90.0% of the offered requests in every phase', 'the load driver sent 140 of 165 offered requests (84.8%, below 90.0%)', 'error']]);
    assert.equal(judgeLoad(series([...steady(5).map((x) => ({ ...x, dropped: 5 })), ...steady(2)]), win(0, 5, 7, 7), { ...limits, minDelivered: 0.8 }).driverProblem, undefined);
  });
});

describe('load: what the rejection checks say', () => {
  const rl: RejectionLimits = { rejectWithin: 5000, serveWithin: 5000, maxErrorRate: 0.05 };
  const ok = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 20, ms: 3 }));
  const away = (n: number): Sec[] => Array.from({ length: n }, () => ({ ok: 0, ms: 0, errors: 20 }));

  it('turned away throughout the fault, served again after two seconds', () => {
    const j = judgeRejection(series([...ok(5), ...away(5), ...away(2), ...ok(3)]), win(0, 5, 10, 15), rl);
    assert.deepEqual(texts(j), [
      ['load-rejected-during-fault', "requests stop being served within 5.0s of the fault's start and none is served again until it ends", 'no request was served during the fault; then 5 s of requests all turned away (fault: 100 reset)', true],
      ['load-served-after-fault', "within 5.0s of the fault's end, every second has at most 5.0% errors", "served again 2.0s after the fault's end (2 s over the limit; after the fault: 60 2xx, 40 reset)", true],
    ]);
    assert.deepEqual(j.measurements?.map((m) => [m.name, m.value]), [['load-fault-served-for', 0], ['load-served-again-after', 2000]]);
    assert.deepEqual(j.recovery, { band: { errorRate: 0.05, p95: 0 }, outOfBand: 2, recoveredAfter: 2000 });
  });

  it('served all through the fault and rejected after it: both are findings, with what was seen', () => {
    const j = judgeRejection(series([...ok(5), ...ok(5), ...away(5)]), win(0, 5, 10, 15), rl);
    assert.deepEqual(j.checks.map((c) => [c.observed, c.passed]), [
      ['requests were still served at the end of the fault (100 of 100 served: 100 2xx)', false],
      ['still over 5.0% errors when the load ended (5 s; after the fault: 100 reset)', false],
    ]);
    assert.deepEqual(j.measurements?.map((m) => m.name), ['load-fault-served-for']);
  });

  it('a gap in any phase is a driver problem with no measurement', () => {
    assert.equal(judgeRejection(series([...ok(5), ...away(5)]), win(0, 5, 10, 15), rl).driverProblem, 'the load did not cover the window after the fault');
    assert.deepEqual(judgeRejection(series([...ok(5), ...away(5)]), win(0, 5, 10, 15), rl).measurements, []);
    assert.equal(judgeRejection(series([...ok(5)]), win(0, 5, 10, 15), rl).driverProblem, 'the load did not cover the fault window');
    assert.equal(judgeRejection(series([...away(0), ...ok(5)]), win(5, 6, 10, 15), rl).driverProblem, 'the load driver completed no request before the fault');
  });
});
