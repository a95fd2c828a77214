// Judges load whose fault is meant to turn requests away (a policy that rejects, such as Istio
// STRICT against plaintext), the inverse of judge.ts: errors during the fault are the expected
// evidence, served requests are the finding. Pure: the per-second series and the windows in,
// figures and checks out; a driver that did not deliver its load is `driverProblem` (an error).
import type { CheckInput } from '../engine/experiment.ts';
import type { MeasurementRecord } from '../journal/schema.ts';
import { formatDuration } from '../engine/time.ts';
import { deliveryProblem, errorsOf, phasesOf, type LoadJudgement, type PhaseWindows, type Span } from './judge.ts';
import { OUTCOMES, SERVED, type OutcomeCounts, type SecondBucket } from './types.ts';

export interface RejectionLimits {
  /** Bound on fault start → the last served request (the change propagating), ms. */
  rejectWithin: number;
  /** Bound on recovery start → every second back at or under `maxErrorRate`, ms. */
  serveWithin: number;
  /** Largest error rate (0–1) a second may have and still count as served again. */
  maxErrorRate: number;
  /** Sent / offered below which the driver is deemed to have failed. Default 0.9. */
  minDelivered?: number;
}

const served = (o: OutcomeCounts) => OUTCOMES.filter((k) => SERVED.has(k)).reduce((n, k) => n + o[k], 0);
const total = (o: OutcomeCounts) => OUTCOMES.reduce((n, k) => n + o[k], 0);
// A second belongs to the window that holds its middle, as in judge.ts.
const within = (b: SecondBucket, start: number, end: number) => b.at + 500 >= start && b.at + 500 < end;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const kinds = (o: OutcomeCounts) =>
  OUTCOMES.filter((k) => o[k] > 0)
    .map((k) => `${o[k]} ${k}`)
    .join(', ') || 'no requests';

/** When the fault took hold as the load saw it: the end of the last second that still served a request. */
export function rejectionOnset(seconds: readonly SecondBucket[], fault: Span): { lastServedEnd?: number; leakMs: number; rejectedAfter: number } {
  // The second the fault ends in may hold requests served after it was lifted (a change takes
  // effect within a fraction of a second): it says nothing about the fault, whichever side its middle is.
  const mine = seconds.filter((b) => within(b, fault.start, fault.end) && b.at + 1000 <= fault.end).sort((a, b) => a.at - b.at);
  const lastServed = mine.filter((b) => served(b.outcomes) > 0).at(-1);
  const lastServedEnd = lastServed ? lastServed.at + 1000 : undefined;
  // Seconds after the last served one that had requests, all of them turned away.
  const rejectedAfter = mine.filter((b) => (lastServedEnd === undefined || b.at >= lastServedEnd) && total(b.outcomes) > 0).length;
  return { lastServedEnd, leakMs: lastServedEnd === undefined ? 0 : Math.max(0, lastServedEnd - fault.start), rejectedAfter };
}

/** When requests were served again after the fault was lifted: the end of the last second over `maxErrorRate`. */
export function servedAgain(seconds: readonly SecondBucket[], windows: PhaseWindows, maxErrorRate: number): { servedAfter?: number; badSeconds: number } {
  const mine = seconds.filter((b) => within(b, windows.recovery.start, windows.recovery.end) && total(b.outcomes) > 0).sort((a, b) => a.at - b.at);
  const bad = mine.filter((b) => errorsOf(b.outcomes) / total(b.outcomes) > maxErrorRate);
  const lastBad = bad.at(-1);
  if (!lastBad) return { servedAfter: 0, badSeconds: 0 };
  // A series that ends bad was never served again.
  if (lastBad === mine.at(-1)) return { badSeconds: bad.length };
  return { servedAfter: Math.max(0, lastBad.at + 1000 - windows.recovery.start), badSeconds: bad.length };
}

export function judgeRejection(seconds: readonly SecondBucket[], windows: PhaseWindows, limits: RejectionLimits): LoadJudgement {
  const { phases, evidence } = phasesOf(seconds, windows);
  const [steady, fault, recovery] = phases;
  const rec = { band: { errorRate: limits.maxErrorRate, p95: 0 }, outOfBand: 0, recoveredAfter: undefined as number | undefined };
  const gap =
    steady.requests === 0 ? 'the load driver completed no request before the fault'
    : fault.requests === 0 ? 'the load did not cover the fault window'
    : recovery.requests === 0 ? 'the load did not cover the window after the fault'
    : undefined;
  const broken = deliveryProblem(phases, gap, evidence, limits.minDelivered);
  if (broken) return { phases, recovery: rec, checks: [broken.check], driverProblem: broken.driverProblem, measurements: [] };

  const onset = rejectionOnset(seconds, windows.fault);
  const again = servedAgain(seconds, windows, limits.maxErrorRate);
  rec.recoveredAfter = again.servedAfter;
  rec.outOfBand = again.badSeconds;
  const rejectedOk = onset.leakMs <= limits.rejectWithin && onset.rejectedAfter > 0;
  const checks: CheckInput[] = [
    {
      name: 'load-rejected-during-fault',
      expected: `requests stop being served within ${formatDuration(limits.rejectWithin)} of the fault's start and none is served again until it ends`,
      observed:
        onset.rejectedAfter === 0
          ? `requests were still served at the end of the fault (${fault.requests - fault.errors} of ${fault.requests} served: ${kinds(fault.outcomes)})`
          : `${onset.lastServedEnd === undefined ? 'no request was served during the fault' : `last request served ${formatDuration(onset.leakMs)} after the fault's start`}; then ${onset.rejectedAfter} s of requests all turned away (fault: ${kinds(fault.outcomes)})`,
      passed: rejectedOk,
      evidence: { ...evidence, onset },
    },
    {
      name: 'load-served-after-fault',
      expected: `within ${formatDuration(limits.serveWithin)} of the fault's end, every second has at most ${pct(limits.maxErrorRate)} errors`,
      observed:
        again.servedAfter === undefined
          ? `still over ${pct(limits.maxErrorRate)} errors when the load ended (${again.badSeconds} s; after the fault: ${kinds(recovery.outcomes)})`
          : `served again ${formatDuration(again.servedAfter)} after the fault's end (${again.badSeconds} s over the limit; after the fault: ${kinds(recovery.outcomes)})`,
      passed: again.servedAfter !== undefined && again.servedAfter <= limits.serveWithin,
      evidence: { ...evidence, servedAgain: again },
    },
  ];
  const measurements: MeasurementRecord[] = [
    { name: 'load-fault-served-for', value: onset.leakMs, unit: 'ms', description: "fault start → end of the last second with a served request (the change propagating, as the load saw it; 1 s resolution)" },
  ];
  if (again.servedAfter !== undefined) measurements.push({ name: 'load-served-again-after', value: again.servedAfter, unit: 'ms', description: "fault end → every second back under the error limit (1 s resolution)" });
  return { phases, recovery: rec, checks, measurements };
}
