// After SIGKILL, `shakedown cleanup --run-id` undoes what the run changed on a user's workload,
// from the cluster alone (the run's Lease): replicas, an edited and a created object, a token
// file, a load process; then deletes what the run labelled. While the run lives, its Lease makes
// it visible: a second run against the same target and a cleanup of it are refused.
// The run is a child process going through the real code path (runExperiment → ctx.change →
// RunLease); it needs a Ready node (the StatefulSet's pods run).
import './hooks.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { LEASE_NAMESPACE, listRunLeases } from '../../harness/cluster/lease.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { execInPod } from '../../harness/cluster/exec.ts';
import { LABEL_RUN_ID, newRunId } from '../../harness/engine/run-id.ts';
import { pinned } from '../cluster/versions.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { waitFor } from './wait.ts';
import { clients } from '../clients.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));
const CHILD = fileURLToPath(new URL('./fixtures/crashing-run.ts', import.meta.url));
const IMAGE = process.env['SHAKEDOWN_TEST_IMAGE'] ?? pinned('SAMPLE_IMAGE');

describe('cleanup --run-id after SIGKILL, and the run Lease', function () {
  this.timeout(300_000);
  const ns = `shakedown-it-crash-${Date.now().toString(36)}`;
  let session: ClusterSession;
  let kubeconfig: string;
  let reports: string;

  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { KUBECONFIG: kubeconfig, CI: 'true' }, timeout: 240_000 });

  before(async function () {
    kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    const nodes = await clients(session).core.listNode();
    if (!nodes.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) this.skip();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-it-crash-'));
    // The "user's" workload: not labelled by shakedown, so only recorded changes can restore it.
    await clients(session).core.createNamespace({ body: { metadata: { name: ns } } });
    await clients(session).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings', labels: { team: 'orders' } }, data: { mode: 'PERMISSIVE' } } });
    await clients(session).apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          serviceName: 'web',
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'sleep 86400'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
              volumes: [{ name: 'data', emptyDir: {} }],
            },
          },
        },
      },
    });
    await waitFor(async () => ((await clients(session).apps.readNamespacedStatefulSet({ name: 'web', namespace: ns })).status?.readyReplicas ?? 0) === 3, { what: 'StatefulSet web with 3 Ready replicas', timeoutMs: 120_000 });
  });

  after(async () => {
    if (!session) return;
    await deleteNamespaceAndWait(clients(session).core, ns, 120_000);
    rmSync(reports, { recursive: true, force: true });
  });

  const processes = async () =>
    (await execInPod(session, { namespace: ns, pod: 'web-0', container: 'app', command: ['sh', '-c', 'for d in /proc/[0-9]*; do tr "\\000" " " < $d/cmdline 2>/dev/null; echo; done'], timeoutMs: 20_000 })).stdout;

  function startCrashingRun(runId: string): { child: ResultPromise; out: () => string } {
    const child = execa(process.execPath, [CHILD, ns, 'web', runId, join(reports, `run-statefulset-identity-${runId}`)], { reject: false, env: { KUBECONFIG: kubeconfig }, forceKillAfterDelay: false });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    return { child, out: () => out };
  }

  it('refuses a second run and a cleanup while the run lives; after SIGKILL, cleanup --run-id undoes every change from the Lease', async () => {
    const runId = newRunId();
    const { child, out } = startCrashingRun(runId);
    await waitFor(() => out().includes('CHANGED'), { what: `the crashing run to make its changes (output: ${out()})`, timeoutMs: 120_000 });

    // The damage is real.
    assert.equal((await clients(session).apps.readNamespacedStatefulSetScale({ name: 'web', namespace: ns })).spec?.replicas, 2);
    assert.equal((await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).data?.['mode'], 'STRICT');
    assert.match(await processes(), /^timeout 300 sha256sum \/dev\/zero $/m);
    const [lease] = await listRunLeases(session, runId);
    assert.ok(lease, 'the live run holds a Lease');
    assert.equal((JSON.parse(lease.metadata?.annotations?.['shakedown.io/changes'] ?? '[]') as unknown[]).length, 5, 'the Lease mirrors the five changes');

    // A second run against the same target is refused before anything is touched.
    const second = await cli(['run', 'statefulset-identity', '--set', `namespace=${ns}`, '--set', 'statefulset=web', '--report-dir', reports]);
    assert.equal(second.exitCode, 3, second.stdout + second.stderr);
    assert.match(second.stderr, new RegExp(`refused: another run \\(${runId}, held by .*\\) is live against statefulset-identity on ${ns}/web`));
    assert.equal((await clients(session).apps.readNamespacedStatefulSetScale({ name: 'web', namespace: ns })).spec?.replicas, 2, 'the refused run touched nothing');

    // Cleanup of a live run is refused too.
    const early = await cli(['cleanup', '--run-id', runId]);
    assert.equal(early.exitCode, 3, early.stdout + early.stderr);
    assert.match(early.stderr, new RegExp(`run ${runId} is live`));

    child.kill('SIGKILL');
    await child;

    const t0 = Date.now();
    const r = await cli(['cleanup', '--run-id', runId, '--report-dir', join(tmpdir(), 'no-such-report-dir')]);
    const took = Date.now() - t0;
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    console.log(`      cleanup --run-id after SIGKILL took ${(took / 1000).toFixed(1)} s:\n${r.stdout.replace(/^/gm, '        ')}`);
    assert.match(r.stdout, /5 recorded change\(s\) \(from Lease default\//);
    assert.match(r.stdout, /cleanup: 5 change\(s\) undone \(0 already as before, 0 on targets gone\), 2 object\(s\) deleted, none left/);

    assert.equal((await clients(session).apps.readNamespacedStatefulSetScale({ name: 'web', namespace: ns })).spec?.replicas, 3, 'replicas back to 3');
    const settings = await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns });
    assert.deepEqual(settings.data, { mode: 'PERMISSIVE' });
    assert.deepEqual(settings.metadata?.labels, { team: 'orders' });
    await assert.rejects(clients(session).core.readNamespacedConfigMap({ name: 'policy', namespace: ns }), (e: { code?: number }) => e.code === 404);
    const ls = await execInPod(session, { namespace: ns, pod: 'web-0', container: 'app', command: ['ls', '/data'], timeoutMs: 20_000 });
    assert.doesNotMatch(ls.stdout, /shakedown-token/);
    assert.doesNotMatch(await processes(), /sha256sum/, 'no load process alive');
    const leftCm = await clients(session).core.listConfigMapForAllNamespaces({ labelSelector: `${LABEL_RUN_ID}=${runId}` });
    assert.equal(leftCm.items.length, 0, 'nothing labelled left');
    assert.equal((await listRunLeases(session, runId)).length, 0, 'the Lease is gone');
    await waitFor(async () => ((await clients(session).apps.readNamespacedStatefulSet({ name: 'web', namespace: ns })).status?.readyReplicas ?? 0) === 3, { what: 'web back to 3 Ready', timeoutMs: 120_000 });

    // Idempotent: a second cleanup finds nothing to do.
    const again = await cli(['cleanup', '--run-id', runId]);
    assert.equal(again.exitCode, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /nothing labelled by shakedown and no recorded change to undo was found/);
  });

  it('without its Lease, cleanup --run-id undoes the changes from the journal found under --report-dir', async () => {
    const runId = newRunId();
    const { child, out } = startCrashingRun(runId);
    await waitFor(() => out().includes('CHANGED'), { what: `the crashing run to make its changes (output: ${out()})`, timeoutMs: 120_000 });
    child.kill('SIGKILL');
    await child;
    // Lose the Lease (e.g. someone deleted it): the journal on disk still has every change.
    const [lease] = await listRunLeases(session, runId);
    await clients(session).coordination.deleteNamespacedLease({ name: lease?.metadata?.name ?? '', namespace: LEASE_NAMESPACE });
    assert.ok(readdirSync(reports).some((d) => d.endsWith(runId)));
    const journal = JSON.parse(readFileSync(join(reports, `run-statefulset-identity-${runId}`, 'journal.json'), 'utf8')) as { changes: unknown[] };
    assert.equal(journal.changes.length, 5);

    const r = await cli(['cleanup', '--run-id', runId, '--report-dir', reports]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /5 recorded change\(s\) \(from .*journal\.json\)/);
    assert.equal((await clients(session).apps.readNamespacedStatefulSetScale({ name: 'web', namespace: ns })).spec?.replicas, 3);
    assert.equal((await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).data?.['mode'], 'PERMISSIVE');
    assert.doesNotMatch(await processes(), /sha256sum/);
  });
});
