// A user's own fault (faults.change with an undo kind of its own, defineUndo) run by the real CLI
// from an experiment file, SIGKILLed mid-fault; `shakedown cleanup --run-id` then loads the
// module that registers the undo kind — only when the journal on disk or --undo-module names it,
// never from the Lease alone, which anyone with lease access could write — and runs that undo.
import './hooks.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { listRunLeases } from '../../harness/cluster/lease.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { waitFor } from './wait.ts';
import { clients } from '../clients.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));
const FILE = fileURLToPath(new URL('./fixtures/custom-fault.ts', import.meta.url));

describe('a custom fault: rollback and cleanup --run-id run its own undo', function () {
  this.timeout(300_000);
  const ns = `shakedown-it-custom-${Date.now().toString(36)}`;
  let session: ClusterSession;
  let kubeconfig: string;
  let reports: string;

  const cli = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env: { KUBECONFIG: kubeconfig, CI: 'true' }, timeout: 240_000 });
  const mode = async () => (await clients(session).core.readNamespacedConfigMap({ name: 'settings', namespace: ns })).data?.['mode'];

  before(async function () {
    kubeconfig = process.env['SHAKEDOWN_TEST_KUBECONFIG'] ?? '';
    if (!kubeconfig) this.skip();
    process.env['KUBECONFIG'] = kubeconfig;
    session = new ClusterSession(loadKubeConfig());
    reports = mkdtempSync(join(tmpdir(), 'shakedown-it-custom-'));
    await clients(session).core.createNamespace({ body: { metadata: { name: ns } } });
    await clients(session).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'settings' }, data: { mode: 'PERMISSIVE' } } });
  });

  after(async () => {
    if (!session) return;
    await deleteNamespaceAndWait(clients(session).core, ns, 120_000);
    rmSync(reports, { recursive: true, force: true });
  });

  /** Runs the file with the real CLI until its fault has changed the ConfigMap, then SIGKILLs it. */
  async function crashedRun(): Promise<string> {
    const child = execa(process.execPath, [BIN, 'run', FILE, '--set', `namespace=${ns}`, '--report-dir', reports], { reject: false, env: { KUBECONFIG: kubeconfig, CI: 'true' }, forceKillAfterDelay: false });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    let exited = false;
    void child.finally(() => (exited = true));
    const seen = await waitFor(() => (out.includes('CHANGED') ? 'changed' : exited ? 'exited' : undefined), { what: "the run's fault to change the ConfigMap", timeoutMs: 120_000 });
    assert.equal(seen, 'changed', `the run ended before its fault changed the ConfigMap:\n${out}`);
    assert.equal(await mode(), 'STRICT', 'the fault changed the ConfigMap');
    child.kill('SIGKILL');
    await child;
    const runId = /run[ =]([a-z0-9]{10})\b/.exec(out)?.[1] ?? /-([a-z0-9]{10})\/journal\.json/.exec(out)?.[1];
    assert.ok(runId, `the run printed its id:\n${out}`);
    return runId;
  }

  it('after SIGKILL: refused from the Lease alone (exit 3, nothing run); undone from the journal on disk', async () => {
    const runId = await crashedRun();
    const leaseOnly = await cli(['cleanup', '--run-id', runId, '--report-dir', join(tmpdir(), 'no-such-report-dir')]);
    assert.equal(leaseOnly.exitCode, 3, leaseOnly.stdout + leaseOnly.stderr);
    assert.match(leaseOnly.stdout, /FAILED #1 set settings\.mode to STRICT: its undo kind shakedown-test\/configmap-value is registered by file:.*custom-fault\.ts, which is named only in the run's Lease/);
    assert.equal(await mode(), 'STRICT', 'no code named only by the cluster ran');
    assert.equal((await listRunLeases(session, runId)).length, 1, 'the Lease is kept: the change is still to undo');

    const fromJournal = await cli(['cleanup', '--run-id', runId, '--report-dir', reports]);
    assert.equal(fromJournal.exitCode, 0, fromJournal.stdout + fromJournal.stderr);
    assert.match(fromJournal.stdout, /undone #1 set settings\.mode to STRICT: settings\.mode set back to PERMISSIVE/);
    assert.equal(await mode(), 'PERMISSIVE');
    assert.equal((await listRunLeases(session, runId)).length, 0, 'the Lease is gone');
  });

  it('after SIGKILL: undone with --undo-module naming the file, when no journal is at hand', async () => {
    const runId = await crashedRun();
    const r = await cli(['cleanup', '--run-id', runId, '--report-dir', join(tmpdir(), 'no-such-report-dir'), '--undo-module', FILE]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /undone #1 set settings\.mode to STRICT: settings\.mode set back to PERMISSIVE/);
    assert.equal(await mode(), 'PERMISSIVE');
  });

  it('on SIGINT the run rolls back through the same undo: exit 130, the ConfigMap as before', async () => {
    const child = execa(process.execPath, [BIN, 'run', FILE, '--set', `namespace=${ns}`, '--report-dir', reports], { reject: false, env: { KUBECONFIG: kubeconfig, CI: 'true' } });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('CHANGED'), { what: `the run's fault to change the ConfigMap (output: ${out})`, timeoutMs: 120_000 });
    assert.equal(await mode(), 'STRICT');
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130, out + r.stderr);
    assert.equal(await mode(), 'PERMISSIVE');
  });
});
