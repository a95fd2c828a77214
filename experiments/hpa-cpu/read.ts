// What hpa-cpu reads from the cluster at several steps: the HPA, the target's pods, their metrics.
import type { V1Pod, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { ClusterSession } from '../../harness/index.ts';
import type { Ctx } from './state.ts';

export async function readHpa(ctx: Ctx): Promise<V2HorizontalPodAutoscaler> {
  return ctx.cluster.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: ctx.state.hpa, namespace: ctx.params.namespace });
}

/** The average CPU utilisation the HPA last reported, if it reads one. */
export const utilizationOf = (h: V2HorizontalPodAutoscaler): number | undefined =>
  h.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current.averageUtilization;

/** Every pod of the target's selector. */
export async function targetPods(ctx: Ctx): Promise<V1Pod[]> {
  return (await ctx.cluster.core.listNamespacedPod({ namespace: ctx.params.namespace, labelSelector: ctx.state.selector })).items;
}

/** The target's pods that are Ready and not being deleted. */
export async function readyPods(ctx: Ctx): Promise<V1Pod[]> {
  return (await targetPods(ctx)).filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

export interface PodMetricsList {
  /** timestamp and window say which interval the usage was averaged over (the controller's readiness rule reads them). */
  items: { metadata: { name: string }; timestamp?: string; window?: string; containers: { name: string; usage: { cpu?: string } }[] }[];
}

export async function podMetrics(cluster: ClusterSession, namespace: string, labelSelector: string): Promise<PodMetricsList> {
  return (await cluster.custom.listNamespacedCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', namespace, plural: 'pods', labelSelector })) as PodMetricsList;
}
