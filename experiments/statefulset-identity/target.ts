// Target selection for statefulset-identity: the fixture, or a user's StatefulSet read as it is
// (which container holds the data and where, from the spec; whether a scale-down deletes claims).
import type { V1Container, V1StatefulSet } from '@kubernetes/client-node';
import { isNotFound, RunError, type ClusterContext } from '../../harness/index.ts';
import { batchProblem, type Params } from './params.ts';
import type { State } from './state.ts';
import { FIXTURE, FIXTURE_MOUNT } from './state.ts';

type Ctx = ClusterContext<Params, State>;

const targetSelectionError = (message: string) => new RunError('TARGET_SELECTION', message);
const preflightError = (message: string) => new RunError('PREFLIGHT', message);

/**
 * The container that holds the data and where: the parameters override; otherwise the first
 * container that mounts a volumeClaimTemplate (so a sidecar listed first is not taken for it).
 */
export function dataMount(sts: V1StatefulSet, p: Pick<Params, 'container' | 'mountPath'>): { container: V1Container; mountPath: string } {
  const name = sts.metadata?.name ?? '?';
  const containers = sts.spec?.template.spec?.containers ?? [];
  const claimNames = new Set((sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
  const candidates = p.container ? containers.filter((c) => c.name === p.container) : containers;
  if (p.container && candidates.length === 0) {
    throw targetSelectionError(`StatefulSet ${name} has no container "${p.container}" (it has: ${containers.map((c) => c.name).join(', ')})`);
  }
  for (const c of candidates) {
    const mounts = c.volumeMounts ?? [];
    const m = p.mountPath ? mounts.find((x) => x.mountPath === p.mountPath) : (mounts.find((x) => claimNames.has(x.name)) ?? undefined);
    if (m) return { container: c, mountPath: m.mountPath };
  }
  // Nothing mounts a claim template: take what the user named, or the first container's first
  // mount, so the run goes on and the checks report what backs the data (emptyDir ...) as a finding.
  const fallback = candidates.find((c) => (c.volumeMounts ?? []).some((m) => !p.mountPath || m.mountPath === p.mountPath));
  const mount = fallback?.volumeMounts?.find((m) => !p.mountPath || m.mountPath === p.mountPath);
  if (!fallback || !mount) {
    const where = p.container ? `container ${p.container}` : 'no container';
    throw targetSelectionError(`${where} of StatefulSet ${name} mounts ${p.mountPath ? `anything at ${p.mountPath}` : 'a volume'}: nothing to write a token to (set container and mountPath to where its data lives)`);
  }
  return { container: fallback, mountPath: mount.mountPath };
}

async function readStatefulSet(ctx: Ctx, name: string): Promise<V1StatefulSet> {
  try {
    return await ctx.cluster.apps.readNamespacedStatefulSet({ name, namespace: ctx.params.namespace });
  } catch (err) {
    if (isNotFound(err)) throw targetSelectionError(`StatefulSet ${ctx.params.namespace}/${name} does not exist`);
    throw err;
  }
}

/** Finds the StatefulSet to test (or checks the fixture can be deployed) and fixes the ordinals. */
export async function selectTarget(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  if (!p.statefulset) {
    try {
      await ctx.cluster.storage.readStorageClass({ name: p.storageClass });
    } catch (err) {
      if (isNotFound(err)) throw preflightError(`StorageClass "${p.storageClass}" does not exist, so the fixture's claims could not bind (set storageClass to one that provisions volumes)`);
      throw err;
    }
    s.fixture = true;
    s.sts = FIXTURE;
    s.service = `${FIXTURE}-headless`;
    s.container = 'web';
    s.mountPath = p.mountPath ?? FIXTURE_MOUNT;
    s.replicas = p.replicas;
    s.selector = `app.kubernetes.io/name=${FIXTURE}`;
    s.orderedReady = (p.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  } else {
    const sts = await readStatefulSet(ctx, p.statefulset);
    const service = sts.spec?.serviceName;
    if (!service) throw targetSelectionError(`StatefulSet ${p.statefulset} names no serviceName, so its pods have no DNS records`);
    try {
      const svc = await ctx.cluster.core.readNamespacedService({ name: service, namespace: p.namespace });
      if (svc.spec?.clusterIP !== 'None') throw targetSelectionError(`Service ${service} is not headless (clusterIP ${svc.spec?.clusterIP}); pods get no per-pod DNS records`);
    } catch (err) {
      if (isNotFound(err)) throw targetSelectionError(`the StatefulSet's Service ${p.namespace}/${service} does not exist`);
      throw err;
    }
    const { container, mountPath } = dataMount(sts, p);
    s.fixture = false;
    s.sts = p.statefulset;
    s.service = service;
    s.container = container.name;
    s.mountPath = mountPath;
    s.replicas = sts.spec?.replicas ?? 1;
    s.selector = Object.entries(sts.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    s.orderedReady = (sts.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    s.claimsDeletedOnScaleDown = sts.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete';
    if (!s.selector) throw targetSelectionError(`StatefulSet ${p.statefulset} selects its pods by expressions only; give it matchLabels`);
  }
  const policy = s.orderedReady ? 'OrderedReady' : 'Parallel';
  const batch = batchProblem(p.batch, policy);
  if (batch) throw targetSelectionError(`parameter "batch" ${batch} (StatefulSet ${p.namespace}/${s.sts})`);
  s.ordinals = p.ordinals === 'all' ? [...Array(s.replicas).keys()] : [...p.ordinals];
  const outOfRange = s.ordinals.filter((o) => o >= s.replicas);
  if (outOfRange.length) throw targetSelectionError(`ordinals ${outOfRange.join(', ')} do not exist: ${s.sts} has ${s.replicas} replicas`);
  ctx.progress(
    `target: StatefulSet ${p.namespace}/${s.sts} (${s.replicas} replicas, Service ${s.service}, data in container ${s.container} at ${s.mountPath}), deleting ordinals ${s.ordinals.join(', ')}${p.batch > 1 ? `, ${p.batch} at a time (${policy})` : ''}` +
      (s.claimsDeletedOnScaleDown ? '; its claims are deleted on scale-down (whenScaled: Delete)' : ''),
  );
}
