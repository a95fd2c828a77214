// The API server goes away for about 10 s while a pod is being deleted: the run must not hang or
// leave the cluster changed. The server is frozen with SIGSTOP (connections hang, as with a
// partition) and thawed with SIGCONT. Every bound the run has is longer than the freeze (30 s per
// request and per silent watch, recoveryWithin 120 s, dnsWithin 60 s), so its requests and its
// watch resume where they were and it passes; the pod it deleted comes back only after the thaw
// (no pod is created while the server is frozen), which is what proves the run waited through it.
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

  it('passes, having followed the deleted pod back through the outage; rollback and teardown done, nothing left', async () => {
    const ns = `sd-e2e-outage-${Date.now().toString(36)}`;
    const child = shakedown(['run', 'statefulset-identity', '--set', `image=${IMAGE}`, '--set', `namespace=${ns}`, '--set', 'rescale=false', '--set', 'ordinals=[0]', '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/deleting shakedown-web-0 /.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the fault to start', timeoutMs: 240_000, intervalMs: 100 });
    process.kill(pid!, 'SIGSTOP');
    const frozenAt = Date.now();
    // The outage itself is the fault here: its length is what the test is about, not a wait for an event.
    await new Promise((r) => setTimeout(r, 10_000));
    process.kill(pid!, 'SIGCONT');
    const thawedAt = Date.now();
    const r = await child;
    const run = readRun(r.stdout);
    assert.equal(run.journal.verdict.kind, 'passed', `${r.exitCode}: ${JSON.stringify(run.journal.verdict)}\n${run.failures.join('\n')}`);
    assert.equal(r.exitCode, 0);
    // The deleted pod was followed through the outage: Ready again as a new pod, seen after the thaw.
    const web0 = run.journal.events.filter((e) => e.source === 'watch' && e.object?.endsWith('/shakedown-web-0'));
    const first = web0[0]?.data?.['uid'];
    assert.ok(first && Date.parse(web0[0]!.at) < frozenAt, `shakedown-web-0 was not followed from before the freeze: ${JSON.stringify(web0[0])}`);
    assert.ok(
      web0.some((e) => e.data?.['uid'] !== first && e.data?.['ready'] === true && Date.parse(e.at) >= thawedAt),
      `no Ready shakedown-web-0 with a new UID after the thaw: ${web0.map((e) => `${e.at} ${e.message}`).join('; ')}`,
    );
    const ran = [...run.journal.rollbacks, ...run.journal.teardowns];
    assert.ok(run.journal.teardowns.length > 0, 'the fixture was torn down');
    assert.ok(ran.every((x) => x.status === 'ok'), JSON.stringify(ran));
    // A gap, if a watch did journal one, is journaled once when it began and once when it ended per watch, not once per retry.
    const notices = run.journal.events.filter((e) => e.source === 'harness' && e.type === 'watch-notice');
    const lost = notices.filter((e) => /lost the API server/.test(e.message));
    for (const e of lost) {
      const path = /^watch (\S+):/.exec(e.message)?.[1] ?? '';
      assert.equal(lost.filter((x) => x.message.startsWith(`watch ${path}:`)).length, 1, `watch ${path} journaled its gap more than once: ${JSON.stringify(notices)}`);
      assert.ok(notices.some((x) => x.message.startsWith(`watch ${path}: reconnected after`)), `watch ${path} lost the server and never journaled reconnecting`);
    }
    assert.deepEqual(await labelledLeft(session(), run.journal.runId), []);
  });
});
