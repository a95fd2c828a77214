// The kill matrix for statefulset-identity against a user's own StatefulSet (where what the run
// changes is not its own): a signal in each phase that changes something, and afterwards the
// StatefulSet is as it was — replicas Ready, no token left on any volume, nothing labelled left.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { execInPod } from '../../harness/cluster/exec.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { deployUserStatefulSet, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';
import { clients } from '../clients.ts';

const EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/**
 * Where to interrupt: a progress line that marks the moment, the signal sent then, and the kinds
 * of change known to be journaled by then. While tokens are written the signal may land before
 * the first one is journaled, so nothing is known there (the volumes are checked either way);
 * once write-token has finished, every chosen pod's token is a `file` change.
 */
const MATRIX: { phase: string; at: RegExp; signal: keyof typeof EXIT; changed: string[] }[] = [
  { phase: 'steady state, while tokens are written', at: /step=write-token started/, signal: 'SIGHUP', changed: [] },
  { phase: 'inject, during a pod deletion', at: /deleting km-\w+-0 /, signal: 'SIGINT', changed: ['file'] },
  { phase: 'inject, during the scale-down and up', at: /step=scale-down-and-up started/, signal: 'SIGTERM', changed: ['file'] },
];

describe('e2e: kill matrix (statefulset-identity on a user StatefulSet)', function () {
  this.timeout(600_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let reports: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-kill-'));
  });

  after(async function () {
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    rmSync(reports, { recursive: true, force: true });
  });

  for (const [i, m] of MATRIX.entries()) {
    it(`${m.signal} in ${m.phase}: exit ${EXIT[m.signal]}, replicas Ready, no token left, nothing labelled`, async () => {
      const name = `km-${i}${testId.slice(0, 4)}`;
      const ns = await deployUserStatefulSet(s, `sd-e2e-${name}-${testId}`, name, 'pvc', labels);
      const child = shakedown(['run', 'statefulset-identity', '--set', `statefulset=${name}`, '--set', `namespace=${ns}`, '--report-dir', reports]);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => (m.at.test(out) ? done(undefined) : notYet(out.split('\n').at(-2))), { what: `the run to reach: ${m.phase}`, timeoutMs: 240_000, intervalMs: 100 });
      child.kill(m.signal);
      const r = await child;
      assert.equal(r.exitCode, EXIT[m.signal], r.stdout.slice(-3000) + r.stderr);
      const run = readRun(r.stdout);
      assert.equal(run.journal.verdict.kind, 'aborted');
      const { changes, rollbacks, teardowns, events } = run.journal;
      for (const kind of m.changed) assert.ok(changes.some((c) => c.undo.kind === kind), `no ${kind} change journaled by then: ${JSON.stringify(changes)}`);
      // Whether or not the signal came before the first change: every token written has its
      // removal journaled, and every change journaled has its rollback, which ran and undid it.
      const written = events.filter((e) => e.type === 'token-written');
      if (m.changed.includes('file')) assert.ok(written.length > 0, 'no token-written event');
      for (const e of written) assert.ok(changes.some((c) => c.undo.kind === 'file' && e.message.startsWith(`${c.undo.path} `)), `token written without its removal journaled: ${e.message}`);
      assert.ok(rollbacks.length >= changes.length, `${changes.length} change(s), ${rollbacks.length} rollback(s)`);
      assert.ok([...rollbacks, ...teardowns].every((x) => x.status === 'ok'), JSON.stringify(rollbacks));
      assert.ok(changes.every((c) => c.status === 'undone'), JSON.stringify(changes));
      const sts = await clients(s).apps.readNamespacedStatefulSet({ name, namespace: ns });
      assert.equal(sts.spec?.replicas, 2);
      assert.equal(sts.status?.readyReplicas, 2, 'replicas restored and Ready once the CLI exits');
      for (const pod of [`${name}-0`, `${name}-1`]) {
        const ls = await execInPod(s, { namespace: ns, pod, command: ['ls', '-a', '/data'], timeoutMs: 15_000 });
        assert.doesNotMatch(ls.stdout, /\.shakedown-/, `${pod} still holds the run's token: ${ls.stdout}`);
      }
      assert.deepEqual(await labelledLeft(s, run.journal.runId), []);
    });
  }
});
