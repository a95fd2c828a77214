// cleanup finds labelled objects through API discovery: kinds the old hard-coded list of nine
// never looked at (a ServiceAccount, a Role, a cluster-scoped ClusterRole) are deleted too, and
// a run whose Lease is live is left alone unless --force.
import './hooks.ts';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { RunLease } from '../../harness/cluster/lease.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId, runLabels } from '../../harness/engine/run-id.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { clients } from '../clients.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));

describe('cleanup through API discovery', function () {
  this.timeout(120_000);
  const ns = `shakedown-it-disc-${Date.now().toString(36)}`;
  let session: ClusterSession;
  let kubeconfig: string;
  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { KUBECONFIG: kubeconfig, CI: 'true' }, timeout: 100_000 });

  before(async function () {
    kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    await clients(session).core.createNamespace({ body: { metadata: { name: ns } } });
  });
  after(async () => {
    if (session) await deleteNamespaceAndWait(clients(session).core, ns, 60_000);
  });

  async function leaveObjects(runId: string) {
    const labels = runLabels(runId, 'statefulset-identity');
    await clients(session).core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: `sa-${runId}`, labels } } });
    await clients(session).objects.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: `role-${runId}`, namespace: ns, labels }, rules: [] } as never);
    await clients(session).objects.create({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `shakedown-it-${runId}`, labels }, rules: [] } as never);
  }

  it('deletes labelled objects of kinds outside the old list, namespaced and cluster-scoped', async () => {
    const runId = newRunId();
    await leaveObjects(runId);
    const r = await cli(['cleanup', '--run-id', runId]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    for (const ref of [`ServiceAccount/${ns}/sa-${runId}`, `Role/${ns}/role-${runId}`, `ClusterRole/shakedown-it-${runId}`]) assert.match(r.stdout, new RegExp(`^deleted ${ref}$`, 'm'));
    assert.match(r.stdout, /3 object\(s\) deleted, none left/);
    await assert.rejects(clients(session).core.readNamespacedServiceAccount({ name: `sa-${runId}`, namespace: ns }), (e: { code?: number }) => e.code === 404);
  });

  it('leaves a live run alone (--run-id refused, exit 3) unless --force', async () => {
    const runId = newRunId();
    const lease = new RunLease(session, runId, { experiment: 'statefulset-identity', namespace: ns, object: 'it-live' });
    await lease.acquire();
    try {
      await leaveObjects(runId);
      const refused = await cli(['cleanup', '--run-id', runId]);
      assert.equal(refused.exitCode, 3, refused.stdout + refused.stderr);
      assert.match(refused.stderr, new RegExp(`run ${runId} is live .*pass --force`));
      await clients(session).core.readNamespacedServiceAccount({ name: `sa-${runId}`, namespace: ns }); // still there
      const forced = await cli(['cleanup', '--run-id', runId, '--force']);
      assert.equal(forced.exitCode, 0, forced.stdout + forced.stderr);
      assert.match(forced.stdout, /4 object\(s\) deleted, none left/, 'three objects and the Lease');
    } finally {
      await lease.release().catch(() => {});
    }
  });
});
