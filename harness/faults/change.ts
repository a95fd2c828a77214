// A change made by a user's own fault: its undo kind (defineUndo) and data are journaled before
// the change is made, and rollback runs the kind's undo, the same code `cleanup --run-id` runs.
import type { ClusterContext } from '../cluster/context.ts';
import type { UndoOptions } from '../engine/undo.ts';
import type { ChangeRecord } from '../journal/schema.ts';
import type { UndoKind } from '../undo/registry.ts';

/**
 * Journals `description` with `kind`'s undo of `data` (and mirrors it into the run's Lease), then
 * registers that undo for rollback. Call it BEFORE making the change: from then on a crash, a
 * signal or the deadline leaves something that knows how to put it back.
 */
export function recordChange<P, S, D extends Record<string, unknown>>(ctx: ClusterContext<P, S>, description: string, kind: UndoKind<D>, data: D, options?: UndoOptions): Promise<ChangeRecord> {
  return ctx.change(
    description,
    { kind: 'custom', type: kind.type, module: kind.module, data },
    async (signal) => {
      await kind.undo(ctx.cluster, data, { runId: ctx.runId, signal });
    },
    options,
  );
}
