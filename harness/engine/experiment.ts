import type { z } from 'zod';
import type {
  CheckRecord,
  EnvironmentRecord,
  EventRecord,
  MeasurementRecord,
  Phase,
  TableRecord,
} from '../journal/schema.ts';
import type { ParamsSchema } from './params.ts';
import type { UndoFn } from './rollback.ts';
import { RunError } from './errors.ts';

/** What a step is, for the plan and the report. */
export type StepKind = 'probe' | 'fault' | 'check' | 'action' | 'fixture';

/**
 * Shared services a run needs (the cluster session, once the cluster layer provides it). Kept
 * as an open record so the engine does not depend on the cluster layer.
 */
export type Services = Record<string, unknown>;

export interface CheckInput {
  name: string;
  /** What the hypothesis says. */
  expected: string;
  /** What was seen. */
  observed: string;
  /** true: held; false: deviated (a finding); 'error': could not be evaluated. */
  passed: boolean | 'error';
  evidence?: Record<string, unknown>;
  target?: string;
}

/** Everything an experiment writes into the journal goes through here. */
export interface Recorder {
  event(e: Omit<EventRecord, 'at'> & { at?: string }): EventRecord;
  check(c: CheckInput): CheckRecord;
  /** Adds a point to a time series (created on first use). */
  point(series: { name: string; group: string; unit: string }, value: number, at?: string): void;
  /** Opens a marked interval (e.g. the load window); call the result to close it. */
  window(name: string): () => void;
  measurement(m: MeasurementRecord): void;
  table(t: TableRecord): void;
  /** Adds what was learnt about the environment (the server's version ...); never credentials. */
  environment(patch: Partial<EnvironmentRecord>): void;
}

export interface RunContext<P, S> {
  readonly runId: string;
  readonly experiment: string;
  readonly params: P;
  /** Experiment-specific state shared between steps (what was recorded before the fault ...). */
  readonly state: S;
  /** Fires on SIGINT, SIGTERM or the run's deadline. Long waits must honour it. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds after which the run is aborted. */
  readonly deadline: number;
  /** Labels every object created by this run must carry. */
  readonly labels: Readonly<Record<string, string>>;
  readonly services: Services;
  readonly phase: Phase;
  readonly record: Recorder;
  /** Registers the undo of a fault; run in reverse order in the rollback phase, always. */
  rollback(name: string, fn: UndoFn): void;
  /** Registers the removal of a fixture; run in reverse order in the teardown phase, always. */
  cleanup(name: string, fn: UndoFn): void;
  /** A line of human progress (shown live, not journaled). */
  progress(message: string): void;
}

export interface Step<P, S> {
  name: string;
  kind: StepKind;
  /** One line for the plan (`run --dry-run`) and the report. */
  describe(params: P): string;
  run(ctx: RunContext<P, S>): Promise<void>;
}

/** Observes the cluster from before the fault until after the checks (watches, samplers). */
export interface Observer<P, S> {
  name: string;
  describe(params: P): string;
  /** Starts observing; resolves to a function that stops it. */
  start(ctx: RunContext<P, S>): Promise<() => Promise<void>>;
}

export interface ExperimentDefinition<Schema extends ParamsSchema, S> {
  name: string;
  /** One line for `list`. */
  description: string;
  /** The hypothesis in a sentence, for the plan and the report. */
  hypothesis: string;
  params: Schema;
  /** Manifests shipped with the experiment (absolute paths), checked by `validate`. */
  manifests: string[];
  /** Values for the manifests' `${...}` placeholders, from the parameters. */
  manifestValues(params: z.output<Schema>): Record<string, unknown>;
  initialState(): S;
  /** Prerequisites and target selection; nothing in the cluster is touched here. */
  preflight: Step<z.output<Schema>, S>[];
  /** Fixtures the run deploys for itself, if any. */
  setup?: Step<z.output<Schema>, S>[];
  steadyState: Step<z.output<Schema>, S>[];
  method: Step<z.output<Schema>, S>[];
  observe?: Observer<z.output<Schema>, S>[];
  /** Steady state after and the hypothesis checks. */
  verify: Step<z.output<Schema>, S>[];
  teardown?: Step<z.output<Schema>, S>[];
}

/** Any experiment, for registries and the CLI, which do not know a definition's parameter types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExperiment = ExperimentDefinition<ParamsSchema, any>;

/** Declares an experiment; the identity function, there for type inference. */
export function defineExperiment<Schema extends ParamsSchema, S>(
  def: ExperimentDefinition<Schema, S>,
): ExperimentDefinition<Schema, S> {
  return def;
}

/**
 * A step whose behaviour is not built yet. Running it is an honest `error` verdict naming what
 * is missing, never a pass; the plan still shows what it will do.
 */
export function pendingStep<P, S>(kind: StepKind, name: string, describe: string | ((params: P) => string), missing: string): Step<P, S> {
  return step(kind, name, describe, () => Promise.reject(new RunError('INTERNAL', `step "${name}" is not implemented yet: ${missing}`)));
}

/** A step from its parts, so experiment files read as a list of what happens. */
export function step<P, S>(
  kind: StepKind,
  name: string,
  describe: string | ((params: P) => string),
  run: (ctx: RunContext<P, S>) => Promise<void>,
): Step<P, S> {
  return { kind, name, describe: typeof describe === 'string' ? () => describe : describe, run };
}
