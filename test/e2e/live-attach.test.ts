// `shakedown attach` follows a run started by another process: from its journal on this
// machine, and from its Lease alone (as from another machine); read-only, ending with the verdict.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newRunId } from '../../harness/engine/run-id.ts';
import { IMAGE, kubeconfigOrSkip, shakedown } from './helpers.ts';

/** Resolves with the run id once the run printed it, and with the stdout seen so far once `until` matches it. */
function watchOutput(run: ReturnType<typeof shakedown>, until: RegExp): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    run.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (until.test(out)) resolve(out);
    });
    void run.then((r) => reject(new Error(`the run ended (exit ${r.exitCode}) before ${until}:\n${out}${r.stderr}`)));
  });
}

describe('e2e: shakedown attach follows a run of another process', function () {
  this.timeout(600_000);
  const id = newRunId();
  let reports: string;
  let empty: string;

  before(function () {
    kubeconfigOrSkip(this);
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-attach-'));
    empty = mkdtempSync(join(tmpdir(), 'shakedown-e2e-attach-none-'));
  });
  after(() => {
    if (reports) rmSync(reports, { recursive: true, force: true });
    if (empty) rmSync(empty, { recursive: true, force: true });
  });

  it('from its journal: phases, pods, checks as they come, then the verdict', async function () {
    const run = shakedown(['run', 'pod-delete', '--namespace', `shakedown-live-${id}a`, '--set', `image=${IMAGE}`, '--set', 'gracePeriodSeconds=2', '--report-dir', reports]);
    const started = await watchOutput(run, /run=(r[a-z0-9]{9}) started/);
    const runId = /run=(r[a-z0-9]{9})/.exec(started)![1]!;
    const attach = await shakedown(['attach', runId, '--report-dir', reports]);
    const r = await run;
    assert.equal(r.exitCode, 0, r.stdout.slice(-2000));
    assert.equal(attach.exitCode, 0, attach.stdout + attach.stderr);
    assert.match(attach.stdout, /from its journal/);
    for (const want of [/phase=inject started/, /step=delete-pods started/, /pod=shakedown-app-\S+ (gone|deleting)/, /pod=shakedown-app-\S+ Ready again/, /check=replacement-ready\[/, /phase=teardown ok/]) assert.match(attach.stdout, want);
    assert.match(attach.stdout.trim().split('\n').at(-1)!, new RegExp(`^run ${runId}: PASSED  all \\d+ checks held$`));
  });

  it('from its Lease alone: the phases and the change with its undo, then the verdict', async function () {
    const run = shakedown(['run', 'statefulset-identity', '--namespace', `shakedown-live-${id}b`, '--set', `image=${IMAGE}`, '--set', 'replicas=2', '--set', 'rescale=false', '--set', 'gracePeriodSeconds=2', '--report-dir', reports]);
    const started = await watchOutput(run, /phase=steady-state-before started/);
    const runId = /run=(r[a-z0-9]{9})/.exec(started)![1]!;
    // No journal under this directory: what another machine would have.
    const attach = await shakedown(['attach', runId, '--report-dir', empty]);
    const r = await run;
    assert.equal(r.exitCode, 0, r.stdout.slice(-2000));
    assert.equal(attach.exitCode, 0, attach.stdout + attach.stderr);
    assert.match(attach.stdout, /from its Lease default\/shakedown-statefulset-identity-/);
    for (const want of [/phase=steady-state-before/, /phase=inject/, /phase=rollback/, /change#1 applied: StatefulSet \S+ back to 2 replicas/, /change#1 undone/]) assert.match(attach.stdout, want);
    assert.match(attach.stdout.trim().split('\n').at(-1)!, new RegExp(`^run ${runId}: PASSED  all \\d+ checks held$`));
  });

  it('a run id that names no run is an error; a malformed one is bad input', async function () {
    const none = await shakedown(['attach', 'rzzzzzzzzz', '--report-dir', empty]);
    assert.equal(none.exitCode, 3);
    assert.match(none.stderr, /no run rzzzzzzzzz: no journal under .* and no Lease of it in the cluster/);
    const bad = await shakedown(['attach', 'not-a-run', '--report-dir', empty]);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /"not-a-run" is not a run id/);
  });
});
