// The HorizontalPodAutoscaler's replica formula, as the controller applies it to a Utilization
// target: desired = ceil(current × currentUtilization / targetUtilization), left unchanged when
// the ratio is within the tolerance (10% by default), then clamped to [minReplicas, maxReplicas].

export const DEFAULT_TOLERANCE = 0.1;

export interface FormulaInput {
  /** Replicas the metric was averaged over (the HPA's currentReplicas). */
  currentReplicas: number;
  /** Average utilisation across those pods, in percent of requests. */
  currentUtilization: number;
  targetUtilization: number;
  minReplicas: number;
  maxReplicas: number;
  tolerance?: number;
}

export interface Prediction {
  /** What the load needs, ignoring min/max: ceil(current × ratio). */
  needed: number;
  /** What the controller should set: unchanged within tolerance, else `needed` clamped to min/max. */
  clamped: number;
  ratio: number;
  withinTolerance: boolean;
}

export function predictReplicas(i: FormulaInput): Prediction {
  const tolerance = i.tolerance ?? DEFAULT_TOLERANCE;
  const ratio = i.currentUtilization / i.targetUtilization;
  const needed = Math.max(1, Math.ceil(i.currentReplicas * ratio));
  const withinTolerance = Math.abs(ratio - 1) <= tolerance;
  const raw = withinTolerance ? i.currentReplicas : needed;
  const clamped = Math.min(i.maxReplicas, Math.max(i.minReplicas, raw));
  return { needed, clamped, ratio, withinTolerance };
}

/** A CPU quantity ("200m", "0.5", "1") in millicores. */
export function millicores(q: string): number {
  if (q.endsWith('n')) return Number(q.slice(0, -1)) / 1e6;
  if (q.endsWith('u')) return Number(q.slice(0, -1)) / 1e3;
  if (q.endsWith('m')) return Number(q.slice(0, -1));
  return Number(q) * 1000;
}

export interface PodUsage {
  /** Pods of the target the controller counts (Running, not terminating). */
  pods: string[];
  /** CPU usage per pod from the metrics API, millicores; pods without metrics are absent. */
  usage: Record<string, number>;
  /** CPU request per pod, millicores. */
  requestPerPod: number;
  targetUtilization: number;
}

/**
 * The utilisation the controller's formula acts on when some pods have no metrics yet (new pods
 * just scaled out): it assumes 0% for them when the rest point to a scale-up, and 100% when they
 * point to a scale-down, and keeps the replicas when the two disagree. With every pod measured
 * this is the plain average.
 */
export function effectiveUtilization(u: PodUsage): { utilization: number; replicas: number; missing: number } | undefined {
  const measured = u.pods.filter((p) => u.usage[p] !== undefined);
  if (measured.length === 0 || u.requestPerPod <= 0) return undefined;
  const sum = measured.reduce((a, p) => a + u.usage[p]!, 0);
  const missing = u.pods.length - measured.length;
  const plain = (sum / (u.requestPerPod * measured.length)) * 100;
  if (missing === 0) return { utilization: plain, replicas: measured.length, missing };
  const n = u.pods.length;
  if (plain > u.targetUtilization) {
    return { utilization: (sum / (u.requestPerPod * n)) * 100, replicas: n, missing };
  }
  return { utilization: ((sum + u.requestPerPod * missing) / (u.requestPerPod * n)) * 100, replicas: n, missing };
}

/** One sample as the judge needs it: what the HPA decided and what the formula said at the time. */
export interface JudgedSample {
  at: number;
  currentReplicas: number;
  desiredReplicas: number;
  /** The formula's clamped prediction from this sample's fully measured metrics. */
  predicted: number;
}

export interface SampleVerdict extends JudgedSample {
  /** Values the controller could have set given its sync lag, rate limit and stabilization window. */
  allowed: { min: number; max: number; exact: number[] };
  /** Replicas between the decision and the nearest allowed value (0 = holds). */
  deviation: number;
}

/**
 * Whether the HPA followed its formula on every fully measured sample. The controller acts on
 * metrics from its last sync (and metrics-server averages over its own window), so a decision may
 * follow any prediction made within `lagMs` before the sample, `history` included; a scale-up is capped by the default rate policy (max(current + 4, 2 × current) per
 * period); a scale-down is held back by the stabilization window, so a decision anywhere between
 * the newest prediction and the highest within `downWindowMs` holds.
 */
export function judgeSamples(
  samples: readonly JudgedSample[],
  opts: { lagMs: number; downWindowMs: number; history?: readonly JudgedSample[] },
): { verdicts: SampleVerdict[]; worst?: SampleVerdict } {
  // Predictions from before the judged stretch (e.g. just before the load) still count as what
  // the controller may be acting on.
  const all = [...(opts.history ?? []), ...samples].sort((a, b) => a.at - b.at);
  const verdicts = samples.map((smp) => {
    const recent = all.filter((x) => x.at <= smp.at && x.at >= smp.at - opts.lagMs).map((x) => x.predicted);
    const upCap = Math.max(smp.currentReplicas + 4, smp.currentReplicas * 2);
    const exact = [...new Set(recent.flatMap((v) => [v, Math.min(v, upCap)]))];
    const windowMax = Math.max(...all.filter((x) => x.at <= smp.at && x.at >= smp.at - opts.downWindowMs - opts.lagMs).map((x) => x.predicted));
    // Scale-down stabilization: anything from the lowest recent prediction up to the window's highest (and never above current).
    const min = Math.min(...recent);
    const max = Math.max(min, Math.min(windowMax, smp.currentReplicas));
    const inRange = smp.desiredReplicas >= min && smp.desiredReplicas <= max;
    const deviation = inRange || exact.includes(smp.desiredReplicas) ? 0 : Math.min(...exact.map((v) => Math.abs(v - smp.desiredReplicas)), Math.abs(min - smp.desiredReplicas), Math.abs(max - smp.desiredReplicas));
    return { ...smp, allowed: { min, max, exact }, deviation };
  });
  const worst = verdicts.reduce<SampleVerdict | undefined>((w, v) => (w === undefined || v.deviation > w.deviation ? v : w), undefined);
  return worst === undefined ? { verdicts } : { verdicts, worst };
}
