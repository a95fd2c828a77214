import assert from 'node:assert/strict';
import { millicores, milliValue, predictReplicas, recommendReplicas, type PodMetricView, type PodView } from '../../../experiments/hpa-cpu/formula.ts';
import { describeAllowed, judgeSamples } from '../../../experiments/hpa-cpu/formula.ts';

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

describe("hpa-cpu: the controller's calculation (recommendReplicas)", () => {
  const now = 1_000_000_000;
  const base = { targetUtilization: 50, minReplicas: 1, maxReplicas: 10, nowMs: now };
  /** A Running, Ready pod started `age` ms ago, Ready since `readyFor` ms, requesting 100m. */
  const pod = (name: string, o: { age?: number; readyFor?: number; ready?: string; phase?: string; deleting?: boolean; request?: number } = {}): PodView => ({
    name,
    phase: o.phase ?? 'Running',
    deleting: o.deleting ?? false,
    ready: { status: o.ready ?? 'True', lastTransitionMs: now - (o.readyFor ?? 600_000) },
    startTimeMs: now - (o.age ?? 600_000),
    requestMilli: 'request' in o ? o.request : 100,
  });
  const metric = (milli: number, o: { ageMs?: number; windowMs?: number } = {}): PodMetricView => ({ milli, timestampMs: now - (o.ageMs ?? 1000), windowMs: o.windowMs ?? 15_000 });

  it('divides in whole percent, as the controller does: 204m of 500m is 40%, so 4 replicas, not 5', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n));
    const r = recommendReplicas({ ...base, currentReplicas: 5, pods, metrics: { a: metric(200), b: metric(1), c: metric(1), d: metric(1), e: metric(1) } });
    assert.equal(r?.utilization, 40);
    assert.equal(r?.clamped, 4);
    // The plain float formula would have said ceil(5 × 40.8 / 50) = 5.
    assert.equal(predictReplicas({ ...base, currentReplicas: 5, currentUtilization: 40.8 }).clamped, 5);
  });

  it('keeps the replicas while a new pod has not been measured for one window since it turned Ready', () => {
    // Four settled pods at 200m of 400m (50%: on target); the fifth turned Ready 10 s ago and its
    // metric (15 s window) is older than Ready + window, so the controller leaves it out. Counting
    // it, the formula would say 4.
    const pods = [...['a', 'b', 'c', 'd'].map((n) => pod(n)), pod('e', { age: 20_000, readyFor: 10_000 })];
    const metrics = { a: metric(200), b: metric(0), c: metric(0), d: metric(0), e: metric(0) };
    const r = recommendReplicas({ ...base, currentReplicas: 5, pods, metrics });
    assert.deepEqual(r?.unready, ['e']);
    assert.equal(r?.clamped, 5);
    assert.match(r?.rule ?? '', /within tolerance/);
    // Once a window has passed since Ready the pod counts, and the formula says 4.
    const later = recommendReplicas({ ...base, currentReplicas: 5, pods: [...pods.slice(0, 4), pod('e', { age: 60_000, readyFor: 40_000 })], metrics });
    assert.deepEqual(later?.unready, []);
    assert.equal(later?.clamped, 4);
  });

  it('on a scale-up counts unready pods at 0%, and keeps the replicas when that turns the direction', () => {
    // One pod at 200% of its request, three new ones still Pending: 200m over 400m is 50%, on target.
    const pods = [pod('a'), pod('b', { phase: 'Pending' }), pod('c', { phase: 'Pending' }), pod('d', { phase: 'Pending' })];
    const r = recommendReplicas({ ...base, currentReplicas: 4, pods, metrics: { a: metric(200) } });
    assert.equal(r?.utilization, 200);
    assert.equal(r?.clamped, 4);
    // With one new pod only, 200m over 200m is 100%: scale up to ceil(2 × 2) = 4.
    const two = recommendReplicas({ ...base, currentReplicas: 2, pods: pods.slice(0, 2), metrics: { a: metric(200) } });
    assert.equal(two?.clamped, 4);
  });

  it('on a scale-down counts pods without metrics as fully used', () => {
    // 10m of 100m (10%) alone says 1; with the unmeasured pod at 100m it is 55%: within tolerance, keep 2.
    const r = recommendReplicas({ ...base, currentReplicas: 2, pods: [pod('a'), pod('b')], metrics: { a: metric(10) } });
    assert.deepEqual(r?.missing, ['b']);
    assert.equal(r?.clamped, 2);
  });

  it('applies the tolerance the way the controller compares it: a ratio of exactly 1.1 keeps the replicas', () => {
    const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n));
    const at = (milli: number) => recommendReplicas({ ...base, currentReplicas: 4, pods, metrics: { a: metric(milli), b: metric(0), c: metric(0), d: metric(0) } });
    assert.equal(at(220)?.clamped, 4); // 55%
    assert.equal(at(224)?.clamped, 5); // 56%
    assert.equal(predictReplicas({ ...base, currentReplicas: 4, currentUtilization: 55 }).clamped, 4);
    // A tolerance of the HPA's own (behavior.scaleUp.tolerance) moves the bound.
    assert.equal(recommendReplicas({ ...base, currentReplicas: 4, pods, metrics: { a: metric(224), b: metric(0), c: metric(0), d: metric(0) }, tolerance: { down: 0.1, up: 0.2 } })?.clamped, 4);
  });

  it('leaves out terminating and failed pods, and past the initialisation period only never-ready pods', () => {
    const pods = [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' }), pod('d', { ready: 'False', readyFor: 60_000 })];
    const r = recommendReplicas({ ...base, currentReplicas: 2, pods, metrics: { a: metric(100), b: metric(100), c: metric(100), d: metric(0) } });
    // d was Ready once (it turned unready long after it started), so it is counted: 100m of 200m.
    assert.equal(r?.ready, 2);
    assert.equal(r?.utilization, 50);
    const neverReady = pod('d', { ready: 'False', age: 600_000, readyFor: 600_000 - 5_000 });
    assert.deepEqual(recommendReplicas({ ...base, currentReplicas: 2, pods: [pod('a'), neverReady], metrics: { a: metric(100), d: metric(0) } })?.unready, ['d']);
  });

  it('has nothing to say without a measured pod or when a pod lacks a CPU request (the controller errors too)', () => {
    assert.equal(recommendReplicas({ ...base, currentReplicas: 1, pods: [pod('a')], metrics: {} }), undefined);
    assert.equal(recommendReplicas({ ...base, currentReplicas: 2, pods: [pod('a'), pod('b', { request: undefined })], metrics: { a: metric(10), b: metric(10) } }), undefined);
  });

  it('reads usage as the controller does, each container rounded up to a whole millicore', () => {
    assert.equal(milliValue('12345n'), 1);
    assert.equal(milliValue('0'), 0);
    assert.equal(milliValue('200m'), 200);
    assert.equal(milliValue('0.1'), 100);
    assert.equal(milliValue('200000001n'), 201);
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

  it("widens for an HPA's own scaling rules, each in its direction only", () => {
    // A scale-up policy of one pod per period: 2 while the formula says 5 is a deviation by default, not under the HPA's rules.
    const slowUp = [s(0, 1, 2, 5)];
    assert.equal(judgeSamples(slowUp, opts).worst?.deviation, 3);
    assert.equal(judgeSamples(slowUp, { ...opts, scaleUpLimited: true }).worst?.deviation, 0);
    // ... but it never allows going past the prediction, or down.
    assert.equal(judgeSamples([s(0, 2, 6, 5)], { ...opts, scaleUpLimited: true }).worst?.deviation, 1);
    assert.equal(judgeSamples([s(0, 2, 1, 5)], { ...opts, scaleUpLimited: true }).worst?.deviation, 1);
    // A scale-down policy holds replicas between the prediction and the current ones, past the window too.
    const slowDown = [s(0, 8, 8, 8), s(60, 8, 7, 2), s(90, 7, 6, 2)];
    assert.ok((judgeSamples(slowDown, opts).worst?.deviation ?? 0) > 0);
    assert.equal(judgeSamples(slowDown, { ...opts, scaleDownLimited: true }).worst?.deviation, 0);
  });

  it('with other metrics only a decision below CPU\'s counts, and says so', () => {
    const r = judgeSamples([s(0, 4, 7, 4)], { ...opts, otherMetrics: true });
    assert.equal(r.worst?.deviation, 0);
    assert.equal(describeAllowed(r.worst.allowed), '4 or more');
    assert.equal(judgeSamples([s(0, 4, 2, 4)], { ...opts, otherMetrics: true }).worst?.deviation, 2);
    assert.equal(describeAllowed([[4, 5], [7, 7]]), '4–5 or 7');
  });
});
