// Load beside statefulset-identity on the local cluster: the built-in driver through the
// fixture's client NodePort Service on 127.0.0.1, judged per phase. A pass within its limits,
// and a limit of zero errors on pods force-deleted under 100 req/s, which must fail by name.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';

interface LoadJournal {
  series: { name: string; group: string; points: { at: string; value: number }[] }[];
  windows: { name: string; start: string; end?: string }[];
  tables: { title: string; rows: (string | number | null)[][] }[];
}

describe('e2e: load beside statefulset-identity', function () {
  this.timeout(600_000);
  const id = newRunId();
  let s: ClusterSession;
  let reports: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-load-'));
  });
  after(() => {
    if (reports) rmSync(reports, { recursive: true, force: true });
  });

  const run = (ns: string, ...sets: string[]) =>
    shakedown(['run', 'statefulset-identity', '--set', `image=${IMAGE}`, '--set', `namespace=${ns}`, '--set', 'rescale=false', '--set', 'load=builtin', ...sets.flatMap((x) => ['--set', x]), '--report-dir', reports]);

  it('passes within its limits; the journal holds per-second series, the load and fault windows and a per-phase table', async () => {
    // Limits this fixture meets: it has no preStop drain, so while kube-proxy still routes to a
    // deleted pod a few requests are refused or hang to their 2 s timeout (up to 200× the 10 ms
    // p95 floor). The zero-error case below shows the same traffic as a finding.
    const r = await run(`sd-e2e-load-pass-${id}`, 'loadMaxErrorRate=0.5', 'loadMaxP95Ratio=250', 'loadRecoverWithin=120s');
    const out = readRun(r.stdout);
    assert.equal(r.exitCode, 0, `${JSON.stringify(out.journal.verdict)}\n${out.failures.join('\n')}`);
    const load = out.journal.checks.filter((c) => c.name.startsWith('load-'));
    assert.deepEqual(load.map((c) => [c.name, c.status]), [
      ['load-errors-during-fault', 'passed'],
      ['load-p95-during-fault', 'passed'],
      ['load-recovered', 'passed'],
    ]);
    const j = JSON.parse(readFileSync(join(out.dir, 'journal.json'), 'utf8')) as LoadJournal;
    const sent = j.series.find((x) => x.group === 'load: requests/s' && x.name === 'sent');
    // 10 s steady + the fault + 15 s recovery, one point per second, each about 20 requests.
    assert.ok(sent && sent.points.length >= 25, `points: ${sent?.points.length}`);
    const full = sent.points.slice(1, -1);
    assert.ok(full.every((p) => p.value >= 19 && p.value <= 21), `offered rate held: ${full.map((p) => p.value).join(',')}`);
    assert.deepEqual(j.windows.map((w) => w.name).sort(), ['fault', 'load']);
    assert.ok(j.windows.every((w) => w.end), 'both windows closed');
    assert.deepEqual(j.tables.find((t) => t.title.startsWith('Load per phase'))?.rows.map((row) => row[0]), ['steady', 'fault', 'recovery']);
    assert.ok(out.journal.rollbacks.some((x) => x.name === 'stop the load' && x.status === 'ok'));
    assert.deepEqual(await labelledLeft(s, out.journal.runId), []);
  });

  it('FAILS with load-errors-during-fault when zero errors are allowed and pods are force-deleted under 100 req/s (exit 1)', async () => {
    const r = await run(`sd-e2e-load-fail-${id}`, 'force=true', 'loadRate=100', 'loadMaxErrorRate=0');
    const out = readRun(r.stdout);
    assert.equal(r.exitCode, 1, `${JSON.stringify(out.journal.verdict)}\n${r.stdout.slice(-2000)}`);
    assert.equal(out.journal.verdict.kind, 'failed');
    assert.ok(out.failures.some((f) => f.startsWith('verify: load-errors-during-fault')), out.failures.join('\n'));
    // The pods themselves came back: the finding is what their clients saw.
    // Every pod of the fixture (3 replicas, ordinals "all") was deleted and came back as itself.
    const identity = out.journal.checks.filter((c) => c.name === 'same-identity');
    assert.deepEqual(identity.map((c) => c.target).sort(), ['shakedown-web-0', 'shakedown-web-1', 'shakedown-web-2']);
    assert.ok(identity.every((c) => c.status === 'passed'), JSON.stringify(identity));
    assert.deepEqual(await labelledLeft(s, out.journal.runId), []);
  });
});
