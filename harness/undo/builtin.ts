// The change of a built-in undo kind (replicas, object, file, process): journaled with its undo
// data before it is made, and rolled back by undoChange, the very function `shakedown cleanup
// --run-id` runs from the journal after a crash. What rollback adds is only what a live run
// waits for after the undo (the workload Ready again), never another way to undo.
import type { ClusterContext } from '../cluster/context.ts';
import type { ChangeRecord, UndoSpec } from '../journal/schema.ts';
import { undoChange } from './execute.ts';

/** An undo of a built-in kind; a user's kind goes through recordChange (harness/faults/change.ts). */
export type BuiltinUndoSpec = Exclude<UndoSpec, { kind: 'custom' }>;

/**
 * Journals `spec` (and mirrors it into the run's Lease) and registers its rollback: undoChange,
 * then `after` in rollback only. Call it BEFORE making the change. `timeoutMs` bounds the whole
 * rollback action, the undo and `after` together.
 */
// Stryker disable all: registers a rollback that reaches the API server; the integration tier
// (fault-primitives: "rollback runs cleanup's undo") proves it.
export function changeWithUndo<P, S>(
  ctx: ClusterContext<P, S>,
  description: string,
  spec: BuiltinUndoSpec,
  options: { timeoutMs: number; after?: (signal: AbortSignal) => Promise<void> },
): Promise<ChangeRecord> {
  return ctx.change(
    description,
    spec,
    async (signal) => {
      await undoChange(ctx.cluster, spec, { runId: ctx.runId, signal, timeoutMs: options.timeoutMs });
      await options.after?.(signal);
    },
    { timeoutMs: options.timeoutMs },
  );
}
// Stryker restore all
