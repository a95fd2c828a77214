// Compares the metrics of a run with a baseline (one run, or the pooled samples of several past
// runs of the same experiment, target and parameters): per metric the medians and p95s, the
// change with its bootstrap 95 % interval, and a verdict. Pure: journals in, a result out.
import { UsageError } from '../engine/errors.ts';
import type { Journal, MetricRecord } from '../journal/schema.ts';
import { bootstrapMedianChange, median, percentile } from './stats.ts';
import { thresholdFor, type Threshold, type ThresholdOverride } from './thresholds.ts';

export type MetricVerdict = 'regressed' | 'improved' | 'unchanged' | 'not enough data';

export interface SideSummary {
  n: number;
  median?: number;
  p95?: number;
}

export interface MetricComparison {
  name: string;
  unit: string;
  target?: string;
  baseline: SideSummary;
  current: SideSummary;
  /** Raw samples, for charts. */
  baselineSamples: number[];
  currentSamples: number[];
  change?: { absolute: number; relative?: number; absoluteCi95: [number, number]; relativeCi95?: [number, number] };
  threshold: Threshold;
  verdict: MetricVerdict;
  reason: string;
}

export interface Comparison {
  experiment: string;
  baseline: { source: string; runs: string[]; skipped: string[] };
  current: { source: string; runId: string };
  metrics: MetricComparison[];
  regressed: boolean;
  seed: number;
}

export interface CompareOptions {
  thresholds?: ReadonlyMap<string, ThresholdOverride>;
  /** Fewest samples on each side for a verdict; default 3. */
  minSamples?: number;
  seed?: number;
  iterations?: number;
}

export const DEFAULT_MIN_SAMPLES = 2;

/** What makes two runs incomparable, one line each (empty when they compare). */
export function differences(baseline: Journal, current: Journal): string[] {
  if (baseline.experiment.name !== current.experiment.name) return [`different experiments: baseline ${baseline.experiment.name}, current ${current.experiment.name}`];
  const out: string[] = [];
  const keys = [...new Set([...Object.keys(baseline.parameters), ...Object.keys(current.parameters)])].sort();
  for (const k of keys) {
    const b = JSON.stringify(baseline.parameters[k]);
    const c = JSON.stringify(current.parameters[k]);
    if (b !== c) out.push(`different parameter ${k}: baseline ${b ?? '(unset)'}, current ${c ?? '(unset)'}`);
  }
  for (const m of current.metrics) {
    const o = baseline.metrics.find((x) => x.name === m.name);
    if (o && o.target !== m.target) out.push(`different targets: metric ${m.name} is about ${o.target ?? '(none)'} in the baseline, ${m.target ?? '(none)'} in the current run`);
  }
  return out;
}

/** Pools each metric's samples over runs; one metric in two units is refused. */
export function poolMetrics(runs: readonly { source: string; journal: Journal }[]): Map<string, MetricRecord> {
  const pooled = new Map<string, MetricRecord>();
  for (const { source, journal } of runs) {
    for (const m of journal.metrics) {
      const p = pooled.get(m.name);
      if (!p) {
        pooled.set(m.name, { ...m, samples: [...m.samples] });
        continue;
      }
      if (p.unit !== m.unit) throw new UsageError(`mixed units: metric ${m.name} is in ${p.unit} in one run and in ${m.unit} in ${source}; runs in different units cannot be compared`, { field: m.name });
      p.samples.push(...m.samples);
    }
  }
  return pooled;
}

/** Compares `current` with the baseline runs (already checked comparable, newest last). */
export function compareRuns(baseline: readonly { source: string; journal: Journal }[], current: { source: string; journal: Journal }, opts: CompareOptions & { baselineSource: string; skipped?: string[] }): Comparison {
  const first = baseline[0];
  if (!first) throw new UsageError(`no baseline run in ${opts.baselineSource}`, { field: opts.baselineSource });
  const base = poolMetrics(baseline);
  const cur = poolMetrics([current]);
  const seed = opts.seed ?? 1;
  const names = [...new Set([...base.keys(), ...cur.keys()])];
  const metrics = names.map((name) => {
    const b = base.get(name);
    const c = cur.get(name);
    if (b && c && b.unit !== c.unit) throw new UsageError(`mixed units: metric ${name} is in ${b.unit} in the baseline and in ${c.unit} in the current run; they cannot be compared`, { field: name });
    return compareMetric(name, b, c, { ...opts, seed });
  });
  return {
    experiment: current.journal.experiment.name,
    baseline: { source: opts.baselineSource, runs: baseline.map((r) => r.journal.runId), skipped: opts.skipped ?? [] },
    current: { source: current.source, runId: current.journal.runId },
    metrics,
    regressed: metrics.some((m) => m.verdict === 'regressed'),
    seed,
  };
}

const side = (xs: readonly number[]): SideSummary => (xs.length ? { n: xs.length, median: median(xs), p95: percentile(xs, 95) } : { n: 0 });

/** One metric's verdict: regressed only when the relative threshold, the floor and significance all hold. */
export function compareMetric(name: string, b: MetricRecord | undefined, c: MetricRecord | undefined, opts: CompareOptions = {}): MetricComparison {
  const unit = (c ?? b)?.unit ?? '';
  const bs = b?.samples ?? [];
  const cs = c?.samples ?? [];
  const min = opts.minSamples ?? DEFAULT_MIN_SAMPLES;
  const threshold = thresholdFor(name, unit, opts.thresholds ?? new Map());
  const target = (c ?? b)?.target;
  const out: MetricComparison = { name, unit, ...(target === undefined ? {} : { target }), baseline: side(bs), current: side(cs), baselineSamples: [...bs], currentSamples: [...cs], threshold, verdict: 'not enough data', reason: '' };
  if (bs.length < min || cs.length < min) {
    const missing = !b ? 'not in the baseline' : !c ? 'not in the current run' : undefined;
    out.reason = missing ?? `${bs.length} baseline and ${cs.length} current sample(s); at least ${min} needed on each side`;
    return out;
  }
  const boot = bootstrapMedianChange(bs, cs, { seed: opts.seed ?? 1, iterations: opts.iterations ?? 2000 });
  out.change = { absolute: boot.difference, absoluteCi95: boot.differenceCi, ...(boot.ratio === undefined ? {} : { relative: boot.ratio }), ...(boot.ratioCi ? { relativeCi95: boot.ratioCi } : {}) };
  const mb = out.baseline.median!;
  const mc = out.current.median!;
  // A baseline median of 0 (no errors) makes any rise infinitely relative: the floor decides.
  const relUp = mb === 0 ? mc > 0 : mc / mb >= threshold.relative;
  const relDown = mb !== 0 && mc / mb <= 1 / threshold.relative;
  const worse = [relUp, boot.difference >= threshold.absolute && boot.difference > 0, boot.differenceCi[0] > 0] as const;
  const better = [relDown, -boot.difference >= threshold.absolute && boot.difference < 0, boot.differenceCi[1] < 0] as const;
  if (worse.every(Boolean)) out.verdict = 'regressed';
  else if (better.every(Boolean)) out.verdict = 'improved';
  else out.verdict = 'unchanged';
  out.reason = explain(out, worse, better);
  return out;
}

function explain(m: MetricComparison, worse: readonly boolean[], better: readonly boolean[]): string {
  const t = m.threshold;
  const limits = `threshold ${t.relative}x and +${t.absolute} ${m.unit}, 95 % interval excluding 0`;
  if (m.verdict === 'regressed') return `slower beyond ${limits}`;
  if (m.verdict === 'improved') return `faster beyond ${limits}`;
  const d = m.change?.absolute ?? 0;
  const conds = d >= 0 ? worse : better;
  const why: string[] = [];
  if (!conds[0]) why.push(`ratio within ${t.relative}x`);
  if (!conds[1]) why.push(`change within ${t.absolute} ${m.unit}`);
  if (!conds[2]) why.push('95 % interval includes 0');
  return why.join('; ');
}
