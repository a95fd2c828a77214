// The statistics of run-to-run comparison, pure and seeded so the same inputs give the same
// figures every time: medians, nearest-rank percentiles, and a percentile bootstrap of the
// change in the median (absolute and relative) between two independent samples.

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)); good enough for resampling. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Median of a non-empty sample (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty sample');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (q in 0..100) of a non-empty sample: always one of the samples. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((q / 100) * s.length));
  return s[Math.min(rank, s.length) - 1]!;
}

export interface BootstrapResult {
  /** median(current) − median(baseline), in the samples' unit. */
  difference: number;
  /** median(current) / median(baseline); undefined when the baseline median is 0. */
  ratio: number | undefined;
  /** 95 % percentile-bootstrap interval of the difference. */
  differenceCi: [number, number];
  /** 95 % interval of the ratio; undefined when a resampled baseline median was 0. */
  ratioCi: [number, number] | undefined;
}

/**
 * Resamples each side with replacement `iterations` times (each side independently: the runs
 * are independent) and takes the 2.5th and 97.5th percentiles of the resampled changes.
 */
export function bootstrapMedianChange(baseline: readonly number[], current: readonly number[], options: { iterations?: number; seed?: number } = {}): BootstrapResult {
  if (baseline.length === 0 || current.length === 0) throw new RangeError('bootstrap needs samples on both sides');
  const iterations = options.iterations ?? 2000;
  const random = seededRandom(options.seed ?? 1);
  const resample = (xs: readonly number[]) => median(Array.from(xs, () => xs[Math.floor(random() * xs.length)]!));
  const diffs: number[] = [];
  const ratios: number[] = [];
  let zeroBase = false;
  for (let i = 0; i < iterations; i++) {
    const b = resample(baseline);
    const c = resample(current);
    diffs.push(c - b);
    if (b === 0) zeroBase = true;
    else ratios.push(c / b);
  }
  const ci = (xs: number[]): [number, number] => {
    const s = xs.sort((a, b) => a - b);
    const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.floor(q * s.length)))]!;
    return [at(0.025), at(0.975)];
  };
  const mb = median(baseline);
  const mc = median(current);
  return { difference: mc - mb, ratio: mb === 0 ? undefined : mc / mb, differenceCi: ci(diffs), ratioCi: zeroBase ? undefined : ci(ratios) };
}
