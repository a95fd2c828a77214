// Run-to-run comparison on the local cluster with a real slowdown: two runs of statefulset-identity
// on the same user StatefulSet compare as no regression; after its readiness probe is made to wait
// 8 s before its first check, `run --baseline` and `compare` both flag the recovery metric.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { clients } from '../clients.ts';
import { deployUserStatefulSet, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';

const READY_DELAY_SECONDS = 8;

interface Compared {
  regressed: boolean;
  metrics: { name: string; verdict: string; baseline: { n: number }; current: { n: number } }[];
}

describe('e2e: compare (a real slowdown on a user StatefulSet)', function () {
  this.timeout(900_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  const ns = `shakedown-cmp-e2e-${testId}`;
  let s: ClusterSession;
  let reports: string;
  const runs: string[] = [];
  const runIds: string[] = [];
  // Small and quick: 3 pods (3 samples per run, the fewest for a verdict), no rescale step.
  const runArgs = ['run', 'statefulset-identity', '--set', 'statefulset=orders', '--namespace', ns, '--set', 'rescale=false', '--set', 'recoveryWithin=60s'];

  before(async function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-cmp-'));
    await deployUserStatefulSet(s, ns, 'orders', 'pvc', labels, { replicas: 3 });
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    // By run id: the cluster is shared, other runs' objects are not this test's to judge.
    for (const id of [testId, ...runIds]) assert.deepEqual(await labelledLeft(s, id), [], `nothing labelled shakedown.io/run-id=${id} is left`);
    rmSync(reports, { recursive: true, force: true });
  });

  const compare = async (...args: string[]) => {
    const r = await shakedown(['compare', ...args, '--json']);
    return { code: r.exitCode, out: r.exitCode === 2 ? undefined : (JSON.parse(r.stdout) as Compared), stderr: r.stderr };
  };

  it('two runs of the same StatefulSet compare as no regression (exit 0), readyAfterDelete judged on 3 samples each', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await shakedown([...runArgs, '--report-dir', join(reports, 'history')]);
      const run = readRun(r.stdout);
      assert.equal(r.exitCode, 0, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
      const ready = run.journal.metrics.find((m) => m.name === 'readyAfterDelete');
      assert.equal(ready?.samples.length, 3, 'one sample per deleted pod');
      assert.equal(ready?.target, `StatefulSet ${ns}/orders`);
      runs.push(run.dir);
      runIds.push(run.journal.runId);
    }
    const c = await compare(runs[0]!, runs[1]!);
    assert.equal(c.code, 0, JSON.stringify(c.out?.metrics));
    const ready = c.out?.metrics.find((m) => m.name === 'readyAfterDelete');
    assert.deepEqual([ready?.verdict, ready?.baseline.n, ready?.current.n], ['unchanged', 3, 3]);
  });

  it(`with its readiness probe delayed ${READY_DELAY_SECONDS} s: run --baseline is a finding naming readyAfterDelete (exit 1), and compare exits 1`, async () => {
    assert.equal(runs.length, 2, 'the two baseline runs exist');
    await delayReadiness(s, ns, 'orders', READY_DELAY_SECONDS);
    const r = await shakedown([...runArgs, '--report-dir', join(reports, 'slowed'), '--baseline', join(reports, 'history')]);
    const run = readRun(r.stdout);
    runIds.push(run.journal.runId);
    assert.equal(r.exitCode, 1, `${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    const findings = run.journal.verdict.findings ?? [];
    assert.ok(findings.includes(`baseline:readyAfterDelete (StatefulSet ${ns}/orders)`), findings.join('\n'));
    // DNS follows Ready (a pod's record appears once it is Ready), so it may regress with it;
    // the pod is recreated as fast as before: that metric must not be flagged.
    assert.ok(!findings.some((f) => f.startsWith('baseline:recreatedAfterDelete')), findings.join('\n'));
    assert.ok(run.failures.some((f) => f.startsWith('verify: baseline:readyAfterDelete')), run.failures.join('\n'));
    assert.match(r.stdout, /compared with the baseline: regressed: .*readyAfterDelete.*; verdict failed/);
    assert.match(readFileSync(join(run.dir, 'report.md'), 'utf8'), /\| readyAfterDelete \| .* \| \*\*REGRESSED\*\* \|/);
    assert.match(readFileSync(join(run.dir, 'report.html'), 'utf8'), /Baseline vs current, per metric/);
    // Every hypothesis check of the run itself still held: the regression is the only finding.
    const notPassed = run.journal.checks.filter((ch) => ch.status !== 'passed').map((ch) => ch.name);
    assert.ok(notPassed.length > 0 && notPassed.every((n) => n === 'baseline:readyAfterDelete' || n === 'baseline:dnsAfterDelete'), notPassed.join(', '));
    const c = await compare(runs[0]!, run.dir);
    assert.equal(c.code, 1, JSON.stringify(c.out?.metrics));
    assert.equal(c.out?.metrics.find((m) => m.name === 'readyAfterDelete')?.verdict, 'regressed');
    assert.equal(c.out?.metrics.find((m) => m.name === 'recreatedAfterDelete')?.verdict, 'unchanged');
  });

  it('a file that is not a journal: exit 2 from compare, and from run --baseline before the cluster is touched', async () => {
    const notes = join(reports, 'notes.json');
    writeFileSync(notes, JSON.stringify({ hello: 'world' }));
    const c = await compare(notes, runs[0] ?? notes);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /unsupported schema/);
    const r = await shakedown([...runArgs, '--report-dir', join(reports, 'refused'), '--baseline', notes]);
    assert.equal(r.exitCode, 2, r.stdout);
    assert.match(r.stderr, /notes\.json has an unsupported schema/);
    assert.doesNotMatch(r.stdout, /reports: /, 'no run started');
  });
});

/** Makes the StatefulSet's readiness probe wait `seconds` before its first check, and waits for the rollout. */
async function delayReadiness(s: ClusterSession, ns: string, name: string, seconds: number): Promise<void> {
  const apps = clients(s).apps;
  const sts = await apps.readNamespacedStatefulSet({ name, namespace: ns });
  const web = sts.spec!.template.spec!.containers.find((c) => c.name === 'web')!;
  web.readinessProbe = { ...web.readinessProbe, initialDelaySeconds: seconds };
  await apps.replaceNamespacedStatefulSet({ name, namespace: ns, body: sts });
  await waitFor(
    async () => {
      const x = await apps.readNamespacedStatefulSet({ name, namespace: ns });
      const st = x.status;
      const rolled = st?.observedGeneration === x.metadata?.generation && st?.updateRevision === st?.currentRevision && st?.updatedReplicas === x.spec?.replicas && st?.readyReplicas === x.spec?.replicas;
      return rolled ? done(undefined) : notYet(`${st?.updatedReplicas ?? 0} updated, ${st?.readyReplicas ?? 0} ready`);
    },
    { what: `${ns}/${name} rolled out with the delayed readiness probe`, timeoutMs: 300_000, intervalMs: 1000 },
  );
}
