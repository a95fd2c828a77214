// Any workload as a target: a Deployment, StatefulSet, DaemonSet or ReplicaSet named as
// `kind/name`, its pods found through their controller's ownerReferences (a Deployment's through
// its ReplicaSets), its readiness read from its own status.
import type { V1LabelSelector, V1ObjectMeta, V1Pod, V1PodList } from '@kubernetes/client-node';
import type { ClusterSession } from '../cluster/session.ts';
import { isNotFound } from '../cluster/session.ts';
import { enc } from '../cluster/objects.ts';
import { can, type Permission } from '../cluster/permissions.ts';
import { z } from 'zod';
import { targetSelectionError } from '../engine/errors.ts';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'] as const;
/** The kinds of workload a target can be. */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const ALIASES: Record<string, WorkloadKind> = {
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  statefulset: 'StatefulSet', statefulsets: 'StatefulSet', sts: 'StatefulSet',
  daemonset: 'DaemonSet', daemonsets: 'DaemonSet', ds: 'DaemonSet',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet',
};
const PLURAL: Record<WorkloadKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', ReplicaSet: 'replicasets' };
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A workload named in a namespace. */
export interface WorkloadRef {
  /** Deployment, StatefulSet, DaemonSet or ReplicaSet. */
  kind: WorkloadKind;
  /** Its namespace. */
  namespace: string;
  /** Its name. */
  name: string;
}

/**
 * Reads `kind/name` as kubectl writes it (`deployment/checkout`, `sts/orders`, `ds/agent`,
 * `rs/web-7d9f`); returns the kind and name, or a message saying what is wrong.
 */
export function parseWorkloadRef(text: string): { kind: WorkloadKind; name: string } | { error: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { error: `"${text}" is not kind/name (e.g. deployment/checkout)` };
  const kind = ALIASES[text.slice(0, slash).toLowerCase()];
  const name = text.slice(slash + 1);
  if (!kind) return { error: `"${text.slice(0, slash)}" is not a workload kind (deployment, statefulset, daemonset or replicaset)` };
  if (!NAME.test(name) || name.length > 253) return { error: `"${name}" is not a Kubernetes object name` };
  return { kind, name };
}

/** A workload as the API showed it when resolved. */
export interface Workload extends WorkloadRef {
  /** Its UID: the pods it owns (through ownerReferences) name it. */
  uid: string;
  /** Its pods' label selector, as a query string (matchLabels and matchExpressions). */
  selector: string;
}

/** How many pods the workload wants and how many of them are Ready, from its status. */
export interface Readiness {
  /** The pods it wants (spec.replicas; desiredNumberScheduled for a DaemonSet). */
  desired: number;
  /** Of those, how many are Ready (status). */
  ready: number;
  /** Whether its controller has seen its latest spec (observedGeneration). */
  observed: boolean;
}

interface WorkloadObject {
  metadata?: V1ObjectMeta;
  spec?: { replicas?: number; selector?: V1LabelSelector };
  status?: { readyReplicas?: number; desiredNumberScheduled?: number; numberReady?: number; observedGeneration?: number };
}

/** What reading a workload and finding its pods needs (the reads every target part makes). */
export function workloadReads(kind: WorkloadKind): Permission[] {
  return [can('apps', PLURAL[kind], 'get'), can('', 'pods', 'list'), ...(kind === 'Deployment' ? [can('apps', 'replicasets', 'list')] : [])];
}

const pathOf = (r: WorkloadRef) => `/apis/apps/v1/namespaces/${enc(r.namespace)}/${PLURAL[r.kind]}/${enc(r.name)}`;
export const describeWorkload = (r: WorkloadRef): string => `${r.kind} ${r.namespace}/${r.name}`;

/** Reads the workload; a missing one is a target-selection error naming it. */
export async function resolveWorkload(session: ClusterSession, ref: WorkloadRef): Promise<Workload> {
  const o = await readWorkload(session, ref);
  const selector = selectorString(o.spec?.selector);
  if (!selector) throw targetSelectionError(`${describeWorkload(ref)} has no pod selector`);
  return { ...ref, uid: o.metadata?.uid ?? '', selector };
}

async function readWorkload(session: ClusterSession, ref: WorkloadRef): Promise<WorkloadObject> {
  try {
    return await session.rest.get<WorkloadObject>(pathOf(ref));
  } catch (err) {
    if (isNotFound(err)) throw targetSelectionError(`${describeWorkload(ref)} does not exist`, err);
    throw err;
  }
}

/** Desired and Ready pods from the workload's status (a DaemonSet's from its scheduled count). */
export async function readReadiness(session: ClusterSession, ref: WorkloadRef): Promise<Readiness> {
  const o = await readWorkload(session, ref);
  const observed = (o.status?.observedGeneration ?? 0) >= (o.metadata?.generation ?? 0);
  if (ref.kind === 'DaemonSet') return { desired: o.status?.desiredNumberScheduled ?? 0, ready: o.status?.numberReady ?? 0, observed };
  return { desired: o.spec?.replicas ?? 1, ready: o.status?.readyReplicas ?? 0, observed };
}

/** The UID of the object that controls a pod (its ownerReference with controller: true). */
export const controllerUid = (meta: V1ObjectMeta | undefined): string | undefined => meta?.ownerReferences?.find((o) => o.controller)?.uid;

/**
 * The UIDs that directly control the workload's pods: its own, or for a Deployment those of the
 * ReplicaSets it controls (every revision: a rollout's old pods are the Deployment's too).
 */
export async function podControllers(session: ClusterSession, w: Workload): Promise<Set<string>> {
  if (w.kind !== 'Deployment') return new Set([w.uid]);
  const list = await session.rest.get<{ items: WorkloadObject[] }>(`/apis/apps/v1/namespaces/${enc(w.namespace)}/replicasets`, { labelSelector: w.selector });
  return new Set(list.items.filter((rs) => controllerUid(rs.metadata) === w.uid).map((rs) => rs.metadata?.uid ?? ''));
}

/** The workload's pods that are not terminating, by name: those its selector matches and it controls. */
export async function workloadPods(session: ClusterSession, w: Workload): Promise<V1Pod[]> {
  const [owners, list] = await Promise.all([podControllers(session, w), session.rest.get<V1PodList>(`/api/v1/namespaces/${enc(w.namespace)}/pods`, { labelSelector: w.selector })]);
  return list.items
    .filter((p) => !p.metadata?.deletionTimestamp && owners.has(controllerUid(p.metadata) ?? ''))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** A LabelSelector as the `labelSelector` query parameter writes it. */
export function selectorString(sel: V1LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** A parameter naming a workload as `kind/name` (deployment/checkout, sts/orders ...). */
export const workloadParam = () =>
  z.string().transform((text, ctx) => {
    const r = parseWorkloadRef(text);
    if ('error' in r) {
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    }
    return r;
  });
