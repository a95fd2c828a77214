// Putting an object back as the journal recorded it: the undo of the `object` kind, run by a
// run's rollback and by `shakedown cleanup --run-id` alike (through undoChange).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectHeader } from '../cluster/objects.ts';
import { isNotFound, type ClusterSession } from '../cluster/session.ts';
import { revertError } from '../engine/errors.ts';
import { LABEL_RUN_ID } from '../engine/run-id.ts';
import type { UndoSpec } from '../journal/schema.ts';

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

export type ObjectUndo = Extract<UndoSpec, { kind: 'object' }>;

/** Any object by its apiVersion and kind, namespace (none for a cluster-scoped kind) and name. */
export interface ObjectRef {
  /** "v1", "apps/v1", "security.istio.io/v1" ... */
  apiVersion: string;
  /** The object's kind, e.g. "PeerAuthentication". */
  kind: string;
  /** Its namespace; unset for a cluster-scoped kind. */
  namespace?: string | undefined;
  /** Its name. */
  name: string;
}

// Stryker disable all: the request header of a read or write, reached only against the API server (integration tier).
const header = (ref: ObjectRef): ObjectHeader => ({
  apiVersion: ref.apiVersion,
  kind: ref.kind,
  metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
});
// Stryker restore all

export const refOf = (spec: ObjectUndo): ObjectRef => ({ apiVersion: spec.apiVersion, kind: spec.objectKind, namespace: spec.namespace, name: spec.name });
export const describeRef = (ref: ObjectRef): string => `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;

// Stryker disable all: reading and restoring reach the API server; the integration tier
// (fault-primitives, crash-cleanup) kills these, as for the other kinds in execute.ts.
/** The live object, or null when it does not exist. */
export async function readObject(session: ClusterSession, ref: ObjectRef): Promise<KubernetesObject | null> {
  try {
    return await session.objects.read(header(ref));
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
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

// Stryker restore all

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
