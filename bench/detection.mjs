#!/usr/bin/env node
// Benchmark (figures, no pass/fail): the harness's detection on a real cluster with and without
// built-in load beside the fault. Runs statefulset-identity on the current kubeconfig's cluster
// `runs` times with load=off and `runs` times with load=builtin at `rate` req/s, alternating so
// the cluster's own drift hits both alike, and prints per mode the medians of what the journal
// measures with the harness's own clock: delete request → the watch seeing the new pod (time to
// recreate) and → Ready; and the watch's lag behind the API's Ready transition (1 s resolution).
//
//   KUBECONFIG=... node bench/detection.mjs [runs=3] [rate=200] [--set k=v ...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 3);
const rate = Number(process.argv[3] ?? 200);
const extra = process.argv.slice(4);
const bin = fileURLToPath(new URL('../harness/cli/bin.js', import.meta.url));
const image = process.env.SHAKEDOWN_BENCH_IMAGE ?? 'shakedown.local/sample:1';

function once(load) {
  const dir = mkdtempSync(join(tmpdir(), 'shakedown-bench-'));
  const args = ['run', 'statefulset-identity', '--set', `image=${image}`, '--set', `load=${load}`, '--set', `loadRate=${rate}`, '--report-dir', dir, ...extra];
  try {
    execFileSync(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    console.error(`run with load=${load} ended with exit ${err.status}; its figures are kept only if it passed`);
  }
  const sub = readdirSync(dir)[0];
  const j = JSON.parse(readFileSync(join(dir, sub, 'journal.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const m = Object.fromEntries(j.measurements.map((x) => [x.name, x.value]));
  return { verdict: j.verdict.kind, recreate: m['time to recreate (mean)'] * 1000, ready: m['time to Ready (mean)'] * 1000, lag: m['detection latency (max)'], sent: m['load-offered'] };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

const byMode = { off: [], builtin: [] };
for (let i = 0; i < runs; i++) {
  for (const mode of ['off', 'builtin']) {
    const r = once(mode);
    console.error(`run ${i + 1}/${runs} load=${mode}: ${r.verdict}; recreate ${r.recreate} ms, Ready ${r.ready} ms, watch lag ${r.lag} ms`);
    if (r.verdict === 'passed') byMode[mode].push(r);
  }
}
const row = (mode) => ({
  load: mode === 'off' ? 'off' : `builtin ${rate}/s`,
  'passed runs': byMode[mode].length,
  'recreate ms (median)': Math.round(median(byMode[mode].map((r) => r.recreate))),
  'Ready ms (median)': Math.round(median(byMode[mode].map((r) => r.ready))),
  'watch lag ms (median of max)': median(byMode[mode].map((r) => r.lag)),
});
const [off, on] = [row('off'), row('builtin')];
console.table([off, on]);
console.log(`ratio with/without load: recreate ${(on['recreate ms (median)'] / off['recreate ms (median)']).toFixed(2)}, Ready ${(on['Ready ms (median)'] / off['Ready ms (median)']).toFixed(2)}`);
