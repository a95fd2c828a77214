import { LABEL_RUN_ID } from '../engine/run-id.ts';
import { waitFor, done, notYet } from '../engine/wait.ts';
import { isNotFound, type ClusterSession } from './session.ts';

/** One kind of object cleanup knows how to find and delete by label. */
interface Sweepable {
  kind: string;
  list(s: ClusterSession, labelSelector: string): Promise<{ name: string; namespace?: string | undefined }[]>;
  remove(s: ClusterSession, name: string, namespace: string | undefined): Promise<unknown>;
}

const names = (items: { metadata?: { name?: string; namespace?: string } }[]) =>
  items.map((i) => ({ name: i.metadata?.name ?? '', namespace: i.metadata?.namespace }));

const background = { propagationPolicy: 'Background' };

/** Controllers first (so they do not recreate what is deleted next), namespaces last. */
const SWEEP: Sweepable[] = [
  {
    kind: 'HorizontalPodAutoscaler',
    list: async (s, labelSelector) => names((await s.autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.autoscaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace: namespace! }),
  },
  {
    kind: 'Deployment',
    list: async (s, labelSelector) => names((await s.apps.listDeploymentForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.apps.deleteNamespacedDeployment({ name, namespace: namespace!, body: background }),
  },
  {
    kind: 'StatefulSet',
    list: async (s, labelSelector) => names((await s.apps.listStatefulSetForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.apps.deleteNamespacedStatefulSet({ name, namespace: namespace!, body: background }),
  },
  {
    kind: 'Pod',
    list: async (s, labelSelector) => names((await s.core.listPodForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.core.deleteNamespacedPod({ name, namespace: namespace! }),
  },
  {
    kind: 'Service',
    list: async (s, labelSelector) => names((await s.core.listServiceForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.core.deleteNamespacedService({ name, namespace: namespace! }),
  },
  {
    kind: 'ConfigMap',
    list: async (s, labelSelector) => names((await s.core.listConfigMapForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.core.deleteNamespacedConfigMap({ name, namespace: namespace! }),
  },
  {
    kind: 'PersistentVolumeClaim',
    list: async (s, labelSelector) => names((await s.core.listPersistentVolumeClaimForAllNamespaces({ labelSelector })).items),
    remove: (s, name, namespace) => s.core.deleteNamespacedPersistentVolumeClaim({ name, namespace: namespace! }),
  },
  {
    kind: 'PeerAuthentication',
    list: async (s, labelSelector) => {
      try {
        const r = (await s.custom.listClusterCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', labelSelector })) as {
          items: { metadata?: { name?: string; namespace?: string } }[];
        };
        return names(r.items);
      } catch (err) {
        if (isNotFound(err)) return []; // Istio is not installed: nothing of this kind can exist
        throw err;
      }
    },
    remove: (s, name, namespace) =>
      s.custom.deleteNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'peerauthentications', name, namespace: namespace! }),
  },
  {
    kind: 'Namespace',
    list: async (s, labelSelector) => names((await s.core.listNamespace({ labelSelector })).items),
    remove: (s, name) => s.core.deleteNamespace({ name }),
  },
];

export interface CleanupResult {
  /** "Kind/namespace/name" of every object a delete was sent for. */
  deleted: string[];
}

const ref = (kind: string, o: { name: string; namespace?: string | undefined }) => `${kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/**
 * Deletes every object labelled by shakedown (or by one run) and waits until none is left, so
 * the cluster is as it was. Objects already gone are fine; any other failure is thrown.
 */
export async function deleteByLabel(
  session: ClusterSession,
  opts: { runId?: string | undefined; timeoutMs: number; signal?: AbortSignal; onDelete?: (ref: string) => void },
): Promise<CleanupResult> {
  const labelSelector = opts.runId ? `${LABEL_RUN_ID}=${opts.runId}` : LABEL_RUN_ID;
  const deleted: string[] = [];
  for (const kind of SWEEP) {
    for (const o of await kind.list(session, labelSelector)) {
      try {
        await kind.remove(session, o.name, o.namespace);
        deleted.push(ref(kind.kind, o));
        opts.onDelete?.(ref(kind.kind, o));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
  // Only the kinds something was deleted of can still be there (others were listed empty).
  const pending = SWEEP.filter((k) => deleted.some((d) => d.startsWith(`${k.kind}/`)));
  await waitFor(
    async () => {
      const left: string[] = [];
      for (const kind of pending) for (const o of await kind.list(session, labelSelector)) left.push(ref(kind.kind, o));
      return left.length === 0 ? done(undefined) : notYet(left);
    },
    { what: `no object labelled ${labelSelector} left`, timeoutMs: opts.timeoutMs, intervalMs: 2000, signal: opts.signal },
  );
  return { deleted };
}
