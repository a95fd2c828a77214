// The built-in driver against real loopback servers: what each failure is classified as, and
// that the offered rate holds when the target is slow (open loop). Ratios and loose bounds
// only: nothing here depends on the machine's speed beyond them.
import assert from 'node:assert/strict';
import { startBuiltin } from '../../../harness/load/builtin.ts';
import { classifyError, classifyStatus, RequestTimeout } from '../../../harness/load/classify.ts';
import { UsageError } from '../../../harness/engine/errors.ts';
import { OUTCOMES, type LoadResult, type Outcome } from '../../../harness/load/types.ts';
import { hangingServer, httpServer, refusedUrl, resettingServer, type TestServer } from './servers.ts';

const only = (r: LoadResult): Outcome[] => OUTCOMES.filter((k) => r.totals.outcomes[k] > 0);

describe('load: outcome classification', () => {
  it('maps statuses to their class and socket errors to reset/refused/timeout/other', () => {
    assert.equal(classifyStatus(204), '2xx');
    assert.equal(classifyStatus(302), '3xx');
    assert.equal(classifyStatus(404), '4xx');
    assert.equal(classifyStatus(503), '5xx');
    assert.equal(classifyStatus(0), 'other');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' })).outcome, 'reset');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).outcome, 'refused');
    assert.equal(classifyError(new RequestTimeout('late')).outcome, 'timeout');
    assert.deepEqual(classifyError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })), { outcome: 'other', code: 'EHOSTUNREACH' });
  });
});

describe('load: the built-in driver against real loopback servers', function () {
  this.timeout(20_000);
  const servers: TestServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const run = (url: string, over: Partial<{ rate: number; duration: number; timeout: number }> = {}) =>
    startBuiltin({ url, rate: 20, duration: 1000, timeout: 1000, ...over }).then((l) => l.done);

  it('counts answers by status class, with latency', async () => {
    const ok = await httpServer(200);
    const bad = await httpServer(503);
    servers.push(ok, bad);
    const [a, b] = await Promise.all([run(ok.url), run(bad.url)]);
    assert.deepEqual(only(a), ['2xx']);
    assert.equal(a.totals.outcomes['2xx'], 20, 'exactly rate × duration requests: bounded in count');
    assert.equal(ok.arrivals(), 20);
    assert.ok(a.seconds.every((s) => s.p50 > 0 && s.histogram.length > 0));
    assert.deepEqual(only(b), ['5xx']);
  });

  it('classifies a connection reset by the server as reset', async () => {
    const s = await resettingServer();
    servers.push(s);
    const r = await run(s.url);
    assert.deepEqual(only(r), ['reset']);
    assert.equal(r.totals.outcomes.reset, 20);
  });

  it('classifies a closed port as refused', async () => {
    const r = await run(await refusedUrl());
    assert.deepEqual(only(r), ['refused']);
    assert.equal(r.totals.outcomes.refused, 20);
  });

  it('classifies a server that never answers as timeout, measured at about the timeout', async () => {
    const s = await hangingServer();
    servers.push(s);
    const r = await run(s.url, { rate: 10, timeout: 300 });
    assert.deepEqual(only(r), ['timeout']);
    assert.equal(r.totals.outcomes.timeout, 10);
    for (const sec of r.seconds) assert.ok(sec.p50 >= 300 && sec.p50 < 3000, `timeouts are timed at their timeout (p50 ${sec.p50}ms)`);
  });

  it('holds the offered rate when the target is slow (open loop): 50 req/s to a 500 ms server', async () => {
    const s = await httpServer(200, 500);
    servers.push(s);
    const r = await run(s.url, { rate: 50, duration: 2000, timeout: 2000 });
    // A closed loop with one connection would send ~2 per second here; an open loop sends them all.
    assert.equal(r.totals.sent, 100);
    assert.equal(r.totals.outcomes['2xx'], 100);
    assert.ok(s.arrivals() >= 95, `the server saw ${s.arrivals()} of 100`);
    // Sent within the schedule: every request left within 1 s of its intended time.
    assert.ok(r.seconds.every((sec) => sec.maxSendLagMs < 1000));
    // Latency from the intended send time includes the 500 ms the server takes.
    assert.ok(r.seconds.every((sec) => sec.p50 >= 500));
  });

  it('stops on abort, well before its duration, and reports what was sent', async () => {
    const s = await httpServer(200);
    servers.push(s);
    const ac = new AbortController();
    const load = await startBuiltin({ url: s.url, rate: 50, duration: 60_000, timeout: 1000, signal: ac.signal });
    setTimeout(() => ac.abort(), 500);
    const r = await load.done;
    assert.ok(r.endedAt - r.startedAt < 10_000, 'stopped long before its 60 s duration');
    assert.ok(r.totals.sent > 0 && r.totals.sent < 3000);
    assert.equal(r.exit.kind, 'ok');
    assert.deepEqual(await load.stop(), r, 'stop() after the end returns the same result');
  });

  it('refuses a target that is not loopback, naming the parameter', async () => {
    await assert.rejects(startBuiltin({ url: 'http://10.0.0.1/', rate: 1, duration: 1000, timeout: 100 }), (e: unknown) => e instanceof UsageError && e.field === 'loadUrl');
    await assert.rejects(startBuiltin({ url: 'http://127.0.0.1/', rate: 0, duration: 1000, timeout: 100 }), (e: unknown) => e instanceof UsageError && e.field === 'loadRate');
  });
});
