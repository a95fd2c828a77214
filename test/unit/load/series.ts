// Synthetic per-second load series for the judges' tests, built by the same code the drivers use.
import { SecondBuckets } from '../../../harness/load/buckets.ts';
import type { PhaseWindows } from '../../../harness/load/judge.ts';
import type { Outcome, SecondBucket } from '../../../harness/load/types.ts';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

export interface Sec {
  ok: number;
  ms: number;
  errors?: number;
  kind?: Outcome;
  dropped?: number;
}

/** One bucket per entry, a second apart from T0, built by the same code the drivers use. */
export function series(secs: Sec[]): SecondBucket[] {
  const out: SecondBucket[] = [];
  const b = new SecondBuckets((x) => out.push(x));
  secs.forEach((s, i) => {
    const at = T0 + i * 1000 + 10;
    for (let k = 0; k < s.ok; k++) {
      b.offered(at);
      b.sent(at, 0);
      b.outcome(at, '2xx', s.ms);
    }
    for (let k = 0; k < (s.errors ?? 0); k++) {
      b.offered(at);
      b.sent(at, 0);
      b.outcome(at, s.kind ?? 'reset');
    }
    if (s.dropped) b.offered(at, s.dropped);
  });
  b.flush(Infinity, true);
  return out;
}

export const win = (a: number, b: number, c: number, d: number): PhaseWindows => ({
  steady: { start: T0 + a * 1000, end: T0 + b * 1000 },
  fault: { start: T0 + b * 1000, end: T0 + c * 1000 },
  recovery: { start: T0 + c * 1000, end: T0 + d * 1000 },
});
