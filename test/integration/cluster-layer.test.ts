// The harness's own cluster layer (harness/cluster) against the real local control plane:
// server-side apply with run labels, namespaces it creates or leaves alone, a watch that keeps
// going when the server closes it, and cleanup by label that leaves nothing behind.
import './hooks.ts';
import assert from 'node:assert/strict';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { applyObjects, ensureNamespace, FIELD_MANAGER } from '../../harness/cluster/apply.ts';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { watchResilient, type WatchEvent } from '../../harness/cluster/watch.ts';
import { newRunId, runLabels } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { loadManifestFile } from '../../harness/manifests/load.ts';
import statefulsetIdentity from '../../experiments/statefulset-identity/experiment.ts';
import { clients } from '../clients.ts';

describe('harness cluster layer on the local control plane', function () {
  const runId = newRunId();
  const labels = runLabels(runId, 'statefulset-identity');
  const ns = `shakedown-cl-${runId}`;
  let session: ClusterSession;

  before(function () {
    const kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'];
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
  });

  after(async function () {
    if (!session) return;
    // Whatever a failed test left, cleanup by label removes it (and that is itself under test below).
    await deleteByLabel(session, { runId, timeoutMs: 120_000 });
  });

  it('creates the namespace once, labelled, and reports an existing one as not created', async () => {
    assert.deepEqual(await ensureNamespace(session, ns, labels), { created: true });
    assert.deepEqual(await ensureNamespace(session, ns, labels), { created: false });
    const got = await clients(session).core.readNamespace({ name: ns });
    assert.equal(got.metadata?.labels?.['shakedown.io/run-id'], runId);
  });

  it('server-side applies the experiment fixture with run labels on the objects, pod template and claims', async () => {
    const def = statefulsetIdentity;
    const params = def.params.parse({ namespace: ns, replicas: 2 });
    const objects = (def.manifests ?? []).flatMap((m) => loadManifestFile(m, def.manifestValues?.(params) ?? {}));
    assert.ok(objects.length > 0, 'the fixture has manifests');
    const before = session.requests.total;
    const applied = await applyObjects(session, objects, labels);
    assert.ok(session.requests.total > before, 'requests are counted');
    assert.deepEqual(applied.map((o) => o.kind), ['Service', 'StatefulSet', 'Service']);
    const sts = await clients(session).apps.readNamespacedStatefulSet({ name: 'shakedown-web', namespace: ns });
    assert.equal(sts.metadata?.labels?.['shakedown.io/run-id'], runId);
    assert.equal(sts.spec?.template.metadata?.labels?.['shakedown.io/run-id'], runId);
    assert.ok(sts.metadata?.managedFields?.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply'), 'managed by a server-side apply');
    // The StatefulSet controller creates web-0's claim with our labels even while the pod is
    // Pending (OrderedReady: web-1 and its claim wait until web-0 is Ready, which needs a node).
    const claims = await waitFor(
      async () => {
        const pvcs = (await clients(session).core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: `shakedown.io/run-id=${runId}` })).items;
        return pvcs.length >= 1 ? done(pvcs.map((p) => p.metadata?.name).sort()) : notYet(pvcs.length);
      },
      { what: 'a labelled PVC', timeoutMs: 60_000 },
    );
    assert.equal(claims[0], 'data-shakedown-web-0');
    // Applying again is idempotent: same object, same UID.
    const again = await applyObjects(session, objects, labels);
    assert.equal(again[1]?.metadata?.uid, applied[1]?.metadata?.uid);
  });

  it('keeps watching after the server closes the stream, stamping each event on arrival', async function () {
    this.timeout(60_000);
    const events: WatchEvent<V1ConfigMap>[] = [];
    const notices: string[] = [];
    const handle = await watchResilient<V1ConfigMap>(
      session,
      { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespace: ns },
      { labelSelector: `shakedown.io/run-id=${runId}`, timeoutSeconds: 1, onEvent: (e) => events.push(e), onNotice: (n) => notices.push(n) },
    );
    try {
      await waitFor(() => (handle.reconnects >= 2 ? done(undefined) : notYet(handle.reconnects)), { what: 'two server-side closes', timeoutMs: 20_000 });
      const t0 = Date.now();
      await clients(session).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after-reconnect', labels }, data: { a: '1' } } });
      const added = await waitFor(
        () => {
          const e = events.find((x) => x.type === 'ADDED' && x.object.metadata?.name === 'after-reconnect');
          return e ? done(e) : notYet(events.length);
        },
        { what: 'ADDED event after reconnects', timeoutMs: 15_000 },
      );
      assert.ok(added.receivedAtMs >= t0, 'stamped on arrival');
      await clients(session).core.deleteNamespacedConfigMap({ name: 'after-reconnect', namespace: ns });
      await waitFor(() => (events.some((x) => x.type === 'DELETED') ? done(undefined) : notYet()), { what: 'DELETED event', timeoutMs: 15_000 });
      assert.equal(events.filter((x) => x.object.metadata?.name === 'after-reconnect' && x.type === 'ADDED').length, 1, 'no duplicate ADDED across reconnects');
    } finally {
      handle.stop();
    }
  });

  it('cleanup deletes every labelled object and waits until none is left', async function () {
    this.timeout(150_000);
    const r = await deleteByLabel(session, { runId, timeoutMs: 120_000 });
    assert.ok(r.deleted.includes('StatefulSet/' + ns + '/shakedown-web'), r.deleted.join(', '));
    assert.ok(r.deleted.includes('Namespace/' + ns), r.deleted.join(', '));
    const left = await clients(session).core.listNamespace({ labelSelector: `shakedown.io/run-id=${runId}` });
    assert.equal(left.items.length, 0);
  });
});
