// The workers' seconds merged into one series, exactly: counts added, HDR histograms added
// (percentiles read from the sum, never averaged), so the per-phase judge reads N workers as
// it reads one driver. A second is merged once every worker has reported it or cannot have
// anything for it. A worker whose lines stop (its pod died, its log ended early) leaves a gap:
// the requests its schedule put in the missing seconds count as offered and never as sent, so
// the judge sees a driver that did not deliver, not a thinner load that all went well.
import { encode, merge, newHistogram, percentiles } from '../histogram.ts';
import { errorsOf } from '../judge.ts';
import { OUTCOMES, zeroCounts, type OutcomeCounts, type SecondBucket } from '../types.ts';
import { DONE_FULL, type DoneLine, type SecondLine, type StartedLine, type WorkerLine } from './protocol.ts';
import { dueIn, dueSeconds, nextDueSecond, type Schedule } from './schedule.ts';

interface WorkerState {
  schedule?: Schedule;
  seconds: Map<number, SecondLine>;
  /** The last second received; lines come in time order, so an earlier one is a re-read. */
  last: number;
  done?: DoneLine;
  /**
   * Its "done" line came before the harness asked the workers to stop, and not because its
   * duration ran out: someone else stopped it (a deleted or evicted pod). What its schedule
   * still owed until the harness's stop is a gap, as for a worker that died.
   */
  early?: boolean;
  /** Why its log ended, once it did. */
  ended?: string;
  /** Seconds its schedule had requests in that never came, found as the series was merged. */
  missing: number[];
  missingRequests: number;
  /** Seconds that came after that second was merged (never expected; named, not dropped silently). */
  late: number;
}

/** One worker's figures for the journal. */
export interface WorkerFigures {
  index: number;
  rate: number;
  /** Requests with an outcome, from the seconds received. */
  requests: number;
  /** Requests with an outcome by the worker's own count (its "done" line); undefined without one. */
  reported?: number;
  outcomes: OutcomeCounts;
  errors: number;
  p50: number;
  p99: number;
  secondsReceived: number;
  /** Seconds the worker's schedule had requests in that never came from it. */
  missing: number[];
  /** Requests its schedule put in those seconds. */
  missingRequests: number;
  /** `done: <reason>` when it ended with its last line, else why its log ended without it. */
  ended: string;
  /** When its last line's totals differ from the seconds received: the lines lost in between. */
  mismatch?: string;
}

export class WorkerMerge {
  private readonly workers: WorkerState[];
  private emittedThrough = -Infinity;
  /** When the harness told the workers to stop (epoch ms): a silent worker owes nothing after it. */
  stopAt: number | undefined;

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => ({ seconds: new Map(), last: -Infinity, missing: [], missingRequests: 0, late: 0 }));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Takes one of worker `index`'s lines; false when it was not new (a duplicate from a log read again). */
  accept(index: number, line: WorkerLine): boolean {
    const w = this.workers[index];
    if (!w || line.index !== index) return false;
    if (line.type === 'started') return this.started(w, line);
    if (line.type === 'done') {
      if (w.done) return false;
      w.done = line;
      w.early = this.stopAt === undefined && line.reason !== DONE_FULL;
      return true;
    }
    if (!w.schedule || line.at <= w.last) return false;
    if (line.at <= this.emittedThrough) w.late++;
    w.seconds.set(line.at, line);
    w.last = line.at;
    return true;
  }

  private started(w: WorkerState, line: StartedLine): boolean {
    if (w.schedule) return false;
    w.schedule = { at: line.at, rate: line.rate, maxRequests: line.maxRequests };
    return true;
  }

  /** Worker `index`'s log ended (`why`); without its "done" line, what its schedule still owed is a gap. */
  ended(index: number, why: string): void {
    const w = this.workers[index];
    if (w && w.ended === undefined) w.ended = why;
  }

  /** The workers that sent their "started" line. */
  startedCount(): number {
    return this.workers.filter((w) => w.schedule).length;
  }

  /** The first request of the last worker to start: from then on every worker is sending. */
  allStartedAt(): number | undefined {
    if (this.startedCount() < this.workers.length) return undefined;
    return Math.max(...this.workers.map((w) => w.schedule!.at));
  }

  /** Whether every worker's log has ended. */
  allEnded(): boolean {
    return this.workers.every((w) => w.ended !== undefined);
  }

  /** Whether worker `index` printed its "started" line. */
  hasStarted(index: number): boolean {
    return this.workers[index]?.schedule !== undefined;
  }

  /** Whether worker `index` printed its "done" line. */
  hasDone(index: number): boolean {
    return this.workers[index]?.done !== undefined;
  }

  /** Whether worker `index` stopped before the harness stopped the load (see WorkerState.early). */
  stoppedEarly(index: number): boolean {
    return this.workers[index]?.early === true;
  }

  /** Indexes of workers whose log ended without their "done" line, or that were stopped early. */
  died(): number[] {
    return this.workers.flatMap((w, i) => (w.ended !== undefined && !complete(w) ? [i] : []));
  }

  /** What worker w's schedule can still owe: up to its last fired request when complete, else up to the stop. */
  private owed(w: WorkerState): Schedule | undefined {
    if (!w.schedule) return undefined;
    return complete(w) ? { ...w.schedule, maxRequests: Math.min(w.schedule.maxRequests, w.done.totals.offered) } : w.schedule;
  }

  /** Whether worker w has said all it will about `second`. */
  private covers(w: WorkerState, second: number): boolean {
    if (w.ended !== undefined || w.last >= second) return true;
    const s = this.owed(w);
    if (!s) return false;
    // Not bounded by the stop: a live worker sends until its SIGTERM arrives, after stopAt.
    const next = nextDueSecond(s, w.last + 1000);
    return next === undefined || next > second;
  }

  /** Merged seconds complete since the last call, in time order. */
  ready(): SecondBucket[] {
    return this.emit(false);
  }

  /** Every second left, once the load is over (all logs ended or given up on). */
  finish(): SecondBucket[] {
    return this.emit(true);
  }

  private emit(force: boolean): SecondBucket[] {
    const received = this.workers.flatMap((w) => [...w.seconds.keys()]);
    if (received.length === 0) return [];
    const first = Math.min(...this.workers.flatMap((w) => (w.schedule ? [Math.floor(w.schedule.at / 1000) * 1000] : [])));
    const horizon = Math.max(...received);
    const out: SecondBucket[] = [];
    for (let t = Math.max(first, this.emittedThrough + 1000); t <= horizon; t += 1000) {
      if (!force && !this.workers.every((w) => this.covers(w, t))) break;
      const b = this.mergeSecond(t);
      this.emittedThrough = t;
      if (b) out.push(b);
    }
    return out;
  }

  /** One second of every worker: what came, plus what a silent worker's schedule owed (offered, never sent). */
  private mergeSecond(t: number): SecondBucket | undefined {
    const parts: SecondLine[] = [];
    let owedRequests = 0;
    for (const w of this.workers) {
      const got = w.seconds.get(t);
      if (got) {
        parts.push(got);
        continue;
      }
      const s = this.owed(w);
      const n = s ? dueIn(s, t, complete(w) ? Infinity : this.stopAt) : 0;
      if (n > 0) {
        w.missing.push(t);
        w.missingRequests += n;
        owedRequests += n;
      }
    }
    if (parts.length === 0 && owedRequests === 0) return undefined;
    return mergeSeconds(t, parts, owedRequests);
  }

  /** Each worker's figures (call after finish()). */
  figures(): WorkerFigures[] {
    return this.workers.map((w, index) => {
      const lines = [...w.seconds.values()];
      const outcomes = zeroCounts();
      for (const l of lines) for (const k of OUTCOMES) outcomes[k] += l.outcomes[k];
      const p = percentiles(merge(lines.map((l) => l.histogram)));
      const sent = lines.reduce((n, l) => n + l.sent, 0);
      const requests = OUTCOMES.reduce((n, k) => n + outcomes[k], 0);
      const problems = [
        ...(w.done && (w.done.totals.sent !== sent || w.done.totals.offered !== lines.reduce((n, l) => n + l.offered, 0)) ? [`its last line counts ${w.done.totals.sent} requests sent, its seconds ${sent}`] : []),
        ...(w.late ? [`${w.late} of its seconds came after that second was merged and are not in the series`] : []),
      ];
      const mismatch = problems.length ? problems.join('; ') : undefined;
      return {
        index,
        rate: w.schedule?.rate ?? 0,
        requests,
        outcomes,
        errors: errorsOf(outcomes),
        p50: p.p50,
        p99: p.p99,
        secondsReceived: lines.length,
        missing: [...w.missing],
        missingRequests: w.missingRequests,
        ended: w.done ? `done: ${w.done.reason}${w.early ? ', before the harness stopped the load' : ''}` : (w.ended ?? 'still running'),
        ...(w.done ? { reported: OUTCOMES.reduce((n, k) => n + w.done!.totals.outcomes[k], 0) } : {}),
        ...(mismatch ? { mismatch } : {}),
      };
    });
  }

  /** Error codes of `other` outcomes, over the workers that reported them. */
  otherCodes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.workers) for (const [k, n] of Object.entries(w.done?.otherCodes ?? {})) out[k] = (out[k] ?? 0) + n;
    return out;
  }

  /** The seconds worker `index`'s schedule had requests in, for tests and the journal. */
  expectedSeconds(index: number): number[] {
    const w = this.workers[index];
    const s = w && this.owed(w);
    return s ? dueSeconds(s, { until: complete(w) ? Infinity : (this.stopAt ?? Infinity) }) : [];
  }
}

/** A worker that sent all it was meant to: its "done" line, for its duration or the harness's stop. */
const complete = (w: WorkerState): w is WorkerState & { done: DoneLine } => w.done !== undefined && !w.early;

/**
 * Seconds of several workers as one: counts added, histograms added (HDR), percentiles read
 * from the sum; `owed` requests of silent workers added to offered only.
 */
export function mergeSeconds(at: number, parts: readonly Pick<SecondLine, 'offered' | 'sent' | 'outcomes' | 'histogram' | 'maxSendLagMs'>[], owed = 0): SecondBucket {
  const outcomes = zeroCounts();
  let offered = owed;
  let sent = 0;
  let lag = 0;
  for (const p of parts) {
    offered += p.offered;
    sent += p.sent;
    lag = Math.max(lag, p.maxSendLagMs);
    for (const k of OUTCOMES) outcomes[k] += p.outcomes[k];
  }
  const h = parts.length ? merge(parts.map((p) => p.histogram)) : newHistogram();
  return { at, offered, sent, outcomes, ...percentiles(h), histogram: h.totalCount ? encode(h) : '', maxSendLagMs: lag };
}
