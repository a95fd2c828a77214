// What hpa-cpu learns in preflight (the target and its HPA, in the state) and what its parts
// observe during a run (the sampler's samples and the load, under typed result keys).
import { resultKey, target, type ClusterContext } from '../../harness/index.ts';
import { DEFAULT_TOLERANCES, type Recommendation, type Tolerance } from './formula.ts';
import type { Params } from './params.ts';

export const FIXTURE = 'shakedown-cpu';

export interface Sample {
  at: number;
  currentReplicas: number;
  desiredReplicas: number;
  /** Average utilisation as the HPA reported it (what its formula used). */
  utilization?: number | undefined;
  /** What the controller's calculation recommends from this sample's pods and metrics (recommendReplicas). */
  prediction?: Recommendation | undefined;
  /** Pods the controller could not count as measured: unready (new) or without metrics yet. */
  missing: number;
}

export interface State {
  fixture: boolean;
  target: string;
  kind: 'Deployment' | 'StatefulSet';
  hpa: string;
  selector: string;
  minReplicas: number;
  maxReplicas: number;
  targetUtilization: number;
  /** The HPA's scale-down stabilization window (its behavior, else the controller's 300 s default). */
  scaleDownWindowMs: number;
  /** The HPA's tolerances (10% unless its behavior sets them). */
  tolerance: Tolerance;
  /** The HPA's other metrics ("Resource memory", "Pods requests_per_second"): it scales to the largest proposal. */
  otherMetrics: string[];
  /** The HPA's own scale-up / scale-down rules (policies, select policy, scale-up window) where they differ from the controller's defaults. */
  scaleUpRules?: string | undefined;
  scaleDownRules?: string | undefined;
  baselineReplicas: number;
  /** The container load runs in (the pod template's first). */
  container: string;
}

/** What target selection decides, all at once (typed, so a misspelt field is a compile error). */
export type Selection = Omit<State, 'baselineReplicas'>;

export const initialState = (): State => ({
  fixture: true,
  target: FIXTURE,
  kind: 'Deployment',
  hpa: FIXTURE,
  selector: `app.kubernetes.io/name=${FIXTURE}`,
  minReplicas: 1,
  maxReplicas: 1,
  targetUtilization: 50,
  scaleDownWindowMs: 300_000,
  tolerance: DEFAULT_TOLERANCES,
  otherMetrics: [],
  baselineReplicas: 0,
  container: 'web',
});

/** The load the method started: in which pods, when, and the journal's "cpu load" window. */
export interface LoadRun {
  /** Pods whose load has started (in order; a partial start lists those it reached). */
  pods: string[];
  startedAt: number;
  stoppedAt?: number;
  closeWindow: () => void;
}

/** The sampler's samples, one per sync, in order (set when the observer starts). */
export const SAMPLES = resultKey<Sample[]>('hpa-cpu:samples');
/** The load, once the method has started it. */
export const LOAD = resultKey<LoadRun>('hpa-cpu:load');

export type Ctx = ClusterContext<Params, State>;

/** The sampler's samples (an error naming the observer when it did not run). */
export const samplesOf = (ctx: Ctx): Sample[] => target.recorded(ctx.results.get(SAMPLES), 'the HPA samples', 'hpa-sampler (in "observe")');
/** The load the method started (an error naming the step when it did not). */
export const loadOf = (ctx: Ctx): LoadRun => target.recorded(ctx.results.get(LOAD), 'the CPU load', 'cpu-load (in "method")');
