import assert from 'node:assert/strict';
import type { CheckRecord, Verdict } from '../../../harness/journal/schema.ts';
import { decideVerdict, exitCodeFor } from '../../../harness/engine/verdict.ts';

const check = (name: string, status: CheckRecord['status']): CheckRecord => ({ name, status, phase: 'verify', expected: 'x', observed: 'y', evidence: {}, at: '2026-11-22T00:00:00.000Z' });

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
});
