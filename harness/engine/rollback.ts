import type { RollbackRecord } from '../journal/schema.ts';
import { describeError } from './errors.ts';
import { nowIso } from './time.ts';

export type UndoFn = () => Promise<void> | void;

/**
 * Undo actions, run in reverse order of registration. Every action runs even when an earlier
 * one fails; each outcome is recorded, and failures are returned, never swallowed.
 */
export class RollbackStack {
  private readonly entries: { name: string; fn: UndoFn }[] = [];

  push(name: string, fn: UndoFn): void {
    this.entries.push({ name, fn });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Runs and empties the stack. `timeoutMs` bounds each action so a hung API cannot hang the exit. */
  async unwind(
    record: (r: RollbackRecord) => void,
    timeoutMs: number,
    onStart?: (name: string) => void,
  ): Promise<RollbackRecord[]> {
    const done: RollbackRecord[] = [];
    while (this.entries.length > 0) {
      const { name, fn } = this.entries.pop()!;
      onStart?.(name);
      const rec: RollbackRecord = { name, startedAt: nowIso(), status: 'ok' };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(fn),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`rollback "${name}" did not finish within ${timeoutMs} ms`)),
              timeoutMs,
            );
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
