// When a change in a metric is a regression: it must exceed a relative threshold (current median
// at least `relative` × the baseline's) AND an absolute floor (at least `absolute` more, in the
// metric's unit) AND be significant (the bootstrap interval of the change excludes zero). The
// defaults come from the noise measured by bench/noise.mjs on the local cluster (README,
// "Comparing runs"); `--threshold name=1.5x,+500ms` overrides them per metric.
import { UsageError } from '../engine/errors.ts';

export interface Threshold {
  /** Current median / baseline median at or above which a change may be a regression (> 1). */
  relative: number;
  /** Smallest increase of the median, in the metric's unit, that may be a regression (≥ 0). */
  absolute: number;
}

/** An override as given on the command line; the absolute part keeps its unit until a metric's is known. */
export interface ThresholdOverride {
  relative?: number;
  absolute?: { value: number; unit?: 'ms' | 's' };
}

/**
 * Defaults by kind of metric. Times of the cluster's controllers (recovery, scaling, mTLS) in ms:
 * 1.5× and +2000 ms. Measured (bench/noise.mjs, local cluster, 3 pods a run): over 90 ordered
 * pairs of 10 identical runs a floor of +1000 ms flagged 10 (11 %), +2000 ms 4 (4.4 %, all
 * against one run the shared cluster slowed to a 7 s median), while an 8 s readiness delay was
 * flagged in 9 of 9 pairs at every threshold up to 3× and +3000 ms. Load latency percentiles:
 * 1.5× and +25 ms; shares (error rates): 2× and +0.02 (not measured by the bench); anything
 * else: 1.5× and no floor.
 */
export function defaultThreshold(name: string, unit: string): Threshold {
  if (unit === 'ratio') return { relative: 2, absolute: 0.02 };
  if (unit === 'ms' && /^load\./.test(name)) return { relative: 1.5, absolute: 25 };
  if (unit === 'ms') return { relative: 1.5, absolute: 2000 };
  if (unit === 's') return { relative: 1.5, absolute: 2 };
  return { relative: 1.5, absolute: 0 };
}

/** The threshold for one metric: its default, with an override by name (or `*`) on top. */
export function thresholdFor(name: string, unit: string, overrides: ReadonlyMap<string, ThresholdOverride>): Threshold {
  const t = defaultThreshold(name, unit);
  for (const key of ['*', name]) {
    const o = overrides.get(key);
    if (!o) continue;
    if (o.relative !== undefined) t.relative = o.relative;
    if (o.absolute !== undefined) t.absolute = inUnit(o.absolute, unit, name, key);
  }
  return t;
}

function inUnit(a: NonNullable<ThresholdOverride['absolute']>, unit: string, name: string, key: string): number {
  if (a.unit === undefined || a.unit === unit) return a.value;
  if (a.unit === 's' && unit === 'ms') return a.value * 1000;
  if (a.unit === 'ms' && unit === 's') return a.value / 1000;
  throw new UsageError(`--threshold ${key}=…: +${a.value}${a.unit} is a time, but metric ${name} is in ${unit}`, { field: '--threshold' });
}

/**
 * Parses `--threshold` values: `name=1.5x`, `name=+500ms`, `name=1.5x,+500ms`, `*=2x` (every
 * metric), `load.fault.errorRate=+0.05` (a bare number is in the metric's own unit).
 */
export function parseThresholds(flags: readonly string[]): Map<string, ThresholdOverride> {
  const out = new Map<string, ThresholdOverride>();
  for (const flag of flags) {
    const bad = (why: string) => new UsageError(`--threshold ${flag}: ${why} (expected name=1.5x,+500ms)`, { field: '--threshold' });
    const eq = flag.indexOf('=');
    if (eq <= 0) throw bad('no metric name before "="');
    const name = flag.slice(0, eq).trim();
    const o: ThresholdOverride = {};
    const parts = flag.slice(eq + 1).split(',').map((x) => x.trim());
    if (parts.length === 0 || parts.some((x) => x === '')) throw bad('an empty part');
    for (const part of parts) {
      const rel = /^(\d+(?:\.\d+)?)x$/.exec(part);
      const abs = /^\+(\d+(?:\.\d+)?)(ms|s)?$/.exec(part);
      if (rel) {
        const r = Number(rel[1]);
        if (!(r > 1)) throw bad(`the relative threshold ${part} must be above 1x`);
        if (o.relative !== undefined) throw bad('two relative thresholds');
        o.relative = r;
      } else if (abs) {
        if (o.absolute !== undefined) throw bad('two absolute floors');
        o.absolute = abs[2] === undefined ? { value: Number(abs[1]) } : { value: Number(abs[1]), unit: abs[2] as 'ms' | 's' };
      } else {
        throw bad(`"${part}" is neither a relative threshold (1.5x) nor an absolute floor (+500ms, +2s, +0.05)`);
      }
    }
    out.set(name, o);
  }
  return out;
}
