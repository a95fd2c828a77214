// Apply a change to an object the run did not create (or create one that did not exist) and put
// it back exactly: the same spec, labels and annotations, or gone if the run created it. The
// object as it was is journaled whole (ctx.change) before the change is made, so `shakedown
// cleanup --run-id` can restore it from the journal after a SIGKILL.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterContext } from '../cluster/context.ts';
import { isNotFound, type ClusterSession } from '../cluster/session.ts';
import type { ObjectHeader } from '../cluster/objects.ts';
import { LABEL_RUN_ID } from '../engine/run-id.ts';
import { injectError, revertError, throwIfAborted } from '../engine/errors.ts';
import { resultKey } from '../engine/experiment.ts';
import type { UndoSpec } from '../journal/schema.ts';

export type ObjectUndo = Extract<UndoSpec, { kind: 'object' }>;
type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** Any object by its apiVersion and kind, namespace (none for a cluster-scoped kind) and name. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
}

/** Metadata the API server owns: dropped from a recorded copy, so it can be created again as it was. */
const SERVER_METADATA = ['resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** The object as it can be put back: everything but server-owned metadata and status. */
export function restorable(obj: object): Record<string, unknown> {
  const copy = structuredClone(obj) as Obj;
  delete copy['status'];
  if (copy.metadata) for (const k of SERVER_METADATA) delete copy.metadata[k];
  return copy;
}

const header = (ref: ObjectRef): ObjectHeader => ({
  apiVersion: ref.apiVersion,
  kind: ref.kind,
  metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
});

export const refOf = (spec: ObjectUndo): ObjectRef => ({ apiVersion: spec.apiVersion, kind: spec.objectKind, namespace: spec.namespace, name: spec.name });
export const describeRef = (ref: ObjectRef): string => `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

/** The live object, or null when it does not exist. */
export async function readObject(session: ClusterSession, ref: ObjectRef): Promise<KubernetesObject | null> {
  try {
    return await session.objects.read(header(ref));
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
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
  await ctx.change(change.description, spec, () => restoreObject(session, spec, { runId: ctx.runId }).then(() => undefined), { timeoutMs: change.timeoutMs ?? 60_000 });
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

/** What putting an object back did: replaced with the recorded copy, created again, deleted (the run created it), nothing to do, or nothing there. */
export type RestoreAction = 'replaced' | 'recreated' | 'deleted' | 'unchanged' | 'absent';

/**
 * Puts an object back as `spec.before` says: replaced with the recorded copy (same spec, labels,
 * annotations), created again if it was deleted meanwhile, or deleted if the run created it.
 * An object the run did not label is never deleted (someone else made it meanwhile).
 */
export async function restoreObject(session: ClusterSession, spec: ObjectUndo, opts: { runId: string }): Promise<RestoreAction> {
  const ref = refOf(spec);
  const live = await readObject(session, ref);
  if (spec.before === null) {
    if (!live) return 'absent';
    const owner = live.metadata?.labels?.[LABEL_RUN_ID];
    if (owner !== opts.runId) throw revertError(`${describeRef(ref)} did not exist before the run, but the one there now is not the run's (label ${LABEL_RUN_ID}=${owner ?? 'none'}); left alone`);
    try {
      await session.objects.delete(header(ref));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return 'deleted';
  }
  const body = structuredClone(spec.before) as Obj;
  if (!live) {
    await session.objects.create(body);
    return 'recreated';
  }
  if (objectDiff(spec.before, live).length === 0) return 'unchanged';
  body.metadata = { ...body.metadata, resourceVersion: live.metadata?.resourceVersion };
  await session.objects.replace(body);
  return 'replaced';
}

const top = (o: object | null, key: string): unknown => (o as Obj | null)?.[key];
const meta = (o: object | null, key: string): unknown => (o as Obj | null)?.metadata?.[key];

/** Deep equality of JSON values, ignoring key order. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Obj)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Obj)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same((a as Obj)[k], (b as Obj)[k]));
}

/** Empty maps and absent maps are the same (the API server drops empty labels). */
const orEmpty = (v: unknown): unknown => (v === undefined || v === null ? {} : v);

/**
 * What differs between a recorded copy and the live object, as lines for a check's evidence:
 * existence, then every top-level field but metadata and status (spec, data, rules ...), labels,
 * annotations. Empty when they match.
 */
export function objectDiff(before: object | null, live: object | null): string[] {
  if (!before && !live) return [];
  if (!before) return ['exists now but did not before'];
  if (!live) return ['existed before but is gone'];
  const out: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(live)].filter((k) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)));
  for (const k of [...keys].sort()) {
    if (!same(top(before, k), top(live, k))) out.push(`${k}: was ${JSON.stringify(top(before, k))}, now ${JSON.stringify(top(live, k))}`);
  }
  for (const k of ['labels', 'annotations']) {
    if (!same(orEmpty(meta(before, k)), orEmpty(meta(live, k)))) out.push(`metadata.${k}: was ${JSON.stringify(meta(before, k) ?? {})}, now ${JSON.stringify(meta(live, k) ?? {})}`);
  }
  return out;
}
