// The engine's records, beyond the phase order (runner.test.ts): ctx.change journals each change
// before it is made and marks it undone or undo-failed, observers start and stop around the
// method, teardown steps that fail are REVERT errors, error codes by phase and source, and what
// the journal and the progress sink are told. Experiments here are in-memory steps only.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { AbortedError, RunError } from '../../../harness/engine/errors.ts';
import { defineExperiment, step, type Observer, type Step } from '../../../harness/engine/experiment.ts';
import { silentProgress, type ProgressSink } from '../../../harness/engine/progress.ts';
import { raceAbort, runExperiment } from '../../../harness/engine/runner.ts';
import type { ChangeRecord } from '../../../harness/journal/schema.ts';

type S = Step<{ n: number }, unknown>;
const ok = (name: string, calls: string[]): S => step('action', name, `${name} (described)`, () => (calls.push(name), Promise.resolve()));
const held = (name: string, passed: boolean | 'error' = true): S =>
  step('check', name, name, (ctx) => {
    ctx.record.check({ name, expected: 'e', observed: 'o', passed });
    return Promise.resolve();
  });

function experiment(parts: { preflight?: S[]; setup?: S[]; steady?: S[]; method?: S[]; verify?: S[]; teardown?: S[]; observe?: Observer<{ n: number }, unknown>[] }) {
  return defineExperiment({
    name: 'details',
    description: 'engine records',
    hypothesis: 'records are kept',
    params: z.strictObject({ n: z.number().default(1) }),
    initialState: () => ({}),
    preflight: parts.preflight ?? [],
    ...(parts.setup ? { setup: parts.setup } : {}),
    steadyState: parts.steady ?? [],
    method: parts.method ?? [],
    verify: parts.verify ?? [held('verify-check')],
    ...(parts.teardown ? { teardown: parts.teardown } : {}),
    ...(parts.observe ? { observe: parts.observe } : {}),
  });
}

function progressLog() {
  const log: string[] = [];
  const sink: ProgressSink = {
    ...silentProgress,
    runStarted: (i) => log.push(`run:${i.experiment}:${i.runId}`),
    phaseStarted: (p) => log.push(`phase:${p}`),
    phaseEnded: (p, s) => log.push(`end:${p}:${s}`),
    stepStarted: (p, s) => log.push(`step:${p}:${s.name}`),
    stepEnded: (p, s) => log.push(`done:${p}:${s.name}:${s.status}`),
    message: (t) => log.push(`msg:${t}`),
    check: (c) => log.push(`check:${c.name}:${c.status}`),
    rollback: (r) => log.push(`undo:${r.name}:${r.status}`),
    runEnded: (i) => log.push(`verdict:${i.verdict.kind}`),
  };
  return { log, sink };
}

const run = (def: ReturnType<typeof experiment>, extra: Partial<Parameters<typeof runExperiment>[2]> = {}) =>
  runExperiment(def, { n: 1 }, { runId: 'rdetail001', timeoutMs: 10_000, undoTimeoutMs: 2_000, ...extra });

describe('engine: changes, observers, teardown and records', () => {
  it('journals a change before it is made, tells onChanges, and marks it undone after the rollback', async () => {
    const mirrored: string[] = [];
    let statusWhenMade: string | undefined;
    const def = experiment({
      method: [
        step('fault', 'scale', 'scale down', async (ctx) => {
          const rec = await ctx.change('scale web to 0', { kind: 'replicas', workload: 'Deployment', namespace: 'ns', name: 'web', replicas: 3 }, () => Promise.resolve());
          statusWhenMade = rec.status;
          assert.equal(rec.id, 1);
          const second = await ctx.change('second', { kind: 'custom', type: 't/x', module: 'file:///m.ts', data: {} }, () => Promise.reject(new Error('undo broke')));
          assert.equal(second.id, 2);
        }),
      ],
    });
    const r = await run(def, { onChanges: (c: readonly ChangeRecord[]) => void mirrored.push(c.map((x) => `${x.id}:${x.status}`).join(',')) });
    assert.equal(statusWhenMade, 'applied');
    assert.deepEqual(r.journal.changes.map((c) => [c.id, c.description, c.status]), [[1, 'scale web to 0', 'undone'], [2, 'second', 'undo-failed']]);
    // Before each change, then after each undo (newest first).
    assert.deepEqual(mirrored, ['1:applied', '1:applied,2:applied', '1:applied,2:undo-failed', '1:undone,2:undo-failed']);
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'REVERT' && r.verdict.message === 'rollback failed: second: undo broke', r.verdict.summary);
    assert.deepEqual(r.journal.rollbacks.map((x) => [x.name, x.status]), [['second', 'failed'], ['scale web to 0', 'ok']]);
  });

  it('a failing onChanges after an undo does not fail the rollback', async () => {
    let calls = 0;
    const def = experiment({ method: [step('fault', 'f', 'f', async (ctx) => void (await ctx.change('c', { kind: 'custom', type: 't/x', module: 'file:///m.ts', data: {} }, () => Promise.resolve())))] });
    const r = await run(def, { onChanges: () => (++calls > 1 ? Promise.reject(new Error('lease gone')) : undefined) });
    assert.equal(calls, 2);
    assert.equal(r.verdict.kind, 'passed');
    assert.equal(r.journal.changes[0]!.status, 'undone');
  });

  it('observers start before the method and stop, newest first, before the rollback; a failing stop is journaled', async () => {
    const calls: string[] = [];
    const observer = (name: string, failStop = false): Observer<{ n: number }, unknown> => ({
      name,
      describe: () => name,
      start: (ctx) => {
        calls.push(`start:${name}`);
        ctx.rollback(`undo-${name}`, () => void calls.push(`rollback:${name}`));
        return Promise.resolve(() => (calls.push(`stop:${name}`), failStop ? Promise.reject(new Error('watch broke')) : Promise.resolve()));
      },
    });
    const r = await run(experiment({ observe: [observer('a'), observer('b', true)], method: [ok('fault', calls)] }));
    assert.deepEqual(calls, ['start:a', 'start:b', 'fault', 'stop:b', 'stop:a', 'rollback:b', 'rollback:a']);
    const ev = r.journal.events.find((e) => e.type === 'observer-stop-failed');
    assert.equal(ev?.message, 'b: watch broke');
    assert.equal(r.verdict.kind, 'passed');
  });

  it('an observer that cannot start is an INJECT error: the method is not run, verify neither', async () => {
    const calls: string[] = [];
    const broken: Observer<{ n: number }, unknown> = { name: 'w', describe: () => 'w', start: () => Promise.reject(new Error('cannot watch')) };
    const r = await run(experiment({ observe: [broken], method: [ok('fault', calls)], verify: [ok('verify', calls)] }));
    assert.deepEqual(calls, []);
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'INJECT' && r.verdict.phase === 'inject' && r.verdict.message === 'cannot watch', r.verdict.summary);
    assert.equal(r.journal.phases.find((p) => p.phase === 'inject')?.status, 'error');
  });

  it('a teardown step that fails is a REVERT error in teardown; the steps after it and registered teardowns still run', async () => {
    const calls: string[] = [];
    const def = experiment({
      setup: [step('fixture', 'deploy', 'deploy', (ctx) => (ctx.teardown('remove', () => void calls.push('remove')), Promise.resolve()))],
      teardown: [step('action', 'delete-ns', 'delete ns', () => Promise.reject(new Error('ns stuck'))), ok('after', calls)],
    });
    const r = await run(def);
    assert.deepEqual(calls, ['after', 'remove']);
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'REVERT' && r.verdict.phase === 'teardown', r.verdict.summary);
    assert.equal(r.verdict.message, 'ns stuck');
    assert.equal(r.journal.phases.at(-1)?.phase, 'teardown');
    assert.equal(r.journal.phases.at(-1)?.status, 'error');
    assert.deepEqual(r.journal.teardowns.map((t) => [t.name, t.status]), [['remove', 'ok']]);
  });

  it('a failing registered teardown makes the teardown phase an error', async () => {
    const def = experiment({ setup: [step('fixture', 'deploy', 'deploy', (ctx) => (ctx.teardown('remove', () => Promise.reject(new Error('gone wrong'))), Promise.resolve()))] });
    const r = await run(def);
    assert.equal(r.journal.phases.at(-1)?.status, 'error');
    assert.ok(r.verdict.kind === 'error' && r.verdict.message === 'rollback failed: remove: gone wrong');
  });

  it('an error names its code: the error\'s own, API for a Kubernetes API error, else the phase\'s', async () => {
    const throwing = (err: Error): S => step('action', 'boom', 'boom', () => Promise.reject(err));
    const api = Object.assign(new Error('HTTP 403'), { code: 403, body: '{}' });
    const cases: [Parameters<typeof experiment>[0], string, string][] = [
      [{ setup: [throwing(new Error('x'))] }, 'setup', 'SETUP'],
      [{ steady: [throwing(new Error('x'))] }, 'steady-state-before', 'OBSERVE'],
      [{ method: [throwing(new Error('x'))] }, 'inject', 'INJECT'],
      [{ verify: [throwing(new Error('x'))] }, 'verify', 'OBSERVE'],
      [{ preflight: [throwing(new Error('x'))] }, 'preflight', 'PREFLIGHT'],
      [{ method: [throwing(api)] }, 'inject', 'API'],
      [{ method: [throwing(Object.assign(new Error('no body'), { code: 403 }))] }, 'inject', 'INJECT'],
      [{ method: [throwing(Object.assign(new Error('text code'), { code: 'E', body: '' }))] }, 'inject', 'INJECT'],
      [{ setup: [throwing(new RunError('TARGET_SELECTION', 'no pod'))] }, 'setup', 'TARGET_SELECTION'],
    ];
    for (const [parts, phase, code] of cases) {
      const r = await run(experiment(parts));
      assert.ok(r.verdict.kind === 'error', r.verdict.summary);
      assert.deepEqual([r.verdict.phase, r.verdict.code], [phase, code], r.verdict.summary);
    }
  });

  it('the first error wins: a later error in the same run stays in its step record only', async () => {
    const def = experiment({
      method: [step('action', 'first', 'first', () => Promise.reject(new Error('first broke')))],
      teardown: [step('action', 'second', 'second', () => Promise.reject(new RunError('REVERT', 'second broke')))],
    });
    const r = await run(def);
    assert.ok(r.verdict.kind === 'error' && r.verdict.message === 'first broke', r.verdict.summary);
    assert.equal(r.journal.phases.at(-1)?.steps[0]?.message, 'second broke');
  });

  it('records each step and phase with its status, and tells the progress sink in order', async () => {
    const calls: string[] = [];
    const { log, sink } = progressLog();
    const def = experiment({ steady: [held('steady')], method: [ok('fault', calls)], verify: [held('held'), held('deviated', false), ok('after', calls)] });
    const r = await run(def, { progress: sink });
    assert.equal(r.verdict.kind, 'failed');
    const verify = r.journal.phases.find((p) => p.phase === 'verify');
    assert.deepEqual(verify?.steps.map((s) => [s.name, s.kind, s.status, s.description]), [['held', 'check', 'ok', 'held'], ['deviated', 'check', 'failed', 'deviated'], ['after', 'action', 'ok', 'after (described)']]);
    assert.equal(verify?.status, 'failed');
    assert.ok(verify?.steps.every((s) => s.endedAt !== undefined));
    assert.deepEqual(r.journal.checks.map((c) => [c.name, c.phase]), [['steady', 'steady-state-before'], ['held', 'verify'], ['deviated', 'verify']]);
    assert.deepEqual(log, [
      'run:details:rdetail001',
      'phase:steady-state-before', 'step:steady-state-before:steady', 'check:steady:passed', 'done:steady-state-before:steady:ok', 'end:steady-state-before:ok',
      'phase:inject', 'step:inject:fault', 'done:inject:fault:ok', 'end:inject:ok',
      'phase:verify', 'step:verify:held', 'check:held:passed', 'done:verify:held:ok', 'step:verify:deviated', 'check:deviated:failed', 'done:verify:deviated:failed', 'step:verify:after', 'done:verify:after:ok', 'end:verify:failed',
      'verdict:failed',
    ]);
    assert.equal(r.journal.status, 'completed');
    assert.equal(r.journal.runId, 'rdetail001');
    assert.deepEqual(r.journal.experiment, { name: 'details', description: 'engine records' });
    assert.deepEqual(r.journal.parameters, { n: 1 });
    assert.ok(r.journal.endedAt !== undefined && r.journal.endedAt >= r.journal.startedAt);
    assert.equal(r.journal.environment.node, process.version);
    assert.equal(r.journal.environment.platform, `${process.platform}/${process.arch}`);
    assert.equal(r.journalPath, undefined);
  });

  it('a steady state not met skips the fault with a message; rollback and teardown say what they undo', async () => {
    const { log, sink } = progressLog();
    const calls: string[] = [];
    const def = experiment({
      setup: [step('fixture', 'deploy', 'deploy', (ctx) => (ctx.teardown('remove', () => {}), ctx.rollback('undo', () => {}), Promise.resolve()))],
      steady: [held('steady', false)],
      method: [ok('fault', calls)],
    });
    const r = await run(def, { progress: sink });
    assert.equal(r.verdict.kind, 'failed');
    assert.deepEqual(calls, []);
    assert.ok(log.includes('msg:steady state not met before injection; skipping the fault'));
    assert.ok(log.includes('msg:rolling back: undo'));
    assert.ok(log.includes('msg:tearing down: remove'));
    assert.ok(log.includes('undo:undo:ok') && log.includes('undo:remove:ok'));
    assert.ok(!r.journal.phases.some((p) => p.phase === 'inject' || p.phase === 'verify'));
  });

  it('a step that ignores the abort for longer than the settle bound is journaled and the rollback goes on', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const def = experiment({
      method: [
        step('fault', 'stuck', 'stuck', (ctx) => {
          ctx.rollback('undo', () => void calls.push('undo'));
          setTimeout(() => controller.abort(new AbortedError('SIGTERM')), 10);
          return new Promise(() => {});
        }),
      ],
    });
    const r = await run(def, { signal: controller.signal, undoTimeoutMs: 100 });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGTERM');
    assert.equal(r.journal.events.find((e) => e.type === 'step-still-running')?.message, 'the interrupted step did not stop within 0.1s; rolling back anyway');
    assert.deepEqual(calls, ['undo']);
  });

  it('a signal already fired before the run aborts in preflight, with its own reason, and no fault is injected', async () => {
    const calls: string[] = [];
    const r = await run(experiment({ preflight: [ok('pre', calls)], method: [ok('fault', calls)] }), { signal: AbortSignal.abort(new AbortedError('SIGHUP')) });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGHUP' && r.verdict.phase === 'preflight', r.verdict.summary);
    assert.deepEqual(calls, [], 'not even the preflight step starts');
    assert.ok(!r.journal.phases.some((p) => p.phase === 'inject'));
  });

  it('a signal that fires between phases (as the steady-state observers stop) stops the run before the fault step starts', async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    const stopsWithSignal: Observer<{ n: number }, unknown> = {
      name: 'steady-watch',
      describe: () => 'steady-watch',
      during: 'steady',
      start: () => Promise.resolve(() => (controller.abort(new AbortedError('SIGTERM')), Promise.resolve())),
    };
    const r = await run(experiment({ steady: [ok('steady', calls)], observe: [stopsWithSignal], method: [ok('fault', calls)] }), { signal: controller.signal });
    assert.ok(r.verdict.kind === 'aborted' && r.verdict.reason === 'SIGTERM', r.verdict.summary);
    assert.deepEqual(calls, ['steady'], 'the fault step never started');
  });
});

describe('engine: raceAbort', () => {
  it('resolves with the work\'s result while the signal is quiet', async () => {
    assert.equal(await raceAbort(new AbortController().signal, () => Promise.resolve(7)), 7);
  });

  it('rejects at once with the AbortedError of a fired signal, without starting the work; a timeout is the deadline', async () => {
    let started = false;
    await assert.rejects(raceAbort(AbortSignal.abort(new AbortedError('SIGTERM')), () => ((started = true), Promise.resolve(1))), (e: unknown) => e instanceof AbortedError && e.reason === 'SIGTERM');
    assert.equal(started, false);
    await assert.rejects(raceAbort(AbortSignal.abort(new Error('other')), () => Promise.resolve(1)), (e: unknown) => e instanceof AbortedError && e.reason === 'deadline');
  });

  it('rejects when the signal fires during the work, and stops listening once the work is settled', async () => {
    const c = new AbortController();
    const pending = raceAbort(c.signal, () => new Promise<number>(() => {}));
    c.abort(new AbortedError('SIGINT'));
    await assert.rejects(pending, (e: unknown) => e instanceof AbortedError && e.reason === 'SIGINT');
    const quiet = new AbortController();
    let listeners = 0;
    const add = quiet.signal.addEventListener.bind(quiet.signal);
    const remove = quiet.signal.removeEventListener.bind(quiet.signal);
    quiet.signal.addEventListener = (...a: Parameters<typeof add>) => (listeners++, add(...a));
    quiet.signal.removeEventListener = (...a: Parameters<typeof remove>) => (listeners--, remove(...a));
    assert.equal(await raceAbort(quiet.signal, () => Promise.resolve('done')), 'done');
    assert.equal(listeners, 0);
  });
});
