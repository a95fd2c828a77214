import type { UndoRecord } from '../journal/schema.ts';
import { describeError } from './errors.ts';
import { nowIso } from './time.ts';

/**
 * An undo action. `signal` fires when the action's bound runs out: waits inside it must honour
 * it, so a timed-out undo stops instead of running on behind the next one.
 */
export type UndoFn = (signal: AbortSignal) => Promise<void> | void;

export interface UndoOptions {
  /** Bound on this action, derived from what it waits for; the stack's default otherwise. */
  timeoutMs?: number;
}

/**
 * Undo actions, run in reverse order of registration. Every action runs even when an earlier
 * one fails; each outcome is recorded, and failures are returned, never swallowed.
 */
export class UndoStack {
  private readonly entries: { name: string; fn: UndoFn; timeoutMs: number | undefined }[] = [];

  push(name: string, fn: UndoFn, options?: UndoOptions): void {
    this.entries.push({ name, fn, timeoutMs: options?.timeoutMs });
  }

  get size(): number {
    return this.entries.length;
  }

  /** The longest any remaining action may take, for an overall budget. */
  totalBoundMs(defaultTimeoutMs: number): number {
    return this.entries.reduce((sum, e) => sum + (e.timeoutMs ?? defaultTimeoutMs), 0);
  }

  /** Runs and empties the stack; each action is bounded so a hung API cannot hang the exit. */
  async unwind(
    record: (r: UndoRecord) => void,
    defaultTimeoutMs: number,
    onStart?: (name: string) => void,
  ): Promise<UndoRecord[]> {
    const done: UndoRecord[] = [];
    while (this.entries.length > 0) {
      const { name, fn, timeoutMs = defaultTimeoutMs } = this.entries.pop()!;
      onStart?.(name);
      const rec: UndoRecord = { name, startedAt: nowIso(), status: 'ok' };
      const bound = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(() => fn(bound.signal)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = new Error(`"${name}" did not finish within ${Math.round(timeoutMs / 1000)} s`);
              bound.abort(err);
              reject(err);
            }, timeoutMs);
          }),
        ]);
      } catch (err) {
        rec.status = 'failed';
        rec.error = describeError(err);
      } finally {
        clearTimeout(timer);
      }
      rec.endedAt = nowIso();
      record(rec);
      done.push(rec);
    }
    return done;
  }
}
