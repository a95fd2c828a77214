import type { ChangeRecord } from '../journal/schema.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { describeApiError, describeUndo, undoChange, type UndoOutcome } from './execute.ts';

export interface ChangeUndoResult {
  change: ChangeRecord;
  /** `skipped`: the run's own rollback had undone it already. */
  status: 'ok' | 'skipped' | 'failed';
  outcome?: UndoOutcome;
  error?: string;
}

/**
 * Undoes a run's recorded changes in reverse order, skipping those its rollback already undid.
 * Every change is tried even when an earlier one fails; failures are returned, never swallowed.
 */
export async function undoChanges(
  session: ClusterSession,
  changes: readonly ChangeRecord[],
  opts: { runId: string; signal?: AbortSignal; timeoutMs?: number; onResult?: (r: ChangeUndoResult) => void; refuse?: (c: ChangeRecord) => string | undefined },
): Promise<ChangeUndoResult[]> {
  const results: ChangeUndoResult[] = [];
  for (const change of [...changes].sort((a, b) => b.id - a.id)) {
    let r: ChangeUndoResult;
    const refused = change.status === 'undone' ? undefined : opts.refuse?.(change);
    if (change.status === 'undone') {
      r = { change, status: 'skipped' };
    } else if (refused) {
      r = { change, status: 'failed', error: refused };
    } else {
      try {
        r = { change, status: 'ok', outcome: await undoChange(session, change.undo, { runId: opts.runId, signal: opts.signal, timeoutMs: opts.timeoutMs }) };
      } catch (err) {
        r = { change, status: 'failed', error: `${describeUndo(change.undo)}: ${describeApiError(err)}` };
      }
    }
    results.push(r);
    opts.onResult?.(r);
  }
  return results;
}
