// What a continuous probe's check says: the limit in its expected text (two decimals under 1 %),
// the served count and failure share, the three most frequent failures, first and last failure,
// and the verify step that is skipped when the probe is off.
import assert from 'node:assert/strict';
import { judgeProbe, probeHeld } from '../../../harness/checks/probe.ts';
import type { ContinuousProbe, ProbeSample } from '../../../harness/probes/continuous.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const sample = (s: number, ok: boolean, detail = 'HTTP 200'): ProbeSample => ({ at: at(s), phase: 'inject', ok, ms: 5, detail });

describe('checks: what a probe check says', () => {
  it('states the limit: "every attempt" at 0, two decimals under 1 %, one from 1 % up', () => {
    const s = [sample(0, true)];
    assert.equal(judgeProbe('http', s, 'fault', 0).expected, 'every attempt during fault served');
    assert.equal(judgeProbe('http', s, 'fault', 0.005).expected, 'at most 0.50% of attempts during fault failed');
    assert.equal(judgeProbe('http', s, 'fault', 0.01).expected, 'at most 1.0% of attempts during fault failed');
    assert.equal(judgeProbe('http', s, 'fault', 0.2).expected, 'at most 20.0% of attempts during fault failed');
  });

  it('all served: the count and 0.0 % failed, nothing more', () => {
    assert.equal(judgeProbe('http', [sample(0, true), sample(1, true), sample(2, true)], 'fault', 0).observed, '3/3 served (0.0% failed)');
  });

  it('names the three most frequent failures, most frequent first, with the first and last failure', () => {
    const s = [sample(0, false, 'A'), sample(1, false, 'B'), sample(2, false, 'B'), sample(3, false, 'C'), sample(4, false, 'B'), sample(5, false, 'C'), sample(6, false, 'D'), ...Array.from({ length: 13 }, (_, i) => sample(7 + i, true))];
    const c = judgeProbe('http', s, 'fault', 0.5);
    assert.equal(c.observed, '13/20 served (35.0% failed): B ×3; C ×2; A ×1');
    assert.deepEqual(c.evidence, { attempts: 20, failed: 7, firstFailure: at(0), lastFailure: at(6) });
  });

  it('the verify step describes the limit, or that it is skipped; off, it records nothing', async () => {
    const samples = [sample(0, true), sample(1, false, 'reset')];
    const probe = (on: boolean) => ({ name: 'http', enabled: () => on, samples: 'probe:http' }) as unknown as ContinuousProbe<{ limit: number }, unknown>;
    const checks: { name: string; observed: string }[] = [];
    const ctx = (on: boolean) => ({ params: { limit: 0.5 }, results: { get: () => (on ? samples : undefined) }, record: { check: (c: { name: string; observed: string }) => checks.push(c) } });
    const on = probeHeld(probe(true), 'fault', (p) => p.limit);
    assert.equal(on.describe({ limit: 0.5 }), 'http: at most 50.0% of attempts during fault failed');
    await on.run(ctx(true) as never);
    assert.deepEqual(checks.map((c) => [c.name, c.observed]), [['http-during-fault', '1/2 served (50.0% failed): reset ×1']]);
    const off = probeHeld(probe(false), 'fault', (p) => p.limit);
    assert.equal(off.describe({ limit: 0.5 }), 'skipped (http is off)');
    await off.run(ctx(false) as never);
    assert.equal(checks.length, 1);
  });
});
