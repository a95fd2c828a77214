import type { CheckRecord, Phase, UndoRecord, StepRecord, Verdict } from '../journal/schema.ts';

/** Where the engine reports live progress; the CLI picks a TTY, plain-line or JSON sink. */
export interface ProgressSink {
  runStarted(info: { experiment: string; runId: string; journalPath?: string | undefined }): void;
  phaseStarted(phase: Phase): void;
  phaseEnded(phase: Phase, status: string): void;
  stepStarted(phase: Phase, step: StepRecord): void;
  stepEnded(phase: Phase, step: StepRecord): void;
  message(text: string): void;
  check(check: CheckRecord): void;
  rollback(record: UndoRecord): void;
  runEnded(info: { experiment: string; runId: string; verdict: Verdict }): void;
}

/** A sink that shows nothing (tests, library use). */
export const silentProgress: ProgressSink = {
  runStarted() {},
  phaseStarted() {},
  phaseEnded() {},
  stepStarted() {},
  stepEnded() {},
  message() {},
  check() {},
  rollback() {},
  runEnded() {},
};
