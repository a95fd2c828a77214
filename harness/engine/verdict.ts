import type { AbortReason, CheckRecord, ErrorCode, Phase, Verdict } from '../journal/schema.ts';

/** What the engine saw go wrong, in the order it happened; turned into one verdict at the end. */
export interface RunOutcome {
  checks: CheckRecord[];
  error?: { phase: Phase; code: ErrorCode; message: string };
  abort?: { phase: Phase; reason: AbortReason };
  rollbackFailures: string[];
}

/**
 * Precedence: an abort beats everything (the run did not finish); a broken run beats a finding:
 * a run error, then a rollback that failed (the cluster may not be as it was), then a check that
 * could not be evaluated, then a run that checked nothing; findings beat a pass.
 */
export function decideVerdict(o: RunOutcome): Verdict {
  const failed = o.checks.filter((c) => c.status === 'failed');
  const findings = failed.map(checkName);
  const findingNote = findings.length ? `; findings: ${findings.join(', ')}` : '';
  if (o.abort) {
    const why = o.abort.reason === 'deadline' ? 'the run reached its deadline' : o.abort.reason === 'output-closed' ? 'its output was closed' : `received ${o.abort.reason}`;
    return { kind: 'aborted', phase: o.abort.phase, reason: o.abort.reason, summary: `aborted during ${o.abort.phase}: ${why}${findingNote}` };
  }
  const error = o.error ?? rollbackError(o.rollbackFailures) ?? checkError(o.checks);
  if (error) {
    return { kind: 'error', ...error, summary: `${error.code} error in ${error.phase}: ${error.message}${findingNote}` };
  }
  if (failed.length) {
    return { kind: 'failed', findings, summary: `${failed.length} of ${o.checks.length} checks failed: ${findings.join(', ')}` };
  }
  return { kind: 'passed', summary: `all ${o.checks.length} checks held` };
}

type OutcomeError = NonNullable<RunOutcome['error']>;

const checkName = (c: CheckRecord) => (c.target ? `${c.name} (${c.target})` : c.name);

function rollbackError(failures: readonly string[]): OutcomeError | undefined {
  return failures.length ? { phase: 'rollback', code: 'REVERT', message: `rollback failed: ${failures.join('; ')}` } : undefined;
}

/**
 * A check that could not be evaluated leaves the hypothesis unjudged, and so does a run with no
 * check of it at all (preflight checks are prerequisites, not the hypothesis): neither may pass.
 * An errored preflight check never gets here: the runner makes it a PREFLIGHT run error.
 */
function checkError(checks: readonly CheckRecord[]): OutcomeError | undefined {
  const errored = checks.filter((c) => c.status === 'error');
  const first = errored[0];
  if (first) {
    const what = errored.map((c) => `${checkName(c)}: ${c.observed}`).join('; ');
    return { phase: first.phase, code: 'OBSERVE', message: `${errored.length} check(s) could not be evaluated: ${what}` };
  }
  if (!checks.some((c) => c.phase !== 'preflight')) {
    return { phase: 'verify', code: 'OBSERVE', message: 'the run recorded no check of its hypothesis: it checked nothing, so it cannot pass' };
  }
  return undefined;
}

export const EXIT = { passed: 0, failed: 1, usage: 2, error: 3, SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;

/** One exit code for a set of runs: a signal's code, else the worst verdict's. */
export function exitCodeFor(verdicts: readonly Verdict[]): number {
  for (const v of verdicts) {
    // A closed output (the terminal or pipe went away) is no signal the user sent: exit 3.
    if (v.kind === 'aborted' && v.reason !== 'deadline' && v.reason !== 'output-closed') return EXIT[v.reason];
  }
  if (verdicts.some((v) => v.kind === 'error' || v.kind === 'aborted')) return EXIT.error;
  if (verdicts.some((v) => v.kind === 'failed')) return EXIT.failed;
  return EXIT.passed;
}
