// Changing a workload's replicas, journaled with its undo before the first change.
import type { ClusterContext } from '../cluster/context.ts';
import { apiStatus, type ClusterSession } from '../cluster/session.ts';
import { throwIfAborted } from '../engine/errors.ts';
import { formatDuration } from '../engine/time.ts';
import { changeWithUndo } from '../undo/builtin.ts';

/** A workload whose replicas a fault changes through its scale subresource. */
export interface ReplicasTarget {
  /** The workload's kind. */
  workload: 'StatefulSet' | 'Deployment';
  /** Its namespace. */
  namespace: string;
  /** Its name. */
  name: string;
}

const ref = (w: ReplicasTarget) => `${w.workload} ${w.namespace}/${w.name}`;

/**
 * Sets replicas through the scale subresource (no other field of the workload is written). With
 * a signal, an aborted run never sends the change (its rollback may already be running). The
 * write carries the resourceVersion just read; when the controller updated the object in between
 * (409 Conflict, common right after a scale as it writes status), it reads again and retries.
 */
export async function setReplicas(cluster: ClusterSession, w: ReplicasTarget, replicas: number, signal?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeReplicas(cluster, w, replicas, signal);
    } catch (err) {
      if (apiStatus(err) !== 409 || attempt >= MAX_CONFLICTS) throw err;
    }
  }
}

/** Conflicting writes tolerated in a row: each retry reads the newer version first. */
const MAX_CONFLICTS = 5;

async function writeReplicas(cluster: ClusterSession, w: ReplicasTarget, replicas: number, signal?: AbortSignal): Promise<void> {
  const args = { name: w.name, namespace: w.namespace };
  if (signal) throwIfAborted(signal);
  if (w.workload === 'StatefulSet') {
    const scale = await cluster.apps.readNamespacedStatefulSetScale(args);
    if (signal) throwIfAborted(signal);
    if (scale.spec?.replicas !== replicas) await cluster.apps.replaceNamespacedStatefulSetScale({ ...args, body: { ...scale, spec: { replicas } } });
  } else {
    const scale = await cluster.apps.readNamespacedDeploymentScale(args);
    if (signal) throwIfAborted(signal);
    if (scale.spec?.replicas !== replicas) await cluster.apps.replaceNamespacedDeploymentScale({ ...args, body: { ...scale, spec: { replicas } } });
  }
}

/**
 * Journals, before the first change, that `w` had `original` replicas, and registers the undo:
 * set them back, then `waitRestored` (bounded by `restoreWithinMs`, cancelled by its signal).
 * Setting them back is the same undo `shakedown cleanup --run-id` runs from the journal after a crash.
 */
export async function guardReplicas(
  ctx: ClusterContext<unknown, unknown>,
  w: ReplicasTarget,
  original: number,
  restore: { withinMs: number; waitRestored: (signal: AbortSignal) => Promise<void> },
): Promise<void> {
  // Rollback sets them back with the undo `cleanup --run-id` runs (undoChange), then waits.
  await changeWithUndo(ctx, `${ref(w)} back to ${original} replicas (and Ready within ${formatDuration(restore.withinMs)})`, { kind: 'replicas', workload: w.workload, namespace: w.namespace, name: w.name, replicas: original }, {
    // The undo's bound is what it waits for, plus room for the API calls around it.
    timeoutMs: restore.withinMs + 15_000,
    after: restore.waitRestored,
  });
}
