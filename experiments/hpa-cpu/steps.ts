// The steps of hpa-cpu: the fixture, sampling at every sync, CPU load (harness/faults/cpu-load),
// the formula's prediction against what the HPA did, stopping the load (proven inside each pod)
// and scale-in. Preflight is in target.ts, the state in state.ts.
import type { V1Pod, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { deployFixture as deployOwnFixture } from '../../harness/cluster/fixture.ts';
import { describeError, injectError } from '../../harness/engine/errors.ts';
import { formatDuration, parseGoDuration } from '../../harness/engine/time.ts';
import { LOAD_COMM, LOAD_COMMAND_LINE, countLoad, startLoad as startCpuLoad, stopLoad as stopCpuLoad } from '../../harness/faults/cpu-load.ts';
import { WaitTimeoutError, done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { describeAllowed, judgeSamples, milliValue, recommendReplicas, type PodMetricView, type PodView } from './formula.ts';
import type { Params } from './params.ts';
import { podMetrics, type PodMetricsList } from './target.ts';
import { type Ctx, type Sample } from './state.ts';

// ---------------------------------------------------------------- setup

export async function deployFixture(ctx: Ctx, def: { manifests: string[]; manifestValues(p: Params): Record<string, unknown> }): Promise<void> {
  if (ctx.state.fixture) await deployOwnFixture(ctx, def);
}

// ---------------------------------------------------------------- steady state

async function readHpa(ctx: Ctx): Promise<V2HorizontalPodAutoscaler> {
  return ctx.cluster.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: ctx.state.hpa, namespace: ctx.params.namespace });
}

const utilizationOf = (h: V2HorizontalPodAutoscaler) =>
  h.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current.averageUtilization;

async function readyPods(ctx: Ctx): Promise<V1Pod[]> {
  const pods = await ctx.cluster.core.listNamespacedPod({ namespace: ctx.params.namespace, labelSelector: ctx.state.selector });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
}

/**
 * Baseline: the target at its minimum, Ready, and the HPA already reading a CPU metric (so the
 * metrics pipeline works end to end before any load).
 */
export async function baseline(ctx: Ctx): Promise<void> {
  const { state: s } = ctx;
  try {
    const h = await waitFor(
      async () => {
        const h = await readHpa(ctx);
        const ready = (await readyPods(ctx)).length;
        const u = utilizationOf(h);
        return u !== undefined && ready >= s.minReplicas && (h.status?.currentReplicas ?? 0) === ready ? done(h) : notYet(`${ready} Ready, HPA utilisation ${u ?? 'unknown'}`);
      },
      { what: `HPA ${s.hpa} reading CPU with its pods Ready`, timeoutMs: 240_000, intervalMs: 2000, signal: ctx.signal, retryErrors: true },
    );
    s.baselineReplicas = h.status?.currentReplicas ?? 0;
    ctx.record.check({ name: 'baseline', expected: `HPA ${s.hpa} reports CPU utilisation for Ready pods`, observed: `${s.baselineReplicas} replica(s), utilisation ${utilizationOf(h)}%`, passed: true, evidence: { status: h.status } });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: 'baseline', expected: `HPA ${s.hpa} reports CPU utilisation for Ready pods within 4m`, observed: String(err.lastObserved), passed: false });
  }
}

// ---------------------------------------------------------------- observe

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
  if (item.containers.length === 0 || item.containers.some((c) => c.usage.cpu === undefined)) return [];
  return [[item.metadata.name, { milli: item.containers.reduce((a, c) => a + milliValue(c.usage.cpu!), 0), timestampMs: timeMs(item.timestamp) ?? 0, windowMs: parseGoDuration(item.window ?? '') ?? 0 }]];
}

/** Samples the HPA status and per-pod metrics at every sync, and draws the series. */
export async function startSampler(ctx: Ctx): Promise<() => Promise<void>> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  let lastDesired: number | undefined;
  const decisions: (string | number | null)[][] = [];
  const sample = async () => {
    const h = await readHpa(ctx);
    const m = await podMetrics(cluster, p.namespace, s.selector).catch(() => ({ items: [] }));
    const current = h.status?.currentReplicas ?? 0;
    const u = utilizationOf(h);
    // The prediction is the controller's own calculation on what was observed: every pod of the
    // selector with its readiness and requests, and the metrics with their time and window; the
    // HPA's own average is kept beside it.
    const pods = (await cluster.core.listNamespacedPod({ namespace: p.namespace, labelSelector: s.selector })).items;
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
    const smp: Sample = { at: now, currentReplicas: current, desiredReplicas: h.status?.desiredReplicas ?? current, utilization: u, prediction, missing: prediction ? prediction.unready.length + prediction.missing.length : 0 };
    s.samples.push(smp);
    const at = new Date(smp.at).toISOString();
    ctx.record.point({ name: 'actual (HPA currentReplicas)', group: 'replicas', unit: 'replicas' }, current, at);
    if (prediction) {
      ctx.record.point({ name: 'predicted (formula, clamped)', group: 'replicas', unit: 'replicas' }, prediction.clamped, at);
      ctx.record.point({ name: 'needed by the load (unclamped)', group: 'replicas', unit: 'replicas' }, prediction.needed, at);
    }
    if (u !== undefined) ctx.record.point({ name: 'average utilisation (HPA)', group: 'cpu', unit: '% of request' }, u, at);
    if (prediction) ctx.record.point({ name: 'utilisation the formula used', group: 'cpu', unit: '% of request' }, prediction.utilization, at);
    ctx.record.point({ name: 'target', group: 'cpu', unit: '% of request' }, s.targetUtilization, at);
    if (smp.desiredReplicas !== lastDesired) {
      decisions.push([at, current, smp.desiredReplicas, u ?? null, prediction?.clamped ?? null, prediction?.needed ?? null, prediction?.rule ?? null]);
      ctx.record.event({ source: 'sampler', type: 'hpa-decision', object: `HorizontalPodAutoscaler/${p.namespace}/${s.hpa}`, message: `current ${current} → desired ${smp.desiredReplicas} at ${u ?? '?'}% (formula: ${prediction?.clamped ?? '?'}, needed ${prediction?.needed ?? '?'}${prediction ? `; ${prediction.rule}` : ''})` });
      lastDesired = smp.desiredReplicas;
    }
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
      await sample().catch((err: unknown) => ctx.record.event({ source: 'sampler', type: 'sample-failed', message: describeError(err) }));
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
    ctx.record.table({ title: "HPA decisions (each change of desiredReplicas)", columns: ['at', 'current', 'desired', 'utilisation %', 'formula (clamped)', 'needed', 'controller rule'], rows: decisions });
  };
}

// ---------------------------------------------------------------- method

/** Starts `timeout <loadFor> sha256sum /dev/zero` in the chosen pods; each ends by itself even if the harness dies. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const pods = (await readyPods(ctx)).map((x) => x.metadata?.name ?? '').sort();
  const chosen = p.loadPods === 'all' ? pods : pods.slice(0, p.loadPods);
  if (chosen.length === 0) throw injectError(`no Ready pod of ${s.target} to load`);
  // No fault outlives the run: the load's own bound never passes the run's deadline.
  const seconds = Math.max(1, Math.floor(Math.min(p.loadFor, ctx.deadline - Date.now()) / 1000));
  // Registered first, so it runs last: after every load process is killed, the HPA scales back
  // by itself; wait for it (bounded) so the run leaves the workload as it found it.
  ctx.rollback(
    `${s.target} back to its baseline of ${s.baselineReplicas} replica(s)`,
    async (signal) => {
      s.closeLoadWindow?.();
      await waitFor(
        async () => {
          const r = (await readHpa(ctx)).status?.currentReplicas ?? 0;
          return r <= s.baselineReplicas ? done(undefined) : notYet(`${r} replicas`);
        },
        { what: `${s.target} back to its baseline of ${s.baselineReplicas} replica(s)`, timeoutMs: p.scaleInWithin, intervalMs: 2000, signal },
      );
    },
    { timeoutMs: p.scaleInWithin + 10_000 },
  );
  s.loadStartedAt = Date.now();
  s.closeLoadWindow = ctx.record.window('cpu load');
  for (const pod of chosen) {
    await startCpuLoad(ctx, { namespace: p.namespace, pod, container: s.container }, p.processesPerPod, seconds);
    s.loaded.push(pod);
    ctx.record.event({ source: 'fault', type: 'load-started', object: `Pod/${p.namespace}/${pod}`, message: `${p.processesPerPod} × timeout ${seconds} ${LOAD_COMMAND_LINE}` });
  }
  ctx.progress(`load running in ${s.loaded.join(', ')} for at most ${formatDuration(seconds * 1000)}`);
}

// ---------------------------------------------------------------- verify

/** Scale-out: within the bound, the HPA reaches the formula's clamped prediction above the baseline, on a sample where every pod was counted. */
export async function verifyScaleOut(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const from = s.loadStartedAt ?? Date.now();
  // With other metrics the HPA takes the largest proposal, so CPU's is a floor.
  const reaches = (replicas: number, predicted: number) => (s.otherMetrics.length ? replicas >= predicted : replicas === predicted);
  let matched: Sample | undefined;
  try {
    matched = await waitFor(
      () => {
        const hit = s.samples.find((x) => x.at >= from && x.prediction && x.missing === 0 && x.currentReplicas > s.baselineReplicas && reaches(x.currentReplicas, x.prediction.clamped));
        return hit ? done(hit) : notYet(s.samples.at(-1));
      },
      { what: 'the HPA to reach the predicted replicas', timeoutMs: Math.max(0, from + p.scaleOutWithin - Date.now()), intervalMs: 1000, signal: ctx.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
  }
  const inLoad = (x: Sample) => x.at >= from && x.at <= (s.loadStoppedAt ?? Infinity);
  const during = s.samples.filter((x) => inLoad(x) && x.prediction);
  // Samples where every pod was counted as measured (no new, unready or unmeasured pod).
  const measured = during.filter((x) => x.missing === 0);
  const peak = Math.max(s.baselineReplicas, ...during.map((x) => x.currentReplicas));
  const last = during.at(-1);
  // Every fully measured sample must hold, not just one: the controller's sync lag, rate limit
  // and scale-down stabilization are allowed for (judgeSamples), nothing else.
  const judged = (x: Sample) => ({ at: x.at, currentReplicas: x.currentReplicas, desiredReplicas: x.desiredReplicas, predicted: x.prediction!.clamped });
  // Judged are the samples where every pod was counted as measured; what the controller may be
  // acting on is every prediction, those with new or unmeasured pods and those before the load too.
  const measuredSamples = measured.map(judged);
  const history = s.samples.filter((x) => x.prediction && !(inLoad(x) && x.missing === 0)).map(judged);
  // The lag: one HPA sync (15 s) plus metrics-server's resolution window (15 s), plus our sampling.
  const { verdicts, worst } = judgeSamples(measuredSamples, {
    lagMs: Math.max(p.sampleEvery, 5_000) + 30_000,
    downWindowMs: s.scaleDownWindowMs,
    history,
    scaleUpLimited: s.scaleUpRules !== undefined,
    scaleDownLimited: s.scaleDownRules !== undefined,
    otherMetrics: s.otherMetrics.length > 0,
  });
  const deviating = verdicts.filter((v) => v.deviation > 0);
  const worstText = worst ? `worst sample at ${new Date(worst.at).toISOString()}: desired ${worst.desiredReplicas}, formula ${worst.predicted} (allowed ${describeAllowed(worst.allowed)}), off by ${worst.deviation}` : 'no fully measured sample';
  const allowances = [
    'one sync of lag',
    s.scaleUpRules ? `the HPA's scale-up rules (${s.scaleUpRules}) stopping anywhere short of the prediction` : 'the scale-up rate limit',
    'the scale-down window',
    ...(s.scaleDownRules ? [`the HPA's scale-down rules (${s.scaleDownRules}) stopping anywhere above the prediction`] : []),
    ...(s.otherMetrics.length ? [`any decision above CPU's, as the HPA also scales on ${s.otherMetrics.join(', ')}`] : []),
  ];
  ctx.record.check({
    name: 'controller-follows-formula',
    expected: `on every fully measured sample the HPA's decision is ceil(current × utilisation / ${s.targetUtilization}%) clamped to [${s.minReplicas}, ${s.maxReplicas}], with the controller's rules for new and unmeasured pods (allowing ${allowances.join(', ')}), and within ${formatDuration(p.scaleOutWithin)} replicas rise above ${s.baselineReplicas} to the prediction`,
    observed: [
      matched ? `scaled to ${matched.currentReplicas} at ${matched.utilization}% after ${formatDuration(matched.at - from)} = the formula's ${matched.prediction?.clamped}` : `never reached the prediction: last ${last?.currentReplicas ?? '?'} replicas at ${last?.utilization ?? '?'}% (formula ${last?.prediction?.clamped ?? '?'}), peak ${peak}`,
      `${measuredSamples.length - deviating.length} of ${measuredSamples.length} fully measured samples hold`,
      worstText,
    ].join('; '),
    passed: matched !== undefined && measuredSamples.length > 0 && deviating.length === 0,
    evidence: { worst, deviating, samples: during.map((x) => ({ at: new Date(x.at).toISOString(), current: x.currentReplicas, desired: x.desiredReplicas, utilization: x.utilization, clamped: x.prediction?.clamped, needed: x.prediction?.needed, missing: x.missing, rule: x.prediction?.rule })) },
  });
  // What the load needs is read from samples where every pod had metrics: with new pods still
  // unmeasured the controller's guess for them would inflate or deflate it.
  const needed = Math.max(0, ...(measured.length ? measured : during).map((x) => x.prediction?.needed ?? 0));
  ctx.record.check({
    name: 'capacity-for-load',
    expected: `the replicas the load needs (unclamped formula) fit under maxReplicas ${s.maxReplicas}`,
    observed: `needed ${needed}, maxReplicas ${s.maxReplicas}, observed peak ${peak}`,
    passed: needed > 0 && needed <= s.maxReplicas,
    evidence: { needed, maxReplicas: s.maxReplicas, peak },
  });
  const firstScale = during.find((x) => x.currentReplicas > s.baselineReplicas);
  const target = { target: `${s.kind} ${p.namespace}/${s.target}` };
  if (firstScale) ctx.record.metric('firstScaleOut', 'ms', firstScale.at - from, { ...target, description: 'load start → first sample with more replicas than the baseline' });
  if (matched) ctx.record.metric('formulaReplicasReached', 'ms', matched.at - from, { ...target, description: "load start → first sample at the formula's replicas" });
  if (firstScale) ctx.record.measurement({ name: 'time to first scale', value: Math.round((firstScale.at - from) / 100) / 10, unit: 's', description: 'load start → first sample with more replicas than the baseline' });
  const peakAt = during.find((x) => x.currentReplicas === peak);
  if (peakAt) ctx.record.measurement({ name: 'time to peak', value: Math.round((peakAt.at - from) / 100) / 10, unit: 's', description: `load start → first sample at the peak of ${peak} replicas` });
  ctx.record.measurement({ name: 'peak replicas', value: peak, unit: 'replicas' });
  const deviations = during.map((x) => Math.abs(x.currentReplicas - (x.prediction?.clamped ?? x.currentReplicas)));
  ctx.record.measurement({ name: 'max |actual − predicted|', value: Math.max(0, ...deviations), unit: 'replicas', description: 'replicas running vs the formula, per sample during the load; includes the lag until the controller acts' });
  const decisions = during.map((x) => Math.abs(x.desiredReplicas - (x.prediction?.clamped ?? x.desiredReplicas)));
  ctx.record.measurement({ name: 'max |desired − predicted|', value: Math.max(0, ...decisions), unit: 'replicas', description: "the HPA's own decision (status.desiredReplicas) vs the formula on the same sample" });
}

/** Stops the load and proves, inside each loaded pod, that no load process survives. */
export async function stopLoad(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  for (const pod of s.loaded) await stopCpuLoad(cluster, { namespace: p.namespace, pod, container: s.container });
  s.loadStoppedAt = Date.now();
  s.closeLoadWindow?.();
  const survivors: Record<string, number> = {};
  for (const pod of s.loaded) {
    const n = await waitFor(
      async () => {
        const n = await countLoad(cluster, { namespace: p.namespace, pod, container: s.container });
        return n === 0 ? done(n) : notYet(n);
      },
      { what: `no ${LOAD_COMM} left in ${pod}`, timeoutMs: 20_000, intervalMs: 1000, signal: ctx.signal },
    ).catch((err: unknown) => {
      if (err instanceof WaitTimeoutError) return Number(err.lastObserved);
      throw err;
    });
    survivors[pod] = n;
  }
  const left = Object.entries(survivors).filter(([, n]) => n > 0);
  ctx.record.check({
    name: 'load-stopped',
    expected: `no ${LOAD_COMM} process left in ${s.loaded.join(', ')}`,
    observed: left.length ? `still running: ${left.map(([pod, n]) => `${pod} ×${n}`).join(', ')}` : 'none left (checked in /proc of each pod)',
    passed: left.length === 0,
    evidence: { survivors },
  });
}

/** Scale-in: back to minReplicas within the bound once the load stopped. */
export async function verifyScaleIn(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const from = s.loadStoppedAt ?? Date.now();
  // Back to where it was before the load: minReplicas for the fixture; a user's workload may sit
  // above its minimum for load of its own, which the run did not add and cannot take away.
  const back = s.baselineReplicas;
  const expected = `back to ${back} replica(s) (before the load${back === s.minReplicas ? ', minReplicas' : `; minReplicas ${s.minReplicas}`}) or fewer within ${formatDuration(p.scaleInWithin)} of the load stopping`;
  let settled: number | undefined;
  try {
    settled = await waitFor(
      async () => {
        const h = await readHpa(ctx);
        const r = h.status?.currentReplicas ?? 0;
        return r <= back ? done(Date.now()) : notYet(`${r} replicas`);
      },
      { what: `${s.target} back to ${back} replica(s)`, timeoutMs: p.scaleInWithin, intervalMs: 2000, signal: ctx.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: 'scale-in', expected, observed: `still ${String(err.lastObserved)}`, passed: false });
    return;
  }
  ctx.record.check({ name: 'scale-in', expected, observed: `at ${back} or fewer after ${formatDuration(settled - from)}`, passed: true });
  ctx.record.metric('scaleIn', 'ms', settled - from, { target: `${s.kind} ${p.namespace}/${s.target}`, description: 'load stopped → back at the replicas before the load' });
  ctx.record.measurement({ name: 'time to settle', value: Math.round((settled - from) / 100) / 10, unit: 's', description: 'load stopped → back at the replicas before the load' });
}

