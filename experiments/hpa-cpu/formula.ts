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
