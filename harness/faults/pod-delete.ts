// Deleting a pod and following its controller's replacement back to Ready, from watch events.
import type { ClusterSession } from '../cluster/session.ts';
import { injectError, throwIfAborted } from '../engine/errors.ts';
import { WaitTimeoutError } from '../engine/wait.ts';
import type { Incarnation, PodLifecycle } from '../observe/pod-lifecycle.ts';

/** What the watch saw of one deleted pod coming back (epoch ms stamped on arrival). */
export interface PodRecovery {
  /** When the delete request was sent. */
  deleteRequestedAt: number;
  /** The UID of the pod that was deleted. */
  oldUid: string;
  /** The replacement's UID, once the watch saw it. */
  newUid?: string;
  /** When the watch first saw the replacement. */
  recreatedAt?: number;
  /** When the watch saw the replacement Ready. */
  readyAt?: number;
  /** The API's lastTransitionTime of Ready=True, kept beside the arrival stamp. */
  readyTransition?: string | undefined;
  /** The replacement's IP once it has one. */
  podIP?: string | undefined;
  /** The replacement's name (the same as the deleted pod's for a StatefulSet). */
  newName?: string;
  /** Set when the pod did not come back within the follow bound. */
  notRecovered?: string;
}

/**
 * How the deleted pod's replacement is recognised: under the same name (a StatefulSet's), or as
 * a new pod of the same controllers (a ReplicaSet's, a Deployment's through its ReplicaSets, a
 * DaemonSet's on the same node). `claimed` is shared by the deletions of one batch, so two of
 * them never follow the same new pod.
 */
export type Replacement = { by: 'same-name' } | { by: 'owner'; owners: ReadonlySet<string>; node?: string | undefined; claimed: Set<string> };

/** One pod to delete and how long to follow it. */
export interface DeletePod {
  /** The pod's namespace. */
  namespace: string;
  /** The pod's name. */
  pod: string;
  /** The UID being deleted: only an incarnation with another UID counts as the replacement. */
  uid: string;
  /** The deletion's grace period in seconds. */
  gracePeriodSeconds: number;
  /** How long to follow it; longer than the hypothesis' bound, so a slow recovery is measured, not cut short. */
  followForMs: number;
  /** The run's signal: an aborted run sends no deletion and stops following. */
  signal: AbortSignal;
  /** Default: the same name (a StatefulSet's pods). */
  replacement?: Replacement;
}

/**
 * Deletes one pod and follows it on `lifecycle` (already watching its namespace and selector):
 * replaced by its controller (see Replacement), then Ready. A pod that does not come back within the bound is
 * reported in the result, not thrown: that is a finding for the caller's checks.
 */
export async function deletePodAndFollow(cluster: ClusterSession, lifecycle: PodLifecycle, d: DeletePod): Promise<PodRecovery> {
  throwIfAborted(d.signal);
  const r: PodRecovery = { deleteRequestedAt: Date.now(), oldUid: d.uid };
  const how = d.replacement ?? { by: 'same-name' };
  // What the watch had seen before the deletion: a replacement is a pod it had not.
  const known = lifecycle.uids();
  try {
    // The UID precondition: never delete a newer pod of the same name by mistake.
    await cluster.core.deleteNamespacedPod({ name: d.pod, namespace: d.namespace, gracePeriodSeconds: d.gracePeriodSeconds, body: { preconditions: { uid: d.uid } } });
  } catch (err) {
    throw injectError(`could not delete pod ${d.namespace}/${d.pod}`, err);
  }
  try {
    const sameName = how.by === 'same-name';
    const inc = await lifecycle.until(sameName ? `${d.pod} recreated with a new UID` : `${d.pod} replaced by a new pod`, d.followForMs, () => {
      if (how.by === 'same-name') return lifecycle.replacement(d.pod, d.uid);
      const found = lifecycle.newPodOf(how.owners, known, how.claimed, how.node);
      if (found) how.claimed.add(found.uid);
      return found;
    }, d.signal);
    r.newUid = inc.uid;
    r.newName = inc.name;
    r.recreatedAt = inc.seenAt;
    const left = Math.max(1000, d.followForMs - (Date.now() - r.deleteRequestedAt));
    const ready = sameName
      ? await lifecycle.until(`${d.pod} Ready again`, left, () => {
          const i = lifecycle.replacement(d.pod, d.uid);
          return i?.readyAt !== undefined ? i : undefined;
        }, d.signal)
      : await lifecycle.until(`${inc.name} (in place of ${d.pod}) Ready`, left, () => readyIncarnation(lifecycle, inc), d.signal);
    r.readyAt = ready.readyAt;
    r.readyTransition = ready.readyTransition;
    r.podIP = ready.podIP;
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    r.notRecovered = err.message;
  }
  return r;
}

/** The replacement once Ready, and not deleted since. */
function readyIncarnation(lifecycle: PodLifecycle, inc: Incarnation): Incarnation | undefined {
  const now = lifecycle.incarnations(inc.name).find((i) => i.uid === inc.uid);
  return now?.readyAt !== undefined ? now : undefined;
}
