// A fixture's objects are found by cleanup --run-id after a SIGKILL from the sweep scope its
// journal recorded (the kinds applied, what their controllers made, its namespace), without
// listing every kind the server serves.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, session, shakedown } from './helpers.ts';

describe('e2e: the sweep scope a crashed run journaled', function () {
  this.timeout(600_000);
  let s: ClusterSession;
  let reports: string;
  let runId: string | undefined;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-sweep-'));
  });

  after(async function () {
    if (!s) return;
    if (runId) await deleteByLabel(s, { runId, timeoutMs: 240_000 });
    rmSync(reports, { recursive: true, force: true });
  });

  it('pod-delete killed after its fixture is applied: cleanup --run-id deletes the fixture and its namespace from the journal scope, nothing left', async () => {
    const ns = `sd-e2e-sweep-${newRunId()}`;
    const child = shakedown(['run', 'pod-delete', '--namespace', ns, '--set', `image=${IMAGE}`, '--report-dir', reports]);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => (/phase=steady-state-before started/.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: 'the fixture applied', timeoutMs: 240_000, intervalMs: 100 });
    child.kill('SIGKILL');
    assert.equal((await child).signal, 'SIGKILL');
    runId = / run=(r\w+) started/.exec(out)?.[1];
    assert.ok(runId, out);
    assert.ok((await labelledLeft(s, runId)).length > 0, 'the killed run left its fixture');

    const r = await shakedown(['cleanup', '--run-id', runId, '--report-dir', reports]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /every kind/, 'the journal scope was used, not discovery');
    const deleted = r.stdout.split('\n').filter((l) => l.startsWith('deleted ')).map((l) => l.split(' ')[1]!.split('/')[0]);
    assert.ok(deleted.includes('Deployment') && deleted.includes('Namespace'), r.stdout);
    assert.ok(deleted.every((k) => ['Namespace', 'Deployment', 'ReplicaSet', 'Pod', 'Service', 'Lease'].includes(k!)), r.stdout);
    assert.deepEqual(await labelledLeft(s, runId), []);
  });
});
