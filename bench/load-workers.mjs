#!/usr/bin/env node
// Benchmark (figures, no pass/fail): the built-in load from 3 worker pods (loadWorkers=3) vs the
// harness's own in-process driver (loadWorkers=1) at the same total rate, against the same
// in-cluster target: pod-delete's fixture (busybox httpd behind a Service), the workers through
// its client Service's cluster DNS name, the in-process driver through the same Service's NodePort
// on 127.0.0.1. Alternates the modes `runs` times and prints, per run, the delivered rate and the
// merged p50/p99 of the steady and recovery phases, read from each run's journal.
//
//   KUBECONFIG=... node bench/load-workers.mjs <harness-image> [runs=2] [rate=300]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workerImage = process.argv[2];
if (!workerImage) {
  console.error('usage: node bench/load-workers.mjs <harness-image> [runs=2] [rate=300]');
  process.exit(2);
}
const runs = Number(process.argv[3] ?? 2);
const rate = Number(process.argv[4] ?? 300);
const bin = fileURLToPath(new URL('../harness/cli/bin.js', import.meta.url));
const image = process.env.SHAKEDOWN_BENCH_IMAGE ?? 'shakedown.local/sample:1';

function once(workers, i) {
  const dir = mkdtempSync(join(tmpdir(), 'shakedown-bench-lw-'));
  const sets = [`image=${image}`, 'replicas=2', 'count=1', 'gracePeriodSeconds=2', 'load=builtin', `loadRate=${rate}`, `loadWorkers=${workers}`, 'loadSteadyFor=10s', 'loadRecoveryFor=10s',
    'loadMaxErrorRate=1', 'loadMaxP95Ratio=10000', 'loadRecoverWithin=10m', ...(workers > 1 ? [`loadWorkerImage=${workerImage}`] : [])];
  try {
    execFileSync(process.execPath, [bin, 'run', 'pod-delete', '--namespace', `sd-e2e-lw-bench-${workers}-${i}`, '--report-dir', dir, ...sets.flatMap((s) => ['--set', s])], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (err) {
    console.error(`loadWorkers=${workers}: exit ${err.status}`);
  }
  try {
    const run = readdirSync(dir)[0];
    const j = JSON.parse(readFileSync(join(dir, run, 'journal.json'), 'utf8'));
    const t = j.tables.find((x) => x.title.startsWith('Load per phase'));
    if (!t) {
      console.log(`loadWorkers=${workers} at ${rate} req/s, verdict ${j.verdict.kind}: no load figures (${j.verdict.reason ?? j.verdict.summary})`);
      return;
    }
    const c = (name) => t.columns.indexOf(name);
    const row = (phase) => t.rows.find((r) => r[0] === phase);
    const fig = (phase) => {
      const r = row(phase);
      return `${phase}: ${(r[c('sent')] / r[c('seconds')]).toFixed(1)} req/s delivered (${r[c('sent')]}/${r[c('offered')]} sent/offered), p50 ${r[c('p50 ms')]} ms, p99 ${r[c('p99 ms')]} ms`;
    };
    console.log(`loadWorkers=${workers} at ${rate} req/s, verdict ${j.verdict.kind}: ${fig('steady')}; ${fig('recovery')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < runs; i++) {
  once(1, i);
  once(3, i);
}
