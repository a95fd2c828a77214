// What a step receives and what a live view is told: ctx.deadline is the run's own, ctx.progress
// reaches the progress sink, a change is on disk before ctx.change returns, and a watcher gets the
// journal at once and hears of every change. In-memory steps only; the journal goes to a temp dir.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineExperiment, step, type Step } from '../../../harness/engine/experiment.ts';
import { silentProgress } from '../../../harness/engine/progress.ts';
import { runExperiment } from '../../../harness/engine/runner.ts';
import type { Journal } from '../../../harness/journal/schema.ts';

type S = Step<{ n: number }, unknown>;
const def = (method: S[]) =>
  defineExperiment({
    name: 'context',
    description: 'what a step receives',
    hypothesis: 'the context is the run\'s',
    params: z.strictObject({ n: z.number().default(1) }),
    initialState: () => ({}),
    preflight: [],
    steadyState: [],
    method,
    verify: [step('check', 'held', 'held', (ctx) => (ctx.record.check({ name: 'held', expected: 'e', observed: 'o', passed: true }), Promise.resolve()))],
  });

describe('engine: the step context and the live view', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakedown-runner-ctx-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ctx.deadline is the run timeout from its start, and ctx.progress reaches the progress sink', async () => {
    const messages: string[] = [];
    let deadline = 0;
    const t0 = Date.now();
    const r = await runExperiment(def([step('action', 'look', 'look', (ctx) => ((deadline = ctx.deadline), ctx.progress('halfway'), Promise.resolve()))]), { n: 1 }, {
      runId: 'ctxdeadline1', timeoutMs: 60_000, undoTimeoutMs: 1000, progress: { ...silentProgress, message: (t) => messages.push(t) },
    });
    assert.equal(r.verdict.kind, 'passed');
    assert.ok(deadline >= t0 + 60_000 && deadline <= Date.now() + 60_000, `deadline ${deadline - t0} ms after the start`);
    assert.deepEqual(messages, ['halfway']);
  });

  it('a change is in the journal on disk before ctx.change returns, and the watcher hears of it', async () => {
    let onDisk: Journal['changes'] | undefined;
    let started: Readonly<Journal> | undefined;
    let changed = 0;
    let changedBeforeChange = 0;
    const change: S = step('fault', 'scale', 'scale', async (ctx) => {
      changedBeforeChange = changed;
      await ctx.change('scale web to 0', { kind: 'replicas', workload: 'Deployment', namespace: 'ns', name: 'web', replicas: 3 }, () => Promise.resolve());
      onDisk = (JSON.parse(await readFile(join(dir, 'journal.json'), 'utf8')) as Journal).changes;
    });
    const r = await runExperiment(def([change]), { n: 1 }, {
      runId: 'ctxchange01', timeoutMs: 60_000, undoTimeoutMs: 1000, journalDir: dir,
      watch: { started: (j) => void (started = j), changed: () => void changed++ },
    });
    assert.equal(r.verdict.kind, 'passed');
    assert.equal(started, r.journal, 'the watcher is given the run\'s journal');
    assert.deepEqual(onDisk?.map((c) => [c.id, c.description, c.status]), [[1, 'scale web to 0', 'applied']]);
    assert.ok(changed > changedBeforeChange, 'the watcher heard of the change');
    assert.equal(r.journal.changes[0]?.status, 'undone');
  });
});
