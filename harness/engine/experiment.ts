import type { z } from 'zod';
import type {
  ChangeRecord,
  CheckRecord,
  EnvironmentRecord,
  EventRecord,
  MeasurementRecord,
  Phase,
  TableRecord,
  UndoSpec,
} from '../journal/schema.ts';
import type { ParamsSchema } from './params.ts';
import type { Permission } from './permission.ts';
import type { UndoFn, UndoOptions } from './undo.ts';
import { RunError } from './errors.ts';

/** What a step is, for the plan and the report. */
export type StepKind = 'probe' | 'fault' | 'check' | 'action' | 'fixture';


/** A check as a step records it: what was expected, what was seen, whether it held, and the evidence. */
export interface CheckInput {
  /** The check's name, as reports and JUnit show it (with the phase it was recorded in). */
  name: string;
  /** What the hypothesis says. */
  expected: string;
  /** What was seen. */
  observed: string;
  /** true: held; false: deviated (a finding); 'error': could not be evaluated. */
  passed: boolean | 'error';
  /** What backs the observation: timestamps, object UIDs, command output (JSON; kept in the journal). */
  evidence?: Record<string, unknown>;
  /** What was checked, e.g. `Pod/shop/orders-0`, when the check is about one object. */
  target?: string;
}

/** What a metric sample may say beside its value. */
export interface MetricOptions {
  /** What it was measured on, e.g. "StatefulSet/shop/orders"; one target per metric. */
  target?: string;
  /** What the metric measures, from where to where (shown in the reports). */
  description?: string;
  /** A compressed HDR histogram the sample was read from (load percentiles), kept so runs can be merged. */
  histogram?: string;
}

/** Everything an experiment writes into the journal goes through here. */
export interface Recorder {
  /** Journals an event (stamped now unless `at` is given); past 20,000 events a run counts the rest instead. */
  event(e: Omit<EventRecord, 'at'> & { at?: string }): EventRecord;
  /** Journals a check result in the current phase; the verdict is made of these. */
  check(c: CheckInput): CheckRecord;
  /** Adds a point to a time series (created on first use). */
  point(series: { name: string; group: string; unit: string }, value: number, at?: string): void;
  /** Opens a marked interval (e.g. the load window); call the result to close it. */
  window(name: string): () => void;
  /** Journals a named measurement (a timing, a count); a second one of the same name replaces the first. */
  measurement(m: MeasurementRecord): void;
  /**
   * Adds a raw sample to a named metric (created on first use), for run-to-run comparison
   * (`shakedown compare`). Larger must mean worse; one unit per metric (a different unit throws).
   */
  metric(name: string, unit: string, sample: number, options?: MetricOptions): void;
  /** Adds a table to the reports (per-pod figures, a probe matrix). */
  table(t: TableRecord): void;
  /** Adds what was learnt about the environment (the server's version ...); never credentials. */
  environment(patch: Partial<EnvironmentRecord>): void;
}

/**
 * What a step receives. `C` is the connection to the system under test (the cluster session for
 * every shipped experiment; see harness/cluster/context.ts). The engine only passes it through,
 * so it does not depend on the cluster layer, and no step has to cast to reach it.
 */
export interface RunContext<P, S, C = unknown> {
  /** This run's id (`r...`): every object the run creates carries it as the `shakedown.io/run-id` label. */
  readonly runId: string;
  /** The experiment's name. */
  readonly experiment: string;
  /** The validated parameters, defaults filled in. */
  readonly params: P;
  /** Experiment-specific state shared between steps (what was recorded before the fault ...). */
  readonly state: S;
  /** Fires on SIGINT, SIGTERM or the run's deadline. Long waits must honour it. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds after which the run is aborted. */
  readonly deadline: number;
  /** The run's report directory, where a step may leave a raw artifact (k6's output); undefined when no reports are written. */
  readonly artifactDir?: string | undefined;
  /** Labels every object created by this run must carry. */
  readonly labels: Readonly<Record<string, string>>;
  /** The cluster session (or whatever the run was started with). */
  readonly cluster: C;
  /** The phase the run is in now. */
  readonly phase: Phase;
  /** Writes into the run's journal: events, checks, points, measurements, metrics, tables. */
  readonly record: Recorder;
  /**
   * Registers the undo of a fault; run in reverse order in the rollback phase, always. `fn` gets
   * a signal that fires when its bound (options.timeoutMs, else the engine's default) runs out.
   */
  rollback(name: string, fn: UndoFn, options?: UndoOptions): void;
  /**
   * Journals a change to something the run did not create (replicas, a policy, a file on a
   * user's volume, a process) BEFORE it is made, and registers its undo. `spec` says in data how
   * to undo it, so `shakedown cleanup --run-id` can do so from the journal after a crash.
   */
  change(description: string, spec: UndoSpec, undo: UndoFn, options?: UndoOptions): Promise<ChangeRecord>;
  /** Registers the removal of a fixture; run in reverse order in the teardown phase, always. */
  teardown(name: string, fn: UndoFn, options?: UndoOptions): void;
  /** A line of human progress (shown live, not journaled). */
  progress(message: string): void;
  /** What this run's parts measured, under typed keys (a continuous probe's samples ...). */
  readonly results: RunResults;
}

/**
 * A typed slot in a run's results. Made once (at module level, beside the part that fills it);
 * each run has its own values, so one part serves many runs without shared state.
 */
export interface ResultKey<T> {
  /** The key's name (shown when its value is journaled). */
  readonly name: string;
  /** Carries T for type inference only; never set. */
  readonly __type?: T;
}

/** Makes a result key; two keys of the same name are still two slots. */
export const resultKey = <T>(name: string): ResultKey<T> => ({ name });

/** A run's results by key. */
export interface RunResults {
  /** The value stored under `key` in this run, if any. */
  get<T>(key: ResultKey<T>): T | undefined;
  /** Stores `value` under `key` for this run. */
  set<T>(key: ResultKey<T>, value: T): void;
}

/** A fresh, empty results store (one per run). */
export function runResults(): RunResults {
  const values = new Map<ResultKey<unknown>, unknown>();
  return {
    get: <T>(key: ResultKey<T>) => values.get(key) as T | undefined,
    set: <T>(key: ResultKey<T>, value: T) => void values.set(key, value),
  };
}

/** One step of a phase: named, described for the plan, run with the run's context. */
export interface Step<P, S, C = unknown> {
  /** The step's name, unique within its phase (journal, progress and report). */
  name: string;
  /** What the step is (probe, fault, check, action, fixture), for the plan and the report. */
  kind: StepKind;
  /** One line for the plan (`run --dry-run`) and the report. */
  describe(params: P): string;
  /** Does the step; a throw is an error verdict (RunError names its code), an abort stops it. */
  run(ctx: RunContext<P, S, C>): Promise<void>;
  /** The API permissions it needs with these parameters (verbs on resources); the plan lists them. */
  permissions?(params: P): readonly Permission[];
}

/**
 * When an observer runs: `steady` the steady-state phase before the fault, `fault` the method
 * (inject) phase, `recovery` the verify phase, `always` from the steady state to the last check.
 */
export const OBSERVE_WINDOWS = ['steady', 'fault', 'recovery', 'always'] as const;
/** One of OBSERVE_WINDOWS: when an observer runs. */
export type ObserveWindow = (typeof OBSERVE_WINDOWS)[number];

/** Observes the cluster while the run goes on (watches, samplers, continuous probes). */
export interface Observer<P, S, C = unknown> {
  /** The observer's name (journal and report). */
  name: string;
  /** One line for the plan and the report. */
  describe(params: P): string;
  /** Default: from the fault's start until the checks are done (fault and recovery). */
  during?: ObserveWindow;
  /** The API permissions it needs with these parameters. */
  permissions?(params: P): readonly Permission[];
  /** Starts observing; resolves to a function that stops it. */
  start(ctx: RunContext<P, S, C>): Promise<() => Promise<void>>;
}

/** An experiment: its parameters, and the steps of each phase the engine runs in order (preflight, setup, steady state, method with observers, verify, rollback, teardown). */
export interface ExperimentDefinition<Schema extends ParamsSchema, S, C = unknown> {
  /** The experiment's name: how `run` and `list` name it, and its reports' folder. */
  name: string;
  /** One line for `list`. */
  description: string;
  /** The hypothesis in a sentence, for the plan and the report. */
  hypothesis: string;
  /** The zod schema of its parameters: `--set` values are checked against it, defaults come from it. */
  params: Schema;
  /** Manifests shipped with the experiment (absolute paths), checked by `validate`. */
  manifests?: string[];
  /** Values for the manifests' `${...}` placeholders, from the parameters. */
  manifestValues?(params: z.output<Schema>): Record<string, unknown>;
  /** A fresh state object for each run, shared by its steps. */
  initialState(): S;
  /** Prerequisites and target selection; nothing in the cluster is touched here. */
  preflight: Step<z.output<Schema>, S, C>[];
  /** Fixtures the run deploys for itself, if any. */
  setup?: Step<z.output<Schema>, S, C>[];
  /** Steps that establish the steady state before the fault (what is recorded to compare with). */
  steadyState: Step<z.output<Schema>, S, C>[];
  /** The fault: steps of the inject phase, journaling each change before they make it. */
  method: Step<z.output<Schema>, S, C>[];
  /** Observers that run beside the phases their window names (watches, samplers, continuous probes). */
  observe?: Observer<z.output<Schema>, S, C>[];
  /** Steady state after and the hypothesis checks. */
  verify: Step<z.output<Schema>, S, C>[];
  /** Steps after rollback that remove what setup deployed (fixtures register their own removal too). */
  teardown?: Step<z.output<Schema>, S, C>[];
}

/** Any experiment, for registries and the CLI, which do not know a definition's parameter types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyExperiment = ExperimentDefinition<ParamsSchema, any, any>;

/** Declares an experiment; the identity function, there for type inference. */
export function defineExperiment<Schema extends ParamsSchema, S, C = unknown>(
  def: ExperimentDefinition<Schema, S, C>,
): ExperimentDefinition<Schema, S, C> {
  return def;
}

/**
 * A step whose behaviour is not built yet. Running it is an honest `error` verdict naming what
 * is missing, never a pass; the plan still shows what it will do.
 */
export function pendingStep<P, S, C = unknown>(kind: StepKind, name: string, describe: string | ((params: P) => string), missing: string): Step<P, S, C> {
  return step(kind, name, describe, () => Promise.reject(new RunError('INTERNAL', `step "${name}" is not implemented yet: ${missing}`)));
}

/** A step from its parts, so experiment files read as a list of what happens. */
export function step<P, S, C = unknown>(
  kind: StepKind,
  name: string,
  describe: string | ((params: P) => string),
  run: (ctx: RunContext<P, S, C>) => Promise<void>,
  permissions?: (params: P) => readonly Permission[],
): Step<P, S, C> {
  return { kind, name, describe: typeof describe === 'string' ? () => describe : describe, run, ...(permissions ? { permissions } : {}) };
}
