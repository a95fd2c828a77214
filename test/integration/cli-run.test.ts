// `shakedown run` as a user runs it, against the real local control plane: the fixture is
// deployed, and when the run is cut short (its deadline, SIGINT, SIGTERM) teardown still removes
// every object the run labelled. The fixture's claims use a StorageClass that provisions nothing,
// so its pods stay Pending (with or without nodes): that keeps the run waiting in its
// steady-state phase long enough to interrupt it.
import './hooks.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { LABEL_RUN_ID } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { clients } from '../clients.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));

describe('shakedown run against the local control plane', function () {
  this.timeout(240_000);
  const storageClass = `shakedown-it-${Date.now().toString(36)}`;
  let session: ClusterSession;
  let kubeconfig: string;
  let reports: string;

  before(async function () {
    kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    reports = mkdtempSync(join(tmpdir(), 'shakedown-it-reports-'));
    // A class that binds nothing: enough for preflight; the claims stay Pending.
    await clients(session).storage.createStorageClass({ body: { metadata: { name: storageClass }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' } });
  });

  after(async () => {
    if (!session) return;
    await clients(session).storage.deleteStorageClass({ name: storageClass });
    rmSync(reports, { recursive: true, force: true });
  });

  function start(args: string[]) {
    return execa(process.execPath, [BIN, 'run', 'statefulset-identity', '--set', `storageClass=${storageClass}`, '--report-dir', reports, ...args], {
      reject: false,
      env: { KUBECONFIG: kubeconfig, CI: 'true' },
      // execa would SIGKILL 5 s after a SIGTERM; teardown is allowed to take longer.
      forceKillAfterDelay: false,
    });
  }

  const journalOf = (stdout: string) => {
    const dir = /reports: (\S+)/.exec(stdout)?.[1];
    assert.ok(dir, `no report dir in: ${stdout}`);
    return readJournalIn(dir);
  };
  const readJournalIn = (dir: string) =>
    JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as { runId: string; status: string; verdict: { kind: string; reason?: string }; phases: { phase: string }[]; rollbacks: { name: string; status: string }[]; teardowns: { name: string; status: string }[] };

  async function nothingLeft(runId: string) {
    const left = await clients(session).core.listNamespace({ labelSelector: `${LABEL_RUN_ID}=${runId}` });
    const pvcs = await clients(session).core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: `${LABEL_RUN_ID}=${runId}` });
    assert.equal(left.items.length + pvcs.items.length, 0, 'objects labelled with the run id are left behind');
  }

  it('at the deadline: aborted (exit 3), teardown removes the fixture, reports are written', async () => {
    const r = await start(['--timeout', '15s', '--set', 'namespace=shakedown-it-deadline']);
    assert.equal(r.exitCode, 3, r.stdout + r.stderr);
    const j = journalOf(r.stdout);
    assert.equal(j.verdict.kind, 'aborted');
    assert.equal(j.verdict.reason, 'deadline');
    assert.ok(j.phases.some((p) => p.phase === 'teardown'));
    assert.ok(j.teardowns.length > 0 && [...j.rollbacks, ...j.teardowns].every((x) => x.status === 'ok'), JSON.stringify(j));
    await nothingLeft(j.runId);
    assert.ok(readdirSync(join(reports)).length > 0);
  });

  const EXIT_ON = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`on ${signal} during the run: teardown runs, nothing labelled is left, exit ${EXIT_ON[signal]}`, async () => {
      const child = start(['--set', `namespace=shakedown-it-${signal.toLowerCase()}`]);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      // Interrupt once the fixture is applied and the run is waiting for it.
      await waitFor(() => (/step=statefulset-ready started/.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the run to reach its steady state', timeoutMs: 60_000 });
      child.kill(signal);
      const r = await child;
      assert.equal(r.exitCode, EXIT_ON[signal], r.stdout + r.stderr);
      const j = journalOf(r.stdout);
      assert.equal(j.verdict.kind, 'aborted');
      assert.equal(j.verdict.reason, signal);
      await nothingLeft(j.runId);
    });
  }

  it('when its output is closed (`shakedown run … | head -3`): rolls back, ends with a verdict, never exit 0', async () => {
    const own = mkdtempSync(join(tmpdir(), 'shakedown-it-pipe-'));
    try {
      const child = execa(process.execPath, [BIN, 'run', 'statefulset-identity', '--set', `storageClass=${storageClass}`, '--set', 'namespace=shakedown-it-pipe', '--report-dir', own], {
        reject: false,
        env: { KUBECONFIG: kubeconfig, CI: 'true' },
        forceKillAfterDelay: false,
      });
      let out = '';
      // Read until the fixture is being applied, then close the pipe as `head` does: the next
      // progress line meets a closed pipe while the run has something to tear down.
      await new Promise<void>((resolve) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (/step=deploy-fixture started/.test(out)) {
            child.stdout?.destroy();
            resolve();
          }
        });
      });
      const r = await child;
      assert.notEqual(r.exitCode, 0, r.stderr);
      assert.equal(r.exitCode, 3, r.stderr);
      const [dir] = readdirSync(own);
      assert.ok(dir, 'no report written');
      const j = readJournalIn(join(own, dir));
      assert.equal(j.status, 'completed');
      assert.equal(j.verdict.kind, 'aborted');
      assert.equal(j.verdict.reason, 'output-closed');
      assert.ok(j.teardowns.length > 0 && j.teardowns.every((x) => x.status === 'ok'), JSON.stringify(j.teardowns));
      await nothingLeft(j.runId);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
