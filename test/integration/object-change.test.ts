// faults.changeObject through the public entry and the real engine: an object changed twice in one
// run is journaled once (before the first write), restored now by faults.restoreObject and left
// alone by the rollback after that; one the run creates keeps the run's labels through its second
// change, so its undo deletes it.
import './hooks.ts';
import assert from 'node:assert/strict';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { runExperiment } from '../../harness/engine/runner.ts';
import { checks, defineExperiment, faults, probes, step, z, type ClusterContext, type ObjectRef } from '../../harness/index.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { clients } from '../clients.ts';

type Ctx = ClusterContext<Record<string, never>, Record<string, never>>;

describe('faults.changeObject on the real cluster', function () {
  this.timeout(180_000);
  // Engineers sharing one cluster tell their namespaces apart by prefix.
  const ns = `${process.env['SHAKEDOWN_TEST_NS_PREFIX'] ?? 'shakedown-it'}-objchange-${Date.now().toString(36)}`;
  let session: ClusterSession;
  const settings: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' };
  const created: ObjectRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'made-by-the-run' };

  before(async function () {
    const kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    await clients(session).core.createNamespace({ body: { metadata: { name: ns } } });
    await clients(session).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels: { team: 'orders' }, annotations: { owner: 'sre' } }, data: { mode: 'PERMISSIVE' } } });
  });

  after(async () => {
    if (!session) return;
    await deleteNamespaceAndWait(clients(session).core, ns, 120_000);
  });

  /** Runs `method` as the fault, and `verify` as the check step, of an experiment through the real engine. */
  const run = (method: (ctx: Ctx) => Promise<void>, verify: (ctx: Ctx) => Promise<void>) =>
    runExperiment(
      defineExperiment({
        name: 'object-change',
        description: 'faults.changeObject under test',
        hypothesis: 'n/a',
        params: z.strictObject({}),
        initialState: () => ({}),
        preflight: [],
        steadyState: [],
        method: [step('fault', 'change', 'change the object twice', method)],
        verify: [step('check', 'restore', 'put it back now and compare', verify)],
      }),
      {},
      { runId: newRunId(), timeoutMs: 120_000, cluster: session },
    );
  const data = async (name: string) => (await clients(session).core.readNamespacedConfigMap({ name, namespace: ns })).data;

  it('journals one change for two writes; restoreObject puts the recorded copy back; the rollback finds it unchanged', async () => {
    let recorded: Record<string, unknown> | null = null;
    let afterSecond: Record<string, string> | undefined;
    const r = await run(
      async (ctx) => {
        recorded = (await probes.readObject(ctx.cluster, settings)) as Record<string, unknown> | null;
        assert.ok(recorded, 'the ConfigMap exists');
        const set = (mode: string) => ({ ...recorded, data: { mode } });
        await faults.changeObject(ctx, { ref: settings, before: recorded, desired: set('STRICT'), description: 'settings.mode → STRICT' });
        await faults.changeObject(ctx, { ref: settings, before: recorded, desired: set('DISABLE'), description: 'settings.mode → DISABLE' });
        afterSecond = await data('settings');
      },
      async (ctx) => {
        const action = await faults.restoreObject(ctx, settings);
        const diff = checks.objectDiff(recorded, await probes.readObject(ctx.cluster, settings));
        ctx.record.check({ name: 'restored', expected: 'replaced, no difference', observed: `${action}: ${diff.join('; ') || 'identical'}`, passed: action === 'replaced' && diff.length === 0 });
        assert.equal(await faults.restoreObject(ctx, created), undefined, 'an object the run did not change is not restored');
      },
    );
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.journal.checks));
    assert.deepEqual(afterSecond, { mode: 'DISABLE' }, 'the second write was made');
    assert.deepEqual(r.journal.changes.map((c) => [c.description, c.status]), [['settings.mode → STRICT', 'undone']], 'journaled once, before the first write');
    const cm = await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    assert.deepEqual([cm.data, cm.metadata?.labels, cm.metadata?.annotations], [{ mode: 'PERMISSIVE' }, { team: 'orders' }, { owner: 'sre' }]);
  });

  it('an object the run creates keeps its labels through a second change, and its undo deletes it', async () => {
    let labels: Record<string, string> | undefined;
    const r = await run(
      async (ctx) => {
        const desired = (mode: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: created.name, namespace: ns }, data: { mode } });
        await faults.changeObject(ctx, { ref: created, before: null, desired: desired('STRICT'), description: 'create made-by-the-run' });
        await faults.changeObject(ctx, { ref: created, before: null, desired: desired('PERMISSIVE'), description: 'again' });
        labels = (await probes.readObject(ctx.cluster, created))?.metadata?.labels;
      },
      async (ctx) => {
        const action = await faults.restoreObject(ctx, created);
        ctx.record.check({ name: 'deleted', expected: 'deleted', observed: String(action), passed: action === 'deleted' });
      },
    );
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.journal.checks));
    assert.equal(labels?.['shakedown.io/run-id'], r.journal.runId, "the run's label survived the second write");
    assert.equal(r.journal.changes.length, 1);
    assert.equal(await probes.readObject(session, created), null, 'gone after the run');
  });
});
