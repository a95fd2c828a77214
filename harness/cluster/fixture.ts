import type { ClusterContext } from './context.ts';
import { loadManifestFile, type ManifestObject } from '../manifests/load.ts';
import { applyObjects, ensureNamespace } from './apply.ts';
import { SWEEP_SCOPE_EVENT, deleteByLabel, type Sweepable } from './cleanup.ts';
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
  // Journaled before anything is applied: `cleanup --run-id` looks for what a crashed run left in
  // these kinds and namespaces only, as its teardown does.
  const kinds = sweepScopeOf(objects);
  ctx.record.event({ source: 'harness', type: SWEEP_SCOPE_EVENT, message: `the teardown sweep looks in: ${kinds.map(formatScope).join(', ')}`, data: { kinds } });
  // The bound on the teardown action is what the removal waits for (namespace finalization,
  // claims released), plus room for the calls around it; a timed-out wait is cancelled.
  const removeWithinMs = 180_000;
  ctx.teardown(
    'delete every object labelled with this run',
    async (signal) => {
      await deleteByLabel(cluster, { runId: ctx.runId, kinds, timeoutMs: removeWithinMs, signal });
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

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');
const formatScope = (k: Sweepable) => `${k.kind}${k.namespace ? ` in ${k.namespace}` : ' (cluster-wide)'}`;

/**
 * Where objects labelled by deploying `objects` can be: each object's kind in its namespace, what
 * its controller makes from its labelled templates (pods, a Deployment's ReplicaSets, a CronJob's
 * Jobs, a StatefulSet's claims), and the namespaces a run may create. An object without a
 * namespace is looked for cluster-wide. No other kind is listed, so secrets are never read.
 */
export function sweepScopeOf(objects: readonly ManifestObject[]): Sweepable[] {
  const out = new Map<string, Sweepable>();
  const add = (apiVersion: string, kind: string, namespace: string | undefined) =>
    out.set(`${apiVersion}/${kind}/${namespace ?? ''}`, { apiVersion, kind, namespaced: namespace !== undefined, ...(namespace === undefined ? {} : { namespace }) });
  add('v1', 'Namespace', undefined);
  for (const o of objects.filter((x) => !isNamespace(x))) {
    const ns = o.metadata.namespace;
    add(o.apiVersion, o.kind, ns);
    const spec = o['spec'] as { template?: unknown; volumeClaimTemplates?: unknown[]; jobTemplate?: unknown } | undefined;
    if (spec?.template) add('v1', 'Pod', ns);
    if (o.kind === 'Deployment') add('apps/v1', 'ReplicaSet', ns);
    if (o.kind === 'CronJob' || spec?.jobTemplate) add('batch/v1', 'Job', ns);
    if (spec?.volumeClaimTemplates?.length) add('v1', 'PersistentVolumeClaim', ns);
  }
  return [...out.values()];
}

/** The plural resource of a kind, as the API names nearly all of them (Ingress → ingresses, NetworkPolicy → networkpolicies). */
export const pluralOf = (kind: string): string => {
  const k = kind.toLowerCase();
  if (/(s|x|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
};

/** A permission in a sweep entry's namespace, or cluster-wide for an entry without one. */
const inScope = (p: Permission, namespace: string | undefined): Permission => (namespace === undefined ? { ...p, cluster: true } : { ...p, namespace });

/**
 * What deploying `objects` as a fixture needs: its namespaces read and created (and deleted in
 * teardown when the run created them), each object server-side applied (a patch, which the API
 * server authorizes as create too when the object does not exist yet), and the teardown's
 * sweep by label: list and delete of exactly the kinds sweepScopeOf names, where it names them.
 */
export function fixturePermissions(objects: readonly ManifestObject[]): Permission[] {
  const applied = objects.filter((o) => !isNamespace(o)).map((o) => inScope(can(groupOf(o.apiVersion), pluralOf(o.kind), 'create', 'patch'), o.metadata.namespace));
  const sweep = sweepScopeOf(objects).map((k) => inScope(can(groupOf(k.apiVersion), pluralOf(k.kind), 'list', 'delete'), k.namespace));
  return [canClusterWide('', 'namespaces', 'get', 'create'), ...applied, ...sweep];
}
