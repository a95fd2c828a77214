// What istio-mtls learns and observes during a run: the target, the policies as recorded, the
// policy it changes, and the probe rounds of each stage. The checks judge only this.
import { target as targets, type ClusterContext, type ObjectRef } from '../../harness/index.ts';
import type { StageResult } from './matrix.ts';
import type { MeshPolicies, MtlsTarget } from './mesh.ts';
import type { Params } from './params.ts';

export interface Target extends MtlsTarget {
  fixture: boolean;
  /** The Service's selector (a workload-scope policy selects the same pods). */
  selector: Record<string, string>;
  /** NodePort probed from the host on 127.0.0.1; undefined when the Service has none. */
  nodePort?: number | undefined;
}

export type Mode = 'STRICT' | 'PERMISSIVE';

export interface State {
  target?: Target;
  clients: { mesh: string; plain: string };
  /** Every policy that decides the result, as read before the first change. */
  recorded?: MeshPolicies;
  /** The policy the run sets, and its recorded copy (null: the run creates it). */
  policy?: { ref: ObjectRef; before: Record<string, unknown> | null };
  stages: StageResult[];
  /** What decided the port when a mode did not hold, read while that mode was applied. */
  explanations: Partial<Record<Mode, { overrides: string[]; effective: string }>>;
  closeWindow?: (() => void) | undefined;
}

export const initialState = (): State => ({ clients: { mesh: '', plain: '' }, stages: [], explanations: {} });
export type Ctx = ClusterContext<Params, State>;

/** The target chosen in preflight (an error naming the step if it did not run). */
export const targetOf = (ctx: Ctx): Target => targets.recorded(ctx.state.target, 'the target', 'target');
/** The policies recorded in the steady state. */
export const recordedOf = (ctx: Ctx): MeshPolicies => targets.recorded(ctx.state.recorded, 'the policies', 'record-policies');
