// The pure parts of loadWorkers=N: the worker's line format, the rate split, the exact merge of
// the workers' seconds (HDR histograms added, never percentiles averaged), the gap accounting of
// a worker that goes silent, the Job object, and the parameter checks.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { encode, merge, newHistogram, percentiles, recordMs } from '../../../harness/load/histogram.ts';
import { loadParams, refineLoadParams } from '../../../harness/load/params.ts';
import { isInClusterHost } from '../../../harness/load/target.ts';
import { zeroCounts, type SecondBucket } from '../../../harness/load/types.ts';
import { activeDeadlineSeconds, workerJob } from '../../../harness/load/workers/job.ts';
import { WorkerMerge } from '../../../harness/load/workers/merge.ts';
import { loadWorkerPermissions } from '../../../harness/load/workers/permissions.ts';
import { formatLine, LineSplitter, parseLine, type SecondLine } from '../../../harness/load/workers/protocol.ts';
import { dueIn, dueSeconds, splitRate } from '../../../harness/load/workers/schedule.ts';

const T0 = 1_800_000_000_000; // a whole second

/** A worker's second with these latencies (ms), all 2xx. */
function second(index: number, at: number, latencies: number[]): SecondLine {
  const h = newHistogram();
  for (const l of latencies) recordMs(h, l);
  const outcomes = zeroCounts();
  outcomes['2xx'] = latencies.length;
  return { type: 'second', index, at, offered: latencies.length, sent: latencies.length, outcomes, histogram: latencies.length ? encode(h) : '', maxSendLagMs: index };
}

describe('load workers: the line format', () => {
  it('round-trips every line type, and refuses other versions, missing fields and non-JSON', () => {
    const s = second(2, T0, [1, 2, 3]);
    assert.deepEqual(parseLine(formatLine(s)), s);
    const started = { type: 'started' as const, index: 0, at: T0 + 12.5, rate: 7, maxRequests: 70 };
    assert.deepEqual(parseLine(formatLine(started)), started);
    const done = { type: 'done' as const, index: 1, endedAt: T0 + 9000, totals: { offered: 3, sent: 3, outcomes: s.outcomes }, otherCodes: { EHOSTUNREACH: 1 }, reason: 'stopped by the harness' };
    assert.deepEqual(parseLine(formatLine(done)), done);
    assert.equal(parseLine(formatLine(s).replace('"v":1', '"v":2')), undefined);
    assert.equal(parseLine(JSON.stringify({ ...JSON.parse(formatLine(s)), outcomes: { '2xx': 1 } })), undefined);
    assert.equal(parseLine(JSON.stringify({ ...JSON.parse(formatLine(s)), at: T0 + 1 })), undefined, 'a second starts on a whole second');
    assert.equal(parseLine('(node:1) Warning: something'), undefined);
    assert.equal(parseLine(''), undefined);
  });

  it('splits chunks into whole lines, keeping a line cut across chunks', () => {
    const split = new LineSplitter();
    assert.deepEqual(split.push('{"a":1}\n{"b"'), ['{"a":1}']);
    assert.deepEqual(split.push(':2}\n\n'), ['{"b":2}']);
    assert.deepEqual(split.push('tail'), []);
    assert.deepEqual(split.end(), ['tail']);
  });
});

describe('load workers: the rate split', () => {
  it('sums exactly to the rate asked for, whole requests where it can, the remainder to the first workers', () => {
    assert.deepEqual(splitRate(20, 3), [7, 7, 6]);
    assert.deepEqual(splitRate(30, 3), [10, 10, 10]);
    assert.deepEqual(splitRate(2, 3), [0.667, 0.667, 0.666]);
    assert.deepEqual(splitRate(10.5, 4), [2.625, 2.625, 2.625, 2.625]);
    for (const [rate, n] of [[20, 3], [2, 3], [1999, 7], [10.5, 4], [0.01, 10]] as const) {
      const shares = splitRate(rate, n);
      assert.equal(shares.length, n);
      assert.ok(shares.every((r) => r > 0));
      // In thousandths, the shares add up to the rate with no rounding left over.
      assert.equal(shares.reduce((a, r) => a + Math.round(r * 1000), 0), Math.round(rate * 1000), `${rate} over ${n}`);
    }
    assert.throws(() => splitRate(0.002, 3), /cannot be split/);
    assert.throws(() => splitRate(10, 0), /workers/);
  });

  it("finds a schedule's requests per second as the worker schedules them", () => {
    const s = { at: T0 + 200, rate: 4, maxRequests: 10 }; // due at +200, +450, +700, +950, +1200 ...
    assert.equal(dueIn(s, T0), 4);
    assert.equal(dueIn(s, T0 + 1000), 4);
    assert.equal(dueIn(s, T0 + 2000), 2, 'only 10 requests in all');
    assert.equal(dueIn(s, T0 + 1000, T0 + 1500), 2, 'none after the stop');
    assert.deepEqual(dueSeconds(s, {}), [T0, T0 + 1000, T0 + 2000]);
    assert.deepEqual(dueSeconds(s, { fired: 4 }), [T0]);
    const slow = { at: T0 + 500, rate: 0.5, maxRequests: 3 }; // due at +500, +2500, +4500
    assert.deepEqual(dueSeconds(slow, {}), [T0, T0 + 2000, T0 + 4000]);
  });
});

describe('load workers: the merge', () => {
  const started = (m: WorkerMerge, index: number, rate: number, at = T0) => m.accept(index, { type: 'started', index, at, rate, maxRequests: 1000 });

  it('adds counts and HDR histograms exactly: the merged percentiles are those of every request together', () => {
    const m = new WorkerMerge(3);
    for (let i = 0; i < 3; i++) started(m, i, 4);
    const lat = [[1, 2, 3, 40], [5, 6, 7, 8], [100, 0.5, 9, 10]];
    for (let i = 0; i < 3; i++) m.accept(i, second(i, T0, lat[i]!));
    const [b, ...more] = m.ready() as [SecondBucket, ...SecondBucket[]];
    assert.equal(more.length, 0);
    const all = newHistogram();
    for (const l of lat.flat()) recordMs(all, l);
    // Every request in one histogram, through the same encoding the lines carry.
    assert.deepEqual({ p50: b.p50, p95: b.p95, p99: b.p99, max: b.max }, percentiles(merge([encode(all)])));
    assert.equal(b.histogram, encode(merge([encode(all)])));
    assert.equal(b.outcomes['2xx'], 12);
    assert.equal(b.offered, 12);
    assert.equal(b.sent, 12);
    assert.equal(b.maxSendLagMs, 2);
    // Not the mean of the workers' own p99s.
    assert.notEqual(b.p99, (40 + 8 + 100) / 3);
  });

  it('merges a second only once every worker has reported it (or has nothing due in it)', () => {
    const m = new WorkerMerge(2);
    started(m, 0, 2);
    started(m, 1, 0.5, T0 + 100); // due at T0+100, T0+2100 ...: nothing in T0+1000
    assert.equal(m.allStartedAt(), T0 + 100);
    m.accept(0, second(0, T0, [1, 1]));
    assert.deepEqual(m.ready(), [], 'worker 1 has T0 due');
    m.accept(1, second(1, T0, [2]));
    assert.deepEqual(m.ready().map((b) => b.at), [T0]);
    m.accept(0, second(0, T0 + 1000, [1, 1]));
    assert.deepEqual(m.ready().map((b) => [b.at, b.sent]), [[T0 + 1000, 2]], 'worker 1 has nothing due in T0+1000');
    m.accept(0, second(0, T0 + 2000, [1, 1]));
    assert.deepEqual(m.ready(), [], 'worker 1 has T0+2000 due');
    assert.equal(m.accept(0, second(0, T0 + 1000, [1, 1])), false, 'a line read again is skipped');
  });

  it("a live worker's seconds after the harness's stop are still waited for: it sends until its SIGTERM arrives", () => {
    const m = new WorkerMerge(2);
    for (let i = 0; i < 2; i++) started(m, i, 2);
    m.accept(0, second(0, T0, [1, 1]));
    m.accept(1, second(1, T0, [1, 1]));
    m.stopAt = T0 + 1000;
    m.accept(0, second(0, T0 + 1000, [1, 1]));
    assert.deepEqual(m.ready().map((b) => b.at), [T0], 'T0+1000 waits for worker 1');
    m.accept(1, second(1, T0 + 1000, [1, 1]));
    assert.deepEqual(m.ready().map((b) => [b.at, b.sent]), [[T0 + 1000, 4]]);
  });

  it('a worker that goes silent is a gap: its scheduled requests are offered, never sent, and named per second', () => {
    const m = new WorkerMerge(3);
    for (let i = 0; i < 3; i++) started(m, i, 5);
    for (let t = 0; t < 5; t++) {
      for (let i = 0; i < 3; i++) if (!(i === 1 && t >= 2)) m.accept(i, second(i, T0 + t * 1000, [1, 2, 3, 4, 5]));
    }
    m.ended(1, 'its pod is gone');
    m.stopAt = T0 + 5000;
    for (const i of [0, 2]) m.accept(i, { type: 'done', index: i, endedAt: T0 + 5100, totals: { offered: 25, sent: 25, outcomes: { ...zeroCounts(), '2xx': 25 } }, otherCodes: {}, reason: 'stopped' });
    const merged = [...m.ready(), ...m.finish()];
    assert.deepEqual(merged.map((b) => b.at), [0, 1, 2, 3, 4].map((t) => T0 + t * 1000));
    assert.deepEqual(merged.map((b) => [b.offered, b.sent]), [[15, 15], [15, 15], [15, 10], [15, 10], [15, 10]]);
    const f = m.figures();
    assert.deepEqual(f.map((w) => w.requests), [25, 10, 25]);
    assert.deepEqual(f.map((w) => w.reported), [25, undefined, 25], "the workers' own counts, from their last lines");
    assert.deepEqual(f[1]!.missing, [T0 + 2000, T0 + 3000, T0 + 4000]);
    assert.equal(f[1]!.missingRequests, 15);
    assert.equal(f[1]!.ended, 'its pod is gone');
    assert.deepEqual(m.died(), [1]);
    assert.deepEqual([f[0]!.missing, f[2]!.missing], [[], []]);
    assert.equal(f[0]!.ended, 'done: stopped');
    // The merged requests are the sum of the workers' requests.
    const merged2xx = merged.reduce((n, b) => n + b.outcomes['2xx'], 0);
    assert.equal(merged2xx, f.reduce((n, w) => n + w.requests, 0));
  });

  it('a worker stopped by someone else before the harness stopped the load (an evicted pod) is a gap until the stop', () => {
    const m = new WorkerMerge(2);
    for (let i = 0; i < 2; i++) started(m, i, 2);
    for (let t = 0; t < 4; t++) m.accept(0, second(0, T0 + t * 1000, [1, 1]));
    m.accept(1, second(1, T0, [1, 1]));
    const sigterm = (index: number, offered: number) => ({ type: 'done' as const, index, endedAt: 0, totals: { offered, sent: offered, outcomes: { ...zeroCounts(), '2xx': offered } }, otherCodes: {}, reason: 'stopped by SIGTERM' });
    m.accept(1, sigterm(1, 2)); // before any stop: early
    m.ended(1, 'done');
    assert.ok(m.stoppedEarly(1));
    m.stopAt = T0 + 4000;
    m.accept(0, sigterm(0, 8)); // after the harness's stop: complete
    m.ended(0, 'done');
    assert.ok(!m.stoppedEarly(0));
    const merged = [...m.ready(), ...m.finish()];
    assert.deepEqual(merged.map((b) => [b.offered, b.sent]), [[4, 4], [4, 2], [4, 2], [4, 2]]);
    const f = m.figures();
    assert.deepEqual(f[1]!.missing, [T0 + 1000, T0 + 2000, T0 + 3000]);
    assert.match(f[1]!.ended, /before the harness stopped the load/);
    assert.deepEqual(m.died(), [1]);
  });

  it('a line lost in the middle of a log is a gap too, and its last line not matching its seconds is named', () => {
    const m = new WorkerMerge(1);
    started(m, 0, 3);
    m.accept(0, second(0, T0, [1, 1, 1]));
    m.accept(0, second(0, T0 + 2000, [1, 1, 1]));
    m.accept(0, { type: 'done', index: 0, endedAt: T0 + 3000, totals: { offered: 9, sent: 9, outcomes: { ...zeroCounts(), '2xx': 9 } }, otherCodes: {}, reason: 'ran its full duration' });
    m.ended(0, 'done');
    const merged = [...m.ready(), ...m.finish()];
    assert.deepEqual(merged.map((b) => [b.at, b.offered, b.sent]), [[T0, 3, 3], [T0 + 1000, 3, 0], [T0 + 2000, 3, 3]]);
    const [w] = m.figures();
    assert.deepEqual(w!.missing, [T0 + 1000]);
    assert.match(w!.mismatch ?? '', /9 requests sent, its seconds 6/);
  });
});

describe('load workers: the Job', () => {
  const spec = { name: 'shakedown-load-rabc', namespace: 'shop', image: 'shakedown:0.1.0', url: 'http://web.shop.svc:8080/', rates: [7, 7, 6], durationMs: 600_000, timeoutMs: 2000, waitServedMs: 60_000, labels: { 'shakedown.io/run-id': 'rabc', 'shakedown.io/experiment': 'pod-delete' } };
  interface PodSpec {
    restartPolicy: string;
    automountServiceAccountToken: boolean;
    securityContext: { runAsNonRoot: boolean };
    containers: { args: string[]; securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean } }[];
    topologySpreadConstraints: { whenUnsatisfiable: string; labelSelector: { matchLabels: Record<string, string> } }[];
  }
  interface Job {
    metadata: { labels: Record<string, string> };
    spec: { completionMode: string; completions: number; parallelism: number; backoffLimitPerIndex: number; activeDeadlineSeconds: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  }

  it('is an Indexed Job of N pods, never retried, bounded, labelled with the run, non-root on a read-only root', () => {
    const job = workerJob(spec) as unknown as Job;
    assert.equal(job.metadata.labels['shakedown.io/run-id'], 'rabc');
    assert.equal(job.spec.template.metadata.labels['shakedown.io/run-id'], 'rabc');
    assert.deepEqual([job.spec.completionMode, job.spec.completions, job.spec.parallelism, job.spec.backoffLimitPerIndex], ['Indexed', 3, 3, 0]);
    assert.equal(job.spec.activeDeadlineSeconds, activeDeadlineSeconds(spec));
    assert.ok(job.spec.activeDeadlineSeconds > 600 && job.spec.activeDeadlineSeconds < 900);
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, 'Never');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const c = pod.containers[0]!;
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.args.slice(0, 5), ['load-worker', '--url', 'http://web.shop.svc:8080/', '--rates', '7,7,6']);
    const spread = pod.topologySpreadConstraints[0]!;
    assert.equal(spread.whenUnsatisfiable, 'ScheduleAnyway');
    assert.deepEqual(spread.labelSelector.matchLabels, job.spec.template.metadata.labels);
  });

  it('declares its permissions only with loadWorkers > 1 and load=builtin', () => {
    assert.deepEqual(loadWorkerPermissions({ load: 'builtin', loadWorkers: 1 }), []);
    assert.deepEqual(loadWorkerPermissions({ load: 'off', loadWorkers: 3 }), []);
    const perms = loadWorkerPermissions({ load: 'builtin', loadWorkers: 3 }, 'plain');
    assert.deepEqual(perms.map((p) => `${p.group}/${p.resource}:${p.verbs.join(',')}@${p.namespace}`).sort(), ['/pods/log:get@plain', '/pods:list@plain', 'batch/jobs:create,delete@plain']);
  });
});

describe('load workers: the parameters', () => {
  const schema = z.strictObject({ ...loadParams() }).superRefine(refineLoadParams);
  const problems = (raw: Record<string, unknown>) => {
    const r = schema.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes an in-cluster loadUrl with loadWorkers > 1 and a loopback one without', () => {
    assert.deepEqual(problems({ load: 'builtin', loadWorkers: 3, loadUrl: 'http://web.shop.svc:8080/' }), []);
    assert.deepEqual(problems({ load: 'builtin', loadWorkers: 3, loadUrl: 'http://10.96.0.12/' }), []);
    assert.deepEqual(problems({ load: 'builtin', loadUrl: 'http://127.0.0.1:30080/' }), []);
    assert.deepEqual(problems({ load: 'builtin', loadWorkers: 3 }), []);
  });

  it('refuses, naming the field: a loopback URL for workers, an in-cluster one without, k6 with workers, an image without workers, bad counts', () => {
    assert.match(problems({ load: 'builtin', loadWorkers: 3, loadUrl: 'http://127.0.0.1:30080/' }).join(), /^loadUrl: must be an in-cluster address/);
    assert.match(problems({ load: 'builtin', loadUrl: 'http://web.shop.svc/' }).join(), /^loadUrl: must be on loopback/);
    assert.match(problems({ load: 'k6', loadWorkers: 2 }).join(), /^loadWorkers: applies to the built-in driver only/);
    assert.match(problems({ load: 'builtin', loadWorkerImage: 'shakedown:1' }).join(), /^loadWorkerImage: applies only with loadWorkers > 1/);
    assert.match(problems({ load: 'builtin', loadWorkers: 0 }).join(), /^loadWorkers:/);
    assert.match(problems({ load: 'builtin', loadWorkers: 1.5 }).join(), /^loadWorkers:/);
    assert.match(problems({ load: 'builtin', loadWorkers: 2, loadUrl: 'http://example.com/' }).join(), /^loadUrl:/);
  });

  it('knows in-cluster hosts: Service DNS names and private addresses, not public ones', () => {
    for (const h of ['web.shop.svc', 'web.shop.svc.cluster.local', '10.96.0.1', '172.20.1.1', '192.168.3.4']) assert.ok(isInClusterHost(h), h);
    for (const h of ['example.com', '8.8.8.8', '172.32.0.1', 'web.svc', '127.0.0.1', 'localhost']) assert.ok(!isInClusterHost(h), h);
  });
});
