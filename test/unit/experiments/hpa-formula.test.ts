import assert from 'node:assert/strict';
import { effectiveUtilization, millicores, predictReplicas } from '../../../experiments/hpa-cpu/formula.ts';
import { judgeSamples } from '../../../experiments/hpa-cpu/formula.ts';

describe('hpa-cpu: the replica formula', () => {
  const base = { targetUtilization: 50, minReplicas: 1, maxReplicas: 10 };

  it('reproduces the worked example of the source notes: 2 pods at 300m of 200m requests, target 50% → 6', () => {
    // 300m of 200m = 150% utilisation.
    assert.equal(predictReplicas({ ...base, currentReplicas: 2, currentUtilization: 150 }).clamped, 6);
  });

  it('scales in: six pods at 50m of 200m (25%) → 3', () => {
    assert.equal(predictReplicas({ ...base, currentReplicas: 6, currentUtilization: 25 }).clamped, 3);
  });

  it('never goes below minReplicas, and reports what was needed apart from the clamp', () => {
    const p = predictReplicas({ ...base, minReplicas: 2, currentReplicas: 2, currentUtilization: 10 });
    assert.equal(p.needed, 1);
    assert.equal(p.clamped, 2);
  });

  it('clamps to maxReplicas while `needed` shows the load wanted more', () => {
    const p = predictReplicas({ ...base, maxReplicas: 2, currentReplicas: 1, currentUtilization: 200 });
    assert.equal(p.needed, 4);
    assert.equal(p.clamped, 2);
  });

  it('leaves replicas unchanged within the 10% tolerance', () => {
    const p = predictReplicas({ ...base, currentReplicas: 4, currentUtilization: 54 });
    assert.ok(p.withinTolerance);
    assert.equal(p.clamped, 4);
    assert.equal(predictReplicas({ ...base, currentReplicas: 4, currentUtilization: 56 }).clamped, 5);
  });

  it('reads CPU quantities in millicores', () => {
    assert.equal(millicores('200m'), 200);
    assert.equal(millicores('0.5'), 500);
    assert.equal(millicores('1'), 1000);
    assert.equal(millicores('1500000n'), 1.5);
  });
});

describe('hpa-cpu: utilisation with pods that have no metrics yet', () => {
  const base = { requestPerPod: 100, targetUtilization: 50 };

  it('is the plain average when every pod is measured', () => {
    assert.deepEqual(effectiveUtilization({ ...base, pods: ['a', 'b'], usage: { a: 200, b: 0 } }), { utilization: 100, replicas: 2, missing: 0 });
  });

  it('counts unmeasured pods as idle when the measured ones point to a scale-up', () => {
    // 200m over the 3 measured pods is 66%; with the new 4th pod at 0 it is 50%: no further scale-up.
    const e = effectiveUtilization({ ...base, pods: ['a', 'b', 'c', 'd'], usage: { a: 200, b: 0, c: 0 } });
    assert.equal(e?.utilization, 50);
    assert.equal(e?.replicas, 4);
  });

  it('counts unmeasured pods as fully used when the measured ones point to a scale-down', () => {
    const e = effectiveUtilization({ ...base, pods: ['a', 'b'], usage: { a: 10 } });
    assert.ok(Math.abs((e?.utilization ?? 0) - 55) < 1e-9, String(e?.utilization));
  });

  it('has nothing to say without any measured pod', () => {
    assert.equal(effectiveUtilization({ ...base, pods: ['a'], usage: {} }), undefined);
  });
});

describe('hpa formula: judging every sample', () => {
  const opts = { lagMs: 20_000, downWindowMs: 30_000 };
  const s = (sec: number, current: number, desired: number, predicted: number) => ({ at: sec * 1000, currentReplicas: current, desiredReplicas: desired, predicted });

  it('holds when each decision follows the formula, allowing one sync of lag', () => {
    // Sample 2 still shows the decision made from sample 1's metrics.
    const r = judgeSamples([s(0, 1, 1, 1), s(15, 1, 4, 4), s(30, 4, 4, 5), s(45, 4, 5, 5)], opts);
    assert.equal(r.worst?.deviation, 0);
  });

  it('finds the one sample that deviates and names it as the worst', () => {
    const r = judgeSamples([s(0, 1, 4, 4), s(15, 4, 4, 4), s(60, 4, 9, 4), s(75, 4, 4, 4)], opts);
    assert.equal(r.verdicts.filter((v) => v.deviation > 0).length, 1);
    assert.equal(r.worst?.at, 60_000);
    assert.equal(r.worst?.deviation, 5);
  });

  it('allows the scale-up rate limit and the scale-down stabilization window', () => {
    // 1 → 5 predicted 20 is capped at max(1+4, 2×1) = 5; a scale-down is held at the window's highest prediction.
    assert.equal(judgeSamples([s(0, 1, 5, 20)], opts).worst?.deviation, 0);
    assert.equal(judgeSamples([s(0, 5, 5, 5), s(15, 5, 5, 1), s(30, 5, 5, 1)], opts).worst?.deviation, 0);
    // Past the window the decision must come down.
    assert.ok((judgeSamples([s(0, 5, 5, 5), s(60, 5, 5, 1), s(90, 5, 5, 1), s(120, 5, 5, 1)], opts).worst?.deviation ?? 0) > 0);
  });
});
