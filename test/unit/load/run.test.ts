// LoadRun, the glue the experiments use, against a real loopback server that fails on demand
// during the marked fault: what it writes to the journal and which checks it returns.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CheckInput, Recorder } from '../../../harness/engine/experiment.ts';
import { RunError } from '../../../harness/engine/errors.ts';
import { LoadRun } from '../../../harness/load/run.ts';
import { builtinDriver } from '../../../harness/load/builtin.ts';
import type { LoadParams } from '../../../harness/load/params.ts';

function recorder() {
  const rec = { checks: [] as CheckInput[], points: new Map<string, number>(), windows: [] as { name: string; closed: boolean }[], tables: [] as string[], events: [] as string[], metrics: new Map<string, { unit: string; samples: number[]; histograms: number }>() };
  const r: Recorder = {
    event: (e) => {
      rec.events.push(e.type);
      return { at: '', ...e };
    },
    metric: (name, unit, sample, o) => {
      const m = rec.metrics.get(name) ?? { unit, samples: [], histograms: 0 };
      m.samples.push(sample);
      if (o?.histogram) m.histograms++;
      rec.metrics.set(name, m);
    },
    check: (c) => {
      rec.checks.push(c);
      return { name: c.name, phase: 'verify', status: c.passed === 'error' ? 'error' : c.passed ? 'passed' : 'failed', expected: c.expected, observed: c.observed, evidence: {}, at: '' };
    },
    point: (s) => void rec.points.set(`${s.group}/${s.name}`, (rec.points.get(`${s.group}/${s.name}`) ?? 0) + 1),
    window: (name) => {
      const w = { name, closed: false };
      rec.windows.push(w);
      return () => void (w.closed = true);
    },
    measurement: () => {},
    table: (t) => void rec.tables.push(t.title),
    environment: () => {},
  };
  return { r, rec };
}

const params = (over: Partial<LoadParams> = {}): LoadParams => ({
  load: 'builtin',
  loadRate: 50,
  loadTimeout: 500,
  loadSteadyFor: 2000,
  loadRecoveryFor: 2000,
  loadMaxErrorRate: 0.05,
  loadMaxP95Ratio: 5,
  loadRecoverWithin: 10_000,
  loadK6: 'k6',
  ...over,
});

describe('load: LoadRun beside a fault (real loopback server)', function () {
  this.timeout(30_000);
  let server: http.Server;
  let failing = false;
  let url = '';
  before(async () => {
    server = http.createServer((_req, res) => {
      res.statusCode = failing ? 503 : 200;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('judges steady → fault → recovery: 503s during the fault are the finding; series, windows and table are journaled', async () => {
    const { r, rec } = recorder();
    // The 503s are what this judges: a latency band of 100× the 10 ms floor keeps a CPU-starved
    // second of this busy machine (a loopback request late by tens of ms) from being a finding.
    const run = new LoadRun(params({ loadMaxP95Ratio: 100 }), builtinDriver, url, r);
    const signal = new AbortController().signal;
    await run.start(60_000, signal);
    await run.steady(2000, signal);
    const end = run.faultStarted();
    failing = true;
    await new Promise((res) => setTimeout(res, 1500));
    failing = false;
    end();
    const checks = await run.finish(signal);
    assert.deepEqual(checks.map((c) => [c.name, c.passed]), [
      ['load-errors-during-fault', false],
      ['load-p95-during-fault', true],
      ['load-recovered', true],
    ]);
    assert.match(checks[0]?.observed ?? '', /5xx/);
    assert.deepEqual(rec.checks.map((c) => c.name), checks.map((c) => c.name), 'the checks are recorded');
    assert.ok((rec.points.get('load: requests/s/sent') ?? 0) >= 5, 'one point per second');
    assert.deepEqual(rec.windows.map((w) => [w.name, w.closed]), [['load', true], ['fault', true]]);
    assert.deepEqual(rec.tables, ["Load per phase (what the service's users saw)"]);
    // Comparable metrics per phase, each percentile with the phase's merged histogram beside it.
    for (const phase of ['steady', 'fault', 'recovery']) {
      for (const q of ['p50', 'p95', 'p99']) assert.deepEqual([rec.metrics.get(`load.${phase}.${q}`)?.unit, rec.metrics.get(`load.${phase}.${q}`)?.histograms], ['ms', 1], `load.${phase}.${q}`);
    }
    assert.ok((rec.metrics.get('load.fault.errorRate')?.samples[0] ?? 0) > 0, 'the 503s show in the fault error rate');
    assert.deepEqual(rec.metrics.get('load.steady.errorRate')?.samples, [0]);
    await run.stop(); // the rollback after finish: harmless
  });

  it('a load whose seconds do not cover the fault is an error of the run (RunError OBSERVE), not a finding', async () => {
    const { r, rec } = recorder();
    const run = new LoadRun(params({ loadSteadyFor: 1000, loadRecoveryFor: 1000 }), builtinDriver, url, r);
    const signal = new AbortController().signal;
    await run.start(60_000, signal);
    await run.steady(1000, signal);
    run.faultStarted()(); // a fault window shorter than any second's middle can fall in
    await assert.rejects(run.finish(signal), (e: unknown) => e instanceof RunError && e.code === 'OBSERVE' && /did not cover the fault/.test(e.message));
    assert.deepEqual(rec.checks.map((c) => [c.name, c.passed]), [['load-delivered', 'error']]);
  });
});
