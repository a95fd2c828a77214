import type { KubernetesObject } from '@kubernetes/client-node';
import type { ManifestObject } from '../manifests/load.ts';
import { withLabels } from '../manifests/load.ts';
import { isNotFound, type ClusterSession } from './session.ts';

/** The field manager shakedown's server-side applies are recorded under. */
export const FIELD_MANAGER = 'shakedown';

/**
 * Server-side applies each object with the run's labels (and on its pod template), in order.
 * Returns what the API server stored, with UIDs.
 */
export async function applyObjects(session: ClusterSession, objects: readonly ManifestObject[], labels: Record<string, string>): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    const body = withLabels(obj, labels) as KubernetesObject;
    applied.push(await session.objects.apply(body, FIELD_MANAGER));
  }
  return applied;
}

/**
 * Creates the namespace if it does not exist, labelled with the run; says whether it did, so
 * teardown deletes only namespaces the run created (a game day's own namespace is left alone).
 */
export async function ensureNamespace(session: ClusterSession, name: string, labels: Record<string, string>): Promise<{ created: boolean }> {
  try {
    await session.core.readNamespace({ name });
    return { created: false };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await session.core.createNamespace({ body: { metadata: { name, labels } } });
  return { created: true };
}
