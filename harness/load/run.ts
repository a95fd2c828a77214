// Load beside an experiment's fault, as the engine's steps use it: start it before the fault
// (stopped by a rollback, always), mark the fault's start and end from the harness's own
// clock, then stop it after the recovery window, write the per-second series, windows and
// per-phase table to the journal and return the per-phase checks.
import { join } from 'node:path';
import type { CheckInput, Recorder } from '../engine/experiment.ts';
import { RunError } from '../engine/errors.ts';
import { formatDuration } from '../engine/time.ts';
import { done, notYet, waitFor } from '../engine/wait.ts';
import { secondOf } from './buckets.ts';
import { encode, merge } from './histogram.ts';
import { builtinDriver } from './builtin.ts';
import { judgeLoad, phaseTable, errorsOf, type LoadJudgement, type PhaseName, type PhaseWindows } from './judge.ts';
import { K6_OUTPUT_FILE, k6Driver } from './k6.ts';
import type { LoadParams } from './params.ts';
import { workerDriver, type WorkerHost } from './workers/driver.ts';
import { formatSeconds } from './workers/schedule.ts';
import { usesWorkers } from './workers/permissions.ts';
import type { LoadDriver, LoadResult, RunningLoad, SecondBucket } from './types.ts';

/** The run's driver; k6 writes its raw `--out json` into `artifactDir` (the report folder) when given, else a temporary file. */
export function driverFor(p: LoadParams, k6Script: string, artifactDir?: string, workers?: WorkerHost): LoadDriver {
  if (p.load === 'k6') return k6Driver({ bin: p.loadK6, script: p.loadK6Script ?? k6Script, ...(artifactDir ? { outFile: join(artifactDir, K6_OUTPUT_FILE) } : {}) });
  return workers ? workerDriver(workers) : builtinDriver;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** How a run's load is judged: judge.ts by default; an experiment whose fault turns requests away passes judge-rejection.ts. */
export interface FinishOptions {
  judge?: (seconds: readonly SecondBucket[], windows: PhaseWindows) => LoadJudgement;
  /** Names of the phases in the report's table (e.g. STRICT for the fault). */
  labels?: Partial<Record<PhaseName, string>>;
}

export class LoadRun {
  private load?: RunningLoad;
  private result?: LoadResult;
  private faultStart?: number;
  private faultEnd?: number;
  private closeFaultWindow?: () => void;
  private closeLoadWindow?: () => void;
  /** Seconds already journaled: each complete second goes into the journal as the load runs (a live view charts it). */
  private journaledThrough = -Infinity;
  private ticker?: NodeJS.Timeout;
  readonly url: string;

  private readonly p: LoadParams;
  private readonly driver: LoadDriver;
  private readonly record: Recorder;

  constructor(p: LoadParams, driver: LoadDriver, url: string, record: Recorder) {
    this.p = p;
    this.driver = driver;
    this.url = url;
    this.record = record;
  }

  /** Starts the load, bounded by `maxDurationMs` (the run's deadline); resolves once the first request is due. */
  async start(maxDurationMs: number, signal: AbortSignal): Promise<void> {
    try {
      this.load = await this.driver.start({ url: this.url, rate: this.p.loadRate, duration: maxDurationMs, timeout: this.p.loadTimeout, signal });
    } catch (err) {
      throw new RunError('OBSERVE', `the ${this.driver.name} load driver did not start: ${(err as Error).message}`, { cause: err });
    }
    this.closeLoadWindow = this.record.window('load');
    const load = this.load;
    this.ticker = setInterval(() => this.journalSeconds(load.seconds()), 1000);
    this.ticker.unref();
    const where = usesWorkers(this.p) ? ` from ${this.p.loadWorkers ?? 1} worker pods` : '';
    this.record.event({ source: 'load', type: 'load-started', message: `${this.driver.name}: ${this.p.loadRate} req/s${where} to ${this.url} (timeout ${formatDuration(this.p.loadTimeout)})` });
  }

  /** Stops the load (idempotent); for the rollback, so that it always stops. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    if (!this.load) return;
    try {
      this.result ??= await this.load.stop();
      this.closeLoadWindow?.();
      // A fault that broke leaves its window open; the rollback closes it with the load.
      this.closeFaultWindow?.();
    } catch {
      // A driver that broke is reported by finish(); the rollback only has to make sure it stopped.
    }
  }

  /** Waits, as a condition with a deadline, until the load has `ms` of complete seconds. */
  async steady(ms: number, signal: AbortSignal): Promise<void> {
    const load = this.running();
    const want = Math.ceil(ms / 1000);
    // Whole seconds only: the first one started part-way through.
    const full = () => load.seconds().filter((s) => s.sent > 0 && s.at >= secondOf(load.startedAt) + 1000).length;
    await waitFor(() => (full() >= want ? done(undefined) : notYet(`${full()} s of load`)), {
      what: `${want} s of steady-state load`,
      timeoutMs: ms + this.p.loadTimeout + 30_000,
      intervalMs: 250,
      signal,
    });
  }

  /** The complete seconds so far (empty before the start). */
  seconds(): SecondBucket[] {
    return this.load?.seconds() ?? [];
  }

  /** Marks the fault window (journaled as `window`, unless the experiment marks its own: null); call the result when the fault is over. */
  faultStarted(window: string | null = 'fault'): () => void {
    this.faultStart = Date.now();
    this.closeFaultWindow = window === null ? undefined : this.record.window(window);
    return () => {
      this.faultEnd ??= Date.now();
      this.closeFaultWindow?.();
    };
  }

  /**
   * Waits until the recovery window after the fault is covered by complete seconds, stops the
   * load, journals its series and table, and judges it per phase.
   */
  async finish(signal: AbortSignal, opts: FinishOptions = {}): Promise<CheckInput[]> {
    const load = this.running();
    if (this.faultStart === undefined || this.faultEnd === undefined) throw new RunError('INTERNAL', 'the load was judged before the fault was marked');
    const until = this.faultEnd + this.p.loadRecoveryFor;
    if (!this.result) {
      // A condition with a deadline: the clock past the window and its last second complete.
      await waitFor(() => (Date.now() >= until && (load.seconds().at(-1)?.at ?? 0) + 1000 >= until ? done(undefined) : notYet(`${load.seconds().length} s of load`)), {
        what: `${formatDuration(this.p.loadRecoveryFor)} of load after the fault`,
        timeoutMs: Math.max(0, until - Date.now()) + this.p.loadTimeout + 30_000,
        intervalMs: 250,
        signal,
      });
    }
    let result: LoadResult;
    try {
      result = this.result ?? (await load.stop());
      this.result = result;
    } catch (err) {
      throw new RunError('OBSERVE', `the ${this.driver.name} load driver broke: ${(err as Error).message}`, { cause: err });
    }
    this.journal(result);
    // The steady phase starts with the load's first (partial) second.
    const windows = { steady: { start: secondOf(load.startedAt), end: this.faultStart }, fault: { start: this.faultStart, end: this.faultEnd }, recovery: { start: this.faultEnd, end: until } };
    const j = opts.judge
      ? opts.judge(result.seconds, windows)
      : judgeLoad(result.seconds, windows, { maxFaultErrorRate: this.p.loadMaxErrorRate, maxP95Ratio: this.p.loadMaxP95Ratio ?? 5, recoverWithin: this.p.loadRecoverWithin });
    this.record.table(phaseTable(j, opts.labels));
    this.measure(j, result);
    this.metrics(j, result, windows);
    for (const m of j.measurements ?? []) this.record.measurement(m);
    if (result.exit.kind === 'thresholds') this.record.event({ source: 'load', type: 'k6-thresholds', message: result.exit.message });
    for (const c of j.checks) this.record.check(c);
    if (j.driverProblem) throw new RunError('OBSERVE', j.driverProblem);
    return j.checks;
  }

  private running(): RunningLoad {
    if (!this.load) throw new RunError('INTERNAL', 'the load was not started');
    return this.load;
  }

  private journal(r: LoadResult): void {
    clearInterval(this.ticker);
    this.journalSeconds(r.seconds);
    this.closeLoadWindow?.();
    this.record.event({
      source: 'load',
      type: 'load-stopped',
      message: `${r.driver}: ${r.totals.sent} of ${r.totals.offered} offered requests sent; ${errorsOf(r.totals.outcomes)} failed (${Object.entries(r.totals.outcomes).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}); ${r.exit.message}`,
      data: { totals: r.totals, otherCodes: r.otherCodes, exit: r.exit, ...(r.workers ? { workers: r.workers } : {}) },
    });
    if (r.workers) this.journalWorkers(r.workers);
  }

  /** Each worker's figures as a table, and every worker's gap (seconds its schedule had and no line brought) as an event. */
  private journalWorkers(workers: NonNullable<LoadResult['workers']>): void {
    this.record.table({
      title: 'Load workers (one pod each; their histograms merged exactly)',
      columns: ['worker', 'pod', 'node', 'rate req/s', 'requests', 'own count', 'errors', 'p50 ms', 'p99 ms', 'seconds received', 'seconds missing', 'ended'],
      rows: workers.map((w) => [w.index, w.pod, w.node, w.rate, w.requests, w.reported ?? null, w.errors, w.p50, w.p99, w.secondsReceived, w.missing.length, w.ended]),
    });
    for (const w of workers) {
      if (w.missing.length === 0 && !w.mismatch) continue;
      const seconds = w.missing.length ? `no data for ${w.missing.length} s (${formatSeconds(w.missing)}), ${w.missingRequests} scheduled requests counted as offered and not sent` : '';
      this.record.event({
        source: 'load',
        type: 'load-worker-gap',
        message: `load worker ${w.index} (pod ${w.pod} on ${w.node || 'no node'}): ${[seconds, w.mismatch].filter(Boolean).join('; ')}; ${w.ended}`,
        data: { index: w.index, pod: w.pod, node: w.node, missing: w.missing.map(iso), missingRequests: w.missingRequests, ...(w.mismatch ? { mismatch: w.mismatch } : {}) },
      });
    }
  }

  /** Journals the complete seconds not journaled yet, in time order (a second is final once complete). */
  private journalSeconds(seconds: readonly SecondBucket[]): void {
    const at = (s: SecondBucket) => iso(s.at);
    for (const s of seconds) {
      if (s.at <= this.journaledThrough) continue;
      this.journaledThrough = s.at;
      this.record.point({ name: 'sent', group: 'load: requests/s', unit: 'req/s' }, s.sent, at(s));
      this.record.point({ name: 'errors', group: 'load: requests/s', unit: 'req/s' }, errorsOf(s.outcomes), at(s));
      if (s.p50 || s.p95) {
        this.record.point({ name: 'p50', group: 'load: latency', unit: 'ms' }, s.p50, at(s));
        this.record.point({ name: 'p95', group: 'load: latency', unit: 'ms' }, s.p95, at(s));
        this.record.point({ name: 'p99', group: 'load: latency', unit: 'ms' }, s.p99, at(s));
      }
    }
  }

  /** Per phase: latency percentiles (each with the phase's merged HDR histogram) and error rate, as comparable metrics. */
  private metrics(j: LoadJudgement, r: LoadResult, windows: PhaseWindows): void {
    for (const ph of j.phases) {
      if (ph.requests === 0) continue;
      const span = windows[ph.phase];
      // A second belongs to the phase holding its middle, as judge.ts's phaseStats counts it.
      const histogram = encode(merge(r.seconds.filter((b) => b.at + 500 >= span.start && b.at + 500 < span.end).map((b) => b.histogram)));
      const opts = (what: string) => ({ description: `${what} during the ${ph.phase} phase (${r.driver} driver)`, histogram });
      this.record.metric(`load.${ph.phase}.p50`, 'ms', ph.p50, opts('latency p50'));
      this.record.metric(`load.${ph.phase}.p95`, 'ms', ph.p95, opts('latency p95'));
      this.record.metric(`load.${ph.phase}.p99`, 'ms', ph.p99, opts('latency p99'));
      this.record.metric(`load.${ph.phase}.errorRate`, 'ratio', Number(ph.errorRate.toFixed(4)), { description: `share of failed requests during the ${ph.phase} phase` });
    }
  }

  private measure(j: LoadJudgement, r: LoadResult): void {
    const [steady, fault] = j.phases;
    this.record.measurement({ name: 'load-offered', value: r.totals.offered, unit: 'requests', description: `${r.rate} req/s offered by the ${r.driver} driver` });
    if (fault) this.record.measurement({ name: 'load-fault-error-rate', value: Number(fault.errorRate.toFixed(4)), unit: 'ratio', description: 'share of requests that failed during the fault' });
    if (steady && fault) this.record.measurement({ name: 'load-fault-p95', value: fault.p95, unit: 'ms', description: `p95 during the fault (steady ${steady.p95} ms)` });
    if (j.recovery.recoveredAfter !== undefined && !j.measurements) this.record.measurement({ name: 'load-recovered-after', value: j.recovery.recoveredAfter, unit: 'ms', description: 'fault start → back in the steady band for good' });
  }
}
