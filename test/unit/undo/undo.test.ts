// The undo machinery's own logic, offline: the engine's undo stack (order, bounds, failures kept),
// undoing a run's journaled changes (order, skips, refusals, failures), the registry of users'
// undo kinds, and undoChange's dispatch for a registered kind. What reaches the API server is the
// integration tier's (test/integration/fault-primitives, crash-cleanup, custom-undo).
import assert from 'node:assert/strict';
import { AbortedError } from '../../../harness/engine/errors.ts';
import { UndoStack } from '../../../harness/engine/undo.ts';
import type { ChangeRecord, UndoRecord, UndoSpec } from '../../../harness/journal/schema.ts';
import type { ClusterSession } from '../../../harness/cluster/session.ts';
import { undoChanges } from '../../../harness/undo/changes.ts';
import { describeUndo, undoChange } from '../../../harness/undo/execute.ts';
import { defineUndo, undoKindOf } from '../../../harness/undo/registry.ts';

const MODULE = 'file:///work/undo-kinds.ts';
// A session nothing may touch: a registered kind's undo receives it, the tests' kinds ignore it.
const session = {} as ClusterSession;
const custom = (type: string, data: Record<string, unknown> = {}): UndoSpec => ({ kind: 'custom', type, module: MODULE, data });
const change = (id: number, undo: UndoSpec, status: ChangeRecord['status'] = 'applied'): ChangeRecord => ({ id, at: '2026-01-01T00:00:00.000Z', description: `change ${id}`, undo, status });

const undone: string[] = [];
defineUndo<{ key: string }>(MODULE, 'unit-test/record', (_c, data) => {
  undone.push(data.key);
  return Promise.resolve(data.key === 'unchanged' ? { result: 'unchanged', detail: `${data.key} was as before` } : undefined);
});
defineUndo(MODULE, 'unit-test/refuses', () => Promise.reject(Object.assign(new Error('raw'), { code: 409, body: JSON.stringify({ message: 'the object has been modified' }) })));
defineUndo(MODULE, 'unit-test/run-id', (_c, _d, { runId }) => Promise.resolve({ result: 'done', detail: `undone for ${runId}` }));
defineUndo(MODULE, 'unit-test/slow', (_c, _d, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true })));

describe('undo: the engine undo stack', () => {
  it('runs actions in reverse order of registration, every one even after a failure, and records each', async () => {
    const stack = new UndoStack();
    const ran: string[] = [];
    stack.push('a', () => void ran.push('a'));
    stack.push('b', () => Promise.reject(new Error('API said no', { cause: new Error('conflict') })));
    stack.push('c', () => void ran.push('c'));
    assert.equal(stack.size, 3);
    const recorded: UndoRecord[] = [];
    const started: string[] = [];
    const done = await stack.unwind((r) => recorded.push(r), 1000, (n) => started.push(n));
    assert.deepEqual(ran, ['c', 'a']);
    assert.deepEqual(started, ['c', 'b', 'a']);
    assert.deepEqual(done.map((r) => [r.name, r.status, r.error]), [['c', 'ok', undefined], ['b', 'failed', 'API said no: conflict'], ['a', 'ok', undefined]]);
    assert.deepEqual(recorded, done);
    assert.ok(done.every((r) => r.endedAt !== undefined && r.endedAt >= r.startedAt));
    assert.equal(stack.size, 0);
    assert.deepEqual(await stack.unwind(() => assert.fail('nothing left to record'), 1000), []);
  });

  it('bounds each action: one that outlives its bound fails with the bound named, and its signal fires', async () => {
    const stack = new UndoStack();
    let seen: AbortSignal | undefined;
    stack.push('hangs', (signal) => {
      seen = signal;
      return new Promise(() => {});
    }, { timeoutMs: 50 });
    stack.push('quick', () => {});
    const done = await stack.unwind(() => {}, 60_000);
    assert.deepEqual(done.map((r) => r.status), ['ok', 'failed']);
    assert.equal(done[1]!.error, '"hangs" did not finish within 0 s');
    assert.ok(seen?.aborted);
  });

  it('sums each action\'s bound, or the default where none is given', () => {
    const stack = new UndoStack();
    assert.equal(stack.totalBoundMs(7), 0);
    stack.push('a', () => {}, { timeoutMs: 100 });
    stack.push('b', () => {});
    stack.push('c', () => {});
    assert.equal(stack.totalBoundMs(7), 114);
  });
});

describe('undo: a run\'s journaled changes', () => {
  beforeEach(() => undone.splice(0));

  it('undoes the newest change first, skips what the rollback undid, and reports each result as it goes', async () => {
    const changes = [change(1, custom('unit-test/record', { key: 'first' })), change(3, custom('unit-test/record', { key: 'third' })), change(2, custom('unit-test/record', { key: 'second' }), 'undone')];
    const told: string[] = [];
    const results = await undoChanges(session, changes, { runId: 'r1', onResult: (r) => told.push(`${r.change.id}:${r.status}`) });
    assert.deepEqual(undone, ['third', 'first']);
    assert.deepEqual(told, ['3:ok', '2:skipped', '1:ok']);
    assert.deepEqual(results.map((r) => [r.change.id, r.status, r.outcome?.result]), [[3, 'ok', 'done'], [2, 'skipped', undefined], [1, 'ok', 'done']]);
    assert.equal(results[0]!.outcome?.detail, 'unit-test/record undone');
  });

  it('a refused change is a failure with the refusal as its error, and is not undone; the others still are', async () => {
    const changes = [change(1, custom('unit-test/record', { key: 'kept' })), change(2, custom('unit-test/record', { key: 'refused' }))];
    const results = await undoChanges(session, changes, { runId: 'r1', refuse: (c) => (c.id === 2 ? 'another run holds it' : undefined) });
    assert.deepEqual(undone, ['kept']);
    assert.deepEqual(results.map((r) => [r.change.id, r.status, r.error]), [[2, 'failed', 'another run holds it'], [1, 'ok', undefined]]);
  });

  it('an undone change is skipped without asking whether to refuse it', async () => {
    const results = await undoChanges(session, [change(1, custom('unit-test/record'), 'undone')], { runId: 'r1', refuse: () => assert.fail('refuse asked about an undone change') });
    assert.deepEqual(results.map((r) => r.status), ['skipped']);
  });

  it('an undo that throws is a failure naming the undo and the API\'s own message; the next change is still undone', async () => {
    const changes = [change(1, custom('unit-test/record', { key: 'after' })), change(2, custom('unit-test/refuses'))];
    const results = await undoChanges(session, changes, { runId: 'r1' });
    assert.deepEqual(results.map((r) => r.status), ['failed', 'ok']);
    assert.equal(results[0]!.error, `undo unit-test/refuses (registered by ${MODULE}): HTTP 409: the object has been modified`);
    assert.deepEqual(undone, ['after']);
  });
});

describe('undo: one change, from its data', () => {
  beforeEach(() => undone.splice(0));

  it('a registered kind\'s undo gets its data and run id; what it returns is the outcome', async () => {
    assert.deepEqual(await undoChange(session, custom('unit-test/record', { key: 'unchanged' }), { runId: 'r1' }), { result: 'unchanged', detail: 'unchanged was as before' });
    assert.deepEqual(undone, ['unchanged']);
    assert.deepEqual(await undoChange(session, custom('unit-test/run-id'), { runId: 'r42' }), { result: 'done', detail: 'undone for r42' });
  });

  it('a kind whose module was not loaded is an error naming the kind and the module', async () => {
    await assert.rejects(undoChange(session, custom('unit-test/unknown'), { runId: 'r1' }), { message: `undo kind unit-test/unknown is not registered: its module ${MODULE} was not loaded` });
  });

  it('an undo already aborted by the run\'s signal does nothing and carries the abort\'s reason', async () => {
    const signal = AbortSignal.abort(new AbortedError('SIGTERM'));
    await assert.rejects(undoChange(session, custom('unit-test/record', { key: 'x' }), { runId: 'r1', signal }), (err: unknown) => err instanceof AbortedError && err.reason === 'SIGTERM');
    const other = AbortSignal.abort(new Error('not ours'));
    await assert.rejects(undoChange(session, custom('unit-test/record', { key: 'x' }), { runId: 'r1', signal: other }), (err: unknown) => err instanceof AbortedError && err.reason === 'SIGINT');
    assert.deepEqual(undone, []);
  });

  it('an undo that outlives its bound is an error naming the undo and the bound', async () => {
    await assert.rejects(undoChange(session, custom('unit-test/slow'), { runId: 'r1', timeoutMs: 30 }), { message: `undo unit-test/slow (registered by ${MODULE}): did not finish within 0 s` });
  });

  it('describes every kind of undo in one line', () => {
    assert.equal(describeUndo({ kind: 'replicas', workload: 'StatefulSet', namespace: 'ns', name: 'web', replicas: 3 }), 'set StatefulSet/ns/web back to 3 replica(s)');
    assert.equal(describeUndo({ kind: 'object', apiVersion: 'v1', objectKind: 'ConfigMap', namespace: 'ns', name: 'cm', before: null }), 'delete ConfigMap/ns/cm (it did not exist before)');
    assert.equal(describeUndo({ kind: 'object', apiVersion: 'v1', objectKind: 'Namespace', name: 'ns', before: {} }), 'restore Namespace/ns as recorded');
    assert.equal(describeUndo({ kind: 'file', namespace: 'ns', pod: 'web-0', container: 'web', path: '/data/t' }), 'remove /data/t in Pod/ns/web-0 (container web)');
    assert.equal(describeUndo({ kind: 'process', namespace: 'ns', pod: 'web-0', container: 'web', commandLine: 'timeout 60 sha256sum /dev/zero' }), 'kill "timeout 60 sha256sum /dev/zero" in Pod/ns/web-0 (container web)');
  });
});

describe('undo: the registry of users\' undo kinds', () => {
  it('finds a registered kind by name, and nothing under an unknown one', () => {
    const kind = undoKindOf('unit-test/record');
    assert.equal(kind?.module, MODULE);
    assert.equal(kind?.type, 'unit-test/record');
    assert.equal(undoKindOf('unit-test/never'), undefined);
  });

  it('registering the same kind again from the same module is allowed; from another module it is refused, naming both', () => {
    const again = defineUndo(MODULE, 'unit-test/record', () => Promise.resolve());
    assert.equal(undoKindOf('unit-test/record'), again);
    assert.throws(() => defineUndo('file:///elsewhere.ts', 'unit-test/record', () => Promise.resolve()), { message: `undo kind unit-test/record is registered twice: by ${MODULE} and by file:///elsewhere.ts` });
    // Put back the recording undo the other tests use.
    defineUndo<{ key: string }>(MODULE, 'unit-test/record', (_c, data) => {
      undone.push(data.key);
      return Promise.resolve(data.key === 'unchanged' ? { result: 'unchanged', detail: `${data.key} was as before` } : undefined);
    });
  });

  it('refuses a kind not named like team/kind, and a module that is not a file URL', () => {
    for (const bad of ['nokind', 'Team/kind', 'team/kind/more', '-team/kind', 'team/kind-', 'team./kind', 'team/.kind', '/kind', 'team/']) {
      assert.throws(() => defineUndo(MODULE, bad, () => Promise.resolve()), { message: `undo kind "${bad}" must be named like my-team/configmap-value (lowercase, one "/")` }, bad);
    }
    for (const good of ['a/b', 'my.team-1/config-value', 'x9/y9']) assert.equal(defineUndo(MODULE, good, () => Promise.resolve()).type, good);
    assert.throws(() => defineUndo('./undo-kinds.ts', 'unit-test/rel', () => Promise.resolve()), { message: 'undo kind unit-test/rel: its module must be the defining file\'s import.meta.url (file://...), not "./undo-kinds.ts"' });
    assert.throws(() => defineUndo('https://file:///x.ts', 'unit-test/rel', () => Promise.resolve()), /its module must be/);
  });
});
