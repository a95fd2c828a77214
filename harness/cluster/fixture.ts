import type { ClusterContext } from './context.ts';
import { loadManifestFile, type ManifestObject } from '../manifests/load.ts';
import { applyObjects, ensureNamespace } from './apply.ts';
import { deleteByLabel } from './cleanup.ts';

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
  await deployObjects(ctx, def.manifests.flatMap((m) => loadManifestFile(m, def.manifestValues(ctx.params))));
}

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
