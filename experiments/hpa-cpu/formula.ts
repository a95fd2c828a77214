// The HorizontalPodAutoscaler's replica formula, as the controller applies it to a Utilization
// target: desired = ceil(current × currentUtilization / targetUtilization), left unchanged when
// the ratio is within the tolerance (10% by default), then clamped to [minReplicas, maxReplicas];
// and the controller's own calculation around it (recommendReplicas), which decides what
// "current" and "utilization" are while pods are new, unready or not yet measured.

export const DEFAULT_TOLERANCE = 0.1;

export interface FormulaInput {
  /** Replicas the metric was averaged over (the HPA's currentReplicas). */
  currentReplicas: number;
  /** Average utilisation across those pods, in percent of requests. */
  currentUtilization: number;
  targetUtilization: number;
  minReplicas: number;
  maxReplicas: number;
  tolerance?: Tolerance;
}

/** How far the usage ratio may sit below / above 1 before the controller acts (10% each by default). */
export interface Tolerance {
  down: number;
  up: number;
}

/** The controller's --horizontal-pod-autoscaler-tolerance, both ways. */
export const DEFAULT_TOLERANCES: Tolerance = { down: DEFAULT_TOLERANCE, up: DEFAULT_TOLERANCE };

const tolerances = (t?: Tolerance): Tolerance => t ?? DEFAULT_TOLERANCES;

/** The controller's own test, in its own float arithmetic: 55% of a 50% target (ratio 1.1) is within. */
const isWithin = (ratio: number, t: Tolerance) => 1.0 - t.down <= ratio && ratio <= 1.0 + t.up;

export interface Prediction {
  /** What the load needs, ignoring min/max: ceil(current × ratio). */
  needed: number;
  /** What the controller should set: unchanged within tolerance, else `needed` clamped to min/max. */
  clamped: number;
  ratio: number;
  withinTolerance: boolean;
}

export function predictReplicas(i: FormulaInput): Prediction {
  const ratio = i.currentUtilization / i.targetUtilization;
  const needed = Math.max(1, Math.ceil(i.currentReplicas * ratio));
  const withinTolerance = isWithin(ratio, tolerances(i.tolerance));
  const raw = withinTolerance ? i.currentReplicas : needed;
  return { needed, clamped: clamp(raw, i.minReplicas, i.maxReplicas), ratio, withinTolerance };
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

/** A CPU quantity ("200m", "0.5", "1") in millicores. */
export function millicores(q: string): number {
  if (q.endsWith('n')) return Number(q.slice(0, -1)) / 1e6;
  if (q.endsWith('u')) return Number(q.slice(0, -1)) / 1e3;
  if (q.endsWith('m')) return Number(q.slice(0, -1));
  return Number(q) * 1000;
}

/**
 * A CPU quantity in whole millicores, rounded up, as the controller reads both usage and
 * requests (Quantity.MilliValue): 12345n is 1m to it, not 0.012m. The rounding counts: ten idle
 * pods add 10m to the sum the controller divides.
 */
export const milliValue = (q: string): number => Math.ceil(millicores(q) - 1e-9) || 0;

/** One pod as the HPA controller's replica calculation sees it. */
export interface PodView {
  name: string;
  phase?: string | undefined;
  /** deletionTimestamp set. */
  deleting: boolean;
  /** The Ready condition, if the pod has one. */
  ready?: { status: string; lastTransitionMs: number } | undefined;
  startTimeMs?: number | undefined;
  /** CPU requested by the pod (containers and restartable init containers), whole millicores; undefined when one lacks a request. */
  requestMilli: number | undefined;
}

/** One pod's entry in the metrics API: the sum of its containers' usage (each rounded up to 1m), and the sample's time and window. */
export interface PodMetricView {
  milli: number;
  timestampMs: number;
  windowMs: number;
}

export interface ControllerInput {
  /** The scale subresource's replicas (the HPA's status.currentReplicas): what "keep" keeps. */
  currentReplicas: number;
  targetUtilization: number;
  minReplicas: number;
  maxReplicas: number;
  pods: readonly PodView[];
  metrics: Readonly<Record<string, PodMetricView>>;
  nowMs: number;
  tolerance?: Tolerance;
  /** kube-controller-manager's --horizontal-pod-autoscaler-cpu-initialization-period (5m). */
  cpuInitializationPeriodMs?: number;
  /** kube-controller-manager's --horizontal-pod-autoscaler-initial-readiness-delay (30s). */
  initialReadinessDelayMs?: number;
}

export interface Recommendation extends Prediction {
  /** Integer percent over the pods the controller counted, as its status reports it. */
  utilization: number;
  /** Pods counted with metrics. */
  ready: number;
  /** Pods left out as not yet ready (pending, unready, or their metric older than one window after turning Ready). */
  unready: string[];
  /** Running pods without metrics. */
  missing: string[];
  /** Why the result is what it is, in the controller's terms. */
  rule: string;
}

/**
 * What the HPA controller's replica calculation recommends for a CPU Utilization target, step
 * for step as kube-controller-manager does it (pkg/controller/podautoscaler, v1.34): pods are
 * grouped into counted, unready (pending; or, within the CPU initialisation period, not Ready or
 * measured less than one metric window after turning Ready) and missing (no metrics); the
 * utilisation is an integer percent of the summed requests; with unready pods on a scale-up or
 * missing pods the ratio is recomputed with them at 0% (scale-up) or 100% (scale-down), and the
 * current replicas are kept when that flips the direction or lands within tolerance. Undefined
 * when no counted pod has metrics or a pod lacks a CPU request (the controller errors then too).
 */
export function recommendReplicas(i: ControllerInput): Recommendation | undefined {
  const t = tolerances(i.tolerance);
  const initPeriod = i.cpuInitializationPeriodMs ?? 300_000;
  const readinessDelay = i.initialReadinessDelayMs ?? 30_000;
  const counted = new Map<string, number>();
  const unready: string[] = [];
  const missing: string[] = [];
  const requests = new Map<string, number>();
  for (const pod of i.pods) {
    if (pod.requestMilli === undefined) return undefined;
    requests.set(pod.name, pod.requestMilli);
    if (pod.deleting || pod.phase === 'Failed') continue;
    if (pod.phase === 'Pending') {
      unready.push(pod.name);
      continue;
    }
    const metric = i.metrics[pod.name];
    if (!metric) {
      missing.push(pod.name);
      continue;
    }
    let isUnready: boolean;
    if (!pod.ready || pod.startTimeMs === undefined) isUnready = true;
    else if (pod.startTimeMs + initPeriod > i.nowMs) isUnready = pod.ready.status === 'False' || metric.timestampMs < pod.ready.lastTransitionMs + metric.windowMs;
    else isUnready = pod.ready.status === 'False' && pod.startTimeMs + readinessDelay > pod.ready.lastTransitionMs;
    if (isUnready) {
      unready.push(pod.name);
      continue;
    }
    counted.set(pod.name, metric.milli);
  }
  if (counted.size === 0) return undefined;
  const ratioOf = (m: Map<string, number>) => {
    let used = 0;
    let requested = 0;
    for (const [name, v] of m) {
      used += v;
      requested += requests.get(name) ?? 0;
    }
    if (requested === 0) return undefined;
    const utilization = Math.trunc((used * 100) / requested);
    return { utilization, ratio: utilization / i.targetUtilization };
  };
  const first = ratioOf(counted);
  if (!first) return undefined;
  const { utilization, ratio } = first;
  const result = (raw: number, r: number, withinTolerance: boolean, rule: string): Recommendation => {
    const needed = Math.max(1, raw);
    return { needed, clamped: clamp(needed, i.minReplicas, i.maxReplicas), ratio: r, withinTolerance, utilization, ready: counted.size, unready, missing, rule };
  };
  const scaleUpWithUnready = unready.length > 0 && ratio > 1.0;
  if (!scaleUpWithUnready && missing.length === 0) {
    const plain = predictReplicas({ currentReplicas: counted.size, currentUtilization: utilization, targetUtilization: i.targetUtilization, minReplicas: i.minReplicas, maxReplicas: i.maxReplicas, tolerance: t });
    if (plain.withinTolerance) return result(i.currentReplicas, ratio, true, 'within tolerance: kept');
    return result(plain.needed, ratio, false, `ceil(${counted.size} × ${utilization}% / ${i.targetUtilization}%)`);
  }
  const adjusted = new Map(counted);
  if (missing.length > 0) {
    // Missing pods count as idle on a scale-up, as fully used (100%, or the target above it) on a scale-down.
    const fallback = Math.max(100, i.targetUtilization);
    if (ratio < 1.0) for (const name of missing) adjusted.set(name, Math.trunc(((requests.get(name) ?? 0) * fallback) / 100));
    else if (ratio > 1.0) for (const name of missing) adjusted.set(name, 0);
  }
  if (scaleUpWithUnready) for (const name of unready) adjusted.set(name, 0);
  const second = ratioOf(adjusted);
  if (!second) return undefined;
  const newRatio = second.ratio;
  const why = `${unready.length} unready, ${missing.length} without metrics`;
  if (isWithin(newRatio, t) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) {
    return result(i.currentReplicas, newRatio, isWithin(newRatio, t), `${why}: kept (the adjusted ratio ${second.utilization}% is within tolerance or turns the direction)`);
  }
  const replicas = Math.ceil(newRatio * adjusted.size);
  if ((newRatio < 1.0 && replicas > i.currentReplicas) || (newRatio > 1.0 && replicas < i.currentReplicas)) {
    return result(i.currentReplicas, newRatio, false, `${why}: kept (the pod count would turn the direction)`);
  }
  return result(replicas, newRatio, false, `${why}: ceil(${adjusted.size} × ${second.utilization}% / ${i.targetUtilization}%)`);
}

/** One sample as the judge needs it: what the HPA decided and what the formula said at the time. */
export interface JudgedSample {
  at: number;
  currentReplicas: number;
  desiredReplicas: number;
  /** The controller calculation's clamped prediction from this sample's pods and metrics. */
  predicted: number;
}

export interface SampleVerdict extends JudgedSample {
  /** Ranges of values the controller could have set given its sync lag, rate limits and stabilization window (low, high; high may be Infinity). */
  allowed: [number, number][];
  /** Replicas between the decision and the nearest allowed value (0 = holds). */
  deviation: number;
}

export interface JudgeOptions {
  /** How old a prediction the controller may still be acting on (one sync and the metrics window). */
  lagMs: number;
  /** The HPA's scale-down stabilization window. */
  downWindowMs: number;
  /** Predictions outside the judged samples (before the load, or with pods not yet counted). */
  history?: readonly JudgedSample[];
  /** The HPA sets its own scale-up policies or window: a scale-up may stop anywhere from the current replicas up to the prediction. */
  scaleUpLimited?: boolean;
  /** The HPA sets its own scale-down policies: a scale-down may stop anywhere from the prediction up to the current replicas. */
  scaleDownLimited?: boolean;
  /** The HPA scales on other metrics too and takes the largest proposal: only a decision below CPU's is a deviation. */
  otherMetrics?: boolean;
}

/**
 * Whether the HPA followed its formula on every judged sample. The controller acts on metrics
 * from its last sync (and metrics-server averages over its own window), so a decision may follow
 * any prediction made within `lagMs` before the sample, `history` included; a scale-up is capped
 * by the default rate policy (max(current + 4, 2 × current) per period); a scale-down is held
 * back by the stabilization window, so a decision anywhere between the newest prediction and the
 * highest within `downWindowMs` holds. An HPA's own policies and other metrics widen that as
 * JudgeOptions says.
 */
export function judgeSamples(samples: readonly JudgedSample[], opts: JudgeOptions): { verdicts: SampleVerdict[]; worst?: SampleVerdict } {
  // Stryker disable next-line MethodExpression,ArithmeticOperator: equivalent, `all` is only filtered by time and fed to Math.max/min and mergeRanges, which sorts: its order is never seen
  const all = [...(opts.history ?? []), ...samples].sort((a, b) => a.at - b.at);
  const verdicts = samples.map((smp) => {
    const recent = all.filter((x) => x.at <= smp.at && x.at >= smp.at - opts.lagMs).map((x) => x.predicted);
    const current = smp.currentReplicas;
    const upCap = Math.max(current + 4, current * 2);
    const windowMax = Math.max(...all.filter((x) => x.at <= smp.at && x.at >= smp.at - opts.downWindowMs - opts.lagMs).map((x) => x.predicted));
    const lowest = Math.min(...recent);
    const highest = Math.max(...recent);
    const ranges: [number, number][] = [
      // Scale-down stabilization: anything from the lowest recent prediction up to the window's highest (and never above current).
      [lowest, Math.max(lowest, Math.min(windowMax, current))],
      ...recent.flatMap((v): [number, number][] => [[v, v], [Math.min(v, upCap), Math.min(v, upCap)]]),
    ];
    if (opts.scaleUpLimited && highest > current) ranges.push([current, highest]);
    if (opts.scaleDownLimited && lowest < current) ranges.push([lowest, current]);
    const allowed = mergeRanges(opts.otherMetrics ? ranges.map(([lo]): [number, number] => [lo, Infinity]) : ranges);
    const d = smp.desiredReplicas;
    const deviation = Math.min(...allowed.map(([lo, hi]) => (d < lo ? lo - d : d > hi ? d - hi : 0)));
    return { ...smp, allowed, deviation };
  });
  const worst = verdicts.reduce<SampleVerdict | undefined>((w, v) => (w === undefined || v.deviation > w.deviation ? v : w), undefined);
  return worst === undefined ? { verdicts } : { verdicts, worst };
}

/** Sorted, overlapping or adjacent ranges joined: [[4,4],[5,5],[7,7]] → [[4,5],[7,7]]. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** "4–5 or 7", "3 or more". */
export function describeAllowed(ranges: readonly [number, number][]): string {
  return ranges.map(([lo, hi]) => (hi === Infinity ? `${lo} or more` : lo === hi ? String(lo) : `${lo}–${hi}`)).join(' or ');
}
