// `shakedown load-worker`: what each load worker pod runs. The built-in open-loop driver for
// this worker's share of the rate, its seconds printed as they complete (protocol.ts), so the
// harness reads them from the pod's log. SIGTERM (the harness deleting the Job) stops it the
// way the harness stops its own driver: no new requests, those in flight settle, a last line.
import { UsageError } from '../../engine/errors.ts';
import { parseDuration } from '../../engine/time.ts';
import { done, notYet, waitFor } from '../../engine/wait.ts';
import { startBuiltinAt } from '../builtin.ts';
import { inClusterTarget, isLoopbackHost, loadTarget } from '../target.ts';
import { DONE_FULL, DONE_SIGTERM, formatLine, secondLine } from './protocol.ts';
import { maxRequestsOf } from './schedule.ts';
import type { SecondBucket } from '../types.ts';

export interface LoadWorkerOptions {
  url: string;
  /** Every worker's rate, comma-separated; this one drives rates[index]. */
  rates: string;
  /** Default: JOB_COMPLETION_INDEX (an Indexed Job's pod). */
  index?: string | undefined;
  duration: string;
  timeout: string;
  waitServed: string;
}

interface Parsed {
  url: URL;
  rate: number;
  index: number;
  durationMs: number;
  timeoutMs: number;
  waitServedMs: number;
}

const ms = (flag: string, v: string, min = 1): number => {
  const n = parseDuration(v);
  if (n === undefined || n < min) throw new UsageError(`${flag} "${v}" is not a duration (e.g. 90s, 500ms)`, { field: flag });
  return n;
};

/** Checks the flags; bad ones are a UsageError naming the flag. */
export function parseWorkerOptions(o: LoadWorkerOptions, env: NodeJS.ProcessEnv = process.env): Parsed {
  const rates = o.rates.split(',').map((r) => Number(r.trim()));
  if (rates.length === 0 || !rates.every((r) => Number.isFinite(r) && r > 0)) throw new UsageError(`--rates "${o.rates}" must be positive numbers separated by commas`, { field: '--rates' });
  const text = o.index ?? env['JOB_COMPLETION_INDEX'];
  const index = Number(text);
  if (text === undefined || !Number.isInteger(index) || index < 0 || index >= rates.length) {
    throw new UsageError(`--index (or JOB_COMPLETION_INDEX) "${text ?? ''}" must be a whole number from 0 to ${rates.length - 1}`, { field: '--index' });
  }
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new UsageError(`--url "${o.url}" is not a URL`, { field: '--url' });
  }
  url = isLoopbackHost(url.hostname) ? loadTarget(o.url, '--url') : inClusterTarget(o.url, '--url');
  return { url, rate: rates[index]!, index, durationMs: ms('--duration', o.duration), timeoutMs: ms('--timeout', o.timeout), waitServedMs: ms('--wait-served', o.waitServed, 0) };
}

/** Runs the worker to its end; resolves its exit code. `signals` is where SIGTERM comes from (the process, or a test's emitter). */
export async function loadWorker(o: LoadWorkerOptions, io: { stdout(t: string): void; stderr(t: string): void }, signals: NodeJS.EventEmitter = process): Promise<number> {
  const p = parseWorkerOptions(o);
  const print = (line: Parameters<typeof formatLine>[0]) => io.stdout(formatLine(line) + '\n');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  signals.once('SIGTERM', onSignal);
  signals.once('SIGINT', onSignal);
  try {
    // The target must serve before the schedule starts, as the harness's own driver waits (attach.ts);
    // 0 starts whatever it answers (a fault meant to turn the load away may already be in place).
    if (p.waitServedMs > 0) await waitFor(
      async () => {
        const r = await fetch(p.url, { signal: AbortSignal.timeout(p.timeoutMs) });
        await r.body?.cancel();
        return r.ok ? done(undefined) : notYet(`HTTP ${r.status}`);
      },
      { what: `${p.url.href} to answer 2xx`, timeoutMs: p.waitServedMs, intervalMs: 500, signal: stop.signal, retryErrors: true },
    );
    // The "started" line comes first: a second completed before it is held back until it is out.
    let early: SecondBucket[] | undefined = [];
    const onSecond = (b: SecondBucket) => (early ? early.push(b) : print(secondLine(p.index, b)));
    const load = await startBuiltinAt(p.url, { url: p.url.href, rate: p.rate, duration: p.durationMs, timeout: p.timeoutMs, signal: stop.signal, onSecond });
    print({ type: 'started', index: p.index, at: load.startedAt, rate: p.rate, maxRequests: maxRequestsOf(p.rate, p.durationMs) });
    for (const b of early) print(secondLine(p.index, b));
    early = undefined;
    const r = await load.done;
    print({ type: 'done', index: p.index, endedAt: r.endedAt, totals: r.totals, otherCodes: r.otherCodes, reason: stop.signal.aborted ? DONE_SIGTERM : DONE_FULL });
    return 0;
  } finally {
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  }
}
