import assert from 'node:assert/strict';
import type { CheckRecord, Verdict } from '../../../harness/journal/schema.ts';
import { decideVerdict, exitCodeFor } from '../../../harness/engine/verdict.ts';

const check = (name: string, status: CheckRecord['status'], phase: CheckRecord['phase'] = 'verify'): CheckRecord => ({ name, status, phase, expected: 'x', observed: `${name} seen`, evidence: {}, at: '2026-11-22T00:00:00.000Z' });

describe('verdicts', () => {
  it('passes only when every check held', () => {
    assert.equal(decideVerdict({ checks: [check('a', 'passed')], rollbackFailures: [] }).kind, 'passed');
    const v = decideVerdict({ checks: [check('a', 'passed'), check('b', 'failed')], rollbackFailures: [] });
    assert.ok(v.kind === 'failed');
    assert.deepEqual(v.findings, ['b']);
  });

  it('an abort beats an error, which beats a rollback failure, which beats a finding', () => {
    const base = { checks: [check('b', 'failed')] };
    assert.equal(decideVerdict({ ...base, rollbackFailures: ['x'] }).kind, 'error');
    assert.equal(decideVerdict({ ...base, rollbackFailures: [], error: { phase: 'inject', code: 'INJECT', message: 'm' } }).kind, 'error');
    assert.equal(decideVerdict({ ...base, rollbackFailures: ['x'], error: { phase: 'inject', code: 'INJECT', message: 'm' }, abort: { phase: 'inject', reason: 'SIGINT' } }).kind, 'aborted');
  });

  it('a run that recorded no check is an error in verify, not a pass', () => {
    const v = decideVerdict({ checks: [], rollbackFailures: [] });
    assert.ok(v.kind === 'error', v.summary);
    assert.equal(v.phase, 'verify');
    assert.equal(v.code, 'OBSERVE');
    assert.match(v.message, /recorded no check/);
    assert.match(v.summary, /recorded no check/);
  });

  it('prerequisite checks alone do not make a pass: a run with only preflight checks checked nothing of its hypothesis', () => {
    const v = decideVerdict({ checks: [check('cluster-reachable', 'passed', 'preflight')], rollbackFailures: [] });
    assert.ok(v.kind === 'error' && /recorded no check/.test(v.message), v.summary);
  });

  it('a check that could not be evaluated is an error in its phase, naming the check and what was observed', () => {
    const errored = { ...check('load-delivered', 'error', 'inject'), target: 'web-0' };
    const v = decideVerdict({ checks: [check('a', 'passed'), errored], rollbackFailures: [] });
    assert.ok(v.kind === 'error', v.summary);
    assert.equal(v.phase, 'inject');
    assert.equal(v.code, 'OBSERVE');
    assert.match(v.message, /load-delivered \(web-0\): load-delivered seen/);
    assert.doesNotMatch(v.message, /\ba seen/);
  });

  it('an errored check beats a failed one, and the findings stay in the summary', () => {
    const v = decideVerdict({ checks: [check('b', 'failed'), check('c', 'error'), check('d', 'error')], rollbackFailures: [] });
    assert.ok(v.kind === 'error', v.summary);
    assert.match(v.message, /c: c seen; d: d seen/);
    assert.match(v.summary, /findings: b$/);
  });

  it('a run error beats a rollback failure, which beats an errored check; an abort beats them all', () => {
    const checks = [check('b', 'failed'), check('c', 'error')];
    const rollback = decideVerdict({ checks, rollbackFailures: ['undo-x: API said no'] });
    assert.ok(rollback.kind === 'error' && rollback.code === 'REVERT' && /undo-x/.test(rollback.message), rollback.summary);
    const run = decideVerdict({ checks, rollbackFailures: ['undo-x: API said no'], error: { phase: 'inject', code: 'INJECT', message: 'exec failed' } });
    assert.ok(run.kind === 'error' && run.code === 'INJECT', run.summary);
    assert.equal(decideVerdict({ checks, rollbackFailures: ['x'], abort: { phase: 'verify', reason: 'SIGTERM' } }).kind, 'aborted');
    assert.equal(decideVerdict({ checks: [], rollbackFailures: [], abort: { phase: 'inject', reason: 'deadline' } }).kind, 'aborted');
  });

  it('maps verdicts to exit codes: 0 passed, 1 failed, 3 error or deadline, 130/143 signals', () => {
    const passed: Verdict = { kind: 'passed', summary: '' };
    const failed: Verdict = { kind: 'failed', summary: '', findings: ['x'] };
    const error: Verdict = { kind: 'error', summary: '', phase: 'inject', code: 'INJECT', message: '' };
    const deadline: Verdict = { kind: 'aborted', summary: '', phase: 'inject', reason: 'deadline' };
    const sigterm: Verdict = { kind: 'aborted', summary: '', phase: 'inject', reason: 'SIGTERM' };
    assert.equal(exitCodeFor([]), 0);
    assert.equal(exitCodeFor([passed, passed]), 0);
    assert.equal(exitCodeFor([passed, failed]), 1);
    assert.equal(exitCodeFor([failed, error]), 3);
    assert.equal(exitCodeFor([deadline]), 3);
    assert.equal(exitCodeFor([failed, sigterm]), 143);
  });

  it('says in its summary what happened: how many checks held or failed, which, and why a run was aborted', () => {
    const a = check('a', 'passed');
    assert.equal(decideVerdict({ checks: [a, a], rollbackFailures: [] }).summary, 'all 2 checks held');
    const failed = decideVerdict({ checks: [a, check('b', 'failed'), { ...check('c', 'failed'), target: 'web-0' }], rollbackFailures: [] });
    assert.equal(failed.summary, '2 of 3 checks failed: b, c (web-0)');
    const aborted = (reason: 'deadline' | 'output-closed' | 'SIGHUP', checks = [a]) => decideVerdict({ checks, rollbackFailures: [], abort: { phase: 'inject', reason } });
    assert.equal(aborted('deadline').summary, 'aborted during inject: the run reached its deadline');
    assert.equal(aborted('output-closed').summary, 'aborted during inject: its output was closed');
    assert.equal(aborted('SIGHUP', [check('b', 'failed'), check('c', 'failed')]).summary, 'aborted during inject: received SIGHUP; findings: b, c');
    const v = aborted('SIGHUP');
    assert.ok(v.kind === 'aborted' && v.reason === 'SIGHUP' && v.phase === 'inject');
    const rollback = decideVerdict({ checks: [a], rollbackFailures: ['undo-x: no', 'undo-y: gone'] });
    assert.ok(rollback.kind === 'error');
    assert.equal(rollback.phase, 'rollback');
    assert.equal(rollback.summary, 'REVERT error in rollback: rollback failed: undo-x: no; undo-y: gone');
    const errored = decideVerdict({ checks: [check('c', 'error'), check('d', 'error')], rollbackFailures: [] });
    assert.ok(errored.kind === 'error');
    assert.equal(errored.message, '2 check(s) could not be evaluated: c: c seen; d: d seen');
    assert.equal(errored.summary, 'OBSERVE error in verify: 2 check(s) could not be evaluated: c: c seen; d: d seen');
  });

  it('a closed output or the deadline exits 3, each signal its own code, whichever comes first in the list', () => {
    const aborted = (reason: 'deadline' | 'output-closed' | 'SIGHUP' | 'SIGINT'): Verdict => ({ kind: 'aborted', summary: '', phase: 'inject', reason });
    const passed: Verdict = { kind: 'passed', summary: '' };
    assert.equal(exitCodeFor([aborted('output-closed')]), 3);
    assert.equal(exitCodeFor([passed, aborted('output-closed')]), 3);
    assert.equal(exitCodeFor([aborted('output-closed'), aborted('SIGHUP')]), 129);
    assert.equal(exitCodeFor([aborted('deadline'), aborted('SIGINT')]), 130);
    assert.equal(exitCodeFor([passed, aborted('deadline')]), 3);
  });
});
