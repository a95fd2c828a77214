// `shakedown schedule` and `run --record-verdict`: the YAML they print and the record they
// write, as pure data (the in-cluster tier runs them for real).
import assert from 'node:assert/strict';
import type { V1CronJob } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import podDelete from '../../../experiments/pod-delete/experiment.ts';
import { checkCron, scheduleYaml, ROLLBACK_ALLOWANCE_S } from '../../../harness/cli/schedule.ts';
import { rbacYaml } from '../../../harness/cli/rbac.ts';
import { eventSubject, verdictConfigMapName, verdictData } from '../../../harness/cluster/verdict-record.ts';
import { UsageError } from '../../../harness/engine/errors.ts';
import { parseSetFlags, validateParams } from '../../../harness/engine/params.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; rules?: { resources: string[]; verbs: string[] }[]; spec?: Record<string, unknown> };

const prepared = (...set: string[]) => ({ def: podDelete, params: validateParams('pod-delete', podDelete.params, parseSetFlags(set, podDelete.params)) });
const docs = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as Obj);
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message);

describe('shakedown schedule', () => {
  it('takes five cron fields or a macro, and names a bad field', () => {
    assert.equal(checkCron('0 3 * * *'), '0 3 * * *');
    assert.equal(checkCron(' */15  0-6 1,15 JAN-MAR mon-fri '), '*/15 0-6 1,15 JAN-MAR mon-fri');
    assert.equal(checkCron('@daily'), '@daily');
    assert.throws(() => checkCron('0 3 * *'), usage(/^--cron "0 3 \* \*" is not a cron schedule: five fields/));
    assert.throws(() => checkCron('0 3 * * * *'), usage(/five fields/));
    assert.throws(() => checkCron('0 3 * * $(rm)'), usage(/"\$\(rm\)" is not a field$/));
    assert.throws(() => checkCron('@sometimes'), usage(/is not a cron schedule/));
    assert.throws(() => checkCron(''), usage(/is not a cron schedule/));
  });

  it('prints the RBAC with the verdict rules, a reports PVC and a CronJob running the image as that account, guarded, in the namespace', async () => {
    const objs = docs(await scheduleYaml(prepared('workload=deployment/web', 'namespace=shop'), { cron: '0 3 * * *', set: ['workload=deployment/web'], namespace: 'shop', image: 'reg.example/shakedown:9', timeout: '20m', storageSize: '2Gi', storageClass: 'fast' }));
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), [
      'ServiceAccount/shop/shakedown-pod-delete',
      'Role/default/shakedown-pod-delete-shop',
      'RoleBinding/default/shakedown-pod-delete-shop',
      'Role/shop/shakedown-pod-delete',
      'RoleBinding/shop/shakedown-pod-delete',
      'PersistentVolumeClaim/shop/shakedown-pod-delete-reports',
      'CronJob/shop/shakedown-pod-delete',
    ]);
    const role = objs.find((o) => o.kind === 'Role' && o.metadata.namespace === 'shop')!;
    assert.deepEqual(role.rules!.filter((r) => r.resources.includes('configmaps') || r.resources.includes('events')).map((r) => `${r.resources.join()}: ${r.verbs.join()}`), ['configmaps: get,create,update', 'events: create']);
    assert.deepEqual(objs[5]!.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' });
    const cron = (objs[6] as unknown as V1CronJob).spec;
    assert.equal(cron.schedule, '0 3 * * *');
    assert.equal(cron.concurrencyPolicy, 'Forbid');
    const job = cron.jobTemplate.spec!;
    assert.equal(job.activeDeadlineSeconds, 20 * 60 + ROLLBACK_ALLOWANCE_S);
    assert.equal(job.backoffLimit, 0);
    const pod = job.template.spec!;
    assert.equal(pod.serviceAccountName, 'shakedown-pod-delete');
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    const c = pod.containers[0]!;
    assert.equal(c.image, 'reg.example/shakedown:9');
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(c.args, ['run', 'pod-delete', '--set', 'workload=deployment/web', '--namespace', 'shop', '--in-cluster', 'shop/shakedown-pod-delete', '--record-verdict', '--report-dir', '/reports', '--timeout', '20m']);
    assert.deepEqual(c.volumeMounts?.map((m) => m.mountPath), ['/reports', '/tmp']);
    assert.equal(pod.volumes?.[0]?.persistentVolumeClaim?.claimName, 'shakedown-pod-delete-reports');
  });

  it('refuses a bad schedule, image, size or timeout before printing anything', async () => {
    const base = { cron: '0 3 * * *', timeout: '30m', storageSize: '1Gi' };
    const p = prepared('workload=deployment/web');
    await assert.rejects(scheduleYaml(p, { ...base, cron: 'often' }), usage(/^--cron/));
    await assert.rejects(scheduleYaml(p, { ...base, image: 'Not An Image' }), usage(/^--image "Not An Image" is not an image reference/));
    await assert.rejects(scheduleYaml(p, { ...base, storageSize: '1TB' }), usage(/^--storage-size "1TB"/));
    await assert.rejects(scheduleYaml(p, { ...base, timeout: 'soon' }), usage(/^--timeout "soon" is not a duration/));
  });

  it('rbac --record-verdict adds exactly the ConfigMap and Event rules, in the run namespace', async () => {
    const rules = async (record: boolean) => docs(await rbacYaml([prepared('workload=deployment/web', 'namespace=shop')], { recordVerdict: record })).find((o) => o.kind === 'Role' && o.metadata.namespace === 'shop')!.rules!;
    const without = await rules(false);
    const withRecord = await rules(true);
    assert.ok(without.length > 0);
    assert.deepEqual(withRecord.filter((r) => !without.some((w) => JSON.stringify(w) === JSON.stringify(r))).map((r) => r.resources.join()), ['configmaps', 'events']);
  });
});

describe('run --record-verdict: what is recorded', () => {
  const base = { experiment: 'pod-delete', namespace: 'shop', runId: 'rabc', startedAt: '2026-12-07T03:00:00.000Z', endedAt: '2026-12-07T03:01:00.000Z', reportDir: '/reports/x', target: { experiment: 'pod-delete', namespace: 'shop', object: 'deployment/web' } };

  it('the ConfigMap holds verdict, summary, run id, times and report folder; findings or the error when there are', () => {
    assert.deepEqual(verdictData({ ...base, verdict: { kind: 'passed', summary: 'all held' } }), { verdict: 'passed', summary: 'all held', runId: 'rabc', startedAt: base.startedAt, endedAt: base.endedAt, reportDir: '/reports/x' });
    assert.equal(verdictData({ ...base, verdict: { kind: 'failed', summary: '2 findings', findings: ['a', 'b'] } })['findings'], 'a\nb');
    const err = verdictData({ ...base, verdict: { kind: 'error', summary: 'broke', phase: 'inject', code: 'INJECT', message: 'forbidden' } });
    assert.deepEqual([err['verdict'], err['code'], err['message']], ['error', 'INJECT', 'forbidden']);
  });

  it('the Event is on the target the parameters name, else on the verdict ConfigMap; the name is a valid object name', () => {
    assert.deepEqual(eventSubject(base), { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' });
    assert.deepEqual(eventSubject({ ...base, experiment: 'statefulset-identity', target: { ...base.target, object: 'ledger' } }), { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'ledger', namespace: 'shop' });
    assert.deepEqual(eventSubject({ ...base, target: { ...base.target, object: '' } }), { apiVersion: 'v1', kind: 'ConfigMap', name: 'shakedown-verdict-pod-delete', namespace: 'shop' });
    assert.equal(verdictConfigMapName('team.exp_1'), 'shakedown-verdict-team-exp-1');
    assert.equal(verdictConfigMapName(`${'x'.repeat(240)}_y`).length, 253);
    assert.doesNotMatch(verdictConfigMapName(`${'x'.repeat(234)}_y`), /-$/);
  });
});
