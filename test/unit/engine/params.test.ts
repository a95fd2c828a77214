import assert from 'node:assert/strict';
import { z } from 'zod';
import { UsageError } from '../../../harness/engine/errors.ts';
import { describeParams, duration, parseSetFlags, validateParams } from '../../../harness/engine/params.ts';
import { parseDuration, parseGoDuration } from '../../../harness/engine/time.ts';
import { experiments } from '../../../experiments/index.ts';

const schema = z.strictObject({
  namespace: z.string().default('shakedown'),
  replicas: z.number().int().min(1).default(3),
  wait: duration('60s'),
  ordinals: z.array(z.number().int()).default([0]),
});

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a UsageError');
}

describe('parameters', () => {
  it('applies defaults, including durations parsed into milliseconds', () => {
    assert.deepEqual(validateParams('x', schema, {}), { namespace: 'shakedown', replicas: 3, wait: 60_000, ordinals: [0] });
  });

  it('reads --set values as YAML, but keeps string parameters as text', () => {
    const raw = parseSetFlags(['namespace=123', 'replicas=5', 'ordinals=[1, 2]', 'wait=2m'], schema);
    assert.deepEqual(validateParams('x', schema, raw), { namespace: '123', replicas: 5, wait: 120_000, ordinals: [1, 2] });
  });

  it('bounds every duration: zero and hours-long values are refused with the field named', () => {
    const find = (name: string) => experiments.find((e) => e.name === name)!;
    const cases: [string, string, RegExp][] = [
      ['hpa-cpu', 'loadFor=0s', /"loadFor": 0ms is out of range: must be between 10\.0s and 30m 00s/],
      ['hpa-cpu', 'sampleEvery=0s', /"sampleEvery": 0ms is out of range/],
      ['hpa-cpu', 'loadFor=5h', /"loadFor": 5h 00m is out of range/],
      ['statefulset-identity', 'recoveryWithin=0', /"recoveryWithin": 0ms is out of range/],
      ['istio-mtls', 'probeEvery=10ms', /"probeEvery": 10ms is out of range/],
    ];
    for (const [exp, flag, message] of cases) {
      const def = find(exp);
      const err = usageError(() => validateParams(exp, def.params, parseSetFlags([flag], def.params)));
      assert.match(err.message, message, flag);
      assert.equal(err.field, flag.split('=')[0]);
    }
  });

  it('checks Kubernetes name rules, length included, and the fixture\'s ordinals, before any cluster is touched', () => {
    const def = experiments.find((e) => e.name === 'statefulset-identity')!;
    const bad = (flags: string[]) => usageError(() => validateParams(def.name, def.params, parseSetFlags(flags, def.params)));
    assert.match(bad([`namespace=${'a'.repeat(64)}`]).message, /"namespace": must be at most 63 characters/);
    assert.match(bad(['namespace=Shop']).message, /"namespace": must be a lowercase RFC 1123 label/);
    assert.match(bad(['statefulset=a.b']).message, /"statefulset": must be a lowercase RFC 1123 label/);
    assert.match(bad(['ordinals=[0, 3]']).message, /"ordinals": ordinal\(s\) 3 do not exist: the fixture has 3 replicas/);
    assert.match(bad(['ordinals=[1, 1]']).message, /ordinal 1 is listed twice/);
    // An existing StatefulSet's replicas are unknown until preflight reads it.
    assert.deepEqual(validateParams(def.name, def.params, parseSetFlags(['statefulset=orders', 'ordinals=[7]'], def.params))['ordinals'], [7]);
  });

  it('names an unknown parameter and lists the known ones', () => {
    const err = usageError(() => validateParams('x', schema, parseSetFlags(['no_such_param=1'], schema)));
    assert.match(err.message, /unknown parameter "no_such_param"/);
    assert.match(err.message, /namespace, replicas, wait, ordinals/);
    assert.equal(err.field, 'no_such_param');
  });

  it('names an ill-typed parameter', () => {
    const err = usageError(() => validateParams('x', schema, parseSetFlags(['replicas=many'], schema)));
    assert.match(err.message, /parameter "replicas"/);
    const d = usageError(() => validateParams('x', schema, parseSetFlags(['wait=soon'], schema)));
    assert.match(d.message, /parameter "wait": "soon" is not a duration/);
  });

  it('rejects a --set without "="', () => {
    assert.match(usageError(() => parseSetFlags(['replicas'], schema)).message, /key=value/);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration(3), 3000);
    assert.equal(parseDuration('soon'), undefined);
  });

  it("reads Go's durations as the API serialises them (a metrics window), and refuses anything else", () => {
    assert.equal(parseGoDuration('15s'), 15_000);
    assert.equal(parseGoDuration('1m0.5s'), 60_500);
    assert.equal(parseGoDuration('10.5ms'), 10.5);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('1h2m3s'), 3_723_000);
    for (const bad of ['', '15', 's', '1x', '1s ', '-1s']) assert.equal(parseGoDuration(bad), undefined, bad);
  });

  it('describes every parameter of every registered experiment, each with a description', () => {
    for (const e of experiments) {
      const params = describeParams(e.params);
      assert.ok(params.length > 3, e.name);
      for (const p of params) assert.ok(p.description.length > 0, `${e.name}.${p.name} has no description`);
      // Defaults alone must be valid: `run <exp>` with no --set works.
      validateParams(e.name, e.params, {});
    }
  });

  it('checks cross-field rules (hpa-cpu: minReplicas <= maxReplicas)', () => {
    const hpa = experiments.find((e) => e.name === 'hpa-cpu')!;
    const err = usageError(() => validateParams('hpa-cpu', hpa.params, { minReplicas: 4, maxReplicas: 2 }));
    assert.match(err.message, /minReplicas/);
  });

  it("refuses a fixture scale-in bound shorter than its HPA's scale-down window plus 60s (hpa-cpu)", () => {
    const hpa = experiments.find((e) => e.name === 'hpa-cpu')!;
    const err = usageError(() => validateParams('hpa-cpu', hpa.params, { scaleDownWindowSeconds: 300, scaleInWithin: '3m' }));
    assert.match(err.message, /scaleInWithin.*scale-down window/);
    validateParams('hpa-cpu', hpa.params, { scaleDownWindowSeconds: 300, scaleInWithin: '6m' });
    // A user's target is checked against its own HPA in preflight, not here.
    validateParams('hpa-cpu', hpa.params, { target: 'web', scaleDownWindowSeconds: 300, scaleInWithin: '3m' });
  });
});
