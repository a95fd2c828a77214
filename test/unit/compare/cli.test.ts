// `shakedown compare` and `shakedown history` as a user meets them: a real child process, real
// files, real exit codes. And what `run --baseline` adds to a run's journal and its four reports.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { applyComparison } from '../../../harness/compare/baseline.ts';
import { compareRuns } from '../../../harness/compare/compare.ts';
import type { MetricRecord } from '../../../harness/journal/schema.ts';
import { parseJournal } from '../../../harness/report/read-journal.ts';
import { renderHtml } from '../../../harness/report/html.ts';
import { renderJUnit } from '../../../harness/report/junit.ts';
import { renderMarkdown } from '../../../harness/report/markdown.ts';
import { journalWith, noisy } from './samples.ts';

const BIN = fileURLToPath(new URL('../../../harness/cli/bin.js', import.meta.url));
const OLD = fileURLToPath(new URL('../../fixtures/journal-hpa-cpu.json', import.meta.url));

async function shakedown(args: string[]) {
  const r = await execa(process.execPath, [BIN, ...args], { reject: false, env: { CI: 'true' }, timeout: 60_000 });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

const ready = (samples: number[]): MetricRecord => ({ name: 'readyAfterDelete', unit: 'ms', samples, target: 'StatefulSet shop/orders' });
const dns = (samples: number[]): MetricRecord => ({ name: 'dnsAfterDelete', unit: 'ms', samples, target: 'StatefulSet shop/orders' });

describe('compare: the CLI', function () {
  this.timeout(60_000);
  let tmp: string;
  const write = (rel: string, value: unknown) => {
    const file = join(tmp, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'shakedown-compare-'));
    write('base/journal.json', journalWith([ready(noisy(5, 2000, 300, 1)), dns([2500])], { runId: 'base' }));
    write('same/journal.json', journalWith([ready(noisy(5, 2000, 300, 2)), dns([2700])], { runId: 'same', startedAt: '2026-12-02T00:00:00.000Z' }));
    write('slow/journal.json', journalWith([ready(noisy(5, 9000, 300, 3)), dns([9500])], { runId: 'slow', startedAt: '2026-12-03T00:00:00.000Z' }));
    write('other/journal.json', journalWith([ready([1, 2, 3])], { runId: 'other', parameters: { namespace: 'shop', statefulset: 'carts', recoveryWithin: '120s' } }));
    write('secs/journal.json', journalWith([{ ...ready([2, 2, 2]), unit: 's' }], { runId: 'secs' }));
    write('not-a-journal.json', { hello: 'world' });
    write('notes.txt', 'not json at all');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('two comparable runs: exit 0, a table naming each metric; dnsAfterDelete has too few samples', async () => {
    const r = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'same')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^readyAfterDelete .* unchanged /m);
    assert.match(r.stdout, /^dnsAfterDelete .* not enough data /m);
  });

  it('a slowed run: exit 1, the recovery metric REGRESSED; --json and --markdown say the same', async () => {
    const r = await shakedown(['compare', join(tmp, 'base/journal.json'), join(tmp, 'slow')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^readyAfterDelete .* REGRESSED /m);
    const j = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--json']);
    const parsed = JSON.parse(j.stdout) as { regressed: boolean; metrics: { name: string; verdict: string }[] };
    assert.equal(j.code, 1);
    assert.equal(parsed.regressed, true);
    assert.deepEqual(parsed.metrics.map((m) => [m.name, m.verdict]), [['readyAfterDelete', 'regressed'], ['dnsAfterDelete', 'not enough data']]);
    const md = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--markdown']);
    assert.match(md.stdout, /\| readyAfterDelete \|.*\| \*\*REGRESSED\*\* \|/);
  });

  it('the same inputs give the same figures (seeded), and --min-samples 6 leaves 5 samples a side not enough data', async () => {
    const a = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--json']);
    const b = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--json']);
    assert.equal(a.stdout, b.stdout);
    const six = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--json', '--min-samples', '6']);
    assert.equal(six.code, 0, six.stdout);
    const parsed = JSON.parse(six.stdout) as { metrics: { name: string; verdict: string }[] };
    assert.deepEqual(parsed.metrics.map((m) => [m.name, m.verdict]), [['readyAfterDelete', 'not enough data'], ['dnsAfterDelete', 'not enough data']]);
  });

  it('--threshold lifts the bar: readyAfterDelete=10x makes the slowed run exit 0', async () => {
    const r = await shakedown(['compare', join(tmp, 'base'), join(tmp, 'slow'), '--threshold', 'readyAfterDelete=10x']);
    assert.equal(r.code, 0, r.stdout);
  });

  it('a folder of past runs as the baseline: the comparable ones pooled, the other skipped with why', async () => {
    for (const run of ['base', 'same', 'other']) write(`past/${run}/journal.json`, readFileSync(join(tmp, run, 'journal.json'), 'utf8'));
    const r = await shakedown(['compare', join(tmp, 'past'), join(tmp, 'slow')]);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /vs 2 baseline run\(s\)/);
    assert.match(r.stdout, /skipped baseline runs: other: different parameter statefulset/);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['a JSON file that is not a journal', () => ['compare', join(tmp, 'not-a-journal.json'), join(tmp, 'slow')], /unsupported schema/],
    ['a file that is not JSON', () => ['compare', join(tmp, 'base'), join(tmp, 'notes.txt')], /is not valid JSON/],
    ['a path that does not exist', () => ['compare', join(tmp, 'nope'), join(tmp, 'slow')], /no such file or folder/],
    ['different parameters', () => ['compare', join(tmp, 'other'), join(tmp, 'base')], /cannot be compared: different parameter statefulset: baseline "carts", current "orders"/],
    ['mixed units', () => ['compare', join(tmp, 'secs'), join(tmp, 'base')], /mixed units: metric readyAfterDelete is in s in the baseline and in ms/],
    ['mixed units within a folder of runs', () => ['compare', tmp, join(tmp, 'base')], /mixed units: metric readyAfterDelete is in m?s in one run and in m?s in /],
    ['a folder of runs as the current run', () => ['compare', join(tmp, 'base'), tmp], /the current run must be one journal or one report folder/],
    ['a bad --threshold', () => ['compare', join(tmp, 'base'), join(tmp, 'slow'), '--threshold', 'readyAfterDelete=fast'], /--threshold readyAfterDelete=fast/],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: exit 2, saying what is wrong, no stack trace`, async () => {
      const r = await shakedown(args());
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  it('run --baseline with other parameters than the baseline run: exit 2 naming the field, before any kubeconfig is read', async () => {
    const r = await execa(process.execPath, [BIN, 'run', 'statefulset-identity', '--set', 'statefulset=carts', '--namespace', 'shop', '--baseline', join(tmp, 'base')], { reject: false, env: { CI: 'true', KUBECONFIG: join(tmp, 'no-such-kubeconfig') } });
    assert.equal(r.exitCode, 2, r.stdout);
    assert.match(r.stderr, /different parameter statefulset: baseline "orders", current "carts"/);
    assert.doesNotMatch(r.stderr, /kubeconfig/);
  });

  it('run --threshold without --baseline is bad input', async () => {
    const r = await shakedown(['run', 'pod-delete', '--threshold', 'readyAfterDelete=2x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pass --baseline <path> too/);
  });

  it('a journal from before metrics existed reads with none, and compares as not enough data', async () => {
    const old = parseJournal(JSON.parse(readFileSync(OLD, 'utf8')));
    assert.deepEqual(old.metrics, []);
    const r = await shakedown(['compare', OLD, OLD, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { metrics: unknown[] }).metrics, []);
  });

  it('history writes a trend page with the slowed run marked, exit 1 since the newest run regressed', async () => {
    const dir = join(tmp, 'hist');
    for (const [i, c] of [2000, 2100, 1900, 2050, 9000].entries()) write(`hist/run${i}/journal.json`, journalWith([ready(noisy(5, c, 200, 40 + i))], { runId: `run${i}`, startedAt: `2026-12-0${i + 1}T00:00:00.000Z` }));
    const r = await shakedown(['history', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /5 run\(s\) of 1 experiment\(s\); 1 regression marker\(s\)/);
    const html = readFileSync(join(dir, 'history.html'), 'utf8');
    assert.match(html, /statefulset-identity: readyAfterDelete/);
    assert.match(html, /regressed in<\/strong> run4/);
    assert.match(html, /<svg/);
  });
});

describe('compare: run --baseline in the journal and the four reports', () => {
  const slowRun = () => {
    const base = { source: 'base', journal: journalWith([ready(noisy(5, 2000, 300, 1)), dns([2500])], { runId: 'base' }) };
    const current = { source: 'cur', journal: journalWith([ready(noisy(5, 9000, 300, 3)), dns([9500])], { runId: 'cur' }) };
    current.journal.checks.push({ name: 'recovered-within', phase: 'verify', status: 'passed', expected: 'x', observed: 'y', evidence: {}, at: '2026-12-01T00:00:30.000Z' });
    const verdict = applyComparison(current.journal, compareRuns([base], current, { baselineSource: 'base' }));
    return { journal: current.journal, verdict };
  };

  it('a regression turns a passed run into a finding naming the metric', () => {
    const { journal, verdict } = slowRun();
    assert.equal(verdict?.kind, 'failed');
    assert.deepEqual(verdict?.kind === 'failed' ? verdict.findings : [], ['baseline:readyAfterDelete (StatefulSet shop/orders)']);
    assert.equal(journal.comparison?.metrics.length, 2);
    // The journal still validates, so every report can be rebuilt from it.
    assert.equal(parseJournal(JSON.parse(JSON.stringify(journal))).comparison?.metrics[0]?.verdict, 'regressed');
  });

  it('JUnit: one testcase per metric, the regression a failure, not enough data skipped', () => {
    const xml = renderJUnit(slowRun().journal);
    assert.match(xml, /<testcase [^>]*name="verify: baseline:readyAfterDelete \(StatefulSet shop\/orders\)"[^>]*>\s*<failure/);
    assert.match(xml, /<testcase [^>]*name="verify: baseline:dnsAfterDelete"[^>]*>\s*<skipped message="not enough data/);
    assert.match(xml, /<testsuites name="shakedown" tests="3" failures="1" errors="0" skipped="1"/);
  });

  it('Markdown and HTML show the comparison table, HTML the baseline vs current chart', async () => {
    const { journal } = slowRun();
    const md = renderMarkdown(journal);
    assert.match(md, /### Compared with the baseline/);
    assert.match(md, /\| readyAfterDelete \| .* \| \*\*REGRESSED\*\* \|/);
    assert.match(md, /### Metrics/);
    const html = await renderHtml(journal);
    assert.match(html, /<h2>Compared with the baseline<\/h2>/);
    assert.match(html, /<tr class="st-failed"><td>readyAfterDelete<\/td>/);
    assert.match(html, /Baseline vs current, per metric/);
    assert.doesNotMatch(html, /could not be rendered/);
    assert.ok((html.match(/<svg/g) ?? []).length >= 1);
  });
});
