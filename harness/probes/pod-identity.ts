// What makes a pod "the same pod" after it is recreated: name, hostname, claims, what backs a mount.
import type { V1Pod } from '@kubernetes/client-node';
import { execInPod } from '../cluster/exec.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { RunError } from '../engine/errors.ts';

/** A PersistentVolumeClaim a pod mounts: its name, UID and the PV bound to it. */
export interface Claim {
  /** The claim's name. */
  name: string;
  /** The claim's UID: the same UID after the pod is recreated means the same claim. */
  uid: string;
  /** The bound PersistentVolume (spec.volumeName). */
  volumeName?: string | undefined;
}

/** What makes a pod the same pod after it is recreated. */
export interface PodIdentity {
  /** The pod's name. */
  name: string;
  /** The pod's UID (a recreated pod has a new one). */
  uid: string;
  /** `hostname` as the container itself reports it. */
  hostname: string;
  /** The node it runs on. */
  node?: string | undefined;
  /** The pod's IP. */
  ip?: string | undefined;
  /** The PersistentVolumeClaims it mounts. */
  claims: Claim[];
  /** What backs the volume mounted at the mount path: `pvc:<claim>`, `emptyDir`, `none` ... */
  mountBacking: string;
}

async function claimsOf(cluster: ClusterSession, namespace: string, pod: V1Pod): Promise<Claim[]> {
  const names = (pod.spec?.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []));
  const claims: Claim[] = [];
  for (const name of names.sort()) {
    const pvc = await cluster.core.readNamespacedPersistentVolumeClaim({ name, namespace });
    claims.push({ name, uid: pvc.metadata?.uid ?? '', volumeName: pvc.spec?.volumeName });
  }
  return claims;
}

export function mountBacking(pod: V1Pod, container: string, mountPath: string): string {
  const mount = pod.spec?.containers.find((c) => c.name === container)?.volumeMounts?.find((m) => m.mountPath === mountPath);
  const vol = mount && pod.spec?.volumes?.find((v) => v.name === mount.name);
  if (!vol) return 'none';
  if (vol.persistentVolumeClaim) return `pvc:${vol.persistentVolumeClaim.claimName}`;
  return Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
}

/** Reads one pod's identity from the API and, for the hostname, from inside its container. */
export async function readPodIdentity(cluster: ClusterSession, where: { namespace: string; pod: string; container: string; mountPath: string }): Promise<PodIdentity> {
  const pod = await cluster.core.readNamespacedPod({ name: where.pod, namespace: where.namespace });
  const h = await execInPod(cluster, { namespace: where.namespace, pod: where.pod, container: where.container, command: ['hostname'], timeoutMs: 15_000 });
  if (h.exitCode !== 0) throw new RunError('OBSERVE', `\`hostname\` failed in ${where.pod}: exit ${h.exitCode} ${h.stderr.trim()}`);
  return {
    name: where.pod,
    uid: pod.metadata?.uid ?? '',
    hostname: h.stdout.trim(),
    node: pod.spec?.nodeName,
    ip: pod.status?.podIP,
    claims: await claimsOf(cluster, where.namespace, pod),
    mountBacking: mountBacking(pod, where.container, where.mountPath),
  };
}
