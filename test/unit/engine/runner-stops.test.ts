// Where the engine stops and what it says: a phase stops at its first error or abort (the steps
// after it are neither run nor recorded), a failed preflight names only the checks that failed,
// teardown steps that hold leave the verdict alone, and one that records a failed check makes the
// run a REVERT error naming it.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { AbortedError } from '../../../harness/engine/errors.ts';
import { defineExperiment, step, type Step } from '../../../harness/engine/experiment.ts';
import { runExperiment } from '../../../harness/engine/runner.ts';

type S = Step<{ n: number }, unknown>;
const ok = (name: string, calls: string[]): S => step('action', name, name, () => (calls.push(name), Promise.resolve()));
const held = (name: string, passed: boolean): S => step('check', name, name, (ctx) => (ctx.record.check({ name, expected: 'e', observed: `seen by ${name}`, passed }), Promise.resolve()));
const experiment = (parts: { preflight?: S[]; setup?: S[]; method?: S[]; teardown?: S[] }) =>
  defineExperiment({
    name: 'stops',
    description: 'where the engine stops',
    hypothesis: 'it stops at the first error',
    params: z.strictObject({ n: z.number().default(1) }),
    initialState: () => ({}),
    preflight: parts.preflight ?? [],
    ...(parts.setup ? { setup: parts.setup } : {}),
    steadyState: [],
    method: parts.method ?? [],
    verify: [held('verify-check', true)],
    ...(parts.teardown ? { teardown: parts.teardown } : {}),
  });
const run = (def: ReturnType<typeof experiment>, signal?: AbortSignal) => runExperiment(def, { n: 1 }, { runId: 'rstops0001', timeoutMs: 10_000, undoTimeoutMs: 1_000, signal });

describe('engine: where a run stops and what it says', () => {
  it('a failed preflight names the failed checks only', async () => {
    const r = await run(experiment({ preflight: [held('pre-a', true), held('pre-b', false), held('pre-c', false)] }));
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'PREFLIGHT', r.verdict.summary);
    assert.equal(r.verdict.message, 'pre-b: seen by pre-b; pre-c: seen by pre-c');
  });

  it('a step that throws ends its phase: the steps after it are neither run nor recorded', async () => {
    const calls: string[] = [];
    const r = await run(experiment({ setup: [step('action', 'breaks', 'breaks', () => Promise.reject(new Error('no quota'))), ok('after', calls)] }));
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'SETUP' && r.verdict.message === 'no quota', r.verdict.summary);
    assert.deepEqual(calls, []);
    assert.deepEqual(r.journal.phases.find((p) => p.phase === 'setup')?.steps.map((s) => [s.name, s.status]), [['breaks', 'error']]);
  });

  it('an abort during a step ends its phase: the steps after it are not recorded', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const stuck: S = step('fault', 'stuck', 'stuck', () => {
      controller.abort(new AbortedError('SIGINT'));
      return new Promise<void>(() => {});
    });
    const r = await run(experiment({ method: [stuck, ok('after', calls)] }), controller.signal);
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGINT', r.verdict.summary);
    assert.deepEqual(r.journal.phases.find((p) => p.phase === 'inject')?.steps.map((s) => [s.name, s.status]), [['stuck', 'aborted']]);
    assert.deepEqual(calls, []);
  });

  it('teardown steps that hold leave a pass a pass; one that records a failed check is a REVERT error naming it', async () => {
    const calls: string[] = [];
    const passed = await run(experiment({ teardown: [ok('remove-a', calls), ok('remove-b', calls)] }));
    assert.equal(passed.verdict.kind, 'passed', passed.verdict.summary);
    assert.deepEqual(calls, ['remove-a', 'remove-b']);
    const r = await run(experiment({ teardown: [held('namespace-gone', false)] }));
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'REVERT', r.verdict.summary);
    assert.equal(r.verdict.message, 'rollback failed: namespace-gone: failed');
  });
});
