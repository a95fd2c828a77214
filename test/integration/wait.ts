// The tests' way to wait: the harness's own condition-with-a-deadline (harness/engine/wait.ts),
// taking a condition that returns a value when done and undefined/false while not yet. Errors
// thrown by the condition count as "not yet", so a transient API error does not fail a test.
import { done, notYet, waitFor as waitForPoll } from '../../harness/engine/wait.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  what: string;
}

export function waitFor<T>(cond: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  return waitForPoll(
    async () => {
      const value = await cond();
      return value !== undefined && value !== false ? done(value) : notYet(value);
    },
    { ...opts, retryErrors: true },
  );
}
