import { hostname } from 'node:os';
import type { z } from 'zod';
import {
  JOURNAL_SCHEMA,
  type ChangeRecord,
  type EnvironmentRecord,
  type ErrorCode,
  type Journal,
  type Phase,
  type PhaseRecord,
  type StepRecord,
  type StepStatus,
  type UndoRecord,
  type Verdict,
} from '../journal/schema.ts';
import { JournalWriter } from '../journal/writer.ts';
import { AbortedError, RunError, describeError } from './errors.ts';
import type {
  AnyExperiment,
  Observer,
  RunContext,
  Step,
} from './experiment.ts';
import { displayParams, type ParamsSchema } from './params.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import { journalRecorder } from './recorder.ts';
import { UndoStack } from './undo.ts';
import { runLabels } from './run-id.ts';
import { nowIso } from './time.ts';
import { decideVerdict, type RunOutcome } from './verdict.ts';
import { SHAKEDOWN_VERSION } from './version.ts';

export interface RunOptions {
  runId: string;
  /** Directory for this run's journal.json; none keeps the journal in memory. */
  journalDir?: string | undefined;
  /** The run's deadline, counted from its start. */
  timeoutMs: number;
  /** Default bound on each rollback and teardown action (which run even after the deadline). */
  undoTimeoutMs?: number;
  /**
   * Told of every change as soon as it is journaled, before it is made (the CLI mirrors them
   * into the run's Lease, so cleanup can find them even without the journal file).
   */
  onChanges?: (changes: readonly ChangeRecord[]) => Promise<void> | void;
  /** Aborted by the CLI on SIGINT/SIGTERM with an AbortedError as reason. */
  signal?: AbortSignal;
  /** Passed to every step as `ctx.cluster` (the CLI passes its ClusterSession). */
  cluster?: unknown;
  environment?: Partial<EnvironmentRecord>;
  progress?: ProgressSink;
  /**
   * Given the run's journal as soon as it exists, and `changed` after every change to it (a live
   * view reads it as the run goes; it must not modify it).
   */
  watch?: { started(journal: Readonly<Journal>): void; changed(): void };
}

export interface RunResult {
  verdict: Verdict;
  journal: Journal;
  journalPath: string | undefined;
}

/** Phases whose thrown errors get this code unless the error names its own. */
const DEFAULT_CODE: Record<Phase, ErrorCode> = {
  preflight: 'PREFLIGHT',
  setup: 'SETUP',
  'steady-state-before': 'OBSERVE',
  inject: 'INJECT',
  verify: 'OBSERVE',
  rollback: 'REVERT',
  teardown: 'REVERT',
};

/**
 * Runs one experiment through the fixed phase order: preflight → setup → steady state before →
 * inject (with observers) → verify → rollback → teardown. Rollback and teardown always run, in
 * reverse order of registration, after a pass, a finding, an error, the deadline or a signal.
 */
export async function runExperiment(
  def: AnyExperiment,
  params: z.output<ParamsSchema>,
  opts: RunOptions,
): Promise<RunResult> {
  const progress = opts.progress ?? silentProgress;
  const startedAt = nowIso();
  const journal: Journal = {
    schema: JOURNAL_SCHEMA,
    runId: opts.runId,
    experiment: { name: def.name, description: def.description },
    parameters: displayParams(def.params, params),
    environment: {
      shakedownVersion: SHAKEDOWN_VERSION,
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      hostname: hostname(),
      ...opts.environment,
    },
    startedAt,
    status: 'running',
    phases: [],
    events: [],
    checks: [],
    series: [],
    windows: [],
    measurements: [],
    tables: [],
    changes: [],
    rollbacks: [],
    teardowns: [],
  };
  const writer = new JournalWriter(journal, opts.journalDir);
  if (opts.watch) {
    opts.watch.started(journal);
    const w = opts.watch;
    writer.onChange(() => w.changed());
  }
  progress.runStarted({ experiment: def.name, runId: opts.runId, journalPath: writer.path });

  // The run's own signal: fired by the caller's signal or by the deadline.
  const run = new AbortController();
  const deadline = Date.now() + opts.timeoutMs;
  const deadlineTimer = setTimeout(() => run.abort(new AbortedError('deadline')), opts.timeoutMs);
  deadlineTimer.unref();
  const onOuterAbort = () => run.abort(opts.signal?.reason ?? new AbortedError('SIGINT'));
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const outcome: RunOutcome = { checks: journal.checks, rollbackFailures: [] };
  const rollbacks = new UndoStack();
  const teardowns = new UndoStack();
  const state: unknown = def.initialState();
  let phase: Phase = 'preflight';
  // Rollback and teardown get a signal of their own: they must run after the run's has fired.
  let signal: AbortSignal = run.signal;
  /**
   * The step the abort cut short, if any. Its code may still be inside an API call that changes
   * the cluster (a scale request in flight); rollback waits for it to settle, bounded, so that
   * call cannot land after the undo and leave the cluster changed.
   */
  let abandoned: Promise<void> | undefined;

  const recorder = journalRecorder(journal, writer, progress, () => phase);

  const ctx: RunContext<unknown, unknown, unknown> = {
    runId: opts.runId,
    experiment: def.name,
    params,
    state,
    get signal() {
      return signal;
    },
    deadline,
    artifactDir: opts.journalDir,
    labels: runLabels(opts.runId, def.name),
    cluster: opts.cluster,
    get phase() {
      return phase;
    },
    record: recorder,
    rollback: (name, fn, options) => rollbacks.push(name, fn, options),
    async change(description, spec, undo, options) {
      const rec: ChangeRecord = { id: journal.changes.length + 1, at: nowIso(), description, undo: spec, status: 'applied' };
      journal.changes.push(rec);
      // On disk (and in the Lease) before the change is made: a SIGKILL right after still leaves its undo.
      writer.flush();
      await opts.onChanges?.(journal.changes);
      rollbacks.push(description, async (signal) => {
        try {
          await undo(signal);
          rec.status = 'undone';
        } catch (err) {
          rec.status = 'undo-failed';
          throw err;
        } finally {
          writer.touch();
          await Promise.resolve(opts.onChanges?.(journal.changes)).catch(() => {});
        }
      }, options);
      return rec;
    },
    teardown: (name, fn, options) => teardowns.push(name, fn, options),
    progress: (text) => progress.message(text),
  };

  /** Notes the first error or abort; later ones are consequences and stay in the step records. */
  function noteFailure(at: Phase, err: unknown): StepStatus {
    if (err instanceof AbortedError) {
      outcome.abort ??= { phase: at, reason: err.reason };
      return 'aborted';
    }
    const code = err instanceof RunError ? err.code : isApiError(err) ? 'API' : DEFAULT_CODE[at];
    outcome.error ??= { phase: at, code, message: describeError(err) };
    return 'error';
  }

  function beginPhase(p: Phase): PhaseRecord {
    phase = p;
    const rec: PhaseRecord = { phase: p, startedAt: nowIso(), steps: [] };
    journal.phases.push(rec);
    progress.phaseStarted(p);
    writer.flush();
    return rec;
  }

  function endPhase(rec: PhaseRecord, status: StepStatus): void {
    rec.endedAt = nowIso();
    rec.status = status;
    progress.phaseEnded(rec.phase, status);
    writer.flush();
  }

  /** Runs a step, abandoning it when the signal fires (its own code should stop soon after). */
  async function runStep(rec: PhaseRecord, s: Step<unknown, unknown, unknown>): Promise<StepStatus> {
    const sr: StepRecord = { name: s.name, kind: s.kind, description: s.describe(params), startedAt: nowIso() };
    rec.steps.push(sr);
    progress.stepStarted(rec.phase, sr);
    const failedBefore = journal.checks.filter((c) => c.status !== 'passed').length;
    try {
      const work = s.run(ctx);
      abandoned = work;
      await raceAbort(signal, () => work);
      abandoned = undefined;
      const failedNow = journal.checks.filter((c) => c.status !== 'passed').length;
      sr.status = failedNow > failedBefore ? 'failed' : 'ok';
    } catch (err) {
      sr.status = noteFailure(rec.phase, err);
      sr.message = describeError(err);
    }
    sr.endedAt = nowIso();
    progress.stepEnded(rec.phase, sr);
    writer.touch();
    return sr.status;
  }

  /** Runs a phase's steps in order; stops at the first error or abort. */
  async function runPhase(p: Phase, steps: readonly Step<unknown, unknown, unknown>[] | undefined): Promise<StepStatus> {
    if (!steps?.length) return 'ok';
    const rec = beginPhase(p);
    let status: StepStatus = 'ok';
    for (const s of steps) {
      const st = await runStep(rec, s);
      if (st === 'error' || st === 'aborted') {
        status = st;
        break;
      }
      if (st === 'failed') status = 'failed';
    }
    endPhase(rec, status);
    return status;
  }

  const stopObservers: { name: string; stop: () => Promise<void> }[] = [];

  try {
    // Preflight: a failed prerequisite check is an error (the run cannot earn a verdict), not a finding.
    const pre = await runPhase('preflight', def.preflight);
    // A failed check makes its step (and so the phase) 'failed'.
    if (pre === 'failed') {
      const failed = journal.checks.filter((c) => c.phase === 'preflight' && c.status !== 'passed');
      outcome.error ??= {
        phase: 'preflight',
        code: 'PREFLIGHT',
        message: failed.map((c) => `${c.name}: ${c.observed}`).join('; '),
      };
    }
    const ok = () => !outcome.error && !outcome.abort;
    if (ok()) await runPhase('setup', def.setup);
    if (ok()) {
      const before = await runPhase('steady-state-before', def.steadyState);
      // The system was not in its steady state before the fault: a finding; the fault is not injected.
      if (before === 'failed') {
        progress.message('steady state not met before injection; skipping the fault');
      } else if (ok()) {
        const rec = beginPhase('inject');
        let status: StepStatus = 'ok';
        for (const o of (def.observe ?? []) as Observer<unknown, unknown, unknown>[]) {
          try {
            const stop = await raceAbort(signal, () => o.start(ctx));
            stopObservers.push({ name: o.name, stop });
          } catch (err) {
            status = noteFailure('inject', err);
            break;
          }
        }
        if (status === 'ok') {
          for (const s of def.method as Step<unknown, unknown, unknown>[]) {
            const st = await runStep(rec, s);
            if (st === 'error' || st === 'aborted') {
              status = st;
              break;
            }
          }
        }
        endPhase(rec, status);
        if (ok()) await runPhase('verify', def.verify);
      }
    }
  } finally {
    clearTimeout(deadlineTimer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    const undoTimeoutMs = opts.undoTimeoutMs ?? 120_000;
    // Rollback and teardown run after the run's signal fired; their own budget is the sum of
    // their actions' bounds (each action is bounded on its own as well).
    const budgetMs = rollbacks.totalBoundMs(undoTimeoutMs) + teardowns.totalBoundMs(undoTimeoutMs) + undoTimeoutMs * ((def.teardown?.length ?? 0) + 1);
    signal = AbortSignal.timeout(budgetMs);

    if (abandoned) {
      // At most one undo bound: a step that ignores the signal for longer is abandoned for good.
      const settleMs = Math.min(undoTimeoutMs, 15_000);
      const settled = await Promise.race([abandoned.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), settleMs).unref())]);
      if (!settled) recorder.event({ source: 'harness', type: 'step-still-running', message: `the interrupted step did not stop within ${settleMs / 1000}s; rolling back anyway` });
    }

    for (const o of stopObservers.reverse()) {
      try {
        await o.stop();
      } catch (err) {
        recorder.event({ source: 'harness', type: 'observer-stop-failed', message: `${o.name}: ${describeError(err)}` });
      }
    }

    const unwind = async (p: 'rollback' | 'teardown', stack: UndoStack, into: UndoRecord[]): Promise<StepStatus> => {
      const results = await stack.unwind(
        (r) => {
          into.push(r);
          progress.rollback(r);
          writer.touch();
        },
        undoTimeoutMs,
        (name) => progress.message(`${p === 'rollback' ? 'rolling back' : 'tearing down'}: ${name}`),
      );
      for (const r of results) if (r.status === 'failed') outcome.rollbackFailures.push(`${r.name}: ${r.error}`);
      return results.some((r) => r.status === 'failed') ? 'error' : 'ok';
    };

    if (rollbacks.size > 0) {
      const rec = beginPhase('rollback');
      endPhase(rec, await unwind('rollback', rollbacks, journal.rollbacks));
    }

    if (teardowns.size > 0 || def.teardown?.length) {
      const rec = beginPhase('teardown');
      let status: StepStatus = 'ok';
      for (const s of (def.teardown ?? []) as Step<unknown, unknown, unknown>[]) {
        const st = await runStep(rec, s);
        if (st !== 'ok') {
          outcome.rollbackFailures.push(`${s.name}: ${rec.steps.at(-1)?.message ?? st}`);
          status = 'error';
        }
      }
      if ((await unwind('teardown', teardowns, journal.teardowns)) === 'error') status = 'error';
      endPhase(rec, status);
    }
  }

  const verdict = decideVerdict(outcome);
  journal.verdict = verdict;
  journal.endedAt = nowIso();
  journal.status = 'completed';
  writer.flush();
  progress.runEnded({ experiment: def.name, runId: opts.runId, verdict });
  return { verdict, journal, journalPath: writer.path };
}

/** Resolves with fn's result, or rejects with the signal's AbortedError as soon as it fires. */
export async function raceAbort<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) throw asAborted(signal.reason);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(asAborted(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const work = fn();
  // If the abort wins, the step's own later rejection must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function asAborted(reason: unknown): AbortedError {
  if (reason instanceof AbortedError) return reason;
  // AbortSignal.timeout() fires a TimeoutError: the cleanup budget ran out.
  return new AbortedError('deadline');
}

/** Errors from the Kubernetes client carry an HTTP status `code` and a `body`. */
function isApiError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && typeof (err).code === 'number' && 'body' in err;
}
