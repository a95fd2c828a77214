// The journal is the one result of a run: every report is rebuilt from it alone.
// Its shape is versioned; readers refuse a schema they do not know.

export const JOURNAL_SCHEMA = 'shakedown.io/journal/v1';

/** Phases in the order the engine runs them. */
export const PHASES = [
  'preflight',
  'setup',
  'steady-state-before',
  'inject',
  'verify',
  'rollback',
  'teardown',
] as const;
export type Phase = (typeof PHASES)[number];

/** Error codes keep "could not select a target" apart from "could not inject" and "could not revert". */
export type ErrorCode =
  | 'PREFLIGHT'
  | 'TARGET_SELECTION'
  | 'SETUP'
  | 'INJECT'
  | 'OBSERVE'
  | 'REVERT'
  | 'API'
  | 'INTERNAL';

export type AbortReason = 'SIGINT' | 'SIGTERM' | 'deadline';

/** The verdict of one run. `failed` is a finding about the cluster; `error` means the run itself broke. */
export type Verdict =
  | { kind: 'passed'; summary: string }
  | { kind: 'failed'; summary: string; findings: string[] }
  | { kind: 'error'; summary: string; phase: Phase; code: ErrorCode; message: string }
  | { kind: 'aborted'; summary: string; phase: Phase; reason: AbortReason };

export type VerdictKind = Verdict['kind'];

export type StepStatus = 'ok' | 'failed' | 'error' | 'aborted' | 'skipped';

export interface StepRecord {
  name: string;
  /** probe, fault, observer, check, action */
  kind: string;
  description: string;
  startedAt: string;
  endedAt?: string;
  status?: StepStatus;
  message?: string;
}

export interface PhaseRecord {
  phase: Phase;
  startedAt: string;
  endedAt?: string;
  status?: StepStatus;
  steps: StepRecord[];
}

export interface EventRecord {
  /** When the harness saw it (arrival stamp, ISO 8601 with milliseconds). */
  at: string;
  /** watch, harness, exec, probe, fault ... */
  source: string;
  /** e.g. ADDED/MODIFIED/DELETED for watches, or a harness event name like pod-deleted. */
  type: string;
  /** "Kind/namespace/name" of the object concerned, when there is one. */
  object?: string;
  message: string;
  /** Timestamps the API itself recorded (deletionTimestamp, lastTransitionTime ...), kept beside the arrival stamp. */
  apiTimes?: Record<string, string>;
  data?: Record<string, unknown>;
}

export type CheckStatus = 'passed' | 'failed' | 'error';

export interface CheckRecord {
  name: string;
  phase: Phase;
  status: CheckStatus;
  /** What the hypothesis says, in words a reader of the report understands. */
  expected: string;
  /** What was actually seen. */
  observed: string;
  /** Timestamps, object UIDs, command output ... */
  evidence: Record<string, unknown>;
  at: string;
  /** Per-target label when one check runs for several targets (e.g. a pod name). */
  target?: string;
}

export interface SeriesPoint {
  at: string;
  value: number;
}

/** A time series for charts: replicas, CPU utilisation, predicted replicas ... */
export interface SeriesRecord {
  name: string;
  unit: string;
  /** Series sharing a group are drawn on one chart. */
  group: string;
  points: SeriesPoint[];
}

/** A marked interval, e.g. the window during which load or a fault was active. */
export interface WindowRecord {
  name: string;
  start: string;
  end?: string;
}

export interface MeasurementRecord {
  name: string;
  value: number;
  unit: string;
  description?: string;
}

/** A table for the report (e.g. one row per pod, or the HPA's decisions). */
export interface TableRecord {
  title: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export interface RollbackRecord {
  name: string;
  startedAt: string;
  endedAt?: string;
  status: 'ok' | 'failed';
  error?: string;
}

export interface EnvironmentRecord {
  shakedownVersion: string;
  node: string;
  platform: string;
  hostname: string;
  /** kube context and API server URL, never credentials. */
  context?: string;
  server?: string;
  serverVersion?: string;
  dryRun?: boolean;
}

export interface Journal {
  schema: typeof JOURNAL_SCHEMA;
  runId: string;
  experiment: { name: string; description: string };
  parameters: Record<string, unknown>;
  environment: EnvironmentRecord;
  startedAt: string;
  endedAt?: string;
  /** `running` until the engine finishes; a crash leaves `running` behind, which readers show as incomplete. */
  status: 'running' | 'completed';
  phases: PhaseRecord[];
  events: EventRecord[];
  checks: CheckRecord[];
  series: SeriesRecord[];
  windows: WindowRecord[];
  measurements: MeasurementRecord[];
  tables: TableRecord[];
  rollbacks: RollbackRecord[];
  verdict?: Verdict;
}
