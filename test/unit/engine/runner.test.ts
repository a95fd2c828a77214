import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, injectError } from '../../../harness/engine/errors.ts';
import { runExperiment } from '../../../harness/engine/runner.ts';
import { exitCodeFor } from '../../../harness/engine/verdict.ts';
import { scripted, type Script } from './fake-experiment.ts';

async function run(script: Partial<Script>, opts: { timeoutMs?: number; signal?: AbortSignal; journalDir?: string } = {}) {
  const s: Script = { calls: [], ...script };
  const result = await runExperiment(scripted(s), { n: 1 }, { runId: 'rtest00001', timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal, journalDir: opts.journalDir, undoTimeoutMs: 2_000 });
  return { ...result, calls: s.calls };
}

const ROLLBACK_AND_CLEANUP = ['rollback:undo-c', 'rollback:undo-b', 'rollback:undo-a', 'cleanup:remove-fixture'];

describe('engine: phase order and rollback', () => {
  it('runs every phase in order and passes when every check holds', async () => {
    const r = await run({});
    assert.equal(r.verdict.kind, 'passed');
    assert.deepEqual(r.calls, ['preflight-check', 'setup', 'steady-check', 'inject:a', 'inject:b', 'verify-check', ...ROLLBACK_AND_CLEANUP]);
    assert.deepEqual(r.journal.phases.map((p) => p.phase), ['preflight', 'setup', 'steady-state-before', 'inject', 'verify', 'rollback', 'teardown']);
    assert.equal(r.journal.status, 'completed');
    assert.equal(exitCodeFor([r.verdict]), 0);
  });

  it('a failed verify check is a finding (failed), and rollback still runs in reverse order', async () => {
    const r = await run({ verifyCheck: false });
    assert.equal(r.verdict.kind, 'failed');
    assert.ok(r.verdict.kind === 'failed' && r.verdict.findings.includes('verify-check'));
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 1);
  });

  it('a step that throws during inject is an INJECT error; verify is skipped; rollback runs', async () => {
    const r = await run({ injectThrows: injectError('exec failed: container not found') });
    assert.equal(r.verdict.kind, 'error');
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'INJECT' && r.verdict.phase === 'inject');
    assert.ok(!r.calls.includes('verify-check'));
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 3);
  });

  it('a failed preflight check is an error before anything is touched', async () => {
    const r = await run({ preflightCheck: false });
    assert.equal(r.verdict.kind, 'error');
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'PREFLIGHT' && /preflight-check/.test(r.verdict.message));
    assert.deepEqual(r.calls, ['preflight-check']);
  });

  it('a steady state not met before the fault is a finding and the fault is not injected', async () => {
    const r = await run({ steadyCheck: false });
    assert.equal(r.verdict.kind, 'failed');
    assert.ok(!r.calls.some((c) => c.startsWith('inject')));
    assert.deepEqual(r.calls.slice(-1), ['cleanup:remove-fixture']);
  });

  it('a run that records no check is an error in verify, not a pass, and still rolls back', async () => {
    const r = await run({ preflightCheck: 'none', steadyCheck: 'none', verifyCheck: 'none' });
    assert.ok(r.verdict.kind === 'error' && r.verdict.phase === 'verify' && r.verdict.code === 'OBSERVE', r.verdict.summary);
    assert.match(r.verdict.message, /recorded no check/);
    assert.equal(r.journal.checks.length, 0);
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 3);
  });

  it('a verify check that could not be evaluated is an error naming it, and the steps after it still run', async () => {
    const r = await run({ verifyCheck: 'error', verifyAlso: true });
    assert.ok(r.verdict.kind === 'error' && r.verdict.phase === 'verify' && r.verdict.code === 'OBSERVE', r.verdict.summary);
    assert.match(r.verdict.message, /verify-check: probe broke/);
    assert.ok(r.calls.includes('verify-2-check'));
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 3);
  });

  it('an errored check beside a failed one is an error, with the finding still in the summary', async () => {
    const r = await run({ verifyCheck: 'error', verifyAlso: false });
    assert.ok(r.verdict.kind === 'error', r.verdict.summary);
    assert.match(r.verdict.message, /verify-check: probe broke/);
    assert.match(r.verdict.summary, /findings: verify-2-check/);
  });

  it('a steady-state check that could not be evaluated is an error, and the fault is not injected', async () => {
    const r = await run({ steadyCheck: 'error' });
    assert.ok(r.verdict.kind === 'error' && r.verdict.phase === 'steady-state-before', r.verdict.summary);
    assert.ok(!r.calls.some((c) => c.startsWith('inject')));
  });

  it('a preflight check that could not be evaluated stays a PREFLIGHT error before anything is touched', async () => {
    const r = await run({ preflightCheck: 'error' });
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'PREFLIGHT' && /preflight-check: probe broke/.test(r.verdict.message), r.verdict.summary);
    assert.deepEqual(r.calls, ['preflight-check']);
  });

  it('an abort beats a run that recorded no check', async () => {
    const controller = new AbortController();
    const r = await run({ steadyCheck: 'none', verifyCheck: 'none', injectHangsMs: 60_000, onInject: () => void setTimeout(() => controller.abort(new AbortedError('SIGINT')), 20) }, { signal: controller.signal });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGINT', r.verdict.summary);
  });

  it('SIGINT during inject aborts the step, rolls back everything registered, and maps to exit 130', async () => {
    const controller = new AbortController();
    const r = await run({ injectHangsMs: 60_000, onInject: () => void setTimeout(() => controller.abort(new AbortedError('SIGINT')), 20) }, { signal: controller.signal });
    assert.equal(r.verdict.kind, 'aborted');
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGINT' && r.verdict.phase === 'inject');
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.ok(!r.calls.includes('verify-check'));
    assert.equal(exitCodeFor([r.verdict]), 130);
  });

  it('waits for an interrupted step\'s in-flight change to land before rolling back, so the undo comes after it', async () => {
    const controller = new AbortController();
    const r = await run({ injectLateChangeMs: 300, onInject: () => void setTimeout(() => controller.abort(new AbortedError('SIGINT')), 20) }, { signal: controller.signal });
    assert.equal(r.verdict.kind, 'aborted');
    const late = r.calls.indexOf('inject:late-change');
    assert.ok(late >= 0, 'the in-flight change landed');
    assert.ok(late < r.calls.indexOf('rollback:undo-c'), `rollback ran before the in-flight change landed: ${r.calls.join(', ')}`);
  });

  it('SIGTERM maps to exit 143 after rollback', async () => {
    const controller = new AbortController();
    const r = await run({ injectHangsMs: 60_000, onInject: () => void setTimeout(() => controller.abort(new AbortedError('SIGTERM')), 20) }, { signal: controller.signal });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGTERM');
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 143);
  });

  it('the run deadline aborts a hung step and rollback still runs (exit 3)', async () => {
    const r = await run({ injectHangsMs: 60_000 }, { timeoutMs: 150 });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'deadline');
    assert.deepEqual(r.calls.slice(-4), ROLLBACK_AND_CLEANUP);
    assert.equal(exitCodeFor([r.verdict]), 3);
  });

  it('a failing rollback is reported as a REVERT error, and the other rollbacks still run', async () => {
    const r = await run({ failingRollback: true });
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'REVERT');
    assert.match(r.verdict.summary, /undo-b: API said no/);
    assert.deepEqual(r.calls.slice(-3), ['rollback:undo-c', 'rollback:undo-a', 'cleanup:remove-fixture']);
    const failed = r.journal.rollbacks.filter((x) => x.status === 'failed');
    assert.deepEqual(failed.map((x) => x.name), ['undo-b']);
  });

  it('writes journal.json while the run goes, so a crash leaves a readable partial journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shakedown-journal-'));
    try {
      let seen: { status: string; phases: { phase: string }[] } | undefined;
      const r = await run(
        {
          onInject: () => {
            seen = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as typeof seen;
          },
        },
        { journalDir: dir },
      );
      assert.equal(seen?.status, 'running');
      assert.ok(seen?.phases.some((p) => p.phase === 'inject'));
      assert.equal(r.verdict.kind, 'passed');
      const final = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as { status: string; verdict: { kind: string } };
      assert.equal(final.status, 'completed');
      assert.equal(final.verdict.kind, 'passed');
      assert.ok(!existsSync(join(dir, 'journal.json.tmp')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
