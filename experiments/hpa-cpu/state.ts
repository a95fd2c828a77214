// What hpa-cpu learns and observes during a run.
import type { ClusterContext } from '../../harness/cluster/context.ts';
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
  loaded: string[];
  loadStartedAt?: number;
  loadStoppedAt?: number;
  samples: Sample[];
  closeLoadWindow?: () => void;
}

/** What target selection decides, all at once (typed, so a misspelt field is a compile error). */
export type Selection = Pick<State, 'fixture' | 'target' | 'kind' | 'hpa' | 'container' | 'selector' | 'minReplicas' | 'maxReplicas' | 'targetUtilization' | 'scaleDownWindowMs' | 'tolerance' | 'otherMetrics' | 'scaleUpRules' | 'scaleDownRules'>;

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
  loaded: [],
  samples: [],
});

export type Ctx = ClusterContext<Params, State>;
