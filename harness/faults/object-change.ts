// Apply a change to an object the run did not create (or create one that did not exist) and put
// it back exactly: the same spec, labels and annotations, or gone if the run created it. The
// object as it was is journaled whole (ctx.change) before the change is made, so `shakedown
// cleanup --run-id` can restore it from the journal after a SIGKILL.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterContext } from '../cluster/context.ts';
import { injectError, revertError, throwIfAborted } from '../engine/errors.ts';
import { resultKey } from '../engine/experiment.ts';
import { changeWithUndo } from '../undo/builtin.ts';
import { describeRef, readObject, restoreObject, type ObjectRef, type ObjectUndo, type RestoreAction } from '../undo/object.ts';

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

/** What an object is set to by `changeObject`. */
export interface ObjectChange {
  /** Which object. */
  ref: ObjectRef;
  /** The object as it was before the run changed it (what the undo puts back); null: it did not exist, and the change creates it with the run's labels. */
  before: Record<string, unknown> | null;
  /** What the object is set to (server-owned metadata and status are dropped). */
  desired: Record<string, unknown>;
  /** One line for the journal: what changes, and how it is undone. */
  description: string;
  /** Bound on the undo, ms (default 60 s). */
  timeoutMs?: number;
}

/** What `changeObject` wrote, and when the API server answered. */
export interface ChangeResult {
  /** What the API server stored. */
  object: KubernetesObject;
  /** Epoch ms at which the API server answered the change: the start of propagation. */
  answeredAt: number;
}

const refKey = (ref: ObjectRef) => `${ref.apiVersion} ${describeRef(ref)}`;
// The undo journaled for each object this run changed, so a later change of it goes under that undo.
const JOURNALED = resultKey<Map<string, ObjectUndo>>('object-change:journaled');

/**
 * Sets an object to `desired`: replaces it when `before` (its recorded copy) exists, creates it
 * with the run's labels when `before` is null. The first change of an object in a run is
 * journaled with its undo before it is made; the undo restores `before` exactly. A later change
 * of the same object in the run is written under that first undo (journaled once).
 */
export async function changeObject<P, S>(ctx: ClusterContext<P, S>, change: ObjectChange): Promise<ChangeResult> {
  const { ref } = change;
  const journaled = ctx.results.get(JOURNALED) ?? new Map<string, ObjectUndo>();
  ctx.results.set(JOURNALED, journaled);
  const earlier = journaled.get(refKey(ref));
  if (earlier) return changeAgain(ctx, ref, earlier, change.desired);
  const spec: ObjectUndo = { kind: 'object', apiVersion: ref.apiVersion, objectKind: ref.kind, namespace: ref.namespace, name: ref.name, before: change.before ? restorable(change.before) : null };
  const session = ctx.cluster;
  // Rollback runs the undo `cleanup --run-id` runs for this kind (harness/undo/execute.ts).
  await changeWithUndo(ctx, change.description, spec, { timeoutMs: change.timeoutMs ?? 60_000 });
  journaled.set(refKey(ref), spec);
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
    object = await session.objects.create(withRunLabels(body, ctx.labels));
  }
  return { object, answeredAt: Date.now() };
}

const withRunLabels = (body: Obj, labels: Readonly<Record<string, string>>): Obj => {
  const md = (body.metadata ??= {});
  md['labels'] = { ...(md['labels'] as Record<string, string> | undefined), ...labels };
  return body;
};

/** A later change of an object already journaled in this run: replaced as it is now, the run's labels kept on one it created. */
async function changeAgain<P, S>(ctx: ClusterContext<P, S>, ref: ObjectRef, undo: ObjectUndo, desired: Record<string, unknown>): Promise<ChangeResult> {
  const live = await readObject(ctx.cluster, ref);
  if (!live) throw injectError(`${describeRef(ref)} disappeared during the run`);
  const body = restorable(desired) as Obj;
  body.metadata = { ...body.metadata, resourceVersion: live.metadata?.resourceVersion };
  // One the run created keeps its labels: its undo deletes it only when they are the run's.
  if (undo.before === null) withRunLabels(body, ctx.labels);
  throwIfAborted(ctx.signal);
  return { object: await ctx.cluster.objects.replace(body), answeredAt: Date.now() };
}

/**
 * Puts an object this run changed back now, as its journaled undo does (the rollback does it
 * again, and finds nothing left to do). Undefined when the run has not changed the object.
 */
export async function restoreChanged<P, S>(ctx: ClusterContext<P, S>, ref: ObjectRef): Promise<RestoreAction | undefined> {
  const undo = ctx.results.get(JOURNALED)?.get(refKey(ref));
  return undo ? restoreObject(ctx.cluster, undo, { runId: ctx.runId }) : undefined;
}
