// The nightly workflow users copy (.github/workflows/nightly.yml): actionlint (built from the Go
// module proxy by test/kind/build-tools.sh) finds nothing in it, and it does what the README says.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILE = join(ROOT, '.github/workflows/nightly.yml');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}

describe('nightly workflow', function () {
  const wf = parse(readFileSync(FILE, 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const index = (re: RegExp) => steps.findIndex((s) => re.test(s.run ?? ''));

  it('actionlint finds nothing', function () {
    const bin = process.env['SHAKEDOWN_ACTIONLINT'] ?? spawnSync('bash', ['-c', '. test/kind/lib.sh && echo "$KIND_BIN/actionlint"'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    // Built by test/kind/build-tools.sh (which .ci/run runs); elsewhere this check says so and skips.
    if (!bin || !existsSync(bin)) this.skip();
    const r = spawnSync(bin, ['-no-color', '-shellcheck=', '-pyflakes=', FILE], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `actionlint:\n${r.stdout}${r.stderr}`);
  });

  it('runs up, then every experiment, and always down', function () {
    const setupNode = steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    assert.equal(String(setupNode?.with?.['node-version']), '24');
    const up = index(/shakedown up\b/);
    const run = index(/shakedown run --all\b/);
    const down = index(/shakedown down\b/);
    assert.ok(up >= 0 && run > up && down > run, 'up, run --all, down in that order');
    assert.equal(steps[down]!.if, 'always()', 'down runs whatever happened');
  });

  it('publishes JUnit to the test view and uploads the reports', function () {
    const junit = steps.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
    assert.match(String(junit?.with?.['report_paths']), /junit\.xml/);
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    assert.equal(upload?.with?.['path'], 'reports/');
    for (const s of [junit, upload]) assert.ok(s?.if, 'kept when the run fails');
  });

  it('keeps the run history between nights, compares tonight with it and fails on a regression', function () {
    const restore = steps.findIndex((s) => s.uses?.startsWith('actions/cache/restore@'));
    const save = steps.findIndex((s) => s.uses?.startsWith('actions/cache/save@'));
    const run = index(/shakedown run --all\b/);
    const history = index(/shakedown history history\b/);
    assert.ok(restore >= 0 && restore < run && run < history && history < save, 'restore, run, history, save in that order');
    assert.equal(steps[restore]!.with?.['path'], 'history/');
    assert.equal(steps[save]!.with?.['path'], 'history/');
    assert.match(String(steps[restore]!.with?.['restore-keys']), /^shakedown-history-/);
    assert.match(steps[history]!.run ?? '', /cp -R reports\/\. history\//, 'tonight joins the history before it is compared');
    assert.ok(steps[save]!.if, 'the history is saved when the night fails');
  });
});
