import type { ClusterContext } from './context.ts';
import { loadManifestFile, type ManifestObject } from '../manifests/load.ts';
import { applyObjects, ensureNamespace } from './apply.ts';
import { deleteByLabel } from './cleanup.ts';
import { can, canClusterWide, type Permission } from './permissions.ts';

const isNamespace = (o: ManifestObject) => o.kind === 'Namespace' && o.apiVersion === 'v1';

/**
 * Deploys an experiment's own workload: creates its namespaces if needed and server-side applies
 * its manifests with the run's labels. A Namespace in the manifests is created, with its labels,
 * only when it does not exist: an existing namespace (a game day's own) is never applied over,
 * labelled with the run, or deleted in teardown. Removal is registered before anything is
 * applied, so a half-applied fixture is removed too (by label, in teardown).
 */
export async function deployFixture<P extends { namespace: string }>(
  ctx: ClusterContext<P, unknown>,
  def: { manifests: string[]; manifestValues(p: P): Record<string, unknown> },
): Promise<void> {
  await deployObjects(ctx, loadManifests(def.manifests, def.manifestValues(ctx.params)));
}

/** Manifest files read with their `${placeholders}` filled in, as deployFixture applies them. */
export const loadManifests = (manifests: readonly string[], values: Record<string, unknown>): ManifestObject[] => manifests.flatMap((m) => loadManifestFile(m, values));

/** As deployFixture, for objects built in code (a user's experiment file with no manifest beside it). */
export async function deployObjects<P extends { namespace: string }>(ctx: ClusterContext<P, unknown>, objects: readonly ManifestObject[]): Promise<void> {
  const cluster = ctx.cluster;
  // The bound on the teardown action is what the removal waits for (namespace finalization,
  // claims released), plus room for the calls around it; a timed-out wait is cancelled.
  const removeWithinMs = 180_000;
  ctx.teardown(
    'delete every object labelled with this run',
    async (signal) => {
      await deleteByLabel(cluster, { runId: ctx.runId, timeoutMs: removeWithinMs, signal });
    },
    { timeoutMs: removeWithinMs + 15_000 },
  );
  const namespaces = new Map<string, Record<string, string>>([[ctx.params.namespace, {}]]);
  for (const ns of objects.filter(isNamespace)) namespaces.set(ns.metadata.name, ns.metadata.labels ?? {});
  const notes: string[] = [];
  for (const [name, labels] of namespaces) {
    const { created } = await ensureNamespace(cluster, name, { ...labels, ...ctx.labels });
    notes.push(`namespace ${name}${created ? ' (created)' : ''}`);
  }
  const applied = await applyObjects(cluster, objects.filter((o) => !isNamespace(o)), ctx.labels);
  ctx.record.event({
    source: 'harness',
    type: 'fixture-applied',
    message: `${notes.join(', ')}; ${applied.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`,
  });
}

/** The teardown's sweep: every kind listed across namespaces by the run's label, and what it finds deleted. */
export const SWEEP_PERMISSION: Permission = canClusterWide('*', '*', 'list', 'delete');

/** The plural resource of a kind, as the API names nearly all of them (Ingress → ingresses, NetworkPolicy → networkpolicies). */
export const pluralOf = (kind: string): string => {
  const k = kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
};

/**
 * What deploying `objects` as a fixture needs: its namespaces read and created, each object
 * server-side applied, and the teardown's sweep by label.
 */
export function fixturePermissions(objects: readonly ManifestObject[]): Permission[] {
  const applied = objects.filter((o) => !isNamespace(o)).map((o) => can(o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '', pluralOf(o.kind), 'patch'));
  return [canClusterWide('', 'namespaces', 'get', 'create'), ...applied, SWEEP_PERMISSION];
}
