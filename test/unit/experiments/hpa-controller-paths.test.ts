// Every path of the HPA controller's calculation (recommendReplicas) with the whole recommendation
// compared, its rule text included: the rule is what a user reads when the HPA disagrees with the
// formula. And the sample judge at the bounds of its lag and stabilization windows.
import assert from 'node:assert/strict';
import { judgeSamples, recommendReplicas, type ControllerInput, type PodMetricView, type PodView } from '../../../experiments/hpa-cpu/formula.ts';

const now = 1_000_000_000;
/** A Running pod started `age` ms ago, Ready since `readyFor` ms, requesting 100m. */
const pod = (name: string, o: { age?: number; readyFor?: number; ready?: string | null; phase?: string; request?: number } = {}): PodView => ({
  name,
  phase: o.phase ?? 'Running',
  deleting: false,
  ready: o.ready === null ? undefined : { status: o.ready ?? 'True', lastTransitionMs: now - (o.readyFor ?? 600_000) },
  startTimeMs: now - (o.age ?? 600_000),
  requestMilli: o.request ?? 100,
});
const metric = (milli: number, o: { ageMs?: number; windowMs?: number } = {}): PodMetricView => ({ milli, timestampMs: now - (o.ageMs ?? 1000), windowMs: o.windowMs ?? 15_000 });
const calc = (i: Partial<ControllerInput> & Pick<ControllerInput, 'currentReplicas' | 'pods' | 'metrics'>) =>
  recommendReplicas({ targetUtilization: 50, minReplicas: 1, maxReplicas: 10, nowMs: now, ...i });

describe('hpa-cpu: every path of the controller calculation', () => {
  it('plain scale-up: the rule shows the formula it applied', () => {
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b')], metrics: { a: metric(100), b: metric(100) } });
    assert.deepEqual(r, { needed: 4, clamped: 4, ratio: 2, withinTolerance: false, utilization: 100, ready: 2, unready: [], missing: [], rule: 'ceil(2 × 100% / 50%)' });
  });

  it('within tolerance: the current replicas kept, and said so', () => {
    const r = calc({ currentReplicas: 3, pods: [pod('a'), pod('b')], metrics: { a: metric(50), b: metric(52) } });
    assert.deepEqual(r, { needed: 3, clamped: 3, ratio: 1.02, withinTolerance: true, utilization: 51, ready: 2, unready: [], missing: [], rule: 'within tolerance: kept' });
  });

  it('a Pending pod is unready, not missing, and on a scale-up counts at 0%', () => {
    // 200m of 100m (200%) on a, b Pending at 0%: 200m of 200m is 100%, ratio 2 → ceil(2 × 2) = 4.
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b', { phase: 'Pending' })], metrics: { a: metric(200) } });
    assert.deepEqual(r, { needed: 4, clamped: 4, ratio: 2, withinTolerance: false, utilization: 200, ready: 1, unready: ['b'], missing: [], rule: '1 unready, 0 without metrics: ceil(2 × 100% / 50%)' });
  });

  it('unready pods on a scale-up that turn the direction keep the replicas', () => {
    // 200m over four pods' 400m is 50%: on target, kept.
    const pods = [pod('a'), pod('b', { phase: 'Pending' }), pod('c', { phase: 'Pending' }), pod('d', { phase: 'Pending' })];
    const r = calc({ currentReplicas: 4, pods, metrics: { a: metric(200) } });
    assert.deepEqual(r, { needed: 4, clamped: 4, ratio: 1, withinTolerance: true, utilization: 200, ready: 1, unready: ['b', 'c', 'd'], missing: [], rule: '3 unready, 0 without metrics: kept (the adjusted ratio 50% is within tolerance or turns the direction)' });
  });

  it('unready pods on a scale-down are left out, not counted at 0%', () => {
    // a at 10% alone: ceil(1 × 10 / 50) = 1; counting the Pending b at 0% would not change the
    // result but the rule would name the adjustment.
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b', { phase: 'Pending' })], metrics: { a: metric(10) } });
    assert.deepEqual(r, { needed: 1, clamped: 1, ratio: 0.2, withinTolerance: false, utilization: 10, ready: 1, unready: ['b'], missing: [], rule: 'ceil(1 × 10% / 50%)' });
  });

  it('a missing pod on a scale-down counts as fully used, and a Pending one is not counted with it', () => {
    // a 10m, b (no metrics) at 100m: 110m of 200m = 55%, within tolerance: kept. Counting c at 0%
    // too would make it 36%.
    const r = calc({ currentReplicas: 3, pods: [pod('a'), pod('b'), pod('c', { phase: 'Pending' })], metrics: { a: metric(10) } });
    assert.deepEqual(r, { needed: 3, clamped: 3, ratio: 1.1, withinTolerance: true, utilization: 10, ready: 1, unready: ['c'], missing: ['b'], rule: '1 unready, 1 without metrics: kept (the adjusted ratio 55% is within tolerance or turns the direction)' });
  });

  it('a missing pod on a scale-down counts at the target when the target is above 100%', () => {
    // a 0m; b, c, d without metrics at 150m each: 450m of 400m = 112%, ratio 0.7466… → ceil(2.98…) = 3 ≤ 3.
    const pods = [pod('a'), pod('b'), pod('c'), pod('d')];
    const r = calc({ currentReplicas: 3, targetUtilization: 150, pods, metrics: { a: metric(0) } });
    assert.deepEqual(r, { needed: 3, clamped: 3, ratio: 112 / 150, withinTolerance: false, utilization: 0, ready: 1, unready: [], missing: ['b', 'c', 'd'], rule: '0 unready, 3 without metrics: ceil(4 × 112% / 150%)' });
    // With 5 current replicas the same 3 is still a scale-down: applied.
    assert.equal(calc({ currentReplicas: 5, targetUtilization: 150, pods, metrics: { a: metric(0) } })?.rule, '0 unready, 3 without metrics: ceil(4 × 112% / 150%)');
    // With 2 current replicas, 3 would be a scale-up on a scale-down ratio: kept.
    assert.deepEqual(calc({ currentReplicas: 2, targetUtilization: 150, pods, metrics: { a: metric(0) } }), {
      needed: 2, clamped: 2, ratio: 112 / 150, withinTolerance: false, utilization: 0, ready: 1, unready: [], missing: ['b', 'c', 'd'], rule: '0 unready, 3 without metrics: kept (the pod count would turn the direction)',
    });
  });

  it('a missing pod on a scale-down that turns the ratio above 1 keeps the replicas', () => {
    // Target 20%: a at 10% (ratio 0.5); b missing at 100m: 110m of 200m = 55%, ratio 2.75.
    const r = calc({ currentReplicas: 2, targetUtilization: 20, pods: [pod('a'), pod('b')], metrics: { a: metric(10) } });
    assert.deepEqual(r, { needed: 2, clamped: 2, ratio: 2.75, withinTolerance: false, utilization: 10, ready: 1, unready: [], missing: ['b'], rule: '0 unready, 1 without metrics: kept (the adjusted ratio 55% is within tolerance or turns the direction)' });
  });

  it('missing pods on a scale-up count at 0%', () => {
    // a at 200m of 100m (ratio 4); b at 0: 200m of 200m = 100%, ratio 2 → ceil(2 × 2) = 4.
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b')], metrics: { a: metric(200) } });
    assert.deepEqual(r, { needed: 4, clamped: 4, ratio: 2, withinTolerance: false, utilization: 200, ready: 1, unready: [], missing: ['b'], rule: '0 unready, 1 without metrics: ceil(2 × 100% / 50%)' });
    // Four missing at 0%: 200m of 500m = 40%, ratio 0.8: the direction turns, kept.
    const five = calc({ currentReplicas: 5, pods: ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n)), metrics: { a: metric(200) } });
    assert.deepEqual(five, { needed: 5, clamped: 5, ratio: 0.8, withinTolerance: false, utilization: 200, ready: 1, unready: [], missing: ['b', 'c', 'd', 'e'], rule: '0 unready, 4 without metrics: kept (the adjusted ratio 40% is within tolerance or turns the direction)' });
  });

  it('missing pods exactly on target are neither idle nor full: kept', () => {
    // a at 50% (ratio 1.0): b is left out; counted idle it would say 1, counted full 3.
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b')], metrics: { a: metric(50) } });
    assert.deepEqual(r, { needed: 2, clamped: 2, ratio: 1, withinTolerance: true, utilization: 50, ready: 1, unready: [], missing: ['b'], rule: '0 unready, 1 without metrics: kept (the adjusted ratio 50% is within tolerance or turns the direction)' });
  });

  it('a scale-up whose pod count would fall below the current replicas keeps them; equal to them it applies', () => {
    // a 200m, b Pending: 100%, ratio 2 → ceil(2 × 2) = 4.
    const pods = [pod('a'), pod('b', { phase: 'Pending' })];
    assert.deepEqual(calc({ currentReplicas: 10, pods, metrics: { a: metric(200) } }), {
      needed: 10, clamped: 10, ratio: 2, withinTolerance: false, utilization: 200, ready: 1, unready: ['b'], missing: [], rule: '1 unready, 0 without metrics: kept (the pod count would turn the direction)',
    });
    assert.equal(calc({ currentReplicas: 4, pods, metrics: { a: metric(200) } })?.rule, '1 unready, 0 without metrics: ceil(2 × 100% / 50%)');
  });

  it('a pod without a Ready condition is unready; a zero request has nothing to divide', () => {
    const r = calc({ currentReplicas: 2, pods: [pod('a'), pod('b', { ready: null })], metrics: { a: metric(50), b: metric(50) } });
    assert.deepEqual(r?.unready, ['b']);
    assert.equal(r?.ready, 1);
    assert.equal(calc({ currentReplicas: 1, pods: [pod('a', { request: 0 })], metrics: { a: metric(10) } }), undefined);
  });
});

describe('hpa-cpu: the CPU initialisation period and the readiness delay at their bounds', () => {
  const two = (b: PodView, m: PodMetricView = metric(50)) => calc({ currentReplicas: 2, pods: [pod('a'), b], metrics: { a: metric(50), b: m } });

  it('a pod exactly at the end of the initialisation period is judged as a settled one', () => {
    // Started 300 s ago, not Ready since 240 s, which is after start + 30 s: it was Ready once, counted.
    assert.deepEqual(two(pod('b', { age: 300_000, ready: 'False', readyFor: 240_000 }))?.unready, []);
  });

  it('within the period a not-Ready pod is unready even when measured after it turned', () => {
    assert.deepEqual(two(pod('b', { age: 60_000, ready: 'False', readyFor: 40_000 }))?.unready, ['b']);
  });

  it('within the period a metric taken exactly one window after Ready counts', () => {
    // Ready 20 s ago, window 15 s, metric 5 s old: taken exactly Ready + window.
    assert.deepEqual(two(pod('b', { age: 60_000, readyFor: 20_000 }), metric(50, { ageMs: 5000 }))?.unready, []);
  });

  it('past the period a pod that turned not-Ready exactly at start + the readiness delay counts', () => {
    assert.deepEqual(two(pod('b', { age: 600_000, ready: 'False', readyFor: 570_000 }))?.unready, []);
  });
});

describe('hpa-cpu: the sample judge at its bounds', () => {
  const opts = { lagMs: 20_000, downWindowMs: 30_000 };
  const s = (sec: number, current: number, desired: number, predicted: number) => ({ at: sec * 1000, currentReplicas: current, desiredReplicas: desired, predicted });

  it('a prediction made after the sample is not one it could follow', () => {
    const r = judgeSamples([s(0, 6, 6, 2), s(10, 6, 6, 6)], opts);
    assert.deepEqual(r.verdicts.map((v) => [v.deviation, v.allowed]), [[4, [[2, 2]]], [0, [[2, 6]]]]);
  });

  it('a prediction exactly the lag before the sample may still be followed', () => {
    const r = judgeSamples([s(0, 1, 4, 4), s(20, 1, 4, 1)], opts);
    assert.deepEqual(r.verdicts.map((v) => v.deviation), [0, 0]);
    assert.deepEqual(r.verdicts[1]?.allowed, [[1, 1], [4, 4]]);
  });

  it('the stabilization window reaches exactly window + lag back', () => {
    const r = judgeSamples([s(0, 5, 5, 5), s(50, 5, 5, 1)], opts);
    assert.deepEqual(r.verdicts[1]?.allowed, [[1, 5]]);
    assert.equal(r.worst?.deviation, 0);
  });

  it('a scale-down may hold anywhere up to the highest prediction in the window, its own included', () => {
    const r = judgeSamples([s(0, 5, 5, 2), s(10, 5, 3, 4)], opts);
    assert.deepEqual(r.verdicts[1]?.allowed, [[2, 4]]);
    assert.equal(r.verdicts[1]?.deviation, 0);
  });

  it('the scale-up cap is twice the current replicas when that is more than current + 4', () => {
    const r = judgeSamples([s(0, 10, 20, 30)], opts);
    assert.deepEqual(r.verdicts[0]?.allowed, [[20, 20], [30, 30]]);
    assert.equal(r.worst?.deviation, 0);
    assert.equal(judgeSamples([s(0, 10, 14, 30)], opts).worst?.deviation, 6);
  });

  it("an HPA's scale-up rules allow anything from the current replicas up to the highest recent prediction", () => {
    const r = judgeSamples([s(0, 1, 1, 5), s(10, 1, 4, 3)], { ...opts, scaleUpLimited: true });
    assert.deepEqual(r.verdicts[1]?.allowed, [[1, 5]]);
    assert.equal(r.verdicts[1]?.deviation, 0);
    // Predicting fewer than the current replicas, the scale-up rules add nothing.
    const down = judgeSamples([s(0, 10, 9, 2)], { ...opts, scaleUpLimited: true });
    assert.deepEqual(down.verdicts[0]?.allowed, [[2, 2]]);
    assert.equal(down.worst?.deviation, 7);
  });

  it('keeps non-adjacent allowed values apart and joins adjacent ones', () => {
    assert.deepEqual(judgeSamples([s(0, 1, 5, 20)], opts).verdicts[0]?.allowed, [[5, 5], [20, 20]]);
    assert.deepEqual(judgeSamples([s(0, 4, 4, 4), s(10, 4, 5, 5)], opts).verdicts[1]?.allowed, [[4, 5]]);
  });

  it('names the first of equally deviating samples as the worst, and no worst without samples', () => {
    const r = judgeSamples([s(0, 4, 6, 4), s(15, 4, 6, 4)], opts);
    assert.deepEqual(r.verdicts.map((v) => v.deviation), [2, 2]);
    assert.equal(r.worst?.at, 0);
    assert.deepEqual(judgeSamples([], opts), { verdicts: [] });
  });
});
