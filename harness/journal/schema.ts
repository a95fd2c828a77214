// The journal is the one result of a run: every report is rebuilt from it alone.
// Its shape is versioned; readers refuse a schema they do not know. The zod schemas below are
// the one definition: the TypeScript types are derived from them, and the reader validates with
// them. Unknown keys are not an error: a newer writer may add some, and the reader keeps them.
import { z } from 'zod';

export const JOURNAL_SCHEMA = 'shakedown.io/journal/v1';

/** Phases in the order the engine runs them. */
export const PHASES = ['preflight', 'setup', 'steady-state-before', 'inject', 'verify', 'rollback', 'teardown'] as const;
export type Phase = (typeof PHASES)[number];

/** Error codes keep "could not select a target" apart from "could not inject" and "could not revert". */
export const ERROR_CODES = ['PREFLIGHT', 'TARGET_SELECTION', 'SETUP', 'INJECT', 'OBSERVE', 'REVERT', 'API', 'INTERNAL'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ABORT_REASONS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'deadline', 'output-closed'] as const;
export type AbortReason = (typeof ABORT_REASONS)[number];

const isoTime = z.string().min(1);
const phase = z.enum(PHASES);
const record = z.record(z.string(), z.unknown());

export const stepStatusSchema = z.enum(['ok', 'failed', 'error', 'aborted']);
export type StepStatus = z.output<typeof stepStatusSchema>;

/** The verdict of one run. `failed` is a finding about the cluster; `error` means the run itself broke. */
export const verdictSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('passed'), summary: z.string() }),
  z.object({ kind: z.literal('failed'), summary: z.string(), findings: z.array(z.string()) }),
  z.object({ kind: z.literal('error'), summary: z.string(), phase, code: z.enum(ERROR_CODES), message: z.string() }),
  z.object({ kind: z.literal('aborted'), summary: z.string(), phase, reason: z.enum(ABORT_REASONS) }),
]);
export type Verdict = z.output<typeof verdictSchema>;
export type VerdictKind = Verdict['kind'];

export const stepRecordSchema = z.object({
  name: z.string(),
  /** probe, fault, observer, check, action, fixture */
  kind: z.string(),
  description: z.string(),
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  status: stepStatusSchema.optional(),
  message: z.string().optional(),
});
export type StepRecord = z.output<typeof stepRecordSchema>;

export const phaseRecordSchema = z.object({
  phase,
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  status: stepStatusSchema.optional(),
  steps: z.array(stepRecordSchema),
});
export type PhaseRecord = z.output<typeof phaseRecordSchema>;

export const eventRecordSchema = z.object({
  /** When the harness saw it (arrival stamp, ISO 8601 with milliseconds). */
  at: isoTime,
  /** watch, harness, exec, probe, fault ... */
  source: z.string(),
  /** e.g. ADDED/MODIFIED/DELETED for watches, or a harness event name like pod-deleted. */
  type: z.string(),
  /** "Kind/namespace/name" of the object concerned, when there is one. */
  object: z.string().optional(),
  message: z.string(),
  /** Timestamps the API itself recorded (deletionTimestamp, lastTransitionTime ...), kept beside the arrival stamp. */
  apiTimes: z.record(z.string(), z.string()).optional(),
  data: record.optional(),
});
export type EventRecord = z.output<typeof eventRecordSchema>;

export const checkStatusSchema = z.enum(['passed', 'failed', 'error']);
export type CheckStatus = z.output<typeof checkStatusSchema>;

export const checkRecordSchema = z.object({
  name: z.string(),
  phase,
  status: checkStatusSchema,
  /** What the hypothesis says, in words a reader of the report understands. */
  expected: z.string(),
  /** What was actually seen. */
  observed: z.string(),
  /** Timestamps, object UIDs, command output ... */
  evidence: record,
  at: isoTime,
  /** Per-target label when one check runs for several targets (e.g. a pod name). */
  target: z.string().optional(),
});
export type CheckRecord = z.output<typeof checkRecordSchema>;

/** A time series for charts: replicas, CPU utilisation, predicted replicas ... Series sharing a group share a chart. */
export const seriesRecordSchema = z.object({
  name: z.string(),
  unit: z.string(),
  group: z.string(),
  points: z.array(z.object({ at: isoTime, value: z.number() })),
});
export type SeriesRecord = z.output<typeof seriesRecordSchema>;
export type SeriesPoint = SeriesRecord['points'][number];

/** A marked interval, e.g. the window during which load or a fault was active. */
export const windowRecordSchema = z.object({ name: z.string(), start: isoTime, end: isoTime.optional() });
export type WindowRecord = z.output<typeof windowRecordSchema>;

export const measurementRecordSchema = z.object({ name: z.string(), value: z.number(), unit: z.string(), description: z.string().optional() });
export type MeasurementRecord = z.output<typeof measurementRecordSchema>;

/**
 * A named metric with its raw samples (one per pod, per path, per phase ...), for comparing runs
 * (`shakedown compare`). Larger is worse for every metric the harness records (times, error
 * rates, latencies). Older journals have none.
 */
export const metricRecordSchema = z.object({
  name: z.string().min(1),
  unit: z.string().min(1),
  samples: z.array(z.number()),
  /** What the samples were measured on ("StatefulSet/shop/orders"), when the metric is about one target. */
  target: z.string().optional(),
  description: z.string().optional(),
  /** One compressed HDR latency histogram (µs) per sample, where a sample is a percentile of one (load metrics): mergeable across runs. */
  histograms: z.array(z.string()).optional(),
});
export type MetricRecord = z.output<typeof metricRecordSchema>;

/** One metric of a run compared with a baseline (`run --baseline`). */
export const metricComparisonSchema = z.object({
  name: z.string(),
  unit: z.string(),
  verdict: z.enum(['regressed', 'improved', 'unchanged', 'not enough data']),
  baseline: z.array(z.number()),
  current: z.array(z.number()),
  /** Why the verdict, in words (thresholds, interval). */
  reason: z.string(),
}).catchall(z.unknown());
export type MetricComparisonRecord = z.output<typeof metricComparisonSchema>;

/** The comparison of this run with a baseline, when `run --baseline` asked for one. */
export const comparisonRecordSchema = z.object({
  baseline: z.object({ source: z.string(), runs: z.array(z.string()) }),
  metrics: z.array(metricComparisonSchema),
});
export type ComparisonRecord = z.output<typeof comparisonRecordSchema>;

/** A table for the report (e.g. one row per pod, or the HPA's decisions). */
export const tableRecordSchema = z.object({
  title: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
});
export type TableRecord = z.output<typeof tableRecordSchema>;

/** The outcome of one undo action (rollback phase) or one fixture removal (teardown phase). */
export const undoRecordSchema = z.object({
  name: z.string(),
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  status: z.enum(['ok', 'failed']),
  error: z.string().optional(),
});
export type UndoRecord = z.output<typeof undoRecordSchema>;

/**
 * How to undo one change a run made to something it did not create, in data, so that
 * `shakedown cleanup --run-id` can undo it from the journal after a crash or SIGKILL.
 */
export const undoSpecSchema = z.discriminatedUnion('kind', [
  /** Set a workload's replicas back (StatefulSet or Deployment scale subresource). */
  z.object({ kind: z.literal('replicas'), workload: z.enum(['StatefulSet', 'Deployment']), namespace: z.string(), name: z.string(), replicas: z.number().int().min(0) }),
  /** Put an object back exactly as recorded; `before: null` means it did not exist (delete it). */
  z.object({ kind: z.literal('object'), apiVersion: z.string(), objectKind: z.string(), namespace: z.string().optional(), name: z.string(), before: record.nullable() }),
  /** Remove a file the run wrote into a container (a token on a volume). */
  z.object({ kind: z.literal('file'), namespace: z.string(), pod: z.string(), container: z.string(), path: z.string() }),
  /** Kill processes the run started in a container (load), matched by their full command line. */
  z.object({ kind: z.literal('process'), namespace: z.string(), pod: z.string(), container: z.string(), commandLine: z.string() }),
  /** A user's own undo kind (defineUndo): its name, the module that registers it, and its data. */
  z.object({ kind: z.literal('custom'), type: z.string(), module: z.string(), data: record }),
]);
export type UndoSpec = z.output<typeof undoSpecSchema>;

/** A change the run made to something it did not create, journaled before it is made. */
export const changeRecordSchema = z.object({
  id: z.number().int(),
  at: isoTime,
  description: z.string(),
  undo: undoSpecSchema,
  /** `applied` until the rollback undid it (or failed to). */
  status: z.enum(['applied', 'undone', 'undo-failed']),
});
/** A journaled change: what it is, when, its undo as data, and whether rollback undid it. */
export type ChangeRecord = z.output<typeof changeRecordSchema>;

export const environmentRecordSchema = z.object({
  shakedownVersion: z.string(),
  node: z.string(),
  platform: z.string(),
  hostname: z.string(),
  /** The process that writes the journal, so a reader on the same host can tell a run that died from one still going. */
  pid: z.number().int().optional(),
  /** kube context and API server URL, never credentials. */
  context: z.string().optional(),
  server: z.string().optional(),
  serverVersion: z.string().optional(),
  dryRun: z.boolean().optional(),
});
export type EnvironmentRecord = z.output<typeof environmentRecordSchema>;

export const journalSchema = z.object({
  schema: z.literal(JOURNAL_SCHEMA),
  runId: z.string().min(1),
  experiment: z.object({ name: z.string().min(1), description: z.string() }),
  parameters: record,
  environment: environmentRecordSchema,
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  /** `running` until the engine finishes; a crash leaves `running` behind, which readers show as incomplete. */
  status: z.enum(['running', 'completed']),
  phases: z.array(phaseRecordSchema),
  events: z.array(eventRecordSchema),
  checks: z.array(checkRecordSchema),
  series: z.array(seriesRecordSchema),
  windows: z.array(windowRecordSchema),
  measurements: z.array(measurementRecordSchema),
  /** Named metrics with raw samples, for run-to-run comparison (absent in older journals). */
  metrics: z.array(metricRecordSchema).default([]),
  /** This run compared with a baseline (`run --baseline`), when asked. */
  comparison: comparisonRecordSchema.optional(),
  tables: z.array(tableRecordSchema),
  /** Changes to objects the run did not create, with how to undo each (absent in older journals). */
  changes: z.array(changeRecordSchema).default([]),
  /** Outcomes of the rollback phase's undo actions. */
  rollbacks: z.array(undoRecordSchema),
  /** Outcomes of the teardown phase's fixture removals (older journals kept them under rollbacks). */
  teardowns: z.array(undoRecordSchema).default([]),
  verdict: verdictSchema.optional(),
});
export type Journal = z.output<typeof journalSchema>;
