// The API server goes away for about 10 s while a pod is being deleted: the run must not hang or
// leave the cluster changed. It completes (its waits resume) or ends `error`, and once the
// server is back its rollback and teardown have run and nothing labelled is left. The server is
// frozen with SIGSTOP (connections hang, as with a partition) and thawed with SIGCONT.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';

const PID_FILE = join(process.env['SHAKEDOWN_CACHE'] ?? join(homedir(), '.cache/shakedown'), 'local-cluster/pids/kube-apiserver.pid');

describe('e2e: the API server goes away during the fault', function () {
  this.timeout(600_000);
  let reports: string;
  let pid: number | undefined;

  before(function () {
    kubeconfigOrSkip(this);
    try {
      pid = Number(readFileSync(PID_FILE, 'utf8').trim());
    } catch {
      // Not the local test cluster: its API server is not ours to freeze.
      this.skip();
    }
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-outage-'));
  });

  after(() => {
    // Never leave the server frozen, whatever failed.
    if (pid) process.kill(pid, 'SIGCONT');
    if (reports) rmSync(reports, { recursive: true, force: true });
  });

  it('completes or ends error, with rollback and teardown done once the server is back; nothing left', async () => {
    const ns = `sd-e2e-outage-${Date.now().toString(36)}`;
    const child = shakedown(['run', 'statefulset-identity', '--set', `image=${IMAGE}`, '--set', `namespace=${ns}`, '--set', 'rescale=false', '--set', 'ordinals=[0]', '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/deleting shakedown-web-0 /.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the fault to start', timeoutMs: 240_000, intervalMs: 100 });
    process.kill(pid!, 'SIGSTOP');
    const frozenAt = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    process.kill(pid!, 'SIGCONT');
    const r = await child;
    const run = readRun(r.stdout);
    assert.ok(['passed', 'failed', 'error'].includes(run.journal.verdict.kind), `${r.exitCode}: ${JSON.stringify(run.journal.verdict)}`);
    assert.ok([0, 1, 3].includes(r.exitCode ?? -1), String(r.exitCode));
    assert.ok([...run.journal.rollbacks, ...run.journal.teardowns].every((x) => x.status === 'ok'), JSON.stringify([run.journal.rollbacks, run.journal.teardowns]));
    assert.ok(run.journal.teardowns.length > 0, 'the fixture was torn down');
    // The gap is journaled once (when it began, when it ended), not once per reconnect.
    const gaps = run.journal.events.filter((e) => e.source === 'harness' && /watch/.test(e.type));
    assert.ok(gaps.length <= 10, `watch notices: ${gaps.length}`);
    assert.ok(Date.parse(run.journal.endedAt ?? '') > frozenAt + 10_000);
    assert.deepEqual(await labelledLeft(session(), run.journal.runId), []);
  });
});
