// Apply a change to an object the run did not create (or create one that did not exist) and put
// it back exactly: the same spec, labels and annotations, or gone if the run created it. The
// object as it was is journaled whole (ctx.change) before the change is made, so `shakedown
// cleanup --run-id` can restore it from the journal after a SIGKILL.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterContext } from '../cluster/context.ts';
import { revertError, throwIfAborted } from '../engine/errors.ts';
import { changeWithUndo } from '../undo/builtin.ts';
import { describeRef, readObject, type ObjectRef, type ObjectUndo } from '../undo/object.ts';

// The restore lives with the other undo kinds (harness/undo), where `cleanup --run-id` runs it too.
export { describeRef, objectDiff, readObject, refOf, restoreObject, type ObjectRef, type ObjectUndo, type RestoreAction } from '../undo/object.ts';
type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** Metadata the API server owns: dropped from a recorded copy, so it can be created again as it was. */
const SERVER_METADATA = ['resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** The object as it can be put back: everything but server-owned metadata and status. */
export function restorable(obj: object): Record<string, unknown> {
  const copy = structuredClone(obj) as Obj;
  delete copy['status'];
  if (copy.metadata) for (const k of SERVER_METADATA) delete copy.metadata[k];
  return copy;
}

export interface ChangeResult {
  /** What the API server stored. */
  object: KubernetesObject;
  /** Epoch ms at which the API server answered the change: the start of propagation. */
  answeredAt: number;
}

/**
 * Sets an object to `desired`: replaces it when `before` (its recorded copy) exists, creates it
 * with the run's labels when `before` is null. Journaled with its undo before it is made; the
 * undo restores `before` exactly. `timeoutMs` bounds the undo.
 */
export async function changeObject<P, S>(
  ctx: ClusterContext<P, S>,
  change: { ref: ObjectRef; before: Record<string, unknown> | null; desired: Record<string, unknown>; description: string; timeoutMs?: number },
): Promise<ChangeResult> {
  const { ref } = change;
  const spec: ObjectUndo = { kind: 'object', apiVersion: ref.apiVersion, objectKind: ref.kind, namespace: ref.namespace, name: ref.name, before: change.before ? restorable(change.before) : null };
  const session = ctx.cluster;
  // Rollback runs the undo `cleanup --run-id` runs for this kind (harness/undo/execute.ts).
  await changeWithUndo(ctx, change.description, spec, { timeoutMs: change.timeoutMs ?? 60_000 });
  const body = restorable(change.desired) as Obj;
  let object: KubernetesObject;
  // An aborted run never sends the change: its rollback may already be running.
  throwIfAborted(ctx.signal);
  if (change.before) {
    // A replace carries the resourceVersion read now: a concurrent edit fails instead of being overwritten.
    const live = await readObject(session, ref);
    if (!live) throw revertError(`${describeRef(ref)} disappeared before the change could be made`);
    body.metadata = { ...body.metadata, resourceVersion: live.metadata?.resourceVersion };
    throwIfAborted(ctx.signal);
    object = await session.objects.replace(body);
  } else {
    const md = (body.metadata ??= {});
    md['labels'] = { ...(md['labels'] as Record<string, string> | undefined), ...ctx.labels };
    object = await session.objects.create(body);
  }
  return { object, answeredAt: Date.now() };
}
