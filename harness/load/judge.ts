// Judges load per phase (steady / fault / recovery) from the harness's own fault timestamps,
// not from a cumulative threshold. Pure: the per-second series and the windows in, figures and
// checks out. A breached limit is a finding (passed: false); a driver that did not deliver the
// load it was asked for is reported as `driverProblem`, which the caller turns into an error.
import type { CheckInput } from '../engine/experiment.ts';
import type { MeasurementRecord } from '../journal/schema.ts';
import { formatDuration } from '../engine/time.ts';
import { merge, percentiles } from './histogram.ts';
import { OUTCOMES, SERVED, zeroCounts, type OutcomeCounts, type SecondBucket } from './types.ts';

export interface Span {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

export interface PhaseWindows {
  steady: Span;
  fault: Span;
  recovery: Span;
}

export type PhaseName = keyof PhaseWindows;

export interface PhaseStats {
  phase: PhaseName;
  seconds: number;
  offered: number;
  sent: number;
  /** Requests with an outcome (every sent request has one once its second is complete). */
  requests: number;
  errors: number;
  /** errors / requests; 0 when there were no requests. */
  errorRate: number;
  outcomes: OutcomeCounts;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadLimits {
  /** Largest error rate (0–1) allowed during the fault. */
  maxFaultErrorRate: number;
  /** Largest p95 during the fault as a multiple of the steady p95. */
  maxP95Ratio: number;
  /** Bound on the time from the fault's start until the service is back in its steady band for good, ms. */
  recoverWithin: number;
  /** Error rate above the steady one that still counts as "in band" (absolute, 0–1). Default 0.01. */
  bandErrorSlack?: number;
  /**
   * The steady p95 used as the reference is at least this many ms (default 10): on loopback a
   * steady p95 of 1 ms would make a 5 ms blip a "5× slower" finding.
   */
  p95FloorMs?: number;
  /** Sent / offered below which the driver is deemed to have failed to deliver the load. Default 0.9. */
  minDelivered?: number;
}

export const errorsOf = (o: OutcomeCounts): number => OUTCOMES.filter((k) => !SERVED.has(k)).reduce((n, k) => n + o[k], 0);
const requestsOf = (o: OutcomeCounts): number => OUTCOMES.reduce((n, k) => n + o[k], 0);

/** A second belongs to the phase that holds its middle (seconds straddle the boundaries). */
const inSpan = (b: SecondBucket, s: Span) => b.at + 500 >= s.start && b.at + 500 < s.end;

export function phaseStats(phase: PhaseName, seconds: readonly SecondBucket[], span: Span): PhaseStats {
  const mine = seconds.filter((b) => inSpan(b, span));
  const outcomes = zeroCounts();
  let offered = 0;
  let sent = 0;
  for (const b of mine) {
    offered += b.offered;
    sent += b.sent;
    for (const k of OUTCOMES) outcomes[k] += b.outcomes[k];
  }
  const requests = requestsOf(outcomes);
  const errors = errorsOf(outcomes);
  const p = percentiles(merge(mine.map((b) => b.histogram)));
  return { phase, seconds: mine.length, offered, sent, requests, errors, errorRate: requests ? errors / requests : 0, outcomes, ...p };
}

export interface Recovery {
  /** The band a second must be in: at most this error rate and this p95 (ms). */
  band: { errorRate: number; p95: number };
  /** Seconds out of band at or after the fault's start. */
  outOfBand: number;
  /** ms from the fault's start to the end of the last out-of-band second; 0 if none; undefined if the series ends out of band. */
  recoveredAfter: number | undefined;
}

/**
 * Time to recover to the steady band: from the fault's start to the end of the last second
 * that was out of band (too many errors or p95 too high). A series that ends out of band has
 * not recovered.
 */
export function recovery(seconds: readonly SecondBucket[], windows: PhaseWindows, steady: PhaseStats, limits: LoadLimits): Recovery {
  const band = { errorRate: steady.errorRate + (limits.bandErrorSlack ?? 0.01), p95: referenceP95(steady, limits) * limits.maxP95Ratio };
  const after = seconds.filter((b) => b.at + 1000 > windows.fault.start && b.at < windows.recovery.end).sort((a, b) => a.at - b.at);
  let lastOut: SecondBucket | undefined;
  let outOfBand = 0;
  for (const b of after) {
    const n = requestsOf(b.outcomes);
    if (n === 0) continue;
    const out = errorsOf(b.outcomes) / n > band.errorRate || (band.p95 > 0 && b.p95 > band.p95);
    if (out) {
      outOfBand++;
      lastOut = b;
    }
  }
  const last = after.filter((b) => requestsOf(b.outcomes) > 0).at(-1);
  const recoveredAfter = !lastOut ? 0 : lastOut === last ? undefined : Math.max(0, lastOut.at + 1000 - windows.fault.start);
  return { band, outOfBand, recoveredAfter };
}

const referenceP95 = (steady: PhaseStats, limits: LoadLimits) => Math.max(steady.p95, limits.p95FloorMs ?? 10);

export interface LoadJudgement {
  phases: PhaseStats[];
  recovery: Recovery;
  checks: CheckInput[];
  /** Set when the driver did not deliver the load: the run broke, its figures prove nothing. */
  driverProblem?: string;
  /** The judge's own figures; when absent the runner records its default ones (recovery time). */
  measurements?: MeasurementRecord[];
}

const pct = (x: number) => `${(x * 100).toFixed(x && x < 0.001 ? 3 : 1)}%`;

/** Per-phase figures, and the evidence every load check carries. */
export function phasesOf(seconds: readonly SecondBucket[], windows: PhaseWindows): { phases: [PhaseStats, PhaseStats, PhaseStats]; evidence: Record<string, unknown> } {
  const phases = (['steady', 'fault', 'recovery'] as const).map((p) => phaseStats(p, seconds, windows[p])) as [PhaseStats, PhaseStats, PhaseStats];
  return { phases, evidence: { phases: phases.map(({ outcomes: _o, ...rest }) => ({ ...rest, errorRate: Number(rest.errorRate.toFixed(4)) })), windows } };
}

/**
 * A driver that did not deliver its load: `gap` names a phase it did not cover (the caller's
 * judgement), else it sent less than `minDelivered` of what it offered. An `error` check, not a finding.
 */
export function deliveryProblem(phases: readonly PhaseStats[], gap: string | undefined, evidence: Record<string, unknown>, minDelivered = 0.9): { driverProblem: string; check: CheckInput } | undefined {
  const offered = phases.reduce((n, p) => n + p.offered, 0);
  const sent = phases.reduce((n, p) => n + p.sent, 0);
  const driverProblem = gap ?? (offered > 0 && sent / offered < minDelivered ? `the load driver sent ${sent} of ${offered} offered requests (${pct(sent / offered)}, below ${pct(minDelivered)})` : undefined);
  if (!driverProblem) return undefined;
  return { driverProblem, check: { name: 'load-delivered', expected: `the driver sends at least ${pct(minDelivered)} of the offered requests in every phase`, observed: driverProblem, passed: 'error', evidence } };
}

export function judgeLoad(seconds: readonly SecondBucket[], windows: PhaseWindows, limits: LoadLimits): LoadJudgement {
  const { phases, evidence } = phasesOf(seconds, windows);
  const [steady, fault] = phases;
  const rec = recovery(seconds, windows, steady, limits);
  const gap = steady.requests === 0 ? 'the load driver completed no request during the steady state' : fault.seconds === 0 ? 'the load did not cover the fault window' : undefined;
  const broken = deliveryProblem(phases, gap, evidence, limits.minDelivered);
  if (broken) return { phases, recovery: rec, checks: [broken.check], driverProblem: broken.driverProblem };

  const ref = referenceP95(steady, limits);
  const ratio = fault.p95 / ref;
  const checks: CheckInput[] = [
    {
      name: 'load-errors-during-fault',
      expected: `at most ${pct(limits.maxFaultErrorRate)} of requests fail during the fault`,
      observed: `${fault.errors} of ${fault.requests} failed (${pct(fault.errorRate)}; steady ${pct(steady.errorRate)})${fault.errors ? `: ${describeErrors(fault.outcomes)}` : ''}`,
      passed: fault.errorRate <= limits.maxFaultErrorRate,
      evidence,
    },
    {
      name: 'load-p95-during-fault',
      expected: `p95 latency during the fault at most ${limits.maxP95Ratio}× the steady p95 (at least ${limits.p95FloorMs ?? 10}ms)`,
      observed: `p95 ${fault.p95}ms during the fault vs ${steady.p95}ms steady (${ratio.toFixed(2)}×${ref > steady.p95 ? ` of the ${ref}ms floor` : ''})`,
      passed: ratio <= limits.maxP95Ratio,
      evidence: { ...evidence, ratio, referenceP95: ref },
    },
    {
      name: 'load-recovered',
      expected: `back in the steady band (error rate ≤ ${pct(rec.band.errorRate)}, p95 ≤ ${rec.band.p95}ms) within ${formatDuration(limits.recoverWithin)} of the fault's start`,
      observed:
        rec.recoveredAfter === undefined
          ? `still out of band when the load ended (${rec.outOfBand} s out of band)`
          : rec.recoveredAfter === 0
            ? 'never left the steady band'
            : `back in band ${formatDuration(rec.recoveredAfter)} after the fault's start (${rec.outOfBand} s out of band)`,
      passed: rec.recoveredAfter !== undefined && rec.recoveredAfter <= limits.recoverWithin,
      evidence: { ...evidence, recovery: rec },
    },
  ];
  return { phases, recovery: rec, checks };
}

function describeErrors(o: OutcomeCounts): string {
  return OUTCOMES.filter((k) => !SERVED.has(k) && o[k] > 0)
    .map((k) => `${o[k]} ${k}`)
    .join(', ');
}

/** The per-phase table of the report. */
export function phaseTable(j: LoadJudgement, labels: Partial<Record<PhaseName, string>> = {}): { title: string; columns: string[]; rows: (string | number | null)[][] } {
  return {
    title: 'Load per phase (what the service\'s users saw)',
    columns: ['phase', 'seconds', 'offered', 'sent', 'errors', 'error rate', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
    rows: j.phases.map((p) => [labels[p.phase] ?? p.phase, p.seconds, p.offered, p.sent, p.errors, pct(p.errorRate), p.p50, p.p95, p.p99, p.max]),
  };
}
