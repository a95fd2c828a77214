// The fault primitives and ctx.change against the real API server and node, through the real
// engine (runExperiment): replicas changed and set back, an object changed and restored, a change
// whose undo fails (the verdict says so), a pod deletion followed to its controller's replacement,
// and one whose replacement never comes (reported, not thrown).
import './hooks.ts';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import type { ClusterContext } from '../../harness/cluster/context.ts';
import { defineExperiment, step } from '../../harness/engine/experiment.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { runExperiment } from '../../harness/engine/runner.ts';
import { changeObject } from '../../harness/faults/object-change.ts';
import { deletePodAndFollow } from '../../harness/faults/pod-delete.ts';
import { guardReplicas, setReplicas } from '../../harness/faults/replicas.ts';
import { PodLifecycle } from '../../harness/observe/pod-lifecycle.ts';
import { selectWorkload, workloadState, type WorkloadState } from '../../harness/target/select.ts';
import { pinned } from '../cluster/versions.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { waitFor } from './wait.ts';
import { clients } from '../clients.ts';

const IMAGE = process.env['SHAKEDOWN_TEST_IMAGE'] ?? pinned('SAMPLE_IMAGE');
type Ctx = ClusterContext<Record<string, never>, Record<string, never>>;

describe('fault primitives and ctx.change on the real cluster', function () {
  this.timeout(300_000);
  const ns = `shakedown-it-faults-${Date.now().toString(36)}`;
  let session: ClusterSession;

  before(async function () {
    const kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    const nodes = await clients(session).core.listNode();
    if (!nodes.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) this.skip();
    const c = clients(session);
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    await c.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels: { team: 'orders' } }, data: { mode: 'PERMISSIVE' } } });
    const template = { metadata: { labels: { app: 'web' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"] }] } };
    await c.apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } } });
    await c.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'bare', labels: { app: 'bare' } }, spec: template.spec } });
    await waitFor(async () => ((await c.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).status?.readyReplicas ?? 0) === 2, { what: 'Deployment web with 2 Ready replicas', timeoutMs: 120_000 });
  });

  after(async () => {
    if (!session) return;
    await deleteNamespaceAndWait(clients(session).core, ns, 120_000);
  });

  /** Runs `method` as the fault of a one-check experiment through the real engine. */
  const run = (method: (ctx: Ctx) => Promise<void>) =>
    runExperiment(
      defineExperiment({
        name: 'fault-primitives',
        description: 'a fault primitive under test',
        hypothesis: 'n/a',
        params: z.strictObject({}),
        initialState: () => ({}),
        preflight: [],
        steadyState: [],
        method: [step('fault', 'the-fault', 'the primitive under test', method)],
        verify: [step('check', 'ran', 'the fault ran', (ctx: Ctx) => Promise.resolve(void ctx.record.check({ name: 'ran', expected: 'the fault ran', observed: 'it did', passed: true })))],
      }),
      {},
      { runId: newRunId(), timeoutMs: 120_000, cluster: session },
    );
  const replicas = async () => (await clients(session).apps.readNamespacedDeploymentScale({ name: 'web', namespace: ns })).spec?.replicas;

  it('guardReplicas journals the replicas before setReplicas changes them; rollback sets them back and waits', async () => {
    let during: number | undefined;
    const r = await run(async (ctx) => {
      const w = { workload: 'Deployment' as const, namespace: ns, name: 'web' };
      await guardReplicas(ctx, w, 2, { withinMs: 60_000, waitRestored: async () => void (await waitFor(async () => ((await clients(session).apps.readNamespacedDeployment({ name: 'web', namespace: ns })).status?.readyReplicas ?? 0) === 2, { what: 'web Ready again', timeoutMs: 60_000 })) });
      assert.equal(await replicas(), 2, 'journaled before the change: nothing changed yet');
      assert.equal(ctx.phase, 'inject');
      await setReplicas(ctx.cluster, w, 1, ctx.signal);
      during = await replicas();
    });
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.verdict));
    assert.equal(during, 1);
    assert.equal(await replicas(), 2, 'set back by rollback');
    assert.deepEqual(r.journal.changes.map((c) => [c.undo.kind, c.status]), [['replicas', 'undone']]);
    assert.equal(r.journal.changes[0]?.undo.kind === 'replicas' && r.journal.changes[0].undo.replicas, 2);
  });

  it("rollback runs cleanup's undo: replicas of a workload deleted during the fault are nothing to do (gone), not an undo failure", async () => {
    const c = clients(session);
    const template = { metadata: { labels: { app: 'doomed' } }, spec: { containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sleep', '86400'] }] } };
    await c.apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'doomed' }, spec: { replicas: 0, selector: { matchLabels: { app: 'doomed' } }, template } } });
    let waited = false;
    const r = await run(async (ctx) => {
      const w = { workload: 'Deployment' as const, namespace: ns, name: 'doomed' };
      await guardReplicas(ctx, w, 0, { withinMs: 30_000, waitRestored: () => Promise.resolve(void (waited = true)) });
      await setReplicas(ctx.cluster, w, 1, ctx.signal);
      await c.apps.deleteNamespacedDeployment({ name: 'doomed', namespace: ns });
    });
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.verdict));
    assert.deepEqual(r.journal.changes.map((x) => [x.undo.kind, x.status]), [['replicas', 'undone']]);
    assert.deepEqual(r.journal.rollbacks.map((x) => x.status), ['ok']);
    assert.ok(waited, "rollback's own wait still runs after the undo");
  });

  it('changeObject records the object whole and restores it exactly: data, labels', async () => {
    const r = await run(async (ctx) => {
      const before = (await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns })) as unknown as Record<string, unknown>;
      await changeObject(ctx, { ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'settings' }, before, desired: { ...before, data: { mode: 'STRICT' }, metadata: { ...(before['metadata'] as object), labels: { edited: 'yes' } } }, description: 'set settings to STRICT' });
      assert.equal((await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).data?.['mode'], 'STRICT');
    });
    assert.equal(r.verdict.kind, 'passed', JSON.stringify(r.verdict));
    const cm = await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    assert.deepEqual(cm.data, { mode: 'PERMISSIVE' });
    assert.deepEqual(cm.metadata?.labels, { team: 'orders' });
  });

  it('a change whose undo fails: the rollback failure is the verdict (error, REVERT), the change marked undo-failed', async () => {
    const r = await run(async (ctx) => {
      await ctx.change('a change that cannot be undone', { kind: 'file', namespace: ns, pod: 'bare', container: 'app', path: '/tmp/x' }, () => Promise.reject(new Error('the undo met a wall')));
    });
    assert.equal(r.verdict.kind, 'error');
    assert.ok(r.verdict.kind === 'error' && r.verdict.code === 'REVERT', JSON.stringify(r.verdict));
    assert.match(r.verdict.kind === 'error' ? r.verdict.message : '', /the undo met a wall/);
    assert.deepEqual(r.journal.changes.map((c) => c.status), ['undo-failed']);
    assert.deepEqual(r.journal.rollbacks.map((x) => x.status), ['failed']);
  });

  it("deletePodAndFollow follows a Deployment pod's replacement under a new name to Ready", async () => {
    const c = clients(session);
    const pods = await c.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    const pod = pods.items.find((p) => !p.metadata?.deletionTimestamp)!;
    const owners = new Set([pod.metadata!.ownerReferences!.find((o) => o.controller)!.uid]);
    const lifecycle = new PodLifecycle(session, ns, 'app=web');
    await lifecycle.start();
    try {
      const r = await deletePodAndFollow(session, lifecycle, { namespace: ns, pod: pod.metadata!.name!, uid: pod.metadata!.uid!, gracePeriodSeconds: 1, followForMs: 60_000, signal: new AbortController().signal, replacement: { by: 'owner', owners, claimed: new Set() } });
      assert.equal(r.notRecovered, undefined);
      assert.ok(r.newName && r.newName !== pod.metadata!.name, `replaced under a new name (${r.newName})`);
      assert.ok(r.readyAt !== undefined && r.recreatedAt !== undefined && r.readyAt >= r.recreatedAt && r.recreatedAt >= r.deleteRequestedAt);
    } finally {
      lifecycle.stop();
    }
  });

  it('deletePodAndFollow reports a replacement that never comes (a bare pod): notRecovered, not an exception', async () => {
    const pod = await clients(session).core.readNamespacedPod({ name: 'bare', namespace: ns });
    const lifecycle = new PodLifecycle(session, ns, 'app=bare');
    await lifecycle.start();
    try {
      const r = await deletePodAndFollow(session, lifecycle, { namespace: ns, pod: 'bare', uid: pod.metadata!.uid!, gracePeriodSeconds: 1, followForMs: 5000, signal: new AbortController().signal });
      assert.equal(r.newUid, undefined);
      assert.match(r.notRecovered ?? '', /timed out after 5s waiting for bare recreated with a new UID/);
    } finally {
      lifecycle.stop();
    }
    await assert.rejects(clients(session).core.readNamespacedPod({ name: 'bare', namespace: ns }), (e: { code?: number }) => e.code === 404, 'the bare pod is gone for good');
  });

  it('deletePodAndFollow refuses to delete a newer pod of the same name (UID precondition): an inject error', async () => {
    const pods = await clients(session).core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
    const pod = pods.items.find((p) => !p.metadata?.deletionTimestamp)!;
    const lifecycle = new PodLifecycle(session, ns, 'app=web');
    await lifecycle.start();
    try {
      await assert.rejects(
        deletePodAndFollow(session, lifecycle, { namespace: ns, pod: pod.metadata!.name!, uid: 'not-its-uid', gracePeriodSeconds: 1, followForMs: 5000, signal: new AbortController().signal }),
        (e: { code?: string; message?: string }) => e.code === 'INJECT' && /could not delete pod/.test(e.message ?? ''),
      );
    } finally {
      lifecycle.stop();
    }
    assert.ok(!(await clients(session).core.readNamespacedPod({ name: pod.metadata!.name!, namespace: ns })).metadata?.deletionTimestamp, 'the pod was not deleted');
  });

  it('target.select waits for the first pod of a Deployment applied a moment ago, and refuses one scaled to zero at once', async () => {
    const c = clients(session);
    const template = { metadata: { labels: { app: 'late' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"] }] } };
    const select = async (name: string, replicas: number) => {
      await c.apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: { ...template, metadata: { labels: { app: name } } } } } });
      const state: WorkloadState = workloadState();
      const sel = selectWorkload<Record<string, never>, WorkloadState>(() => ({ kind: 'Deployment', namespace: ns, name }));
      const started = Date.now();
      // Run as the step of a one-step experiment so errors come out as the engine reports them.
      const r = await runExperiment(
        defineExperiment({ name: 'select', description: 'select', hypothesis: 'n/a', params: z.strictObject({}), initialState: () => state, preflight: [sel], steadyState: [], method: [], verify: [step('check', 'ran', 'ran', (ctx: ClusterContext<Record<string, never>, WorkloadState>) => Promise.resolve(void ctx.record.check({ name: 'ran', expected: 'x', observed: 'x', passed: true })))] }),
        {},
        { runId: newRunId(), timeoutMs: 120_000, cluster: session },
      );
      return { r, state, ms: Date.now() - started };
    };
    const late = await select('late', 1);
    assert.equal(late.r.verdict.kind, 'passed', JSON.stringify(late.r.verdict));
    assert.equal(late.state.workload?.name, 'late');
    const idle = await select('idle', 0);
    assert.ok(idle.r.verdict.kind === 'error' && idle.r.verdict.code === 'TARGET_SELECTION', JSON.stringify(idle.r.verdict));
    assert.match(idle.r.verdict.kind === 'error' ? idle.r.verdict.message : '', /Deployment .*\/idle has no running pod to delete .*scaled to zero replicas/);
    assert.ok(idle.ms < 30_000, `refused without waiting out the bound (${idle.ms} ms)`);
  });
});
