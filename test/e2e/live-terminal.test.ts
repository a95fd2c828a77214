// The terminal's live view of a real run, captured from a real terminal (tmux): the compact
// block under the progress lines follows a pod from its deletion, and Ctrl-C still rolls back
// (exit 130, every change undone, nothing left).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import type { Journal } from '../../harness/journal/schema.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, session } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('e2e: the live view in a terminal (tmux)', function () {
  this.timeout(600_000);
  const id = newRunId();
  const tmuxSession = `shakedown-live-${id}`;
  let s: ClusterSession;
  let reports: string;

  const screen = () => execFileSync('tmux', ['capture-pane', '-p', '-t', tmuxSession], { encoding: 'utf8' }).replace(/\s+$/, '');
  /** Waits, bounded, until the terminal shows what `pattern` matches. */
  const shows = (pattern: RegExp, what: string) =>
    waitFor(() => {
      const text = screen();
      return pattern.test(text) ? done(text) : notYet(text.split('\n').slice(-8).join('\n'));
    }, { what, timeoutMs: 240_000, intervalMs: 200 });

  before(function () {
    kubeconfigOrSkip(this);
    // A required tool: missing, this fails (CI installs it: test/live/setup.sh), it never skips.
    assert.equal(spawnSync('tmux', ['-V']).status, 0, 'tmux is missing: apt-get install -y tmux (.ci/run does it through test/live/setup.sh)');
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-tty-'));
  });

  after(function () {
    spawnSync('tmux', ['kill-session', '-t', tmuxSession]);
    if (reports) rmSync(reports, { recursive: true, force: true });
  });

  it('redraws a block (step, pods, changes) under the progress lines, and Ctrl-C still rolls back', async function () {
    const args = ['run', 'statefulset-identity', '--namespace', tmuxSession, '--set', `image=${IMAGE}`, '--set', 'replicas=2', '--set', 'rescale=false', '--set', 'gracePeriodSeconds=2', '--report-dir', reports];
    // A terminal of its own, CI unset: what a person at a shell gets.
    const command = `env -u CI KUBECONFIG=${quote(process.env['KUBECONFIG']!)} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo EXIT=$?; sleep 600`;
    execFileSync('tmux', ['new-session', '-d', '-s', tmuxSession, '-x', '200', '-y', '50', command]);
    const during = await shows(/▸ inject › delete-pod[^\n]*\n\s+pods\s+shakedown-web-0 (gone|recreated|Ready again|DNS answered)/, 'the block showing shakedown-web-0 after its deletion');
    assert.match(during, /\n\s+changes 1 \(0 undone\)/, 'the replicas change is shown, not undone yet');
    assert.match(during, /\n\s+checks \d+ passed/);
    execFileSync('tmux', ['send-keys', '-t', tmuxSession, 'C-c']);
    const after = await shows(/EXIT=\d+/, 'the run to exit');
    assert.match(after, /EXIT=130/);
    assert.match(after, /received SIGINT: rolling back/);
    assert.doesNotMatch(after.slice(after.indexOf('ABORTED')), /changes \d+ \(/, 'no block left under the verdict');
    const dirs = readdirSync(reports);
    assert.equal(dirs.length, 1);
    const journal = JSON.parse(readFileSync(join(reports, dirs[0]!, 'journal.json'), 'utf8')) as Journal;
    assert.equal(journal.verdict?.kind, 'aborted');
    assert.ok(journal.changes.length > 0);
    assert.deepEqual(journal.changes.filter((c) => c.status !== 'undone'), [], 'every change undone');
    assert.deepEqual(await labelledLeft(s, journal.runId), []);
  });
});
