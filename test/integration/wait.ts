// Condition polling with a deadline: the only way integration tests wait.

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Pause between attempts (the only sleep allowed in these tests). */
  intervalMs?: number;
  /** Human description used in the timeout error. */
  what: string;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `cond` until it returns a value other than undefined/false, and
 * resolves with that value. Errors thrown by `cond` count as "not yet" (the
 * last one is reported on timeout), so transient API errors don't fail a test.
 */
export async function waitFor<T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs, intervalMs = 500, what }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await cond();
      if (value !== undefined && value !== false) return value;
      lastValue = value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : lastError !== undefined ? `; last error: ${String(lastError)}` : `; last value: ${String(lastValue)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await pause(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}
