// The arithmetic of spreading one open-loop schedule over N workers: each worker's share of the
// rate (summing exactly to the rate asked for), and which seconds a worker's schedule puts
// requests in, so the harness knows what a worker that went silent should have sent.
import { secondOf } from '../buckets.ts';

/**
 * Each worker's rate. A whole rate of at least one request a second per worker is split in
 * whole requests, the remainder one each to the first workers (20 over 3: 7, 7, 6); any other
 * in thousandths of a request, the same way, so the shares always add up to `rate` exactly.
 */
export function splitRate(rate: number, workers: number): number[] {
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a whole number ≥ 1, got ${workers}`);
  const unit = Number.isInteger(rate) && rate >= workers ? 1 : 1000;
  const total = Math.round(rate * unit);
  if (total < workers) throw new RangeError(`a rate of ${rate} req/s cannot be split over ${workers} workers (at least 0.001 req/s each)`);
  const base = Math.floor(total / workers);
  const extra = total - base * workers;
  return Array.from({ length: workers }, (_, i) => (base + (i < extra ? 1 : 0)) / unit);
}

/** The built-in driver's bound on its requests: never more than rate × duration (at least one). */
export const maxRequestsOf = (rate: number, durationMs: number): number => Math.max(1, Math.floor((rate * durationMs) / 1000));

/** A worker's schedule as its "started" line gives it: request k is due at `at + k × 1000 / rate`, k < maxRequests. */
export interface Schedule {
  at: number;
  rate: number;
  maxRequests: number;
}

/** The due time of request k, computed as the worker computes it (builtin-worker.ts), to the bit. */
const due = (s: Schedule, k: number) => s.at + k * (1000 / s.rate);

/** The first request due at or after `t` (may be maxRequests: none). */
function firstAtOrAfter(s: Schedule, t: number): number {
  let k = Math.max(0, Math.ceil((t - s.at) / (1000 / s.rate)) - 1);
  while (k < s.maxRequests && due(s, k) < t) k++;
  return Math.min(k, s.maxRequests);
}

/**
 * Requests the schedule puts in the second starting at `second`, among those due before
 * `until` (the moment the worker was told to stop, or Infinity).
 */
export function dueIn(s: Schedule, second: number, until = Infinity): number {
  const from = firstAtOrAfter(s, second);
  const to = firstAtOrAfter(s, Math.min(second + 1000, until));
  return Math.max(0, to - from);
}

/** The first second at or after `second` that holds a due request (before `until`), or undefined. */
export function nextDueSecond(s: Schedule, second: number, until = Infinity): number | undefined {
  const k = firstAtOrAfter(s, second);
  if (k >= s.maxRequests) return undefined;
  const t = due(s, k);
  return t < until ? secondOf(t) : undefined;
}

/**
 * The seconds of the schedule's first `fired` requests (or of those due before `until`): what a
 * worker reports when none of its lines is lost.
 */
export function dueSeconds(s: Schedule, o: { fired?: number; until?: number }): number[] {
  const out: number[] = [];
  const last = Math.min(s.maxRequests, o.fired ?? Infinity);
  let second = secondOf(s.at);
  for (;;) {
    const next = nextDueSecond({ ...s, maxRequests: last }, second, o.until);
    if (next === undefined) return out;
    out.push(next);
    second = next + 1000;
  }
}

/** Seconds as short ranges for a message: "12:00:01–12:00:04, 12:00:09". */
export function formatSeconds(seconds: readonly number[]): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1]! - sorted[j]! === 1000) j++;
    parts.push(j === i ? time(sorted[i]!) : `${time(sorted[i]!)}–${time(sorted[j]!)}`);
    i = j + 1;
  }
  return parts.join(', ');
}
