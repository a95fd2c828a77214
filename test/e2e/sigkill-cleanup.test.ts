// SIGKILL in the middle of a fault leaves no rollback at all; `shakedown cleanup --run-id` then
// undoes what the run recorded, from its Lease: a user's StatefulSet back at its replicas with no
// token on its volumes, no load process alive in a user's Deployment, nothing labelled left.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container } from '@kubernetes/client-node';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { execInPod } from '../../harness/cluster/exec.ts';
import { listRunLeases } from '../../harness/cluster/lease.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, deployUserStatefulSet, kubeconfigOrSkip, labelledLeft, session, shakedown } from './helpers.ts';
import { clients } from '../clients.ts';

async function loadProcesses(s: ClusterSession, namespace: string, pod: string): Promise<number> {
  const script = 'n=0; for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = sha256sum ] && n=$((n+1)); done; echo $n';
  const r = await execInPod(s, { namespace, pod, command: ['sh', '-c', script], timeoutMs: 20_000 });
  return Number(r.stdout.trim());
}

describe('e2e: SIGKILL during the fault, then cleanup --run-id', function () {
  this.timeout(600_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let reports: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-sigkill-'));
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    rmSync(reports, { recursive: true, force: true });
  });

  /** Starts a run, waits for `at` in its output (and `also`), SIGKILLs it; returns its run id. */
  async function killDuring(args: string[], at: RegExp, also?: () => Promise<boolean>): Promise<string> {
    const child = shakedown(['run', ...args, '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (at.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: `the run to reach ${at}`, timeoutMs: 300_000, intervalMs: 100 });
    if (also) await waitFor(async () => ((await also()) ? done(undefined) : notYet()), { what: 'the change to land', timeoutMs: 60_000, intervalMs: 200 });
    child.kill('SIGKILL');
    const r = await child;
    assert.equal(r.signal, 'SIGKILL');
    const runId = / run=(r\w+) started/.exec(out)?.[1];
    assert.ok(runId, out);
    return runId;
  }

  async function cleanup(runId: string): Promise<string> {
    const t0 = Date.now();
    const r = await shakedown(['cleanup', '--run-id', runId, '--report-dir', reports]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    console.log(`      cleanup --run-id took ${((Date.now() - t0) / 1000).toFixed(1)} s (CLI start included):\n${r.stdout.replace(/^/gm, '        ')}`);
    assert.match(r.stdout, /from Lease default\//, 'the changes come from the Lease');
    assert.deepEqual(await listRunLeases(s, runId), [], 'the Lease is gone');
    return r.stdout;
  }

  it('statefulset-identity on a user StatefulSet, killed during the scale-down: replicas back to 2 and Ready, no token left', async () => {
    const name = `sk-${testId.slice(0, 5)}`;
    const ns = await deployUserStatefulSet(s, `sd-e2e-${name}-${testId}`, name, 'pvc', labels);
    const runId = await killDuring(
      ['statefulset-identity', '--set', `statefulset=${name}`, '--set', `namespace=${ns}`],
      /step=scale-down-and-up started/,
      async () => (await clients(s).apps.readNamespacedStatefulSet({ name, namespace: ns })).spec?.replicas === 1,
    );
    const out = await cleanup(runId);
    assert.match(out, /back to 2 replica\(s\)/);
    await waitFor(
      async () => {
        const x = await clients(s).apps.readNamespacedStatefulSet({ name, namespace: ns });
        return x.spec?.replicas === 2 && x.status?.readyReplicas === 2 ? done(undefined) : notYet(x.status);
      },
      { what: `${name} back to 2 Ready replicas`, timeoutMs: 180_000, intervalMs: 1000 },
    );
    for (const pod of [`${name}-0`, `${name}-1`]) {
      const ls = await execInPod(s, { namespace: ns, pod, command: ['ls', '-a', '/data'], timeoutMs: 15_000 });
      assert.doesNotMatch(ls.stdout, /\.shakedown-/, `${pod} still holds the run's token: ${ls.stdout}`);
    }
    assert.deepEqual(await labelledLeft(s, runId), []);
  });

  it('hpa-cpu on a user Deployment, killed while the load runs: no load process alive, nothing labelled left', async () => {
    const name = `skh-${testId.slice(0, 5)}`;
    const ns = `sd-e2e-${name}-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
    const container: V1Container = { name: 'web', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } } };
    await clients(s).apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name, labels }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...labels } }, spec: { terminationGracePeriodSeconds: 5, containers: [container] } } } },
    });
    await clients(s).autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: { metadata: { name, labels }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 1, maxReplicas: 4, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] } },
    });
    // The HPA keeps the controller's 5-minute scale-down window, which scaleInWithin must cover.
    const runId = await killDuring(['hpa-cpu', '--set', `target=${name}`, '--set', `namespace=${ns}`, '--set', 'sampleEvery=5s', '--set', 'scaleInWithin=6m'], /load running in/);
    const running = async () => (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` })).items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);
    const before = await running();
    assert.ok((await Promise.all(before.map((p) => loadProcesses(s, ns, p.metadata!.name!)))).some((n) => n > 0), 'the load outlived the SIGKILLed run');
    const out = await cleanup(runId);
    assert.match(out, /killed \d+ process\(es\)/);
    for (const p of await running()) assert.equal(await loadProcesses(s, ns, p.metadata!.name!), 0, `sha256sum left in ${p.metadata?.name}`);
    assert.deepEqual(await labelledLeft(s, runId), []);
  });
});
