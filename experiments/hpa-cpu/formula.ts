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
