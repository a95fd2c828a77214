// hpa-cpu end to end on the local cluster (real kubelet, metrics-server, HPA controller): a pass,
// a capacity finding (maxReplicas below what the load needs), a preflight error (no CPU
// requests), and SIGTERM during the load.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V2HorizontalPodAutoscalerSpec } from '@kubernetes/client-node';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, loadProcesses, readRun, session, shakedown, type RunOutput } from './helpers.ts';
import { clients } from '../clients.ts';

/** Namespaces this file creates start with this (shared clusters give each engineer a prefix). */
const NS = process.env['SHAKEDOWN_TEST_NS_PREFIX'] ?? 'sd-e2e';

/**
 * Every run's reports, whatever its verdict, and that each API request it made was declared by
 * one of its parts (the rules `shakedown rbac` grants), read from the journal's table of uses.
 */
function declaredOnly(stdout: string): RunOutput {
  const run = readRun(stdout);
  const used = run.journal.tables.find((t) => t.title === 'API permissions used');
  assert.ok(used && used.rows.length > 0, 'the run journals the API permissions it used');
  assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every API request was declared by a part');
  assert.ok(!run.journal.events.some((e) => e.type === 'undeclared-permission'));
  assert.ok(used.rows.some((row) => /^coordination\.k8s\.io\/leases: .*create/.test(String(row[0]))), "the run's own Lease is among them");
  return run;
}

describe('e2e: hpa-cpu', function () {
  this.timeout(900_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let reports: string;
  const fast = ['--set', `image=${IMAGE}`, '--set', 'sampleEvery=5s', '--set', 'loadFor=150s', '--set', 'scaleInWithin=150s'];

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-hpa-'));
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    // This file's objects all live in its namespaces (named with testId); other engineers' runs on a shared cluster are not ours to judge.
    assert.deepEqual((await labelledLeft(s)).filter((x) => x.includes(testId)), [], 'no object labelled shakedown.io/run-id is left');
    rmSync(reports, { recursive: true, force: true });
  });

  /** A Deployment (+ HPA) of the test's own: the "existing workload" a user would name. */
  async function deployTarget(name: string, withRequests: boolean, hpaSpec: Partial<V2HorizontalPodAutoscalerSpec> = {}): Promise<string> {
    const ns = `${NS}-${name}-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
    const container: V1Container = { name: 'web', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"] };
    if (withRequests) container.resources = { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '200m' } };
    await clients(s).apps.createNamespacedDeployment({
      namespace: ns,
      body: { metadata: { name, labels }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name, ...labels } }, spec: { terminationGracePeriodSeconds: 5, containers: [container] } } } },
    });
    await clients(s).autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 1,
          maxReplicas: 4,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
          behavior: { scaleDown: { stabilizationWindowSeconds: 15 } },
          ...hpaSpec,
        },
      },
    });
    return ns;
  }

  it('passes on its own fixture: scales out as the formula says and back in; report.html holds the chart', async () => {
    const r = await shakedown(['run', 'hpa-cpu', ...fast, '--set', `namespace=${NS}-hpa-pass-${testId}`, '--report-dir', reports]);
    const run = declaredOnly(r.stdout);
    assert.equal(r.exitCode, 0, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    const used = run.journal.tables.find((t) => t.title === 'API permissions used')?.rows.map((row) => String(row[0])) ?? [];
    for (const u of [/^pods\/exec: get, create/, /^metrics\.k8s\.io\/pods: list/, /^autoscaling\/horizontalpodautoscalers: get/]) assert.ok(used.some((x) => u.test(x)), `${u} among the uses compared: ${used.join('; ')}`);
    for (const n of ['controller-follows-formula', 'capacity-for-load', 'load-stopped', 'scale-in']) {
      assert.ok(run.journal.checks.some((c) => c.name === n && c.status === 'passed'), n);
    }
    const html = readFileSync(join(run.dir, 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /predicted \(formula, clamped\)/);
    const m = Object.fromEntries(run.journal.measurements.map((x) => [x.name, x.value]));
    for (const k of ['time to first scale', 'time to peak', 'time to settle', 'max |actual − predicted|']) assert.ok(k in m, k);
    assert.deepEqual(await labelledLeft(s, run.journal.runId), []);
  });

  it('FAILS when maxReplicas is below what the load needs: the controller check holds, capacity-for-load is the finding (exit 1)', async () => {
    const r = await shakedown(['run', 'hpa-cpu', ...fast, '--set', 'maxReplicas=2', '--set', `namespace=${NS}-hpa-cap-${testId}`, '--report-dir', reports]);
    const run = declaredOnly(r.stdout);
    assert.equal(r.exitCode, 1, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    assert.ok(run.journal.checks.some((c) => c.name === 'controller-follows-formula' && c.status === 'passed'));
    const capacity = run.failures.find((f) => f.startsWith('verify: capacity-for-load'));
    assert.ok(capacity, run.failures.join('\n'));
    assert.match(run.journal.checks.find((c) => c.name === 'capacity-for-load')!.observed, /needed \d+, maxReplicas 2, observed peak 2/);
  });

  it('is an ERROR in preflight when the target sets no CPU request (exit 3, reason in junit.xml), touching nothing', async () => {
    const ns = await deployTarget('norequests', false);
    const r = await shakedown(['run', 'hpa-cpu', '--set', 'target=norequests', '--set', `namespace=${ns}`, '--report-dir', reports]);
    const run = declaredOnly(r.stdout);
    assert.equal(r.exitCode, 3, JSON.stringify(run.journal.verdict));
    assert.equal(run.journal.verdict.code, 'PREFLIGHT');
    const error = /<error [^>]*>/.exec(readFileSync(join(run.dir, 'junit.xml'), 'utf8'))?.[0] ?? '';
    assert.match(error, /type="PREFLIGHT"/);
    assert.match(error, /message="[^"]*sets no CPU request on container\(s\) web/);
    assert.deepEqual(run.journal.rollbacks, [], 'nothing was injected, so nothing was rolled back');
  });

  it("passes on a user's HPA with a memory metric beside CPU and a scale-up policy of its own (one pod per 15 s)", async () => {
    const ns = await deployTarget('ownrules', true, {
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 90 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 15 }, scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } },
    });
    const r = await shakedown(['run', 'hpa-cpu', ...fast, '--set', 'target=ownrules', '--set', `namespace=${ns}`, '--report-dir', reports]);
    const run = declaredOnly(r.stdout);
    assert.equal(r.exitCode, 0, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    const check = run.journal.checks.find((c) => c.name === 'controller-follows-formula');
    assert.match(check?.expected ?? '', /scale-up rules \(policies Pods 1\/15s\)/);
    assert.match(check?.expected ?? '', /also scales on Resource memory/);
  });

  it("is an ERROR in preflight when scaleInWithin is shorter than the user's HPA's scale-down window (the controller's 5 minutes)", async () => {
    const ns = await deployTarget('slowdown', true, { behavior: undefined });
    const r = await shakedown(['run', 'hpa-cpu', '--set', 'target=slowdown', '--set', `namespace=${ns}`, '--report-dir', reports]);
    const run = declaredOnly(r.stdout);
    assert.equal(r.exitCode, 3, JSON.stringify(run.journal.verdict));
    assert.match(`${run.journal.verdict.summary}\n${run.failures.join("\n")}`, /holds every scale-down for 5m 00s \(its scale-down stabilization window, the controller's default\), so scaleInWithin 3m 00s could never see the replicas come back: set --set scaleInWithin=6m or more/);
    assert.deepEqual(run.journal.rollbacks, []);
  });

  it('on SIGTERM during the load: exit 143, no sha256sum left in any pod, replicas back at the baseline', async () => {
    const ns = await deployTarget('busy', true);
    const child = shakedown(['run', 'hpa-cpu', '--set', 'target=busy', '--set', `namespace=${ns}`, '--set', 'sampleEvery=5s', '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/load running in/.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the load to start', timeoutMs: 300_000 });
    child.kill('SIGTERM');
    const r = await child;
    assert.equal(r.exitCode, 143, r.stdout.slice(-3000) + r.stderr);
    const run = declaredOnly(r.stdout);
    assert.equal(run.journal.verdict.reason, 'SIGTERM');
    // The load had started in every chosen pod ("load running in"): each process is a change, undone.
    const { changes, rollbacks } = run.journal;
    assert.ok(changes.some((c) => c.undo.kind === 'process'), `no load process journaled: ${JSON.stringify(changes)}`);
    assert.ok(changes.every((c) => c.status === 'undone'), JSON.stringify(changes));
    assert.ok(rollbacks.some((x) => /back to its baseline/.test(x.name)), `no wait for the baseline among the rollbacks: ${JSON.stringify(rollbacks)}`);
    assert.ok(rollbacks.every((x) => x.status === 'ok'), JSON.stringify(rollbacks));
    const pods = (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: 'app=busy' })).items.filter((p) => p.status?.phase === 'Running');
    assert.ok(pods.length >= 1);
    for (const p of pods) assert.equal(await loadProcesses(s, ns, p.metadata!.name!), 0, `sha256sum left in ${p.metadata?.name}`);
    const hpa = await clients(s).autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'busy', namespace: ns });
    assert.equal(hpa.status?.currentReplicas, 1);
  });
});
