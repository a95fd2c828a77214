import assert from 'node:assert/strict';
import { WATCH_BACKOFF, backoffDelay } from '../../../harness/cluster/backoff.ts';

describe('watch backoff', () => {
  it('doubles from 0.5 s and is capped at 10 s (no jitter at the extremes)', () => {
    const low = (n: number) => backoffDelay(n, WATCH_BACKOFF, () => 0);
    const high = (n: number) => backoffDelay(n, WATCH_BACKOFF, () => 1);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(high), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map(low), [250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('jitters within [half, full] of the schedule', () => {
    for (let i = 0; i < 200; i++) {
      const attempt = i % 8;
      const full = Math.min(10_000, 500 * 2 ** attempt);
      const d = backoffDelay(attempt);
      assert.ok(d >= full / 2 && d <= full, `attempt ${attempt}: ${d}`);
    }
  });

  it('a 10 s outage costs a handful of tries, not one every 0.5 s', () => {
    let t = 0;
    let tries = 0;
    while (t < 10_000) t += backoffDelay(tries++, WATCH_BACKOFF, () => 0.5);
    assert.ok(tries <= 6, `${tries} tries`);
  });
});
