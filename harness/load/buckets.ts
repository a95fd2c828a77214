// Per-second aggregation shared by the drivers: counts by outcome and an HDR histogram per
// second, so memory grows with the seconds of load, never with the number of requests.
import { encode, newHistogram, percentiles, recordMs, type Histogram } from './histogram.ts';
import { zeroCounts, type Outcome, type OutcomeCounts, type SecondBucket } from './types.ts';

interface Open {
  at: number;
  offered: number;
  sent: number;
  /** Requests sent whose outcome is not known yet; the second is complete at 0. */
  pending: number;
  outcomes: OutcomeCounts;
  histogram: Histogram;
  maxSendLagMs: number;
}

export const secondOf = (epochMs: number): number => Math.floor(epochMs / 1000) * 1000;

export class SecondBuckets {
  private readonly open = new Map<number, Open>();
  readonly totals = { offered: 0, sent: 0, outcomes: zeroCounts() };
  /** Start of the last second emitted: a second is emitted once, and never reopened after. */
  private emittedThrough = -Infinity;
  /**
   * Events that arrived for a second already emitted (counted in the totals, not in any second).
   * The built-in driver never has any (it emits a second only once all of it is fired and
   * settled); k6's samples can, when its output file lags more than the flush delay.
   */
  late = 0;

  private readonly emit: (b: SecondBucket) => void;

  constructor(emit: (b: SecondBucket) => void) {
    this.emit = emit;
  }

  private bucket(at: number): Open {
    const key = secondOf(at);
    if (key <= this.emittedThrough) {
      this.late++;
      return { at: key, offered: 0, sent: 0, pending: 0, outcomes: zeroCounts(), histogram: newHistogram(), maxSendLagMs: 0 };
    }
    let b = this.open.get(key);
    if (!b) {
      b = { at: key, offered: 0, sent: 0, pending: 0, outcomes: zeroCounts(), histogram: newHistogram(), maxSendLagMs: 0 };
      this.open.set(key, b);
    }
    return b;
  }

  offered(intendedAt: number, n = 1): void {
    this.bucket(intendedAt).offered += n;
    this.totals.offered += n;
  }

  /** A request left for the target; `lagMs` is how late after its intended time. */
  sent(intendedAt: number, lagMs: number, awaitOutcome = true): void {
    const b = this.bucket(intendedAt);
    b.sent++;
    if (awaitOutcome) b.pending++;
    b.maxSendLagMs = Math.max(b.maxSendLagMs, lagMs);
    this.totals.sent++;
  }

  /** The outcome of a request; `latencyMs` from its intended send time, when it has one. */
  outcome(intendedAt: number, outcome: Outcome, latencyMs?: number, wasPending = true): void {
    const b = this.bucket(intendedAt);
    b.outcomes[outcome]++;
    this.totals.outcomes[outcome]++;
    if (wasPending) b.pending = Math.max(0, b.pending - 1);
    if (latencyMs !== undefined) recordMs(b.histogram, latencyMs);
  }

  /** A latency reported apart from the outcome (k6 writes them as separate samples). */
  latency(at: number, latencyMs: number): void {
    recordMs(this.bucket(at).histogram, latencyMs);
  }

  /**
   * Emits, in time order, every second that ends at or before `complete` and has no request
   * pending (all of them when `force`: the load is over and nothing more will arrive).
   * `complete` is the time before which every event has been recorded: for a scheduled driver
   * the due time of its next request not yet fired, never the wall clock — after a stall the
   * clock is past a second whose last requests have not been fired yet.
   */
  flush(complete: number, force = false): void {
    const keys = [...this.open.keys()].sort((a, b) => a - b);
    for (const key of keys) {
      const b = this.open.get(key);
      if (!b) continue;
      if (!force && (key + 1000 > complete || b.pending > 0)) break;
      this.open.delete(key);
      this.emittedThrough = key;
      this.emit({
        at: b.at,
        offered: b.offered,
        sent: b.sent,
        outcomes: b.outcomes,
        ...percentiles(b.histogram),
        histogram: b.histogram.totalCount ? encode(b.histogram) : '',
        maxSendLagMs: Math.round(b.maxSendLagMs * 10) / 10,
      });
    }
  }
}
