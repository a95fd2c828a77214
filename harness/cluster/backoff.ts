/** Capped exponential backoff with jitter, for reconnecting to an API server that went away. */
export interface BackoffPolicy {
  /** Delay before the first retry (before jitter). */
  baseMs: number;
  /** No delay exceeds this. */
  capMs: number;
}

export const WATCH_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 10_000 };

/**
 * The delay before retry number `attempt` (0 for the first): base × 2^attempt, capped, then
 * "equal jitter" — half of it fixed, half random — so many clients that lost the same server do
 * not come back in lockstep, and no delay falls below half the schedule.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = WATCH_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}
