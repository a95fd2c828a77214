// hpa-cpu's scale-out checks: the HPA's decisions against the controller's formula on every fully
// measured sample, and room under maxReplicas for what the load needs; with the measurements of
// the scale-out. They wait for the sampler's samples, and read nothing else from the cluster.
import { formatDuration, probes, WaitTimeoutError } from '../../harness/index.ts';
import { describeAllowed, judgeSamples, type JudgedSample, type Recommendation } from './formula.ts';
import { loadOf, samplesOf, type Ctx, type Sample } from './state.ts';

type Predicted = Sample & { prediction: Recommendation };
const predicted = (x: Sample): x is Predicted => x.prediction !== undefined;
const judged = (x: Predicted): JudgedSample => ({ at: x.at, currentReplicas: x.currentReplicas, desiredReplicas: x.desiredReplicas, predicted: x.prediction.clamped });

/** The samples as the checks read them: during the load, and those of them where every pod was counted. */
interface Window {
  from: number;
  samples: Sample[];
  during: Predicted[];
  measured: Predicted[];
  inLoad: (x: Sample) => boolean;
  peak: number;
}

/** Scale-out: within the bound, the HPA reaches the formula's clamped prediction above the baseline, on a sample where every pod was counted. */
export async function verifyScaleOut(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const load = loadOf(ctx);
  const samples = samplesOf(ctx);
  const from = load.startedAt;
  // With other metrics the HPA takes the largest proposal, so CPU's is a floor.
  const reaches = (replicas: number, predicted: number) => (s.otherMetrics.length ? replicas >= predicted : replicas === predicted);
  let matched: Predicted | undefined;
  try {
    matched = await probes.waitFor(
      () => {
        const hit = samples.filter(predicted).find((x) => x.at >= from && x.missing === 0 && x.currentReplicas > s.baselineReplicas && reaches(x.currentReplicas, x.prediction.clamped));
        return hit ? probes.done(hit) : probes.notYet(samples.at(-1));
      },
      { what: 'the HPA to reach the predicted replicas', timeoutMs: Math.max(0, from + p.scaleOutWithin - Date.now()), intervalMs: 1000, signal: ctx.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
  }
  const inLoad = (x: Sample) => x.at >= from && x.at <= (load.stoppedAt ?? Infinity);
  const during = samples.filter(predicted).filter(inLoad);
  // Samples where every pod was counted as measured (no new, unready or unmeasured pod).
  const measured = during.filter((x) => x.missing === 0);
  const w: Window = { from, samples, during, measured, inLoad, peak: Math.max(s.baselineReplicas, ...during.map((x) => x.currentReplicas)) };
  followsFormula(ctx, w, matched);
  capacityForLoad(ctx, w);
  measureScaleOut(ctx, w, matched);
}

/** controller-follows-formula: every fully measured sample holds, and the prediction was reached within the bound. */
function followsFormula(ctx: Ctx, w: Window, matched: Predicted | undefined): void {
  const { params: p, state: s } = ctx;
  const last = w.during.at(-1);
  // Every fully measured sample must hold, not just one: the controller's sync lag, rate limit
  // and scale-down stabilization are allowed for (judgeSamples), nothing else. What the
  // controller may be acting on is every prediction: those with new or unmeasured pods and
  // those before the load too.
  const measuredSamples = w.measured.map(judged);
  const history = w.samples.filter(predicted).filter((x) => !(w.inLoad(x) && x.missing === 0)).map(judged);
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
      matched ? `scaled to ${matched.currentReplicas} at ${matched.utilization}% after ${formatDuration(matched.at - w.from)} = the formula's ${matched.prediction.clamped}` : `never reached the prediction: last ${last?.currentReplicas ?? '?'} replicas at ${last?.utilization ?? '?'}% (formula ${last?.prediction.clamped ?? '?'}), peak ${w.peak}`,
      `${measuredSamples.length - deviating.length} of ${measuredSamples.length} fully measured samples hold`,
      worstText,
    ].join('; '),
    passed: matched !== undefined && measuredSamples.length > 0 && deviating.length === 0,
    evidence: { worst, deviating, samples: w.during.map((x) => ({ at: new Date(x.at).toISOString(), current: x.currentReplicas, desired: x.desiredReplicas, utilization: x.utilization, clamped: x.prediction.clamped, needed: x.prediction.needed, missing: x.missing, rule: x.prediction.rule })) },
  });
}

/** capacity-for-load: what the load needs (the unclamped formula) fits under maxReplicas. */
function capacityForLoad(ctx: Ctx, w: Window): void {
  const { state: s } = ctx;
  // What the load needs is read from samples where every pod had metrics: with new pods still
  // unmeasured the controller's guess for them would inflate or deflate it.
  const needed = Math.max(0, ...(w.measured.length ? w.measured : w.during).map((x) => x.prediction.needed));
  ctx.record.check({
    name: 'capacity-for-load',
    expected: `the replicas the load needs (unclamped formula) fit under maxReplicas ${s.maxReplicas}`,
    observed: `needed ${needed}, maxReplicas ${s.maxReplicas}, observed peak ${w.peak}`,
    passed: needed > 0 && needed <= s.maxReplicas,
    evidence: { needed, maxReplicas: s.maxReplicas, peak: w.peak },
  });
}

/** Time to first scale, to the formula's replicas and to the peak; the deviations from the formula. */
function measureScaleOut(ctx: Ctx, w: Window, matched: Predicted | undefined): void {
  const { params: p, state: s } = ctx;
  const { from, during, peak } = w;
  const firstScale = during.find((x) => x.currentReplicas > s.baselineReplicas);
  const on = { target: `${s.kind} ${p.namespace}/${s.target}` };
  if (firstScale) ctx.record.metric('firstScaleOut', 'ms', firstScale.at - from, { ...on, description: 'load start → first sample with more replicas than the baseline' });
  if (matched) ctx.record.metric('formulaReplicasReached', 'ms', matched.at - from, { ...on, description: "load start → first sample at the formula's replicas" });
  if (firstScale) ctx.record.measurement({ name: 'time to first scale', value: Math.round((firstScale.at - from) / 100) / 10, unit: 's', description: 'load start → first sample with more replicas than the baseline' });
  const peakAt = during.find((x) => x.currentReplicas === peak);
  if (peakAt) ctx.record.measurement({ name: 'time to peak', value: Math.round((peakAt.at - from) / 100) / 10, unit: 's', description: `load start → first sample at the peak of ${peak} replicas` });
  ctx.record.measurement({ name: 'peak replicas', value: peak, unit: 'replicas' });
  const deviations = during.map((x) => Math.abs(x.currentReplicas - x.prediction.clamped));
  ctx.record.measurement({ name: 'max |actual − predicted|', value: Math.max(0, ...deviations), unit: 'replicas', description: 'replicas running vs the formula, per sample during the load; includes the lag until the controller acts' });
  const decisions = during.map((x) => Math.abs(x.desiredReplicas - x.prediction.clamped));
  ctx.record.measurement({ name: 'max |desired − predicted|', value: Math.max(0, ...decisions), unit: 'replicas', description: "the HPA's own decision (status.desiredReplicas) vs the formula on the same sample" });
}
