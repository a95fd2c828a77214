// Continuous probes and their windows: the judgement of a window's samples, the proxy path, the
// engine starting and stopping observers at the edges of their window's phases, and pod-delete's
// probe parameters refused before anything is touched.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { judgeProbe } from '../../../harness/checks/probe.ts';
import { defineExperiment, step, type ObserveWindow, type Observer } from '../../../harness/engine/experiment.ts';
import { parseSetFlags, validateParams } from '../../../harness/engine/params.ts';
import { UsageError } from '../../../harness/engine/errors.ts';
import { runExperiment } from '../../../harness/engine/runner.ts';
import type { Phase } from '../../../harness/journal/schema.ts';
import { serviceProxyPath, type ProbeSample } from '../../../harness/probes/continuous.ts';
import podDelete from '../../../experiments/pod-delete/experiment.ts';

const sample = (phase: Phase, ok: boolean, detail = ok ? 'HTTP 200' : 'HTTP 503: no endpoints available for service "web"'): ProbeSample => ({ at: '2026-12-07T10:00:00.000Z', phase, ok, ms: 3, detail });

describe('continuous probes: judging a window', () => {
  it('counts only the samples of the window, and fails above the limit naming what was seen', () => {
    const samples = [sample('steady-state-before', false), ...Array.from({ length: 8 }, () => sample('inject', true)), sample('inject', false), sample('inject', false), sample('verify', false)];
    const held = judgeProbe('http', samples, 'fault', 0.2);
    assert.equal(held.passed, true);
    assert.equal(held.name, 'http-during-fault');
    assert.match(held.observed, /^8\/10 served \(20\.0% failed\): HTTP 503: no endpoints available for service "web" ×2$/);
    const strict = judgeProbe('http', samples, 'fault', 0.1);
    assert.equal(strict.passed, false);
    assert.deepEqual([strict.evidence?.['attempts'], strict.evidence?.['failed']], [10, 2]);
    assert.equal(judgeProbe('http', samples, 'always', 0.3).observed.startsWith('8/12 served'), true);
  });

  it('a zero limit allows no failed attempt; an all-served window passes it', () => {
    assert.equal(judgeProbe('http', [sample('inject', true), sample('inject', false)], 'fault', 0).passed, false);
    assert.equal(judgeProbe('http', [sample('inject', true), sample('inject', true)], 'fault', 0).passed, true);
  });

  it('a window without any attempt cannot be judged: an error, never a pass', () => {
    const r = judgeProbe('http', [sample('verify', true)], 'fault', 1);
    assert.equal(r.passed, 'error');
    assert.match(r.observed, /no attempt was sent during fault \(1 in other phases\)/);
  });

  it('the API server proxy path names the port when given and encodes each part', () => {
    assert.equal(serviceProxyPath({ namespace: 'shop', service: 'checkout', path: '/healthz?x=1' }), '/api/v1/namespaces/shop/services/checkout/proxy/healthz?x=1');
    assert.equal(serviceProxyPath({ namespace: 'shop', service: 'checkout', port: 'http' }), '/api/v1/namespaces/shop/services/checkout:http/proxy/');
    assert.equal(serviceProxyPath({ namespace: 'shop', service: 'checkout', port: 8080 }), '/api/v1/namespaces/shop/services/checkout:8080/proxy/');
    assert.throws(() => serviceProxyPath({ namespace: 'shop', service: 'checkout', path: 'healthz' }), /must start with "\/"/);
  });
});

describe('engine: observers run in their window', () => {
  /** An experiment whose every step and observer logs what the engine did, and in which phase. */
  function logged(windows: (ObserveWindow | undefined)[], opts: { steadyFails?: boolean } = {}) {
    const calls: string[] = [];
    const observer = (w: ObserveWindow | undefined, i: number): Observer<unknown, unknown> => ({
      name: `o${i}`,
      describe: () => 'an observer',
      ...(w === undefined ? {} : { during: w }),
      start(ctx) {
        calls.push(`start o${i}(${w ?? 'default'}) in ${ctx.phase}`);
        return Promise.resolve(() => Promise.resolve(void calls.push(`stop o${i} in ${ctx.phase}`)));
      },
    });
    const mark = (kind: 'probe' | 'fault' | 'check', name: string, passed = true) =>
      step(kind, name, name, (ctx) => {
        calls.push(name);
        if (kind !== 'fault') ctx.record.check({ name, expected: 'x', observed: 'x', passed });
        return Promise.resolve();
      });
    const def = defineExperiment({
      name: 'windows',
      description: 'observer windows',
      hypothesis: 'n/a',
      params: z.strictObject({}),
      initialState: () => ({}),
      preflight: [],
      steadyState: [mark('probe', 'steady', !opts.steadyFails)],
      method: [mark('fault', 'fault')],
      verify: [mark('check', 'verify')],
      observe: windows.map(observer),
    });
    return { calls, run: () => runExperiment(def, {}, { runId: 'rtest00002', timeoutMs: 10_000 }) };
  }

  it('steady, fault, recovery, always and the default (fault through recovery) start and stop at their phase edges', async () => {
    const x = logged(['steady', 'fault', 'recovery', 'always', undefined]);
    const r = await x.run();
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.verdict));
    assert.deepEqual(x.calls, [
      'start o0(steady) in steady-state-before',
      'start o3(always) in steady-state-before',
      'steady',
      'stop o0 in steady-state-before',
      'start o1(fault) in inject',
      'start o4(default) in inject',
      'fault',
      'stop o1 in inject',
      'start o2(recovery) in verify',
      'verify',
      'stop o2 in verify',
      'stop o4 in verify',
      'stop o3 in verify',
    ]);
  });

  it('a steady state not met stops what runs and starts nothing of the fault', async () => {
    const x = logged(['steady', 'always', 'fault'], { steadyFails: true });
    const r = await x.run();
    assert.equal(r.verdict.kind, 'failed');
    assert.deepEqual(x.calls, ['start o0(steady) in steady-state-before', 'start o1(always) in steady-state-before', 'steady', 'stop o0 in steady-state-before', 'stop o1 in steady-state-before']);
  });
});

describe('pod-delete: probe and load parameters', () => {
  const bad = (flags: string[]) => {
    try {
      validateParams('pod-delete', podDelete.params, parseSetFlags(flags, podDelete.params));
    } catch (err) {
      if (err instanceof UsageError) return err;
      throw err;
    }
    assert.fail(`accepted ${flags.join(' ')}`);
  };

  it('refuses a probe of a workload without a Service, a port without a path and a path without "/"', () => {
    assert.match(bad(['workload=deployment/checkout', 'probePath=/']).message, /"probePath": needs a Service to probe through: set service=<name> for Deployment checkout/);
    assert.match(bad(['probePort=8080']).message, /"probePort": applies only with probePath/);
    assert.match(bad(['probePath=healthz']).message, /"probePath": must be a URL path starting with "\/"/);
    assert.match(bad(['probePath=/', 'probeEvery=100ms', 'probeTimeout=5s']).message, /"probeTimeout": is more than ten probe intervals/);
  });

  it('accepts the fixture with a path, and a workload with its Service', () => {
    const ok = validateParams('pod-delete', podDelete.params, parseSetFlags(['workload=deployment/checkout', 'service=checkout', 'probePath=/healthz', 'probePort=http'], podDelete.params));
    assert.deepEqual([ok['probePath'], ok['probePort'], ok['probeEvery']], ['/healthz', 'http', 250]);
  });

  it("refuses load on a workload of the user's without a loadUrl (the fixture has its client Service), and takes one on loopback", () => {
    assert.match(bad(['workload=deployment/checkout', 'load=builtin']).message, /"loadUrl": is required with load on and a workload of yours: a URL that reaches Deployment checkout/);
    // An in-cluster address is for worker pods only (loadWorkers > 1); a public one for nothing.
    assert.match(bad(['workload=deployment/checkout', 'load=builtin', 'loadUrl=http://10.0.0.1/']).message, /"loadUrl": must be on loopback with loadWorkers = 1/);
    assert.match(bad(['workload=deployment/checkout', 'load=builtin', 'loadUrl=http://8.8.8.8/']).message, /"loadUrl": must be an http:\/\/ URL on loopback/);
    const fixture = validateParams('pod-delete', podDelete.params, parseSetFlags(['load=builtin'], podDelete.params));
    assert.deepEqual([fixture['load'], fixture['loadUrl']], ['builtin', undefined]);
    const user = validateParams('pod-delete', podDelete.params, parseSetFlags(['workload=deployment/checkout', 'load=k6', 'loadUrl=http://127.0.0.1:30080/'], podDelete.params));
    assert.deepEqual([user['load'], user['loadUrl']], ['k6', 'http://127.0.0.1:30080/']);
  });
});
