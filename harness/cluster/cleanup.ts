import { LABEL_RUN_ID } from '../engine/run-id.ts';
import { waitFor, done, notYet } from '../engine/wait.ts';
import { isNotFound, type ClusterSession } from './session.ts';

/** A resource type the server serves that can be listed and deleted. */
export interface Sweepable {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  /** Listed in this namespace only (a run's own sweep); undefined: across all namespaces. */
  namespace?: string | undefined;
}

/** The journal event that records a fixture's sweep scope (its data: `{ kinds: Sweepable[] }`), read by `cleanup --run-id`. */
export const SWEEP_SCOPE_EVENT = 'sweep-scope';

/** Controllers first (so they do not recreate what is deleted next); Leases and namespaces last. */
const FIRST = ['HorizontalPodAutoscaler', 'CronJob', 'Job', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController'];
const LAST = ['Lease', 'Namespace'];

export function sweepOrder(kinds: readonly Sweepable[]): Sweepable[] {
  const rank = (k: Sweepable) => {
    const f = FIRST.indexOf(k.kind);
    if (f >= 0) return f;
    const l = LAST.indexOf(k.kind);
    return l >= 0 ? 1000 + l : 500;
  };
  return [...kinds].sort((a, b) => rank(a) - rank(b) || a.apiVersion.localeCompare(b.apiVersion) || a.kind.localeCompare(b.kind));
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

/** Keeps the listable, deletable top-level resources of one group version (no subresources like pods/exec). */
export function sweepableOf(apiVersion: string, resources: readonly DiscoveredResource[]): Sweepable[] {
  return resources
    .filter((r) => !r.name.includes('/') && r.verbs.includes('list') && r.verbs.includes('delete'))
    .map((r) => ({ apiVersion, kind: r.kind, namespaced: r.namespaced }));
}

/**
 * Every resource type the server serves that supports list and delete, namespaced and cluster
 * scoped, found through API discovery (the preferred version of each group), so a kind added
 * later (a CRD, Istio's policies) is never missed. A group whose discovery fails (an aggregated
 * API that is down) is skipped and named in `unreachable`.
 */
export async function discoverSweepable(session: ClusterSession): Promise<{ kinds: Sweepable[]; unreachable: string[] }> {
  const kinds: Sweepable[] = sweepableOf('v1', (await session.core.getAPIResources()).resources);
  const unreachable: string[] = [];
  const groups = (await session.apis.getAPIVersions()).groups;
  for (const g of groups) {
    const version = g.preferredVersion?.version ?? g.versions[0]?.version;
    if (!version) continue;
    try {
      const list = await session.custom.getAPIResources({ group: g.name, version });
      kinds.push(...sweepableOf(`${g.name}/${version}`, list.resources));
    } catch {
      unreachable.push(`${g.name}/${version}`);
    }
  }
  // Events are never labelled by shakedown and are served twice (core and events.k8s.io).
  return { kinds: sweepOrder(kinds.filter((k) => k.kind !== 'Event')), unreachable };
}

export interface LabelledObject {
  ref: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
  runId: string;
}

type Listed = { items: { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }[] };

/** Every object carrying the run-id label (or one run's), across every discovered kind, in sweep order. */
export async function findLabelled(session: ClusterSession, kinds: readonly Sweepable[], runId?: string): Promise<LabelledObject[]> {
  const labelSelector = runId ? `${LABEL_RUN_ID}=${runId}` : LABEL_RUN_ID;
  const found: LabelledObject[] = [];
  for (const k of kinds) {
    let res: Listed;
    try {
      res = await session.objects.list(k.apiVersion, k.kind, { labelSelector, namespace: k.namespace });
    } catch (err) {
      if (isNotFound(err)) continue; // served a moment ago, gone now (a CRD removed)
      throw err;
    }
    for (const i of res.items) {
      const name = i.metadata?.name ?? '';
      const namespace = i.metadata?.namespace;
      found.push({ ref: `${k.kind}/${namespace ? `${namespace}/` : ''}${name}`, apiVersion: k.apiVersion, kind: k.kind, name, namespace, runId: i.metadata?.labels?.[LABEL_RUN_ID] ?? '' });
    }
  }
  return found;
}

export interface CleanupResult {
  /** "Kind/namespace/name" of every object a delete was sent for. */
  deleted: string[];
  /** Run ids whose objects were left alone (live runs). */
  skippedRuns: string[];
  /** API groups whose discovery failed (their objects could not be looked for). */
  unreachable: string[];
}

/**
 * Deletes every object labelled by shakedown (or by one run), except those of the runs in
 * `skipRunIds`, and waits until none is left, so the cluster is as it was. Objects already gone
 * are fine; any other failure is thrown.
 */
export async function deleteByLabel(
  session: ClusterSession,
  opts: {
    runId?: string | undefined;
    skipRunIds?: ReadonlySet<string>;
    /** Also delete run Leases: only `shakedown cleanup` does; a run's own fixture teardown must not drop the Lease it holds. */
    includeRunLeases?: boolean;
    timeoutMs: number;
    signal?: AbortSignal;
    onDelete?: (ref: string) => void;
    /** Only these kinds (in their namespaces), as the run recorded them; undefined: every kind discovery finds, cluster-wide. */
    kinds?: readonly Sweepable[] | undefined;
  },
): Promise<CleanupResult> {
  const discovered = opts.kinds ? { kinds: sweepOrder(opts.kinds), unreachable: [] } : await discoverSweepable(session);
  const unreachable = discovered.unreachable;
  const kinds = opts.includeRunLeases ? discovered.kinds : discovered.kinds.filter((k) => !(k.kind === 'Lease' && k.apiVersion.startsWith('coordination.k8s.io/')));
  const skip = opts.skipRunIds ?? new Set<string>();
  const all = await findLabelled(session, kinds, opts.runId);
  const targets = all.filter((o) => !skip.has(o.runId));
  const skippedRuns = [...new Set(all.filter((o) => skip.has(o.runId)).map((o) => o.runId))];
  const deleted: string[] = [];
  for (const o of targets) {
    try {
      await session.objects.delete({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } }, { propagationPolicy: 'Background' });
      deleted.push(o.ref);
      opts.onDelete?.(o.ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  // Only the kinds something was deleted of can still be there.
  const pending = kinds.filter((k) => targets.some((o) => o.kind === k.kind && o.apiVersion === k.apiVersion && (k.namespace === undefined || o.namespace === k.namespace)));
  await waitFor(
    async () => {
      const left = (await findLabelled(session, pending, opts.runId)).filter((o) => !skip.has(o.runId)).map((o) => o.ref);
      return left.length === 0 ? done(undefined) : notYet(left);
    },
    { what: `no object labelled ${opts.runId ? `${LABEL_RUN_ID}=${opts.runId}` : LABEL_RUN_ID} left`, timeoutMs: opts.timeoutMs, intervalMs: 2000, signal: opts.signal },
  );
  return { deleted, skippedRuns, unreachable };
}
