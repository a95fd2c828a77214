// `shakedown schedule` inside the real cluster: its YAML applied, a Job started from the CronJob
// by hand (what `kubectl create job --from=cronjob/…` makes) runs the harness image as the printed
// ServiceAccount, passes on a user's StatefulSet, leaves its verdict in a ConfigMap and an Event,
// and leaves nothing labelled; the same Job aimed at another namespace is refused by the
// --in-cluster guard before it touches anything.
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { applyObjects } from '../../harness/cluster/apply.ts';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import type { ManifestObject } from '../../harness/manifests/load.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { deployUserStatefulSet, kubeconfigOrSkip, labelledLeft, session, shakedown } from '../e2e/helpers.ts';
import { clients } from '../clients.ts';
import { harnessImage } from './image.ts';
import { finished, readCronJob, startJob } from './jobs.ts';
import type { V1CronJob } from '@kubernetes/client-node';

describe('in-cluster: shakedown schedule → CronJob → a Job started by hand', function () {
  this.timeout(900_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  const ns = `sd-ic-sched-${testId}`;
  let s: ClusterSession;
  let image: string;
  let cronJob: V1CronJob;

  before(async function () {
    kubeconfigOrSkip(this);
    s = session();
    image = harnessImage();
    await deployUserStatefulSet(s, ns, 'ledger', 'pvc', labels);
  });

  after(async function () {
    if (!s) return;
    // The namespace (and with it the CronJob, its Jobs, the PVC, the account) and any ClusterRole carry the test's label.
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
  });

  it('the printed YAML applies; the Job passes as the printed ServiceAccount, its ConfigMap says passed, an Event is on the StatefulSet, nothing labelled is left', async () => {
    const printed = await shakedown(['schedule', 'statefulset-identity', '--cron', '0 3 * * *', '--set', 'statefulset=ledger', '--set', 'ordinals=[0]', '--namespace', ns, '--image', image, '--timeout', '10m']);
    assert.equal(printed.exitCode, 0, printed.stderr);
    const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as ManifestObject);
    assert.deepEqual(objects.map((o) => o.kind).filter((k) => k === 'CronJob' || k === 'PersistentVolumeClaim' || k === 'ServiceAccount'), ['ServiceAccount', 'PersistentVolumeClaim', 'CronJob']);
    await applyObjects(s, objects, labels);
    cronJob = await readCronJob(s, ns, 'shakedown-statefulset-identity');
    assert.equal(cronJob.spec?.concurrencyPolicy, 'Forbid');

    const t0 = Date.now();
    const job = await finished(s, ns, await startJob(s, cronJob, 'manual-1'));
    console.log(`      scheduled run in the cluster: ${job.succeeded ? 'succeeded' : 'failed'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    assert.ok(job.succeeded, job.log.slice(-4000));
    assert.match(job.log, /verdict recorded: configmap/);
    assert.doesNotMatch(job.log, /no part of .* declared/, 'every request of the run inside the cluster was declared');

    const cm = await clients(s).core.readNamespacedConfigMap({ namespace: ns, name: 'shakedown-verdict-statefulset-identity' });
    assert.equal(cm.metadata?.labels?.['shakedown.io/experiment'], 'statefulset-identity');
    assert.equal(cm.data?.['verdict'], 'passed', JSON.stringify(cm.data));
    const runId = cm.data?.['runId'];
    assert.match(runId ?? '', /^r\w+/);
    assert.ok(cm.data?.['summary'] && cm.data['endedAt']);
    const events = (await clients(s).core.listNamespacedEvent({ namespace: ns, fieldSelector: 'reason=ShakedownPassed' })).items;
    assert.ok(events.some((e) => e.involvedObject.kind === 'StatefulSet' && e.involvedObject.name === 'ledger' && e.message?.includes(runId!)), JSON.stringify(events.map((e) => e.involvedObject)));
    assert.deepEqual(await labelledLeft(s, runId), [], 'nothing labelled by the scheduled run is left');
  });

  it('the same Job aimed at another namespace is refused by the --in-cluster guard (exit 2), before anything is touched', async function () {
    if (!cronJob) this.skip();
    const job = await finished(s, ns, await startJob(s, cronJob, 'manual-elsewhere', (args) => args.map((a, i) => (args[i - 1] === '--namespace' ? 'default' : a))));
    assert.equal(job.succeeded, false, job.log);
    assert.match(job.log, /--in-cluster .*: the run's namespace is default, not sd-ic-sched-\w+, the one the CronJob was made for; refused/);
    assert.doesNotMatch(job.log, /run=r\w+ started/);
  });
});
