import type { z } from 'zod';
import {
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
import { AbortedError, RunError, describeError, throwIfAborted } from './errors.ts';
import { runResults, type AnyExperiment, type Observer, type Recorder, type RunContext, type Step } from './experiment.ts';
import { ObserverSet } from './observers.ts';
import type { ParamsSchema } from './params.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import { newJournal } from './new-journal.ts';
import { journalRecorder } from './recorder.ts';
import { UndoStack } from './undo.ts';
import { runLabels } from './run-id.ts';
import { nowIso } from './time.ts';
import { decideVerdict, type RunOutcome } from './verdict.ts';

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
  const run = new Run(def, params, opts);
  try {
    await run.forward();
  } finally {
    await run.unwind();
  }
  return run.finish();
}

type AnyStep = Step<unknown, unknown, unknown>;

/** One run in progress: its journal, its undo stacks, the phase it is in and the signal steps see. */
class Run {
  readonly journal: Journal;
  private readonly def: AnyExperiment;
  private readonly params: z.output<ParamsSchema>;
  private readonly opts: RunOptions;
  private readonly progress: ProgressSink;
  private readonly writer: JournalWriter;
  private readonly outcome: RunOutcome;
  private readonly rollbacks = new UndoStack();
  private readonly teardowns = new UndoStack();
  private readonly observers: ObserverSet;
  private readonly recorder: Recorder;
  private readonly ctx: RunContext<unknown, unknown, unknown>;
  /** The run's own signal: fired by the caller's signal or by the deadline. */
  private readonly aborter = new AbortController();
  private readonly deadlineTimer: NodeJS.Timeout;
  private readonly onOuterAbort = () => this.aborter.abort(this.opts.signal?.reason ?? new AbortedError('SIGINT'));
  private phase: Phase = 'preflight';
  /** Rollback and teardown get a signal of their own: they must run after the run's has fired. */
  private signal: AbortSignal;
  /**
   * The step the abort cut short, if any. Its code may still be inside an API call that changes
   * the cluster (a scale request in flight); rollback waits for it to settle, bounded, so that
   * call cannot land after the undo and leave the cluster changed.
   */
  private abandoned: Promise<void> | undefined;

  constructor(def: AnyExperiment, params: z.output<ParamsSchema>, opts: RunOptions) {
    this.def = def;
    this.params = params;
    this.opts = opts;
    this.progress = opts.progress ?? silentProgress;
    this.journal = newJournal(def, params, opts);
    this.writer = new JournalWriter(this.journal, opts.journalDir);
    if (opts.watch) {
      const w = opts.watch;
      w.started(this.journal);
      this.writer.onChange(() => w.changed());
    }
    this.progress.runStarted({ experiment: def.name, runId: opts.runId, journalPath: this.writer.path });
    this.deadlineTimer = setTimeout(() => this.aborter.abort(new AbortedError('deadline')), opts.timeoutMs);
    this.deadlineTimer.unref();
    if (opts.signal?.aborted) this.onOuterAbort();
    opts.signal?.addEventListener('abort', this.onOuterAbort, { once: true });
    this.signal = this.aborter.signal;
    this.outcome = { checks: this.journal.checks, rollbackFailures: [] };
    this.recorder = journalRecorder(this.journal, this.writer, this.progress, () => this.phase);
    this.observers = new ObserverSet((def.observe ?? []) as Observer<unknown, unknown, unknown>[]);
    this.ctx = this.context(Date.now() + opts.timeoutMs);
  }

  /** What every step receives. */
  private context(deadline: number): RunContext<unknown, unknown, unknown> {
    const { journal, writer, opts } = this;
    const signalOf = () => this.signal;
    const phaseOf = () => this.phase;
    return {
      runId: opts.runId,
      experiment: this.def.name,
      params: this.params,
      state: this.def.initialState() as unknown,
      get signal() {
        return signalOf();
      },
      deadline,
      artifactDir: opts.journalDir,
      labels: runLabels(opts.runId, this.def.name),
      cluster: opts.cluster,
      get phase() {
        return phaseOf();
      },
      record: this.recorder,
      rollback: (name, fn, options) => this.rollbacks.push(name, fn, options),
      change: async (description, spec, undo, options) => {
        const rec: ChangeRecord = { id: journal.changes.length + 1, at: nowIso(), description, undo: spec, status: 'applied' };
        journal.changes.push(rec);
        // On disk (and in the Lease) before the change is made: a SIGKILL right after still leaves its undo.
        writer.flush();
        await opts.onChanges?.(journal.changes);
        this.rollbacks.push(description, async (signal) => {
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
      teardown: (name, fn, options) => this.teardowns.push(name, fn, options),
      progress: (text) => this.progress.message(text),
      results: runResults(),
    };
  }

  private ok(): boolean {
    return !this.outcome.error && !this.outcome.abort;
  }

  /** The phases up to verify; stops at the first error or abort. */
  async forward(): Promise<void> {
    const { def, outcome } = this;
    // Preflight: a failed prerequisite check is an error (the run cannot earn a verdict), not a finding.
    if ((await this.runPhase('preflight', def.preflight)) === 'failed') {
      const failed = this.journal.checks.filter((c) => c.phase === 'preflight' && c.status !== 'passed');
      outcome.error ??= { phase: 'preflight', code: 'PREFLIGHT', message: failed.map((c) => `${c.name}: ${c.observed}`).join('; ') };
    }
    if (this.ok()) await this.runPhase('setup', def.setup);
    if (!this.ok()) return;
    // The system was not in its steady state before the fault: a finding; the fault is not injected.
    if ((await this.runPhase('steady-state-before', def.steadyState)) === 'failed') {
      this.progress.message('steady state not met before injection; skipping the fault');
      return;
    }
    if (this.ok()) await this.runPhase('inject', def.method);
    if (this.ok()) await this.runPhase('verify', def.verify);
  }

  /** Notes the first error or abort; later ones are consequences and stay in the step records. */
  private noteFailure(at: Phase, err: unknown): StepStatus {
    if (err instanceof AbortedError) {
      this.outcome.abort ??= { phase: at, reason: err.reason };
      return 'aborted';
    }
    const code = err instanceof RunError ? err.code : isApiError(err) ? 'API' : DEFAULT_CODE[at];
    this.outcome.error ??= { phase: at, code, message: describeError(err) };
    return 'error';
  }

  private beginPhase(p: Phase): PhaseRecord {
    this.phase = p;
    const rec: PhaseRecord = { phase: p, startedAt: nowIso(), steps: [] };
    this.journal.phases.push(rec);
    this.progress.phaseStarted(p);
    this.writer.flush();
    return rec;
  }

  private endPhase(rec: PhaseRecord, status: StepStatus): void {
    rec.endedAt = nowIso();
    rec.status = status;
    this.progress.phaseEnded(rec.phase, status);
    this.writer.flush();
  }

  /** Runs a step, abandoning it when the signal fires (its own code should stop soon after). */
  private async runStep(rec: PhaseRecord, s: AnyStep): Promise<StepStatus> {
    const sr: StepRecord = { name: s.name, kind: s.kind, description: s.describe(this.params), startedAt: nowIso() };
    rec.steps.push(sr);
    this.progress.stepStarted(rec.phase, sr);
    const failing = () => this.journal.checks.filter((c) => c.status !== 'passed').length;
    const failedBefore = failing();
    try {
      // A signal or the deadline that fired between steps (while observers stopped, say) stops
      // the run before this step starts: a fault is never begun after it.
      throwIfAborted(this.signal);
      const work = s.run(this.ctx);
      this.abandoned = work;
      await raceAbort(this.signal, () => work);
      this.abandoned = undefined;
      sr.status = failing() > failedBefore ? 'failed' : 'ok';
    } catch (err) {
      sr.status = this.noteFailure(rec.phase, err);
      sr.message = describeError(err);
    }
    sr.endedAt = nowIso();
    this.progress.stepEnded(rec.phase, sr);
    this.writer.touch();
    return sr.status;
  }

  /**
   * Runs a phase's steps in order, stopping at the first error or abort, with the observers
   * whose window is this phase running around them. A fault phase with nothing to do is still run
   * (its observers watch it); the other phases are skipped when empty.
   */
  private async runPhase(p: Phase, steps: readonly AnyStep[] | undefined): Promise<StepStatus> {
    if (!steps?.length && p !== 'inject') return 'ok';
    const rec = this.beginPhase(p);
    let status: StepStatus = 'ok';
    try {
      await this.observers.startFor(p, (o) => raceAbort(this.signal, () => o.start(this.ctx)));
    } catch (err) {
      status = this.noteFailure(p, err);
    }
    for (const s of status === 'ok' ? (steps ?? []) : []) {
      const st = await this.runStep(rec, s);
      if (st === 'error' || st === 'aborted') {
        status = st;
        break;
      }
      // A finding in the method is judged in verify; the method's own steps do not fail it.
      if (st === 'failed' && p !== 'inject') status = 'failed';
    }
    await this.stopObservers(p);
    this.endPhase(rec, status);
    return status;
  }

  private stopObservers(after: Phase | undefined): Promise<void> {
    return this.observers.stopAfter(after, (name, err) => void this.recorder.event({ source: 'harness', type: 'observer-stop-failed', message: `${name}: ${describeError(err)}` }));
  }

  /** After forward, whatever happened: the abandoned step settled, observers stopped, rollback, teardown. */
  async unwind(): Promise<void> {
    clearTimeout(this.deadlineTimer);
    this.opts.signal?.removeEventListener('abort', this.onOuterAbort);
    const undoTimeoutMs = this.opts.undoTimeoutMs ?? 120_000;
    // Rollback and teardown run after the run's signal fired; their own budget is the sum of
    // their actions' bounds (each action is bounded on its own as well).
    const budgetMs = this.rollbacks.totalBoundMs(undoTimeoutMs) + this.teardowns.totalBoundMs(undoTimeoutMs) + undoTimeoutMs * ((this.def.teardown?.length ?? 0) + 1);
    this.signal = AbortSignal.timeout(budgetMs);
    if (this.abandoned) {
      // At most one undo bound: a step that ignores the signal for longer is abandoned for good.
      const settleMs = Math.min(undoTimeoutMs, 15_000);
      const settled = await Promise.race([this.abandoned.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), settleMs).unref())]);
      if (!settled) this.recorder.event({ source: 'harness', type: 'step-still-running', message: `the interrupted step did not stop within ${settleMs / 1000}s; rolling back anyway` });
    }
    await this.stopObservers(undefined);
    if (this.rollbacks.size > 0) {
      const rec = this.beginPhase('rollback');
      this.endPhase(rec, await this.unwindStack('rollback', this.rollbacks, this.journal.rollbacks, undoTimeoutMs));
    }
    if (this.teardowns.size > 0 || this.def.teardown?.length) await this.teardown(undoTimeoutMs);
  }

  private async unwindStack(p: 'rollback' | 'teardown', stack: UndoStack, into: UndoRecord[], undoTimeoutMs: number): Promise<StepStatus> {
    const results = await stack.unwind(
      (r) => {
        into.push(r);
        this.progress.rollback(r);
        this.writer.touch();
      },
      undoTimeoutMs,
      (name) => this.progress.message(`${p === 'rollback' ? 'rolling back' : 'tearing down'}: ${name}`),
    );
    for (const r of results) if (r.status === 'failed') this.outcome.rollbackFailures.push(`${r.name}: ${r.error}`);
    return results.some((r) => r.status === 'failed') ? 'error' : 'ok';
  }

  /** The definition's teardown steps, then the removals registered during the run. */
  private async teardown(undoTimeoutMs: number): Promise<void> {
    const rec = this.beginPhase('teardown');
    let status: StepStatus = 'ok';
    for (const s of (this.def.teardown ?? []) as AnyStep[]) {
      const st = await this.runStep(rec, s);
      if (st !== 'ok') {
        this.outcome.rollbackFailures.push(`${s.name}: ${rec.steps.at(-1)?.message ?? st}`);
        status = 'error';
      }
    }
    if ((await this.unwindStack('teardown', this.teardowns, this.journal.teardowns, undoTimeoutMs)) === 'error') status = 'error';
    this.endPhase(rec, status);
  }

  /** The verdict, written into the journal. */
  finish(): RunResult {
    const verdict = decideVerdict(this.outcome);
    this.journal.verdict = verdict;
    this.journal.endedAt = nowIso();
    this.journal.status = 'completed';
    this.writer.flush();
    this.progress.runEnded({ experiment: this.def.name, runId: this.opts.runId, verdict });
    return { verdict, journal: this.journal, journalPath: this.writer.path };
  }
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
