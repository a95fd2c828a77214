// The built-in driver's worker thread: an open-loop HTTP client. Requests are scheduled by the
// clock (request i is due at t0 + i/rate), never by completions, so a slow target does not
// lower the offered load; latency is measured from the due time, not the actual send.
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { SecondBuckets } from './buckets.ts';
import { classifyError, classifyStatus, RequestTimeout } from './classify.ts';
import type { Outcome, SecondBucket } from './types.ts';
import { maxRequestsOf } from './workers/schedule.ts';

export interface WorkerInput {
  url: string;
  rate: number;
  duration: number;
  timeout: number;
}

export type WorkerMessage =
  | { type: 'started'; at: number }
  | { type: 'second'; bucket: SecondBucket }
  | { type: 'done'; endedAt: number; totals: SecondBuckets['totals']; otherCodes: Record<string, number> };

/**
 * Messages the worker takes: `stop`, and `stall`, which blocks its event loop for `ms` (the
 * tests use it to prove per-second counts stay exact when the worker falls behind).
 */
export type WorkerControl = { type: 'stop' } | { type: 'stall'; ms: number };

if (!parentPort) throw new Error('builtin-worker.ts runs only as a worker thread');
const port = parentPort;
const input = workerData as WorkerInput;

const now = () => performance.timeOrigin + performance.now();
const post = (m: WorkerMessage) => port.postMessage(m);

const buckets = new SecondBuckets((bucket) => post({ type: 'second', bucket }));
const otherCodes: Record<string, number> = {};
// Keep-alive as a browser or service client would; a reset on a kept connection is what a real
// client meets when its pod goes away.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

const interval = 1000 / input.rate;
// Bounded in count as well as time: never more than rate × duration requests.
const maxRequests = maxRequestsOf(input.rate, input.duration);
const t0 = now() + 20;
let next = 0;
let inFlight = 0;
let stopping = false;
let finished = false;

function fire(due: number): void {
  const sentAt = now();
  buckets.offered(due);
  buckets.sent(due, sentAt - due);
  inFlight++;
  let settled = false;
  const settle = (outcome: Outcome, code?: string) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    inFlight--;
    if (outcome === 'other' && code) otherCodes[code] = (otherCodes[code] ?? 0) + 1;
    // Refused and reset answers carry no service latency worth a percentile (they are errors,
    // counted as such); HTTP answers and timeouts do.
    const latency = outcome === 'refused' || outcome === 'reset' || outcome === 'other' ? undefined : now() - due;
    buckets.outcome(due, outcome, latency);
    if (stopping) maybeFinish();
    else flush();
  };
  const req = http.request(input.url, { agent, method: 'GET', headers: { 'user-agent': 'shakedown-load' } }, (res) => {
    res.on('error', (e) => {
      const c = classifyError(e);
      settle(c.outcome, c.code);
    });
    res.on('end', () => settle(classifyStatus(res.statusCode ?? 0)));
    res.resume();
  });
  req.on('error', (e) => {
    const c = classifyError(e);
    settle(c.outcome, c.code);
  });
  const timer = setTimeout(() => req.destroy(new RequestTimeout(`no answer within ${input.timeout}ms`)), input.timeout);
  req.end();
}

function tick(): void {
  if (stopping) return;
  const n = now();
  // Catch up on every request that is due: if the timer fired late, they go out at once, and
  // their lateness counts in their latency.
  while (next < maxRequests && t0 + next * interval <= n) {
    fire(t0 + next * interval);
    next++;
  }
  if (next >= maxRequests) {
    stop();
    return;
  }
  flush();
  setTimeout(tick, Math.max(0, t0 + next * interval - now()));
}

/**
 * Emits the seconds that are complete: every request due in them fired (the due time of the
 * next request is past their end) and settled. Called when a request is fired or settles, not
 * on a clock: a flusher timer that ran before a late tick after a stall emitted a second whose
 * last requests were not fired yet, and those then came out as a second point for that second.
 */
function flush(): void {
  buckets.flush(stopping || next >= maxRequests ? Infinity : t0 + next * interval);
}

function stop(): void {
  if (stopping) return;
  stopping = true;
  maybeFinish();
}

function maybeFinish(): void {
  if (finished || inFlight > 0) return;
  finished = true;
  buckets.flush(Infinity, true);
  agent.destroy();
  post({ type: 'done', endedAt: now(), totals: buckets.totals, otherCodes });
  port.close();
}

port.on('message', (m: WorkerControl) => {
  if (m.type === 'stop') stop();
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, m.ms);
});
post({ type: 'started', at: t0 });
setTimeout(tick, Math.max(0, t0 - now()));
