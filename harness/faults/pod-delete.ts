// Deleting a pod and following its controller's replacement back to Ready, from watch events.
import type { ClusterSession } from '../cluster/session.ts';
import { injectError, throwIfAborted } from '../engine/errors.ts';
import { WaitTimeoutError } from '../engine/wait.ts';
import type { PodLifecycle } from '../observe/pod-lifecycle.ts';

/** What the watch saw of one deleted pod coming back (epoch ms stamped on arrival). */
export interface PodRecovery {
  deleteRequestedAt: number;
  oldUid: string;
  newUid?: string;
  recreatedAt?: number;
  readyAt?: number;
  /** The API's lastTransitionTime of Ready=True, kept beside the arrival stamp. */
  readyTransition?: string | undefined;
  podIP?: string | undefined;
  /** Set when the pod did not come back within the follow bound. */
  notRecovered?: string;
}

export interface DeletePod {
  namespace: string;
  pod: string;
  /** The UID being deleted: only an incarnation with another UID counts as the replacement. */
  uid: string;
  gracePeriodSeconds: number;
  /** How long to follow it; longer than the hypothesis' bound, so a slow recovery is measured, not cut short. */
  followForMs: number;
  signal: AbortSignal;
}

/**
 * Deletes one pod and follows it on `lifecycle` (already watching its namespace and selector):
 * recreated with a new UID, then Ready. A pod that does not come back within the bound is
 * reported in the result, not thrown: that is a finding for the caller's checks.
 */
export async function deletePodAndFollow(cluster: ClusterSession, lifecycle: PodLifecycle, d: DeletePod): Promise<PodRecovery> {
  throwIfAborted(d.signal);
  const r: PodRecovery = { deleteRequestedAt: Date.now(), oldUid: d.uid };
  try {
    // The UID precondition: never delete a newer pod of the same name by mistake.
    await cluster.core.deleteNamespacedPod({ name: d.pod, namespace: d.namespace, gracePeriodSeconds: d.gracePeriodSeconds, body: { preconditions: { uid: d.uid } } });
  } catch (err) {
    throw injectError(`could not delete pod ${d.namespace}/${d.pod}`, err);
  }
  try {
    const inc = await lifecycle.until(`${d.pod} recreated with a new UID`, d.followForMs, () => lifecycle.replacement(d.pod, d.uid), d.signal);
    r.newUid = inc.uid;
    r.recreatedAt = inc.seenAt;
    const left = Math.max(1000, d.followForMs - (Date.now() - r.deleteRequestedAt));
    const ready = await lifecycle.until(`${d.pod} Ready again`, left, () => {
      const i = lifecycle.replacement(d.pod, d.uid);
      return i?.readyAt !== undefined ? i : undefined;
    }, d.signal);
    r.readyAt = ready.readyAt;
    r.readyTransition = ready.readyTransition;
    r.podIP = ready.podIP;
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    r.notRecovered = err.message;
  }
  return r;
}
