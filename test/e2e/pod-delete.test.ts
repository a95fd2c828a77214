// pod-delete end to end on the local cluster: its fixture, and users' own Deployment,
// StatefulSet, DaemonSet and ReplicaSet (each replacement followed as its controller makes it),
// a Deployment whose replacements are slow to be Ready (a finding), and a missing workload.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';
import { clients } from '../clients.ts';

describe('e2e: pod-delete', function () {
  this.timeout(600_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let reports: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-pod-delete-'));
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    assert.deepEqual(await labelledLeft(s), [], 'no object labelled shakedown.io/run-id is left');
    rmSync(reports, { recursive: true, force: true });
  });

  /** A pod template serving :8080, Ready once `readyAfter` seconds have passed since it started. */
  const template = (app: string, readyAfter = 0): V1PodTemplateSpec => ({
    metadata: { labels: { app, ...labels } },
    spec: {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'web',
          image: IMAGE,
          command: ['sh', '-c', `trap 'exit 0' TERM; (sleep ${readyAfter}; touch /tmp/ready) & httpd -f -p 8080 & wait`],
          readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
        },
      ],
    },
  });

  async function userWorkload(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet', name: string, readyAfter = 0, replicas = 2): Promise<string> {
    const ns = `sd-e2e-pd-${kind.toLowerCase()}-${name}-${testId}`;
    const c = clients(s);
    await c.core.createNamespace({ body: { metadata: { name: ns, labels } } });
    const selector = { matchLabels: { app: name } };
    const metadata = { name, labels };
    if (kind === 'Deployment') await c.apps.createNamespacedDeployment({ namespace: ns, body: { metadata, spec: { replicas, selector, template: template(name, readyAfter) } } });
    if (kind === 'ReplicaSet') await c.apps.createNamespacedReplicaSet({ namespace: ns, body: { metadata, spec: { replicas: 2, selector, template: template(name, readyAfter) } } });
    if (kind === 'DaemonSet') await c.apps.createNamespacedDaemonSet({ namespace: ns, body: { metadata, spec: { selector, template: template(name, readyAfter) } } });
    if (kind === 'StatefulSet') {
      await c.core.createNamespacedService({ namespace: ns, body: { metadata, spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } } });
      await c.apps.createNamespacedStatefulSet({ namespace: ns, body: { metadata, spec: { replicas: 2, serviceName: name, podManagementPolicy: 'Parallel', selector, template: template(name, readyAfter) } } });
    }
    // Whole before the run: its steady state is the workload's, not the test's to wait for.
    await waitFor(async () => {
      const pods = await c.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` });
      const ready = pods.items.filter((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
      return ready.length >= (kind === 'DaemonSet' ? 1 : replicas) ? done(undefined) : notYet(`${ready.length} Ready`);
    }, { what: `${kind} ${name} Ready`, timeoutMs: 120_000, intervalMs: 500 });
    return ns;
  }

  /**
   * Every run, whatever its verdict: each API request it made was declared by one of its parts
   * (the rules `shakedown rbac` grants), read from the journal's table of what it used.
   */
  const run = async (args: string[]) => {
    const r = await shakedown(['run', 'pod-delete', '--set', 'gracePeriodSeconds=2', '--report-dir', reports, ...args]);
    const x = { r, run: readRun(r.stdout) };
    const used = x.run.journal.tables.find((t) => t.title === 'API permissions used');
    assert.ok(used && used.rows.length > 0, 'the run journals the API permissions it used');
    assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every API request was declared by a part');
    assert.ok(!x.run.journal.events.some((e) => e.type === 'undeclared-permission'));
    assert.ok(used.rows.some((row) => /^coordination\.k8s\.io\/leases: .*create/.test(String(row[0]))), "the run's own Lease is among them");
    return x;
  };
  const explain = (x: Awaited<ReturnType<typeof run>>) => `${JSON.stringify(x.run.journal.verdict)}\n${x.run.failures.join('\n')}`;
  const replacements = (x: Awaited<ReturnType<typeof run>>) => x.run.journal.checks.filter((c) => c.name === 'replacement-ready');

  it('passes on its own fixture: every pod of the Deployment replaced under a new name and Ready, Service endpoints back', async () => {
    const x = await run(['--set', `image=${IMAGE}`, '--namespace', `sd-e2e-pd-fixture-${testId}`]);
    assert.equal(x.r.exitCode, 0, explain(x));
    const reps = replacements(x);
    assert.equal(reps.length, 3, 'one check per pod of the 3-replica fixture');
    for (const c of reps) {
      assert.equal(c.status, 'passed');
      assert.notEqual(c.evidence['newName'], c.target, 'a Deployment replaces its pod under a new name');
    }
    assert.deepEqual(x.run.journal.checks.filter((c) => c.name !== 'replacement-ready').map((c) => `${c.name}:${c.status}`).sort(), ['endpoints-restored:passed', 'ready-replicas-restored:passed', 'steady-state:passed']);
    assert.deepEqual(await labelledLeft(s, x.run.journal.runId), []);
  });

  for (const [kind, ref, sameName] of [
    ['StatefulSet', 'statefulset/ledger-store', true],
    ['DaemonSet', 'ds/node-agent', false],
    ['ReplicaSet', 'rs/bare-rs', false],
  ] as const) {
    it(`follows a user's ${kind} (${ref}): ${sameName ? 'the same name back' : 'a new pod'} for each one deleted`, async () => {
      const name = ref.split('/')[1]!;
      const ns = await userWorkload(kind, name);
      const x = await run(['--namespace', ns, '--set', `workload=${ref}`]);
      assert.equal(x.r.exitCode, 0, explain(x));
      const reps = replacements(x);
      assert.ok(reps.length >= 1, 'at least one pod deleted');
      for (const c of reps) {
        assert.equal(c.status, 'passed', c.observed);
        assert.equal(c.evidence['newName'] === c.target, sameName, `${c.target} → ${String(c.evidence['newName'])}`);
        assert.notEqual(c.evidence['newUid'], c.evidence['oldUid']);
      }
    });
  }

  it("finds a Deployment whose replacements are Ready only after 15 s when 5 s are allowed: replacement-ready fails, exit 1", async () => {
    const ns = await userWorkload('Deployment', 'slow-start', 15);
    const x = await run(['--namespace', ns, '--set', 'workload=deployment/slow-start', '--set', 'count=1', '--set', 'recoveryWithin=5s', '--set', 'restoredWithin=60s']);
    assert.equal(x.r.exitCode, 1, explain(x));
    assert.equal(x.run.journal.verdict.kind, 'failed');
    const reps = replacements(x);
    assert.equal(reps.length, 1);
    assert.equal(reps[0]?.status, 'failed');
    assert.match(reps[0]?.observed ?? '', /Ready after|no replacement Ready/);
    // It did come back whole, later: only the bound was missed.
    assert.equal(x.run.journal.checks.find((c) => c.name === 'ready-replicas-restored')?.status, 'passed');
  });

  const probeCheck = (x: Awaited<ReturnType<typeof run>>) => {
    const probe = x.run.journal.checks.filter((c) => c.name === 'http-probe-during-fault');
    assert.equal(probe.length, 1, 'the probe is judged once');
    return probe[0]!;
  };

  it('probes the fixture through its Service during the fault: served (at most the default 10% failed) while one pod at a time is replaced', async () => {
    const x = await run(['--set', `image=${IMAGE}`, '--namespace', `sd-e2e-pd-probe-${testId}`, '--set', 'probePath=/']);
    assert.equal(x.r.exitCode, 0, explain(x));
    const c = probeCheck(x);
    assert.equal(c.status, 'passed', c.observed);
    assert.ok(Number(c.evidence['attempts']) >= 5, `attempts during the fault: ${String(c.evidence['attempts'])}`);
    assert.ok(x.run.journal.series.some((sr) => sr.name === 'http-probe latency' && sr.points.length >= 5), 'latencies journaled');
  });

  it('drives the built-in load through the fixture\'s client Service: judged per phase, its fault window around the deletions', async () => {
    // Limits this fixture meets (no preStop drain: kube-proxy may still route to a deleted pod
    // for a moment); the load e2e tests hold the judgement itself to account.
    const x = await run(['--set', `image=${IMAGE}`, '--namespace', `sd-e2e-pd-load-${testId}`, '--set', 'load=builtin', '--set', 'loadSteadyFor=5s', '--set', 'loadRecoveryFor=5s', '--set', 'loadMaxErrorRate=0.5', '--set', 'loadMaxP95Ratio=250', '--set', 'loadRecoverWithin=120s']);
    assert.equal(x.r.exitCode, 0, explain(x));
    assert.deepEqual(x.run.journal.checks.filter((c) => c.name.startsWith('load-')).map((c) => `${c.name}:${c.status}`), ['load-errors-during-fault:passed', 'load-p95-during-fault:passed', 'load-recovered:passed']);
    const fault = x.run.journal.windows.find((w) => w.name === 'fault');
    assert.ok(fault?.end, `a closed fault window: ${JSON.stringify(x.run.journal.windows)}`);
    const deletions = x.run.journal.events.filter((e) => e.type === 'pod-delete').map((e) => Date.parse(e.at));
    assert.equal(deletions.length, 3, 'each of the 3 fixture pods deleted');
    assert.ok(deletions.every((t) => t >= Date.parse(fault.start) && t <= Date.parse(fault.end!)), `deletions ${deletions.map((t) => new Date(t).toISOString()).join(', ')} inside the fault window ${fault.start}…${fault.end}`);
    assert.ok(x.run.journal.rollbacks.some((r) => r.name === 'stop the load' && r.status === 'ok'), 'the rollback stopped the load');
    assert.deepEqual(await labelledLeft(s, x.run.journal.runId), []);
  });

  it("finds a one-replica Deployment's Service unserved while its only pod is replaced: the probe is the finding, exit 1", async () => {
    const ns = await userWorkload('Deployment', 'lonely', 3, 1);
    await clients(s).core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'lonely', labels }, spec: { selector: { app: 'lonely' }, ports: [{ name: 'web', port: 80, targetPort: 8080 }] } } });
    await waitFor(async () => {
      const slices = await clients(s).discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=lonely' });
      return slices.items.some((sl) => sl.endpoints?.some((e) => e.conditions?.ready)) ? done(undefined) : notYet('no ready endpoint');
    }, { what: 'Service lonely with a ready endpoint', timeoutMs: 60_000, intervalMs: 500 });
    const x = await run(['--namespace', ns, '--set', 'workload=deployment/lonely', '--set', 'service=lonely', '--set', 'probePath=/']);
    assert.equal(x.r.exitCode, 1, explain(x));
    const c = probeCheck(x);
    assert.equal(c.status, 'failed', c.observed);
    assert.match(c.observed, /HTTP 503/);
    assert.ok(Number(c.evidence['failed']) >= 2, c.observed);
    // The pod itself came back in time: the probe alone is the finding.
    assert.ok(replacements(x).length === 1 && replacements(x).every((r) => r.status === 'passed'));
  });

  it('stops a workload that does not exist as a target-selection error, exit 3, nothing deleted', async () => {
    const ns = `sd-e2e-pd-none-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
    const x = await run(['--namespace', ns, '--set', 'workload=deployment/not-there']);
    assert.equal(x.r.exitCode, 3, explain(x));
    const v = x.run.journal.verdict;
    assert.ok(v.kind === 'error' && v.code === 'TARGET_SELECTION', JSON.stringify(v));
    assert.match(x.r.stderr + x.r.stdout, /Deployment .*not-there does not exist/);
    assert.ok(!x.run.journal.events.some((e) => e.type === 'pod-delete'), 'nothing was deleted');
  });
});
