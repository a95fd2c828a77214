// The API permissions the load workers need, declared by the step that starts the load, so
// `shakedown rbac` and the access check before a run include them only when loadWorkers > 1.
import { can, type Permission } from '../../cluster/permissions.ts';

/** Whether a run's load runs in worker pods. */
export const usesWorkers = (p: { load: string; loadWorkers?: number }): boolean => p.load === 'builtin' && (p.loadWorkers ?? 1) > 1;

/**
 * The worker Job created and deleted, its pods listed (to follow them, and until they are gone)
 * and their logs read; in `namespace`, or the run's namespace when undefined. Nothing for
 * loadWorkers = 1.
 */
export function loadWorkerPermissions(p: { load: string; loadWorkers?: number }, namespace?: string): Permission[] {
  if (!usesWorkers(p)) return [];
  const at = (x: Permission): Permission => (namespace === undefined ? x : { ...x, namespace });
  return [at(can('batch', 'jobs', 'create', 'delete')), at(can('', 'pods', 'list')), at(can('', 'pods/log', 'get'))];
}
