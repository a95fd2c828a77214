#!/usr/bin/env node
// Benchmark (figures, no pass/fail): the harness's detection on a real cluster with and without
// built-in load beside the fault. Runs statefulset-identity on the current kubeconfig's cluster
// `runs` times with load=off and `runs` times with load=builtin at `rate` req/s, alternating so
// the cluster's own drift hits both alike, and prints per mode the medians, per deleted pod, of
// what the journal holds on the harness's own clock: delete request → the watch delivering the
// pod as terminating (detection: the API's answer plus the watch, nearly no controller time),
// → the watch seeing the new pod (recreate) and → Ready.
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
    console.error(`run with load=${load} ended with exit ${err.status}; its timings are kept unless the run broke (error, aborted)`);
  }
  const sub = readdirSync(dir)[0];
  const j = JSON.parse(readFileSync(join(dir, sub, 'journal.json'), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  // Per deleted pod, from the recovered-within check's evidence and the watch's events.
  const pods = j.checks.filter((c) => c.name === 'recovered-within' && c.evidence?.deleteRequestedAt);
  const perPod = pods.map((c) => {
    const t0 = Date.parse(c.evidence.deleteRequestedAt);
    const seen = j.events.find((e) => e.source === 'watch' && e.object?.endsWith(`/${c.target}`) && Date.parse(e.at) >= t0 && /terminating|^DELETED/.test(e.message));
    return { detect: seen ? Date.parse(seen.at) - t0 : NaN, recreate: Date.parse(c.evidence.recreatedSeenAt) - t0, ready: Date.parse(c.evidence.readySeenAt) - t0 };
  });
  return { verdict: `${j.verdict.kind}${j.verdict.findings?.length ? ` (${j.verdict.findings.join(', ')})` : ''}`, completed: j.verdict.kind === 'passed' || j.verdict.kind === 'failed', perPod };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

const byMode = { off: [], builtin: [] };
for (let i = 0; i < runs; i++) {
  for (const mode of ['off', 'builtin']) {
    const r = once(mode);
    console.error(`run ${i + 1}/${runs} load=${mode}: ${r.verdict}; per pod detect/recreate/Ready ms: ${r.perPod.map((x) => `${x.detect}/${x.recreate}/${x.ready}`).join(', ')}`);
    // A finding (a breached load limit at a high rate, say) does not make the timings wrong.
    if (r.completed) byMode[mode].push(r);
  }
}
const all = (mode, k) => byMode[mode].flatMap((r) => r.perPod.map((x) => x[k]));
const row = (mode) => ({
  load: mode === 'off' ? 'off' : `builtin ${rate}/s`,
  'runs': byMode[mode].length,
  pods: all(mode, 'detect').length,
  'detect ms (median)': median(all(mode, 'detect')),
  'detect ms (max)': Math.max(...all(mode, 'detect').filter(Number.isFinite)),
  'recreate ms (median)': median(all(mode, 'recreate')),
  'Ready ms (median)': median(all(mode, 'ready')),
});
const [off, on] = [row('off'), row('builtin')];
console.table([off, on]);
console.log(`ratio with/without load (medians): detect ${(on['detect ms (median)'] / off['detect ms (median)']).toFixed(2)}, recreate ${(on['recreate ms (median)'] / off['recreate ms (median)']).toFixed(2)}, Ready ${(on['Ready ms (median)'] / off['Ready ms (median)']).toFixed(2)}`);
