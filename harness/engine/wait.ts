import { AbortedError } from './errors.ts';

export interface WaitOptions {
  /** What is awaited, for the error message: "pod web-0 Ready". */
  what: string;
  timeoutMs: number;
  /** Poll interval; the wait is a condition with a deadline, never a fixed sleep. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** A wait whose deadline passed; carries the last thing observed so the report can show it. */
export class WaitTimeoutError extends Error {
  /** Always `WaitTimeoutError`. */
  override name = 'WaitTimeoutError';
  /** What was awaited, e.g. "pod web-0 Ready". */
  readonly what: string;
  /** The bound that passed, in milliseconds. */
  readonly timeoutMs: number;
  /** The last thing the condition saw before the deadline, for the report. */
  readonly lastObserved: unknown;
  constructor(what: string, timeoutMs: number, lastObserved: unknown, cause?: unknown) {
    super(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${lastObserved === undefined ? '' : ` (last seen: ${describe(lastObserved)})`}`, cause === undefined ? undefined : { cause });
    this.what = what;
    this.timeoutMs = timeoutMs;
    this.lastObserved = lastObserved;
  }
}

function describe(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** The result of one check of a condition: done with a value, or not yet with what was seen. */
export type Poll<T> = { done: true; value: T } | { done: false; observed?: unknown };

export const done = <T>(value: T): Poll<T> => ({ done: true, value });
export const notYet = (observed?: unknown): Poll<never> => ({ done: false, observed });

/**
 * Polls `check` until it reports done, the deadline passes (WaitTimeoutError) or the signal fires
 * (AbortedError). Errors thrown by `check` end the wait unless `retryErrors` is set, in which case
 * the last one is attached as the timeout's cause.
 */
export async function waitFor<T>(check: () => Promise<Poll<T>> | Poll<T>, opts: WaitOptions & { retryErrors?: boolean }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 500;
  let observed: unknown;
  let lastError: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof AbortedError ? opts.signal.reason : new AbortedError('SIGINT');
    try {
      const r = await check();
      if (r.done) return r.value;
      observed = r.observed;
    } catch (err) {
      if (!opts.retryErrors) throw err;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(opts.what, opts.timeoutMs, observed, lastError);
    await sleep(Math.min(interval, left), opts.signal);
  }
}

/** Resolves after ms, or early when the signal fires (the caller's next check throws). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
