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
  describe('rules between parameters, refused before anything is touched', () => {
    const refuse = (exp: string, flags: string[], field: string, message: RegExp) => {
      const def = experiments.find((e) => e.name === exp)!;
      const err = usageError(() => validateParams(exp, def.params, parseSetFlags(flags, def.params)));
      assert.match(err.message, message, flags.join(' '));
      assert.equal(err.field, field, flags.join(' '));
    };
    const accept = (exp: string, flags: string[]) => {
      const def = experiments.find((e) => e.name === exp)!;
      return validateParams(exp, def.params, parseSetFlags(flags, def.params));
    };

    it('hpa-cpu: a CPU limit below the request, and no request at all', () => {
      refuse('hpa-cpu', ['cpuRequest=300m', 'cpuLimit=200m'], 'cpuLimit', /parameter "cpuLimit": 200m is below cpuRequest 300m/);
      refuse('hpa-cpu', ['cpuRequest=1', 'cpuLimit=500m'], 'cpuLimit', /parameter "cpuLimit": 500m is below cpuRequest 1/);
      refuse('hpa-cpu', ['cpuRequest=0m'], 'cpuRequest', /parameter "cpuRequest": is 0m: the fixture must request CPU/);
      accept('hpa-cpu', ['cpuRequest=200m', 'cpuLimit=0.2']);
      accept('hpa-cpu', ['cpuRequest=50m', 'cpuLimit=100m']);
    });

    it('hpa-cpu: more loaded pods than the fixture starts with, an HPA named without a target, samples sparser than a bound', () => {
      refuse('hpa-cpu', ['loadPods=2'], 'loadPods', /parameter "loadPods": is 2, but the fixture runs minReplicas=1 pod\(s\)/);
      accept('hpa-cpu', ['loadPods=2', 'minReplicas=2']);
      accept('hpa-cpu', ['loadPods=all']);
      // An existing target's pods are counted when the load starts.
      accept('hpa-cpu', ['target=web', 'loadPods=3']);
      refuse('hpa-cpu', ['hpa=web'], 'hpa', /parameter "hpa": applies to an existing target only/);
      accept('hpa-cpu', ['target=web', 'hpa=web']);
      refuse('hpa-cpu', ['sampleEvery=3m'], 'sampleEvery', /parameter "sampleEvery": 3m 00s is not shorter than scaleOutWithin 3m 00s/);
      refuse('hpa-cpu', ['sampleEvery=1m', 'scaleOutWithin=30s'], 'sampleEvery', /not shorter than scaleOutWithin 30\.0s/);
      accept('hpa-cpu', ['sampleEvery=5s', 'scaleOutWithin=30s']);
    });

    it('statefulset-identity: a batch larger than the pods chosen', () => {
      refuse('statefulset-identity', ['replicas=3', 'podManagementPolicy=Parallel', 'batch=4'], 'batch', /parameter "batch": is 4, but only 3 pod\(s\) are chosen for deletion \(replicas 3\)/);
      refuse('statefulset-identity', ['ordinals=[0,1]', 'podManagementPolicy=Parallel', 'batch=3'], 'batch', /is 3, but only 2 pod\(s\) are chosen for deletion \(ordinals \[0,1\]\)/);
      refuse('statefulset-identity', ['statefulset=orders', 'ordinals=[4]', 'batch=2'], 'batch', /only 1 pod\(s\) are chosen/);
      assert.equal(accept('statefulset-identity', ['replicas=10', 'podManagementPolicy=Parallel', 'batch=10'])['batch'], 10);
      // An existing StatefulSet's replicas (and so "all") are known in preflight only.
      assert.equal(accept('statefulset-identity', ['statefulset=orders', 'batch=4'])['batch'], 4);
    });

    it('load: a per-request timeout the drivers would refuse halfway through the run', () => {
      refuse('statefulset-identity', ['loadTimeout=2m'], 'loadTimeout', /parameter "loadTimeout": 2m 00s is out of range: must be between 1\.0s and 1m 00s/);
      refuse('istio-mtls', ['loadTimeout=61s'], 'loadTimeout', /parameter "loadTimeout"/);
      assert.equal(accept('statefulset-identity', ['loadTimeout=60s'])['loadTimeout'], 60_000);
    });

    it('istio-mtls: a bound too short for the rounds in a row it asks for', () => {
      refuse('istio-mtls', ['consecutiveRounds=6', 'probeEvery=1s', 'enforcedWithin=5s'], 'enforcedWithin', /parameter "enforcedWithin": 5\.0s is not longer than \(consecutiveRounds − 1\) × probeEvery = 5 × 1\.0s/);
      refuse('istio-mtls', ['consecutiveRounds=20', 'probeEvery=1m', 'enforcedWithin=10m'], 'enforcedWithin', /20 rounds in a row could never fit/);
      accept('istio-mtls', ['consecutiveRounds=5', 'probeEvery=1s', 'enforcedWithin=5s']);
      accept('istio-mtls', ['consecutiveRounds=20', 'enforcedWithin=60s']);
    });
  });
});
