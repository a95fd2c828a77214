import type { ClusterContext } from './context.ts';
import { loadManifestFile } from '../manifests/load.ts';
import { applyObjects, ensureNamespace } from './apply.ts';
import { deleteByLabel } from './cleanup.ts';

/**
 * Deploys an experiment's own workload: creates its namespace if needed and server-side applies
 * its manifests with the run's labels. Removal is registered before anything is applied, so a
 * half-applied fixture is removed too (by label, in teardown).
 */
export async function deployFixture<P extends { namespace: string }>(
  ctx: ClusterContext<P, unknown>,
  def: { manifests: string[]; manifestValues(p: P): Record<string, unknown> },
): Promise<void> {
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
  const { created } = await ensureNamespace(cluster, ctx.params.namespace, { ...ctx.labels });
  const objects = def.manifests.flatMap((m) => loadManifestFile(m, def.manifestValues(ctx.params)));
  const applied = await applyObjects(cluster, objects, ctx.labels);
  ctx.record.event({
    source: 'harness',
    type: 'fixture-applied',
    message: `namespace ${ctx.params.namespace}${created ? ' (created)' : ''}; ${applied.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`,
  });
}
