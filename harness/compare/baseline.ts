// `run --baseline`: the comparison becomes part of the run. Each metric with a verdict is a check
// (`baseline:<metric>`; a regression is a finding, so the run fails), the whole comparison goes
// into the journal for the reports, and a metric without enough data is shown there as skipped,
// never counted as a pass.
import { decideVerdict } from '../engine/verdict.ts';
import type { CheckRecord, Journal, Verdict } from '../journal/schema.ts';
import type { Comparison, MetricComparison } from './compare.ts';
import { formatChange, formatValue } from './render.ts';

export const BASELINE_CHECK_PREFIX = 'baseline:';

function checkOf(m: MetricComparison, at: string): CheckRecord {
  const t = m.threshold;
  return {
    name: `${BASELINE_CHECK_PREFIX}${m.name}`,
    phase: 'verify',
    status: m.verdict === 'regressed' ? 'failed' : 'passed',
    expected: `median no worse than ${t.relative}x and +${formatValue(t.absolute, m.unit)} of the baseline's ${formatValue(m.baseline.median, m.unit)} (or within noise: 95 % interval including 0)`,
    observed: `${m.verdict}: median ${formatValue(m.current.median, m.unit)} (p95 ${formatValue(m.current.p95, m.unit)}, n=${m.current.n}), change ${formatChange(m)}; ${m.reason}`,
    evidence: { baselineSamples: m.baselineSamples, currentSamples: m.currentSamples, change: m.change, threshold: m.threshold },
    at,
    ...(m.target === undefined ? {} : { target: m.target }),
  };
}

/** Adds the comparison to the journal (checks and the `comparison` record) and returns the run's verdict with it. */
export function applyComparison(journal: Journal, c: Comparison): Verdict | undefined {
  const at = journal.endedAt ?? new Date().toISOString();
  for (const m of c.metrics) if (m.verdict !== 'not enough data') journal.checks.push(checkOf(m, at));
  journal.comparison = {
    baseline: { source: c.baseline.source, runs: c.baseline.runs },
    metrics: c.metrics.map((m) => ({ ...m, baseline: m.baselineSamples, current: m.currentSamples, baselineSummary: m.baseline, currentSummary: m.current, target: m.target })),
  };
  // A run that broke or was aborted keeps its verdict; otherwise the checks decide again.
  const v = journal.verdict;
  if (v && (v.kind === 'passed' || v.kind === 'failed')) journal.verdict = decideVerdict({ checks: journal.checks, rollbackFailures: [] });
  return journal.verdict;
}
