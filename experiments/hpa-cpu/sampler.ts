// hpa-cpu's observer: at every sync, the HPA's status and the pods with their CPU metrics, and
// what the controller's own calculation (formula.ts) recommends from them, drawn as series.
import type { V1Pod } from '@kubernetes/client-node';
import { describeApiError, parseGoDuration } from '../../harness/index.ts';
import { milliValue, recommendReplicas, type PodMetricView, type PodView } from './formula.ts';
import { podMetrics, readHpa, targetPods, utilizationOf, type PodMetricsList } from './read.ts';
import { SAMPLES, type Ctx, type Sample } from './state.ts';

const timeMs = (t: Date | string | undefined) => (t === undefined ? undefined : new Date(t).getTime());

/** A pod as the controller's replica calculation reads it: phase, deletion, Ready, start and requests. */
function podView(pod: V1Pod): PodView {
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  // Requests of the containers and of restartable init containers (sidecars), as the controller sums them.
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  const requests = containers.map((c) => c.resources?.requests?.['cpu']);
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase,
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ready: ready ? { status: ready.status, lastTransitionMs: timeMs(ready.lastTransitionTime) ?? 0 } : undefined,
    startTimeMs: timeMs(pod.status?.startTime),
    requestMilli: requests.every((r) => r !== undefined) ? requests.reduce((a, r) => a + milliValue(String(r)), 0) : undefined,
  };
}

/** A pod's metrics entry as the controller's metrics client reads it; none when a container lacks CPU usage. */
function metricView(item: PodMetricsList['items'][number]): [string, PodMetricView][] {
  const usage = item.containers.map((c) => c.usage.cpu);
  if (usage.length === 0 || !usage.every((cpu): cpu is string => cpu !== undefined)) return [];
  return [[item.metadata.name, { milli: usage.reduce((a, cpu) => a + milliValue(cpu), 0), timestampMs: timeMs(item.timestamp) ?? 0, windowMs: parseGoDuration(item.window ?? '') ?? 0 }]];
}

/** One sample: the HPA, the pods and their metrics, and the controller's calculation on them. */
async function takeSample(ctx: Ctx): Promise<Sample> {
  const { params: p, state: s } = ctx;
  const h = await readHpa(ctx);
  const m = await podMetrics(ctx.cluster, p.namespace, s.selector).catch(() => ({ items: [] }));
  const current = h.status?.currentReplicas ?? 0;
  // The prediction is the controller's own calculation on what was observed: every pod of the
  // selector with its readiness and requests, and the metrics with their time and window; the
  // HPA's own average is kept beside it.
  const pods = await targetPods(ctx);
  const now = Date.now();
  const prediction = recommendReplicas({
    // What the controller keeps when it keeps the replicas is the scale's replicas as it reads
    // them at its sync: the workload's active pods (the HPA's own status lags up to one sync).
    currentReplicas: pods.filter((x) => !x.metadata?.deletionTimestamp && x.status?.phase !== 'Failed' && x.status?.phase !== 'Succeeded').length,
    targetUtilization: s.targetUtilization,
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    tolerance: s.tolerance,
    pods: pods.map(podView),
    metrics: Object.fromEntries(m.items.flatMap((i) => metricView(i))),
    nowMs: now,
  });
  return { at: now, currentReplicas: current, desiredReplicas: h.status?.desiredReplicas ?? current, utilization: utilizationOf(h), prediction, missing: prediction ? prediction.unready.length + prediction.missing.length : 0 };
}

/** Draws a sample on the replicas and CPU charts. */
function drawSample(ctx: Ctx, smp: Sample): void {
  const at = new Date(smp.at).toISOString();
  const { prediction, utilization: u } = smp;
  ctx.record.point({ name: 'actual (HPA currentReplicas)', group: 'replicas', unit: 'replicas' }, smp.currentReplicas, at);
  if (prediction) {
    ctx.record.point({ name: 'predicted (formula, clamped)', group: 'replicas', unit: 'replicas' }, prediction.clamped, at);
    ctx.record.point({ name: 'needed by the load (unclamped)', group: 'replicas', unit: 'replicas' }, prediction.needed, at);
  }
  if (u !== undefined) ctx.record.point({ name: 'average utilisation (HPA)', group: 'cpu', unit: '% of request' }, u, at);
  if (prediction) ctx.record.point({ name: 'utilisation the formula used', group: 'cpu', unit: '% of request' }, prediction.utilization, at);
  ctx.record.point({ name: 'target', group: 'cpu', unit: '% of request' }, ctx.state.targetUtilization, at);
}

/** Samples the HPA status and per-pod metrics at every sync, draws the series, and journals each decision. */
export async function startSampler(ctx: Ctx): Promise<() => Promise<void>> {
  const { params: p, state: s } = ctx;
  const samples: Sample[] = [];
  ctx.results.set(SAMPLES, samples);
  let lastDesired: number | undefined;
  const decisions: (string | number | null)[][] = [];
  const sample = async () => {
    const smp = await takeSample(ctx);
    samples.push(smp);
    drawSample(ctx, smp);
    if (smp.desiredReplicas === lastDesired) return;
    const { prediction, utilization: u, currentReplicas: current } = smp;
    const at = new Date(smp.at).toISOString();
    decisions.push([at, current, smp.desiredReplicas, u ?? null, prediction?.clamped ?? null, prediction?.needed ?? null, prediction?.rule ?? null]);
    ctx.record.event({ source: 'sampler', type: 'hpa-decision', object: `HorizontalPodAutoscaler/${p.namespace}/${s.hpa}`, message: `current ${current} → desired ${smp.desiredReplicas} at ${u ?? '?'}% (formula: ${prediction?.clamped ?? '?'}, needed ${prediction?.needed ?? '?'}${prediction ? `; ${prediction.rule}` : ''})` });
    lastDesired = smp.desiredReplicas;
  };
  await sample();
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      // A sleep that stop() can cut short, so stopping never waits out a whole interval.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, p.sampleEvery);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      if (stopped) break;
      await sample().catch((err: unknown) => ctx.record.event({ source: 'sampler', type: 'sample-failed', message: describeApiError(err) }));
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
    ctx.record.table({ title: 'HPA decisions (each change of desiredReplicas)', columns: ['at', 'current', 'desired', 'utilisation %', 'formula (clamped)', 'needed', 'controller rule'], rows: decisions });
  };
}
