// loadWorkers=3 on the local cluster: pod-delete's own fixture (busybox httpd behind a Service)
// loaded from three worker pods of the harness image, at 30 req/s for a short run. One merged
// verdict, whose request count is the sum of the workers' own counts; each worker's figures in
// the journal; every API request the workers took declared; nothing labelled left behind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { LABEL_RUN_ID } from '../../harness/engine/run-id.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { clients } from '../clients.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from '../e2e/helpers.ts';
import { harnessImage } from './image.ts';

describe('in-cluster: load spread over three worker pods', function () {
  this.timeout(600_000);
  const id = newRunId();
  let s: ClusterSession;
  let reports: string;
  let image: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-incluster-lw-'));
    image = harnessImage();
  });
  after(() => {
    if (reports) rmSync(reports, { recursive: true, force: true });
  });

  /** pod-delete on its fixture, its load from three worker pods at 30 req/s; limits this fixture meets under a pod deletion. */
  const run = (ns: string, steadyFor: string) =>
    shakedown([
      'run', 'pod-delete', '--namespace', ns, '--report-dir', reports,
      ...['image=' + IMAGE, 'replicas=2', 'count=1', 'gracePeriodSeconds=2', 'load=builtin', 'loadWorkers=3', `loadWorkerImage=${image}`, 'loadRate=30',
        `loadSteadyFor=${steadyFor}`, 'loadRecoveryFor=5s', 'loadMaxErrorRate=0.5', 'loadMaxP95Ratio=1000', 'loadRecoverWithin=120s'].flatMap((x) => ['--set', x]),
    ]);
  type Table = { title: string; columns: string[]; rows: (string | number | null)[][] };
  const workersTable = (tables: Table[]) => {
    const table = tables.find((t) => t.title.startsWith('Load workers'));
    assert.ok(table, 'the journal has the workers table');
    return { table, col: (name: string) => table.columns.indexOf(name) };
  };

  it('gives one merged verdict whose requests are the sum of the workers\', with each worker\'s figures in the journal', async () => {
    const r = await run(`sd-e2e-lw-${id}`, '5s');
    const out = readRun(r.stdout);
    const j = out.journal;
    assert.equal(r.exitCode, 0, `${JSON.stringify(j.verdict)}\n${out.failures.join('\n')}\n${r.stderr.slice(-2000)}`);
    assert.deepEqual(j.checks.filter((c) => c.name.startsWith('load-')).map((c) => [c.name, c.status]), [
      ['load-errors-during-fault', 'passed'],
      ['load-p95-during-fault', 'passed'],
      ['load-recovered', 'passed'],
    ]);

    const { table, col } = workersTable(j.tables);
    assert.deepEqual(table.rows.map((row) => row[col('worker')]), [0, 1, 2]);
    assert.deepEqual(table.rows.map((row) => row[col('rate req/s')]), [10, 10, 10]);
    for (const row of table.rows) {
      assert.ok(Number(row[col('requests')]) > 0, `worker ${row[0]} sent requests`);
      assert.ok(String(row[col('node')]).length > 0, `worker ${row[0]} ran on a node`);
      assert.equal(row[col('seconds missing')], 0, `worker ${row[0]} left no gap`);
      assert.match(String(row[col('ended')]), /^done: /);
    }
    const stopped = j.events.find((e) => e.type === 'load-stopped');
    const totals = (stopped?.data as { totals: { outcomes: Record<string, number> } } | undefined)?.totals;
    assert.ok(totals, 'the load-stopped event carries the merged totals');
    const merged = Object.values(totals.outcomes).reduce((a, n) => a + n, 0);
    const workers = table.rows.reduce((a, row) => a + Number(row[col('requests')]), 0);
    // Each worker's own count, from the last line it printed: independent of the merge.
    const own = table.rows.reduce((a, row) => a + Number(row[col('own count')]), 0);
    assert.ok(merged > 0);
    assert.equal(merged, workers, 'the merged request count is the sum of the workers\' seconds');
    assert.equal(merged, own, 'the merged request count is the sum of the workers\' own counts');
    assert.ok(!j.events.some((e) => e.type === 'load-worker-gap' || e.type === 'load-worker-lost'));

    // The workers' Job and its pods' logs were reached only through declared permissions.
    const used = j.tables.find((t) => t.title === 'API permissions used');
    assert.ok(used && used.rows.some((row) => String(row[0]).startsWith('batch/jobs')) && used.rows.some((row) => String(row[0]).startsWith('pods/log')));
    assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), []);

    assert.deepEqual(await labelledLeft(s, j.runId), []);
    const jobs = await s.objects.list('batch/v1', 'Job', { labelSelector: `${LABEL_RUN_ID}=${j.runId}` });
    assert.deepEqual(jobs.items, [], 'the worker Job is gone');
  });

  it('a worker whose pod is deleted mid-run is a journaled gap: its seconds missing are offered, never served', async () => {
    const ns = `sd-e2e-lw-gap-${id}`;
    const pending = run(ns, '10s');
    // Once worker 1 has printed a second of load, its pod is deleted (SIGTERM, as an eviction would).
    const pod = await waitFor(
      async () => {
        const pods = await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/component=load-worker,batch.kubernetes.io/job-completion-index=1` });
        const p = pods.items.find((x) => x.status?.phase === 'Running');
        if (!p?.metadata?.name) return notYet('no running pod of worker 1');
        const log = await clients(s).core.readNamespacedPodLog({ name: p.metadata.name, namespace: ns, container: 'load-worker' });
        return log.includes('"type":"second"') ? done(p.metadata.name) : notYet('no second printed yet');
      },
      { what: 'worker 1 sending', timeoutMs: 240_000, intervalMs: 500, retryErrors: true },
    );
    await clients(s).core.deleteNamespacedPod({ name: pod, namespace: ns });
    const r = await pending;
    const out = readRun(r.stdout);
    const j = out.journal;
    const lost = j.events.filter((e) => e.type === 'load-worker-lost');
    assert.deepEqual(lost.map((e) => (e.data as { index: number }).index), [1], JSON.stringify(lost));
    const gap = j.events.find((e) => e.type === 'load-worker-gap');
    const data = gap?.data as { index: number; missing: string[]; missingRequests: number } | undefined;
    assert.ok(data && data.index === 1 && data.missing.length > 0 && data.missingRequests > 0, JSON.stringify(gap));
    const { table, col } = workersTable(j.tables);
    assert.deepEqual(table.rows.map((row) => Number(row[col('seconds missing')]) > 0), [false, true, false]);
    // The missing requests are offered and never sent: a third of the load gone for most of the
    // run is a driver that did not deliver (an error), not a pass on a thinner load.
    const phases = j.tables.find((t) => t.title.startsWith('Load per phase'));
    assert.ok(phases);
    const pc = (name: string) => phases.columns.indexOf(name);
    const offered = phases.rows.reduce((a, row) => a + Number(row[pc('offered')]), 0);
    const sent = phases.rows.reduce((a, row) => a + Number(row[pc('sent')]), 0);
    assert.ok(offered - sent >= data.missingRequests * 0.5, `offered ${offered}, sent ${sent}, missing ${data.missingRequests}`);
    assert.equal(r.exitCode, 3, JSON.stringify(j.verdict));
    assert.equal(j.checks.find((c) => c.name === 'load-delivered')?.status, 'error');
    assert.deepEqual(await labelledLeft(s, j.runId), []);
  });
});
