import type { AbortReason, CheckRecord, ErrorCode, Phase, Verdict } from '../journal/schema.ts';

/** What the engine saw go wrong, in the order it happened; turned into one verdict at the end. */
export interface RunOutcome {
  checks: CheckRecord[];
  error?: { phase: Phase; code: ErrorCode; message: string };
  abort?: { phase: Phase; reason: AbortReason };
  rollbackFailures: string[];
}

/**
 * Precedence: an abort beats everything (the run did not finish); a broken run (including a
 * rollback that failed, since the cluster may not be as it was) beats a finding; findings beat a pass.
 */
export function decideVerdict(o: RunOutcome): Verdict {
  const failed = o.checks.filter((c) => c.status === 'failed');
  const findings = failed.map((c) => (c.target ? `${c.name} (${c.target})` : c.name));
  const findingNote = findings.length ? `; findings: ${findings.join(', ')}` : '';
  if (o.abort) {
    const why = o.abort.reason === 'deadline' ? 'the run reached its deadline' : o.abort.reason === 'output-closed' ? 'its output was closed' : `received ${o.abort.reason}`;
    return { kind: 'aborted', phase: o.abort.phase, reason: o.abort.reason, summary: `aborted during ${o.abort.phase}: ${why}${findingNote}` };
  }
  if (o.error) {
    return { kind: 'error', phase: o.error.phase, code: o.error.code, message: o.error.message, summary: `${o.error.code} error in ${o.error.phase}: ${o.error.message}${findingNote}` };
  }
  if (o.rollbackFailures.length) {
    const message = `rollback failed: ${o.rollbackFailures.join('; ')}`;
    return { kind: 'error', phase: 'rollback', code: 'REVERT', message, summary: `REVERT error in rollback: ${message}${findingNote}` };
  }
  if (failed.length) {
    return { kind: 'failed', findings, summary: `${failed.length} of ${o.checks.length} checks failed: ${findings.join(', ')}` };
  }
  return { kind: 'passed', summary: `all ${o.checks.length} checks held` };
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
