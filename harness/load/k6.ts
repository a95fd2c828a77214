// The k6 driver, for users who have k6 >= 1.0: runs their k6 binary on a TypeScript script
// through execa and tails its `--out json=<file>` output by byte offset while it runs (k6
// buffers its stdout until exit), turning samples into the same per-second buckets as the
// built-in driver. k6 cannot run on the project's machines: what is unit-tested here is the
// line parser, the sample → outcome mapping and the exit-code mapping, on lines written from
// k6's documented JSON format (https://grafana.com/docs/k6/latest/results-output/real-time/json/).
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { SecondBuckets } from './buckets.ts';
import { classifyStatus } from './classify.ts';
import { checkBounds, loadTarget } from './target.ts';
import { LoadDriverError, type DriverExit, type LoadDriver, type LoadResult, type LoadStartOptions, type Outcome, type RunningLoad, type SecondBucket } from './types.ts';

// ---- the JSON output format ----

/** `{"type":"Metric","data":{"type":"trend","contains":"time",...},"metric":"http_req_duration"}` */
export interface K6MetricLine {
  type: 'Metric';
  metric: string;
  data: { type: string; contains?: string; thresholds?: string[] | null; tainted?: boolean | null };
}
/** `{"type":"Point","data":{"time":"2017-05-09T14:34:45.625742514+02:00","value":1,"tags":{...}},"metric":"http_reqs"}` */
export interface K6PointLine {
  type: 'Point';
  metric: string;
  data: { time: string; value: number; tags: Record<string, string> | null };
  /** Epoch ms parsed from data.time. */
  at: number;
}
export type K6Line = K6MetricLine | K6PointLine;

/** Parses one line of k6's JSON output; undefined for a blank line, an Error for a malformed one. */
export function parseK6Line(line: string): K6Line | Error | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return new Error(`not JSON: ${text.slice(0, 120)}`);
  }
  if (typeof v !== 'object' || v === null) return new Error(`not a k6 output object: ${text.slice(0, 120)}`);
  const o = v as { type?: unknown; metric?: unknown; data?: unknown };
  if (typeof o.metric !== 'string' || typeof o.data !== 'object' || o.data === null) return new Error(`k6 line without metric or data: ${text.slice(0, 120)}`);
  if (o.type === 'Metric') return o as K6MetricLine;
  if (o.type === 'Point') {
    const d = o.data as { time?: unknown; value?: unknown; tags?: unknown };
    const at = typeof d.time === 'string' ? parseK6Time(d.time) : NaN;
    if (!Number.isFinite(at) || typeof d.value !== 'number') return new Error(`k6 Point without a time or numeric value: ${text.slice(0, 120)}`);
    return { type: 'Point', metric: o.metric, data: { time: d.time as string, value: d.value, tags: (d.tags ?? null) as Record<string, string> | null }, at };
  }
  return new Error(`unknown k6 line type ${JSON.stringify(o.type)}`);
}

/** Go's RFC 3339 with nanoseconds and an offset; Date.parse wants at most milliseconds. */
export function parseK6Time(time: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return NaN;
  const frac = (m[2] ?? '').padEnd(3, '0');
  const base = Date.parse(`${m[1]}.${frac.slice(0, 3)}${m[3]}`);
  return base + Number(`0.${frac.slice(3) || '0'}`);
}

/** k6's error_code tag on a failed request (see k6's lib/netext/httpext/error_codes.go). */
export function outcomeOfK6Error(code: number): Outcome {
  if (code === 1050 || code === 1211) return 'timeout'; // request timeout, dial timeout
  if (code === 1212) return 'refused';
  if (code === 1220 || code === 1201) return 'reset'; // reset by peer, broken pipe
  return 'other';
}

/** The outcome of one `http_reqs` sample from its tags. */
export function outcomeOfK6Request(tags: Record<string, string> | null): { outcome: Outcome; code?: string } {
  const status = Number(tags?.status ?? 0);
  if (status > 0) return { outcome: classifyStatus(status) };
  const code = Number(tags?.error_code ?? 0);
  const outcome = outcomeOfK6Error(code);
  return outcome === 'other' ? { outcome, code: `k6:${code || 'unknown'}` } : { outcome };
}

/**
 * Feeds k6 output text, possibly cut mid-line (the file is read while k6 writes it), into
 * per-second buckets: `http_reqs` gives outcomes, `http_req_duration` latencies,
 * `dropped_iterations` offered requests k6 could not send.
 */
export class K6Stream {
  private partial = '';
  readonly buckets: SecondBuckets;
  readonly otherCodes: Record<string, number> = {};
  readonly malformed: string[] = [];
  /** Metrics whose thresholds k6 reported as crossed (Metric lines with tainted: true). */
  readonly tainted = new Set<string>();

  constructor(emit: (b: SecondBucket) => void) {
    this.buckets = new SecondBuckets(emit);
  }

  feed(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** The output is complete: a last line without a newline counts too. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  private line(text: string): void {
    const l = parseK6Line(text);
    if (l === undefined) return;
    if (l instanceof Error) {
      if (this.malformed.length < 20) this.malformed.push(l.message);
      return;
    }
    if (l.type === 'Metric') {
      if (l.data.tainted) this.tainted.add(l.metric);
      return;
    }
    switch (l.metric) {
      case 'http_reqs': {
        const { outcome, code } = outcomeOfK6Request(l.data.tags);
        for (let i = 0; i < l.data.value; i++) {
          this.buckets.offered(l.at);
          this.buckets.sent(l.at, 0, false);
          this.buckets.outcome(l.at, outcome, undefined, false);
        }
        if (code) this.otherCodes[code] = (this.otherCodes[code] ?? 0) + l.data.value;
        break;
      }
      case 'http_req_duration': {
        // k6 times a failed request too; keep the latencies of answers only, as the built-in driver does for errors without one.
        const { outcome } = outcomeOfK6Request(l.data.tags);
        if (outcome !== 'reset' && outcome !== 'refused' && outcome !== 'other') this.buckets.latency(l.at, l.data.value);
        break;
      }
      case 'dropped_iterations':
        this.buckets.offered(l.at, l.data.value);
        break;
      default:
        break;
    }
  }
}

// ---- exit codes ----

/** k6's documented exit codes (errext/exitcodes) that shakedown tells apart. */
export const K6_EXIT = { thresholds: 99, externalAbort: 105, scriptException: 107, scriptAborted: 108 } as const;

/**
 * What k6's exit code means for the run. 99 (thresholds crossed) is recorded beside the
 * harness's own per-phase judgement, not as a failure of the driver; 105 (stopped by a signal)
 * is fine when the harness stopped it; 107 (script error) and anything else unexpected mean
 * the driver broke.
 */
export function k6Exit(code: number | undefined, stopRequested: boolean, signal?: string): DriverExit {
  if (code === 0) return { kind: 'ok', code, message: 'k6 ran its full duration' };
  if (code === K6_EXIT.thresholds) return { kind: 'thresholds', code, message: 'k6 thresholds in the script were crossed (exit 99); recorded beside shakedown\'s own judgement' };
  if (code === K6_EXIT.externalAbort || (code === undefined && signal)) {
    return stopRequested
      ? { kind: 'ok', ...(code === undefined ? {} : { code }), message: 'k6 stopped by the harness (exit 105)' }
      : { kind: 'error', ...(code === undefined ? {} : { code }), message: `k6 was stopped by a signal nobody in the harness sent (${code ?? signal})` };
  }
  if (code === K6_EXIT.scriptException) return { kind: 'error', code, message: 'the k6 script threw an exception (exit 107)' };
  if (code === K6_EXIT.scriptAborted) return { kind: 'error', code, message: 'the k6 script aborted the test (exit 108)' };
  return { kind: 'error', ...(code === undefined ? {} : { code }), message: `k6 exited with code ${code ?? 'none'}` };
}

// ---- version ----

/** The version from `k6 version` output ("k6 v1.2.3 (commit/…, go1.24…, linux/amd64)"). */
export function parseK6Version(stdout: string): { major: number; minor: number; patch: number; text: string } | undefined {
  const m = /\bk6\s+v?(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: `${m[1]}.${m[2]}.${m[3]}` };
}

// ---- the driver ----

export interface K6Options {
  /** The k6 binary: a path, or a name looked up on PATH. */
  bin: string;
  /** The script to run (TypeScript is run natively by k6 >= 1.0). */
  script: string;
  /** Where k6's raw JSON output is kept (a temp file when unset). */
  outFile?: string;
}

/** The script reads these with `__ENV` (see experiments/statefulset-identity/k6/load.ts). */
export function k6Args(o: K6Options & { outFile: string }, l: Pick<LoadStartOptions, 'rate' | 'duration' | 'timeout'> & { url: string }): string[] {
  return [
    'run',
    '--no-usage-report',
    '--include-system-env-vars=false',
    '--quiet',
    '--out', `json=${o.outFile}`,
    '-e', `SHAKEDOWN_URL=${l.url}`,
    '-e', `SHAKEDOWN_RATE=${l.rate}`,
    '-e', `SHAKEDOWN_DURATION=${Math.max(1, Math.round(l.duration / 1000))}s`,
    '-e', `SHAKEDOWN_TIMEOUT=${l.timeout}ms`,
    o.script,
  ];
}

/** k6's raw `--out json`, kept in the run's report folder. */
export const K6_OUTPUT_FILE = 'k6-output.json';

const k6Env = { K6_AUTO_EXTENSION_RESOLUTION: 'false' };

export function k6Driver(o: K6Options): LoadDriver {
  return {
    name: 'k6',
    async preflight() {
      const r = await execa(o.bin, ['version'], { reject: false, timeout: 15_000, env: k6Env });
      if (r.failed) throw new LoadDriverError(`k6 is not usable as "${o.bin}": ${r.shortMessage}`);
      const v = parseK6Version(r.stdout);
      if (!v) throw new LoadDriverError(`"${o.bin} version" did not print a k6 version: ${r.stdout.slice(0, 200)}`);
      if (v.major < 1) throw new LoadDriverError(`k6 ${v.text} is too old: shakedown needs k6 >= 1.0 (TypeScript scripts)`);
    },
    start: (l) => startK6(o, l),
  };
}

/** Reads what k6 appended to its --out json file since the last call into the stream (nothing before the file exists). */
function tail(outFile: string, stream: K6Stream): () => Promise<void> {
  let offset = 0;
  return async () => {
    let fh;
    try {
      fh = await open(outFile, 'r');
    } catch {
      return; // not created yet
    }
    try {
      const size = (await fh.stat()).size;
      while (offset < size) {
        const buf = Buffer.alloc(Math.min(1 << 20, size - offset));
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        stream.feed(buf.subarray(0, bytesRead).toString('utf8'));
      }
    } finally {
      await fh.close();
    }
  };
}

async function startK6(o: K6Options, l: LoadStartOptions): Promise<RunningLoad> {
  const url = loadTarget(l.url).href;
  checkBounds(l);
  const tmp = o.outFile ? undefined : await mkdtemp(join(tmpdir(), 'shakedown-k6-'));
  const outFile = o.outFile ?? join(tmp ?? '.', 'k6.json');
  const seconds: SecondBucket[] = [];
  const stream = new K6Stream((b) => {
    seconds.push(b);
    l.onSecond?.(b);
  });
  const stopper = new AbortController();
  let stopRequested = false;
  const onAbort = () => void stop();
  l.signal?.addEventListener('abort', onAbort, { once: true });
  const startedAt = Date.now();
  // Bounded by k6's own duration, and by a hard timeout beside it.
  const child = execa(o.bin, k6Args({ ...o, outFile }, { ...l, url }), {
    reject: false,
    env: k6Env,
    cancelSignal: stopper.signal,
    forceKillAfterDelay: 10_000,
    timeout: l.duration + l.timeout + 30_000,
    stdin: 'ignore',
  });

  const readMore = tail(outFile, stream);
  let reading = Promise.resolve();
  const poller = setInterval(() => {
    reading = reading.then(readMore).then(() => stream.buckets.flush(Date.now() - 3000));
  }, 500);

  function stop(): Promise<LoadResult> {
    if (!stopRequested) {
      stopRequested = true;
      stopper.abort();
    }
    return done;
  }

  const done: Promise<LoadResult> = (async () => {
    const r = await child;
    clearInterval(poller);
    l.signal?.removeEventListener('abort', onAbort);
    await reading;
    await readMore();
    stream.end();
    stream.buckets.flush(Date.now(), true);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    const exit = k6Exit(r.exitCode, stopRequested, r.signal);
    if (exit.kind === 'error') throw new LoadDriverError(`${exit.message}${r.stderr ? `: ${r.stderr.slice(-400)}` : ''}`);
    return {
      driver: 'k6',
      url,
      rate: l.rate,
      startedAt,
      endedAt: Date.now(),
      seconds: seconds.slice().sort((a, b) => a.at - b.at),
      totals: stream.buckets.totals,
      otherCodes: stream.otherCodes,
      exit: { ...exit, message: [exit.message, ...(stream.tainted.size ? [`thresholds crossed on ${[...stream.tainted].join(', ')}`] : []), ...(stream.buckets.late ? [`${stream.buckets.late} samples arrived more than 3 s late and count in the totals only`] : [])].join('; ') },
    };
  })();
  done.catch(() => {});
  return { driver: 'k6', startedAt, seconds: () => seconds.slice().sort((a, b) => a.at - b.at), stop, done };
}
