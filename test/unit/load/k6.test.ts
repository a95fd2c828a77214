// The k6 driver's parts that can be tested without k6 (it cannot run on the project's
// machines): the JSON output parser on lines written from k6's documented `--out json` format,
// the sample → outcome mapping, the exit-code mapping, the version check and the command line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K6_OUTPUT_FILE, K6Stream, k6Args, k6Driver, k6Exit, outcomeOfK6Error, outcomeOfK6Request, parseK6Line, parseK6Time, parseK6Version } from '../../../harness/load/k6.ts';
import type { LoadParams } from '../../../harness/load/params.ts';
import { done, notYet, waitFor } from '../../../harness/engine/wait.ts';
import { driverFor } from '../../../harness/load/run.ts';
import { LoadDriverError, type SecondBucket } from '../../../harness/load/types.ts';

// Shaped as in k6's docs (results-output/real-time/json): one object per line, Metric or Point.
const metricLine = (metric: string, type: string, contains = 'default', tainted: boolean | null = null) =>
  JSON.stringify({ type: 'Metric', data: { type, contains, tainted, thresholds: [], submetrics: null }, metric });
const point = (metric: string, time: string, value: number, tags: Record<string, string> | null) =>
  JSON.stringify({ type: 'Point', data: { time, value, tags }, metric });
const reqTags = (status: string, extra: Record<string, string> = {}) => ({
  expected_response: status.startsWith('2') ? 'true' : 'false',
  group: '',
  method: 'GET',
  name: 'http://127.0.0.1:30080/',
  proto: 'HTTP/1.1',
  scenario: 'load',
  status,
  url: 'http://127.0.0.1:30080/',
  ...extra,
});

describe('load: k6 JSON output', () => {
  it('parses the documented Metric and Point lines', () => {
    const m = parseK6Line('{"type":"Metric","data":{"type":"gauge","contains":"default","tainted":null,"thresholds":[],"submetrics":null},"metric":"vus"}');
    assert.ok(m && !(m instanceof Error) && m.type === 'Metric');
    assert.equal(m.metric, 'vus');
    const p = parseK6Line('{"type":"Point","data":{"time":"2017-05-09T14:34:45.625742514+02:00","value":5,"tags":null},"metric":"vus"}');
    assert.ok(p && !(p instanceof Error) && p.type === 'Point');
    assert.equal(p.data.value, 5);
    assert.equal(p.at, Date.parse('2017-05-09T12:34:45.625Z') + 0.742514);
  });

  it('reads Go timestamps with nanoseconds, Z or an offset, and no fraction', () => {
    assert.equal(parseK6Time('2025-06-01T10:00:00Z'), Date.parse('2025-06-01T10:00:00Z'));
    assert.equal(parseK6Time('2025-06-01T10:00:00.5Z'), Date.parse('2025-06-01T10:00:00.500Z'));
    assert.equal(parseK6Time('2025-06-01T12:00:00.123456789+02:00'), Date.parse('2025-06-01T10:00:00.123Z') + 0.456789);
    assert.ok(Number.isNaN(parseK6Time('yesterday')));
  });

  it('returns an Error for malformed lines and nothing for blank ones', () => {
    assert.equal(parseK6Line('   '), undefined);
    assert.ok(parseK6Line('{"type":"Point"') instanceof Error);
    assert.ok(parseK6Line('{"type":"Point","data":{"time":"bad","value":1,"tags":null},"metric":"x"}') instanceof Error);
    assert.ok(parseK6Line('{"type":"Other","data":{},"metric":"x"}') instanceof Error);
    assert.ok(parseK6Line('[1,2]') instanceof Error);
  });

  it('maps http_reqs tags to outcomes: status class, or k6 error codes for no answer', () => {
    assert.deepEqual(outcomeOfK6Request(reqTags('200')), { outcome: '2xx' });
    assert.deepEqual(outcomeOfK6Request(reqTags('503')), { outcome: '5xx' });
    assert.equal(outcomeOfK6Request(reqTags('0', { error_code: '1050', error: 'request timeout' })).outcome, 'timeout');
    assert.equal(outcomeOfK6Request(reqTags('0', { error_code: '1212', error: 'dial: connection refused' })).outcome, 'refused');
    assert.equal(outcomeOfK6Request(reqTags('0', { error_code: '1220', error: 'read: connection reset by peer' })).outcome, 'reset');
    assert.deepEqual(outcomeOfK6Request(reqTags('0', { error_code: '1101' })), { outcome: 'other', code: 'k6:1101' });
    assert.equal(outcomeOfK6Error(1211), 'timeout');
    assert.equal(outcomeOfK6Error(1201), 'reset');
  });

  it('turns a stream cut mid-line into per-second buckets with outcomes, latencies and dropped iterations', () => {
    const out: SecondBucket[] = [];
    const s = new K6Stream((b) => out.push(b));
    const t = (sec: number, ms: number) => `2025-06-01T10:00:${String(sec).padStart(2, '0')}.${String(ms).padStart(3, '0')}123456Z`;
    const lines = [
      metricLine('http_reqs', 'counter'),
      metricLine('http_req_duration', 'trend', 'time'),
      point('http_reqs', t(1, 100), 1, reqTags('200')),
      point('http_req_duration', t(1, 100), 12.5, reqTags('200')),
      point('http_reqs', t(1, 600), 1, reqTags('200')),
      point('http_req_duration', t(1, 600), 20, reqTags('200')),
      point('vus', t(1, 700), 3, null),
      point('http_reqs', t(2, 50), 1, reqTags('0', { error_code: '1212' })),
      point('http_req_duration', t(2, 50), 0.3, reqTags('0', { error_code: '1212' })),
      point('http_reqs', t(2, 400), 1, reqTags('0', { error_code: '1050' })),
      point('http_req_duration', t(2, 400), 1000, reqTags('0', { error_code: '1050' })),
      point('dropped_iterations', t(2, 500), 3, { scenario: 'load' }),
      metricLine('http_req_failed', 'rate', 'default', true),
    ].join('\n');
    // Fed in awkward pieces, as a file read while k6 writes it would be.
    for (let i = 0; i < lines.length; i += 37) s.feed(lines.slice(i, i + 37));
    s.end();
    s.buckets.flush(Infinity, true);
    assert.equal(out.length, 2);
    const [one, two] = out as [SecondBucket, SecondBucket];
    assert.equal(one.at, Date.parse('2025-06-01T10:00:01Z'));
    assert.equal(one.outcomes['2xx'], 2);
    assert.equal(one.sent, 2);
    assert.ok(one.p50 >= 12 && one.p50 <= 13 && one.max >= 19.9 && one.max <= 20.1, `p50 ${one.p50} max ${one.max}`);
    assert.equal(two.outcomes.refused, 1);
    assert.equal(two.outcomes.timeout, 1);
    assert.equal(two.offered, 5, '2 sent + 3 dropped by k6');
    assert.equal(two.sent, 2);
    assert.ok(two.p50 >= 999, 'the refused request (no answer) adds no latency; the timeout does');
    assert.deepEqual([...s.tainted], ['http_req_failed']);
    assert.equal(s.malformed.length, 0);
  });
});

describe('load: k6 exit codes and command line', () => {
  it('maps 0, 99, 105, 107 and others', () => {
    assert.equal(k6Exit(0, false).kind, 'ok');
    assert.equal(k6Exit(99, false).kind, 'thresholds');
    assert.equal(k6Exit(105, true).kind, 'ok', 'stopped by the harness');
    assert.equal(k6Exit(105, false).kind, 'error', 'stopped by someone else');
    assert.equal(k6Exit(107, false).kind, 'error');
    assert.match(k6Exit(107, false).message, /script/);
    assert.equal(k6Exit(108, false).kind, 'error');
    assert.equal(k6Exit(104, false).kind, 'error');
    assert.equal(k6Exit(undefined, true, 'SIGKILL').kind, 'ok');
  });

  it('reads `k6 version` and needs 1.0 or later', () => {
    assert.deepEqual(parseK6Version('k6 v1.0.0 (commit/41b4984b75, go1.24.2, linux/amd64)'), { major: 1, minor: 0, patch: 0, text: '1.0.0' });
    assert.equal(parseK6Version('k6 v0.57.0 (go1.23.6, linux/amd64)')?.major, 0);
    assert.equal(parseK6Version('bash: k6: not found'), undefined);
  });

  it('runs k6 with the safety flags, parameters by -e and the JSON output', () => {
    const args = k6Args({ bin: 'k6', script: 's.ts', outFile: '/tmp/o.json' }, { url: 'http://127.0.0.1:30080/', rate: 20, duration: 90_000, timeout: 2000 });
    assert.equal(args[0], 'run');
    for (const f of ['--no-usage-report', '--include-system-env-vars=false', 'json=/tmp/o.json', 'SHAKEDOWN_URL=http://127.0.0.1:30080/', 'SHAKEDOWN_RATE=20', 'SHAKEDOWN_DURATION=90s', 'SHAKEDOWN_TIMEOUT=2000ms']) assert.ok(args.includes(f), f);
    assert.equal(args.at(-1), 's.ts');
  });
});

describe('load: the k6 driver\'s plumbing, with a stand-in for the k6 binary', function () {
  this.timeout(15_000);
  // k6 itself cannot run here. This shell script stands in for its process interface only: it
  // prints a version, checks the flags it is given, writes documented JSON lines to the --out
  // file in two parts and exits with a chosen code. It decides no verdict.
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakedown-k6-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * A stand-in for k6: writes its first second, then (with `gate`) blocks until the test opens
   * the FIFO `<bin>.gate` for writing, then writes the rest and exits. Its TERM/INT trap ends the
   * blocked reader too, so nothing outlives it.
   */
  async function standIn(name: string, exitCode: number, version = 'k6 v1.1.0 (commit/0000000, go1.24.4, linux/amd64)', gate = false): Promise<string> {
    const t = (sec: number) => `2025-06-01T10:00:0${sec}.250000000Z`;
    const first = [metricLine('http_reqs', 'counter'), point('http_reqs', t(1), 1, reqTags('200')), point('http_req_duration', t(1), 5, reqTags('200'))].join('\n');
    const second = [point('http_reqs', t(2), 1, reqTags('0', { error_code: '1220' })), point('http_reqs', t(3), 1, reqTags('200'))].join('\n');
    await writeFile(join(dir, `${name}.1`), `${first}\n`);
    await writeFile(join(dir, `${name}.2`), `${second}\n`);
    const bin = join(dir, name);
    await writeFile(
      bin,
      `#!/bin/sh
if [ "$1" = version ]; then echo "${version}"; exit 0; fi
[ "$K6_AUTO_EXTENSION_RESOLUTION" = false ] || { echo "extension resolution not off" >&2; exit 3; }
case " $* " in *" --no-usage-report "*) ;; *) echo "no --no-usage-report" >&2; exit 3;; esac
case " $* " in *" --include-system-env-vars=false "*) ;; *) echo "system env included" >&2; exit 3;; esac
out=""; for a in "$@"; do case "$a" in json=*) out="\${a#json=}";; esac; done
trap 'kill $! 2>/dev/null; exit 105' TERM INT
cat "${bin}.1" > "$out"
${gate ? `cat "${bin}.gate" > /dev/null & wait` : ''}
cat "${bin}.2" >> "$out"
exit ${exitCode}
`,
    );
    await chmod(bin, 0o755);
    if (gate) execFileSync('mkfifo', [`${bin}.gate`]);
    return bin;
  }
  const opts = { url: 'http://127.0.0.1:9/', rate: 10, duration: 5000, timeout: 1000 };
  const loadParamsFor = (bin: string): LoadParams => ({ load: 'k6', loadRate: 10, loadTimeout: 1000, loadSteadyFor: 1000, loadRecoveryFor: 1000, loadMaxErrorRate: 0.1, loadRecoverWithin: 1000, loadK6: bin });

  it('checks `k6 version` in preflight and refuses k6 older than 1.0', async () => {
    await k6Driver({ bin: await standIn('new', 0), script: 's.ts' }).preflight();
    await assert.rejects(k6Driver({ bin: await standIn('old', 0, 'k6 v0.57.0 (go1.23, linux/amd64)'), script: 's.ts' }).preflight(), /too old/);
    await assert.rejects(k6Driver({ bin: join(dir, 'missing'), script: 's.ts' }).preflight(), LoadDriverError);
  });

  it('tails the JSON output while k6 runs, and keeps exit 99 beside the series', async () => {
    const bin = await standIn('thresholds', 99, undefined, true);
    const load = await k6Driver({ bin, script: 's.ts' }).start(opts);
    let exited = false;
    void load.done.finally(() => (exited = true)).catch(() => {});
    // The stand-in holds at its gate after the first second: the poller must read it meanwhile.
    await waitFor(() => (load.seconds().length > 0 ? done(undefined) : notYet(load.seconds().length)), { what: 'the first second read', timeoutMs: 10_000, intervalMs: 50 });
    assert.equal(load.seconds().length, 1);
    assert.equal(exited, false, 'the first second was read before k6 exited');
    await writeFile(`${bin}.gate`, 'go\n');
    const r = await load.done;
    assert.equal(r.exit.kind, 'thresholds');
    assert.equal(r.exit.code, 99);
    assert.deepEqual(r.seconds.map((s) => [s.outcomes['2xx'], s.outcomes.reset]), [[1, 0], [0, 1], [1, 0]]);
  });

  it('keeps k6\'s raw output in the run\'s report folder when the run has one', async () => {
    const reportDir = await mkdtemp(join(dir, 'report-'));
    const p = { ...loadParamsFor(await standIn('kept', 0)) };
    const load = await driverFor(p, 's.ts', reportDir).start(opts);
    await load.done;
    const kept = await readFile(join(reportDir, K6_OUTPUT_FILE), 'utf8');
    assert.equal(kept.trim().split('\n').length, 5, 'every line k6 wrote');
  });

  it('a script error (107) breaks the driver; a stop by the harness (105) does not', async () => {
    const broken = await k6Driver({ bin: await standIn('broken', 107), script: 's.ts' }).start(opts);
    await assert.rejects(broken.done, (e: unknown) => e instanceof LoadDriverError && /script threw/.test(e.message));
    const stopped = await k6Driver({ bin: await standIn('stopped', 0, undefined, true), script: 's.ts' }).start(opts);
    // Its trap is set once it has written its first second; it then waits at a gate never opened.
    await waitFor(() => (stopped.seconds().length > 0 ? done(undefined) : notYet(0)), { what: 'the stand-in to start', timeoutMs: 10_000, intervalMs: 50 });
    const r = await stopped.stop();
    assert.equal(r.exit.kind, 'ok');
    assert.equal(r.exit.code, 105);
  });
});
