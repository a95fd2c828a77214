// Per-second counts stay exact when the load worker falls behind: a second is emitted once,
// after every request due in it was fired and settled, however late the worker's timers run.
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { SecondBuckets, secondOf } from '../../../harness/load/buckets.ts';
import type { WorkerControl, WorkerInput, WorkerMessage } from '../../../harness/load/builtin-worker.ts';
import type { SecondBucket } from '../../../harness/load/types.ts';
import { httpServer, type TestServer } from './servers.ts';

const S = 1_700_000_000_000; // a whole second

describe('load: a second is emitted once, complete', () => {
  it('holds a second whose last due request is not fired yet, though the clock is past it', () => {
    const out: SecondBucket[] = [];
    const b = new SecondBuckets((s) => out.push(s));
    for (const due of [S + 100, S + 500]) {
      b.offered(due);
      b.sent(due, 0);
      b.outcome(due, '2xx', 1);
    }
    // The worker was stalled: the clock reads S + 1300, but the request due at S + 900 is the
    // next one to fire. Nothing before it is complete beyond S + 900.
    b.flush(S + 900);
    assert.equal(out.length, 0, 'a second with a request still to fire is not emitted');
    b.offered(S + 900);
    b.sent(S + 900, 400);
    b.flush(S + 1300);
    assert.equal(out.length, 0, 'nor one with a request in flight');
    b.outcome(S + 900, '2xx', 401);
    b.flush(S + 1300);
    assert.equal(out.length, 1);
    assert.equal(out[0]?.at, S);
    assert.equal(out[0]?.sent, 3);
    assert.equal(out[0]?.outcomes['2xx'], 3);
    assert.equal(out[0]?.maxSendLagMs, 400);
  });

  it('never reopens an emitted second: a late event is counted in the totals and as late', () => {
    const out: SecondBucket[] = [];
    const b = new SecondBuckets((s) => out.push(s));
    b.offered(S + 10);
    b.sent(S + 10, 0, false);
    b.flush(S + 1000);
    b.offered(S + 20);
    b.sent(S + 20, 0, false);
    b.flush(S + 5000, true);
    assert.deepEqual(out.map((s) => s.at), [S]);
    assert.equal(b.late, 2, 'offered and sent of the late request');
    assert.equal(b.totals.sent, 2);
  });
});

describe('load: the built-in worker stalled across second boundaries (real loopback server)', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await httpServer(200);
  });
  after(() => server.close());

  const workerUrl = new URL('../../../harness/load/builtin-worker.ts', import.meta.url);

  /**
   * Runs the worker itself and blocks its event loop across each whole second, from `lead` ms
   * before it to 30 ms after. The leads sweep 40–265 ms so that some stall begins wherever the
   * worker's own timers stand in their cycle (a driver that emitted on a clock of its own lost
   * requests this way only for stalls beginning in a window of about 30 ms).
   */
  async function stalledRun(rate: number, seconds: number) {
    const input: WorkerInput = { url: server.url, rate, duration: seconds * 1000, timeout: 2000 };
    const worker = new Worker(workerUrl, { workerData: input });
    const emitted: SecondBucket[] = [];
    const timers: NodeJS.Timeout[] = [];
    const done = await new Promise<Extract<WorkerMessage, { type: 'done' }>>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'started') {
          for (let k = 1; k < seconds; k++) {
            const boundary = secondOf(m.at) + k * 1000;
            const lead = 40 + ((k - 1) % 10) * 25;
            timers.push(setTimeout(() => worker.postMessage({ type: 'stall', ms: lead + 30 } satisfies WorkerControl), boundary - lead - Date.now()));
          }
        } else if (m.type === 'second') emitted.push(m.bucket);
        else resolve(m);
      });
    });
    for (const t of timers) clearTimeout(t);
    return { emitted, done };
  }

  const rate = 20;
  const seconds = 11;
  it(`at ${rate} req/s stalled across ${seconds - 1} second boundaries: each second once, in order, counts conserved`, async () => {
    const { emitted, done } = await stalledRun(rate, seconds);
    const total = rate * seconds;
    assert.ok(emitted.length >= seconds, `seconds emitted: ${emitted.length}`);
    const ats = emitted.map((s) => s.at);
    assert.deepEqual(ats, [...new Set(ats)].sort((a, b) => a - b), `each second once, in order: ${ats.map((a) => (a - ats[0]!) / 1000).join(',')}`);
    const sum = (f: (s: SecondBucket) => number) => emitted.reduce((n, s) => n + f(s), 0);
    assert.equal(done.totals.offered, total);
    assert.equal(sum((s) => s.offered), total, 'every offered request in exactly one second');
    assert.equal(sum((s) => s.sent), total);
    assert.equal(sum((s) => s.outcomes['2xx']), total, 'every answer in the second it was due');
    for (const s of emitted) assert.equal(s.outcomes['2xx'], s.sent, `second ${s.at}: all of its requests settled before it was emitted`);
    // The stalls happened: requests went out hundreds of ms after their due time.
    assert.ok(Math.max(...emitted.map((s) => s.maxSendLagMs)) >= 150, `largest send lag ${Math.max(...emitted.map((s) => s.maxSendLagMs))} ms`);
  });
});
