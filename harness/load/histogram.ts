// Latency histograms: HDR (3 significant digits) in microseconds, 1 µs to 1 h, so that
// per-second histograms can be merged into per-phase percentiles without keeping every request.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  // JS implementation: the WebAssembly one needs an async init and gains nothing at these rates.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
}

/** Records a latency given in milliseconds (clamped into the histogram's range). */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const ms = (us: number) => Math.round(us) / 1000;

/** Percentiles in ms; zeros for an empty histogram. */
export function percentiles(h: Histogram): Percentiles {
  if (h.totalCount === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  return { p50: ms(h.getValueAtPercentile(50)), p95: ms(h.getValueAtPercentile(95)), p99: ms(h.getValueAtPercentile(99)), max: ms(h.maxValue) };
}

export const encode = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);

/** Merges encoded per-second histograms (empty strings are skipped). */
export function merge(encoded: readonly string[]): Histogram {
  const out = newHistogram();
  for (const e of encoded) {
    if (!e) continue;
    out.add(hdr.decodeFromCompressedBase64(e, 32));
  }
  return out;
}
