// statefulset-identity end to end on the local cluster (real nodes, real containers): a pass, two
// workloads that must FAIL with a named finding, and SIGINT during the fault.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { execInPod } from '../../harness/cluster/exec.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, deployUserStatefulSet, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown, type StatefulSetVariant } from './helpers.ts';
import { clients } from '../clients.ts';

describe('e2e: statefulset-identity', function () {
  this.timeout(600_000);
  // The test's own workloads carry a run id of their own, so cleanup by label removes them too.
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let reports: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-sts-'));
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    assert.deepEqual(await labelledLeft(s), [], 'no object labelled shakedown.io/run-id is left');
    rmSync(reports, { recursive: true, force: true });
  });

  const deployTarget = (name: string, variant: StatefulSetVariant) => deployUserStatefulSet(s, `sd-e2e-${name}-${testId}`, name, variant, labels);

  /**
   * Every run's reports, whatever its verdict, and that each API request it made was declared by
   * one of its parts (the rules `shakedown rbac` grants), read from the journal's table of uses.
   */
  const declaredOnly = (stdout: string) => {
    const run = readRun(stdout);
    const used = run.journal.tables.find((t) => t.title === 'API permissions used');
    assert.ok(used && used.rows.length > 0, 'the run journals the API permissions it used');
    assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every API request was declared by a part');
    assert.ok(!run.journal.events.some((e) => e.type === 'undeclared-permission'));
    assert.ok(used.rows.some((row) => /^pods\/exec: get, create/.test(String(row[0]))), 'the exec of its probes is among them (a WebSocket exec: get, and create where the upgrade is authorized)');
    return run;
  };
  const runSts = async (args: string[]) => {
    const r = await shakedown(['run', 'statefulset-identity', ...args, '--report-dir', reports]);
    return { r, run: declaredOnly(r.stdout) };
  };

  it('passes on its own fixture: exit 0, four reports, timings measured, nothing left behind', async () => {
    const { r, run } = await runSts(['--set', `image=${IMAGE}`, '--set', `namespace=sd-e2e-pass-${testId}`]);
    assert.equal(r.exitCode, 0, `${run.journal.verdict.kind}: ${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    assert.equal(run.journal.verdict.kind, 'passed');
    const names = new Set(run.journal.checks.map((c) => c.name));
    for (const n of ['same-identity', 'same-claim', 'data-intact', 'dns-follows-pod', 'recovered-within', 'rescale-keeps-claim', 'rescale-data-intact', 'ordinal-order']) assert.ok(names.has(n), n);
    assert.equal(run.journal.checks.filter((c) => c.name === 'same-identity').length, 3, 'one identity check per pod');
    const m = Object.fromEntries(run.journal.measurements.map((x) => [x.name, x.value]));
    for (const k of ['time to recreate (mean)', 'time to Ready (mean)', 'time to DNS (mean)', 'detection latency (max)', 'api requests']) assert.ok(k in m, k);
    assert.deepEqual(await labelledLeft(s, run.journal.runId), []);
  });

  it('deletes a Parallel fixture\'s pods five at a time: every pod back with its identity, one pod watch, bounded journal', async () => {
    const { r, run } = await runSts(['--set', `image=${IMAGE}`, '--set', `namespace=sd-e2e-batch-${testId}`, '--set', 'replicas=10', '--set', 'podManagementPolicy=Parallel', '--set', 'batch=5', '--set', 'rescale=false']);
    assert.equal(r.exitCode, 0, `${run.journal.verdict.kind}: ${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    const recovered = run.journal.checks.filter((c) => c.name === 'recovered-within');
    assert.equal(recovered.length, 10, 'one recovery per pod');
    // Two batches, ordinals 0–4 then 5–9: a batch's deletions are all requested before any of its
    // pods is back, and the next batch starts only once every pod of the first is Ready.
    const times = (lo: number, hi: number, key: string) =>
      recovered.filter((c) => Number(/-(\d+)$/.exec(c.target ?? '')?.[1]) >= lo && Number(/-(\d+)$/.exec(c.target ?? '')?.[1]) < hi).map((c) => Date.parse(String(c.evidence[key])));
    const [del1, ready1, del2] = [times(0, 5, 'deleteRequestedAt'), times(0, 5, 'readySeenAt'), times(5, 10, 'deleteRequestedAt')];
    assert.equal(del1.length, 5);
    assert.ok(Math.max(...del1) < Math.min(...ready1), 'the first five were all deleted before the first came back');
    assert.ok(Math.min(...del2) >= Math.max(...ready1), 'the second batch started after the first was back');
    const m = Object.fromEntries(run.journal.measurements.map((x) => [x.name, x.value]));
    assert.ok(Number(m['harness rss peak']) > 0 && Number(m['harness heap peak']) > 0, 'the run journals its memory peaks');
    const watchEvents = run.journal.events.filter((e) => e.source === 'watch');
    assert.ok(watchEvents.length <= 20 * (12 + 1), `watch events journaled: ${watchEvents.length}`);
    assert.deepEqual(await labelledLeft(s, run.journal.runId), []);
  });

  it('refuses batch > 1 on an OrderedReady fixture before touching the cluster (exit 2)', async () => {
    const r = await shakedown(['run', 'statefulset-identity', '--set', `image=${IMAGE}`, '--set', `namespace=sd-e2e-refused-${testId}`, '--set', 'batch=2']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /parameter "batch": is 2, but podManagementPolicy is OrderedReady/);
    await assert.rejects(clients(s).core.readNamespace({ name: `sd-e2e-refused-${testId}` }), (err: { code?: number }) => err.code === 404);
  });

  it('reports the data-loss risk when the StatefulSet deletes claims on scale-down, and keeps the claim (exit 1)', async () => {
    const ns = await deployTarget('shrinks', 'pvc-deleted-on-scale-down');
    const claimBefore = await clients(s).core.readNamespacedPersistentVolumeClaim({ name: 'data-shrinks-1', namespace: ns });
    const { r, run } = await runSts(['--set', 'statefulset=shrinks', '--set', `namespace=${ns}`, '--set', 'ordinals=[0]']);
    assert.equal(r.exitCode, 1, JSON.stringify(run.journal.verdict));
    assert.equal(run.journal.verdict.kind, 'failed');
    assert.ok(run.failures.some((f) => f.startsWith('verify: rescale-keeps-claim')), run.failures.join('\n'));
    const finding = run.journal.checks.find((c) => c.name === 'rescale-keeps-claim')!;
    assert.match(finding.observed, /whenScaled: Delete\): data-shrinks-1 and its data would not survive a scale-down\. Not scaled/);
    // Not scaled: the claim and its data are still there, the StatefulSet at 2 replicas.
    const claimAfter = await clients(s).core.readNamespacedPersistentVolumeClaim({ name: 'data-shrinks-1', namespace: ns });
    assert.equal(claimAfter.metadata?.uid, claimBefore.metadata?.uid);
    assert.ok(!run.journal.events.some((e) => e.type === 'scaled'), 'the StatefulSet was scaled');
    // The pod-deletion part still held: the finding is exactly the claim policy.
    // ordinals=[0]: exactly one pod was deleted, and its claim held.
    assert.deepEqual(run.journal.checks.filter((c) => c.name === 'same-claim').map((c) => [c.target, c.status]), [['shrinks-0', 'passed']]);
  });

  it("reads a user's StatefulSet as it is: the claim mounted in a second container, elsewhere than /data (exit 0)", async () => {
    const ns = await deployTarget('layered', 'sidecar-first');
    const { r, run } = await runSts(['--set', 'statefulset=layered', '--set', `namespace=${ns}`, '--set', 'ordinals=[1]']);
    assert.equal(r.exitCode, 0, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    assert.ok(run.journal.events.some((e) => e.type === 'token-written' && e.message.startsWith('/var/lib/app/.shakedown-')), 'token written where the claim is mounted');
    // The run's token was removed from the user's volumes: nothing of the run is left on them.
    for (const pod of ['layered-0', 'layered-1']) {
      const left = await execInPod(s, { namespace: ns, pod, container: 'web', command: ['sh', '-c', 'ls -a /var/lib/app'], timeoutMs: 15_000 });
      assert.doesNotMatch(left.stdout, /\.shakedown-/, `${pod}: ${left.stdout}`);
    }
  });

  it('FAILS when the data lives in emptyDir: data-intact and same-claim are the findings (exit 1)', async () => {
    const ns = await deployTarget('scratch', 'emptydir');
    const { r, run } = await runSts(['--set', 'statefulset=scratch', '--set', `namespace=${ns}`, '--set', 'ordinals=[1]', '--set', 'rescale=false']);
    assert.equal(r.exitCode, 1, JSON.stringify(run.journal.verdict));
    assert.ok(run.failures.some((f) => f.startsWith('verify: data-intact')), run.failures.join('\n'));
    assert.ok(run.failures.some((f) => f.startsWith('verify: same-claim')), run.failures.join('\n'));
    assert.ok(run.journal.checks.some((c) => c.name === 'same-identity' && c.status === 'passed'), 'name and hostname still come back');
  });

  it('on SIGINT during the fault: rollback runs, replicas are restored, exit 130, nothing of the run is left', async () => {
    const ns = await deployTarget('interrupted', 'pvc');
    const child = shakedown(['run', 'statefulset-identity', '--set', 'statefulset=interrupted', '--set', `namespace=${ns}`, '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/deleting interrupted-0 /.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the fault to start', timeoutMs: 180_000 });
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130, r.stdout.slice(-3000) + r.stderr);
    // Its rollback's requests (replicas set back, tokens removed) were declared too.
    const run = declaredOnly(r.stdout);
    assert.equal(run.journal.verdict.kind, 'aborted');
    assert.ok(run.journal.rollbacks.length > 0 && run.journal.rollbacks.every((x) => x.status === 'ok'), JSON.stringify(run.journal.rollbacks));
    const sts = await clients(s).apps.readNamespacedStatefulSet({ name: 'interrupted', namespace: ns });
    assert.equal(sts.status?.readyReplicas, 2, 'replicas restored and Ready once the CLI exits');
    assert.deepEqual(await labelledLeft(s, run.journal.runId), []);
  });
});
