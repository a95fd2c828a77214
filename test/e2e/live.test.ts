// The live view of a real run on the local cluster, in a real browser (Debian's chromium driven
// by puppeteer-core): the token is required, the page follows a pod from its deletion back to
// Ready, its stream names the target's pods and nothing of the kubeconfig, the page becomes the
// report at the end and the server stops; and the Abort button rolls the run back (exit 130).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { listRunLeases } from '../../harness/cluster/lease.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown } from './helpers.ts';

export const CHROMIUM = process.env['SHAKEDOWN_CHROMIUM'] ?? '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../docs/live-view.png', import.meta.url));

/** Runs a test started; one still going when its test failed is interrupted (rolled back) in afterEach. */
const started: ReturnType<typeof shakedown>[] = [];

/** Starts a run with --live and resolves once it printed the URL of its live view. */
export async function liveRun(args: string[]): Promise<{ run: ReturnType<typeof shakedown>; url: string; output: () => string }> {
  const run = shakedown(['run', ...args, '--live']);
  started.push(run);
  let out = '';
  run.stdout.on('data', (b: Buffer) => (out += b.toString()));
  run.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /live view: (http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/)/.exec(out);
      if (m) resolve(m[1]!);
    };
    run.stdout.on('data', check);
    void run.then((r) => reject(new Error(`the run ended (exit ${r.exitCode}) before printing its live view:\n${out}`)));
  });
  return { run, url, output: () => out };
}

/** Evaluates `expr` in the page (a string: the test's TypeScript has no DOM types). */
const inPage = async <T>(page: Page, expr: string): Promise<T> => (await page.evaluate(expr)) as T;

/** Waits, bounded, until a pod row of the page is in one of `states`; resolves to its pod name. */
async function podIn(page: Page, states: string[], pod?: string): Promise<string> {
  const find = `[...document.querySelectorAll('#pods tr')].find((r) => ${JSON.stringify(states)}.includes(r.getAttribute('data-state')) && (${JSON.stringify(pod ?? null)} === null || r.getAttribute('data-pod') === ${JSON.stringify(pod ?? null)}))?.getAttribute('data-pod')`;
  const found = await page.waitForFunction(find, { timeout: 180_000, polling: 100 });
  return (await found.jsonValue()) as string;
}

describe('e2e: the live view (--live) in a browser', function () {
  this.timeout(600_000);
  const testId = newRunId();
  const ns = `shakedown-live-${testId}`;
  let s: ClusterSession;
  let browser: Browser;
  let reports: string;

  before(async function () {
    kubeconfigOrSkip(this);
    // A required tool: missing, this fails (CI installs it: test/live/setup.sh), it never skips.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does it through test/live/setup.sh)`);
    s = session();
    reports = mkdtempSync(join(tmpdir(), 'shakedown-e2e-live-'));
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  });

  afterEach(async function () {
    for (const run of started.splice(0)) {
      run.kill('SIGINT'); // a no-op once it has exited
      await run;
    }
  });

  after(async function () {
    await browser?.close();
    if (!s) return;
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    rmSync(reports, { recursive: true, force: true });
  });

  const args = (extra: string[] = []) => ['statefulset-identity', '--namespace', ns, '--set', `image=${IMAGE}`, '--set', 'replicas=2', '--set', 'rescale=false', '--set', 'gracePeriodSeconds=2', '--report-dir', reports, ...extra];

  it('refuses requests without the token, follows a pod deleted → Ready with load charted, streams no credentials, ends as the report and stops', async function () {
    // Load limits wide open: this test is about the view, not about how the fixture serves under deletion.
    const { run, url, output } = await liveRun(args(['--set', 'load=builtin', '--set', 'loadRate=50', '--set', 'loadSteadyFor=5s', '--set', 'loadRecoveryFor=5s', '--set', 'loadMaxErrorRate=1', '--set', 'loadMaxP95Ratio=1000']));
    const origin = new URL(url).origin;
    const token = new URL(url).pathname.split('/')[1]!;
    assert.ok(token.length >= 32, `a long random token: ${token}`);
    assert.equal((await fetch(url)).status, 200);
    assert.equal((await fetch(`${origin}/`)).status, 403, 'no token');
    // One character off (never the same one: a token that ends in x would stay itself).
    const wrong = token.slice(0, -1) + (token.endsWith('x') ? 'y' : 'x');
    assert.equal((await fetch(`${origin}/${wrong}/`)).status, 403, 'a wrong token');
    assert.equal((await fetch(`${origin}/wrong/events`)).status, 403, 'the stream with a wrong token');
    assert.equal((await fetch(`${origin}/wrong/abort`, { method: 'POST' })).status, 403, 'abort with a wrong token');

    // The stream as a client reads it, beside the browser.
    let stream = '';
    const sse = fetch(`${url}events`).then(async (r) => {
      for await (const chunk of r.body!) stream += Buffer.from(chunk).toString();
    }).catch(() => {});

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto(url);
    const pod = await podIn(page, ['deleting', 'gone', 'recreated']);
    await podIn(page, ['Ready again', 'DNS answered'], pod);
    // Load per second, and the report's charts of it drawn by the packaged Vega.
    await page.waitForFunction("/\\d+ req\\/s/.test(document.getElementById('load').textContent) && document.querySelectorAll('#charts figure svg').length > 0", { timeout: 60_000, polling: 200 });
    const charts = await inPage<string[]>(page, "[...document.querySelectorAll('#charts figure')].map((f) => f.dataset.title)");
    assert.ok(charts.includes('load: requests/s over time'), `the load chart is drawn: ${charts.join(', ')}`);
    const current = await inPage<string>(page, "document.getElementById('current').textContent");
    assert.match(current, /inject|verify/, 'the current step is shown');
    const phases = await inPage<string[]>(page, "[...document.querySelectorAll('#phases li')].map((x) => x.textContent + ' ' + x.className)");
    assert.ok(phases.some((p) => /preflight.* ok$/.test(p)), `the timeline shows preflight done: ${phases.join(' | ')}`);
    if (process.env['SHAKEDOWN_LIVE_SCREENSHOT']) {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, type: 'png' });
    }
    await page.waitForSelector('iframe#report', { timeout: 300_000 });
    const report = await inPage<string>(page, "document.getElementById('report').getAttribute('srcdoc')");
    const r = await run;
    assert.equal(r.exitCode, 0, output().slice(-3000));
    const { journal, dir } = readRun(r.stdout);
    assert.equal(report, readFileSync(join(dir, 'report.html'), 'utf8'), 'the page shows report.html itself');
    await sse;
    assert.ok(stream.includes(`"pod":"${pod}"`) && /"state":"(gone|deleting)"/.test(stream), 'the stream names the pod while it changes');
    const kubeconfig = readFileSync(process.env['KUBECONFIG']!, 'utf8');
    for (const secret of kubeconfig.match(/(client-key-data|client-certificate-data|token): *(\S+)/g) ?? []) {
      assert.ok(!stream.includes(secret.split(/: */)[1]!), 'no kubeconfig credential in the stream');
    }
    await assert.rejects(fetch(url), 'the server stopped after the run');
    assert.deepEqual(await labelledLeft(s, journal.runId), []);
  });

  it('--live-keep serves the final report after the run until Ctrl-C, then exits with the run\'s code', async function () {
    const { run, url, output } = await liveRun(['pod-delete', '--namespace', `${ns}-keep`, '--set', `image=${IMAGE}`, '--set', 'gracePeriodSeconds=2', '--report-dir', reports, '--live-keep']);
    await new Promise<void>((resolve) => {
      const check = () => /the live view stays at/.test(output()) && resolve();
      run.stderr.on('data', check);
      check();
    });
    assert.match(output(), /verdict=passed/);
    // A page opened now gets the report at once, and the end.
    const res = await fetch(`${url}events`);
    const reader = res.body!.getReader();
    let first = '';
    while (!first.includes('\n\n')) first += Buffer.from((await reader.read()).value).toString();
    await reader.cancel();
    const snapshot = JSON.parse(first.slice('data: '.length, first.indexOf('\n\n'))) as { done?: boolean; report?: { verdict: string; html: string } };
    assert.equal(snapshot.done, true);
    assert.equal(snapshot.report?.verdict, 'passed');
    assert.match(snapshot.report?.html ?? '', /<title>shakedown pod-delete r[a-z0-9]{9}: PASSED<\/title>/);
    run.kill('SIGINT');
    const r = await run;
    assert.equal(r.exitCode, 0, 'the run passed; Ctrl-C only stopped the view');
    await assert.rejects(fetch(url), 'the server stopped');
  });

  it('Abort (confirmed) takes the SIGINT path: rollback, verdict aborted, exit 130, nothing left', async function () {
    // Load with a 2-minute recovery window keeps the run going well past the pod deletions (7 s
    // on this fixture), so the Abort lands in a run, however slow the browser is to send it.
    const long = ['--set', 'load=builtin', '--set', 'loadRate=10', '--set', 'loadSteadyFor=5s', '--set', 'loadRecoveryFor=120s', '--set', 'loadMaxErrorRate=1', '--set', 'loadMaxP95Ratio=1000'];
    const { run, url, output } = await liveRun(args(long));
    const page = await browser.newPage();
    await page.goto(url);
    await podIn(page, ['deleting', 'gone', 'recreated']);
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.click('#abort');
    const r = await run;
    assert.equal(r.exitCode, 130, output().slice(-3000));
    assert.equal(dialogs.length, 1, 'a confirmation was asked');
    assert.match(r.stderr, /abort requested from the live view/);
    const { journal } = readRun(r.stdout);
    assert.equal(journal.verdict.kind, 'aborted');
    assert.equal(journal.verdict.reason, 'SIGINT');
    assert.ok(journal.changes.length > 0, 'the run had journaled changes');
    assert.deepEqual(journal.changes.filter((c) => c.status !== 'undone'), [], 'every change undone');
    assert.deepEqual(await labelledLeft(s, journal.runId), []);
    assert.deepEqual(await listRunLeases(s, journal.runId), [], 'its Lease is gone');
  });
});
