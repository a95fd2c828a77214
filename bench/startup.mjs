#!/usr/bin/env node
// Benchmark (figures, no pass/fail): start-up of each shakedown command that needs no cluster,
// beside `node -e 0` and the other tools' own: wall time (median and fastest of `runs`), CPU time
// (user + system, median), resident peak (median of the runs' peaks), from /usr/bin/time, and the
// ratios to `node -e 0`. On a busy machine the wall time swings; the CPU time and the fastest run
// much less. shakedown runs as
// in a checkout (bin.js, TypeScript stripped by Node), with Node's compile cache warm (as from the
// second run on; bin.js enables it) and cold (NODE_DISABLE_COMPILE_CACHE=1: every run compiles).
//
//   node bench/startup.mjs [runs=15]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 15);
const bin = fileURLToPath(new URL('../harness/cli/bin.js', import.meta.url));
const chaos = process.env.CHAOS ?? join(homedir(), '.cache/shakedown/ctk-venv/bin/chaos');
const node = process.execPath;
const cold = { NODE_DISABLE_COMPILE_CACHE: '1' };

const commands = [
  ['node -e 0', [node, '-e', '0']],
  ['shakedown --version', [node, bin, '--version']],
  ['shakedown --help', [node, bin, '--help']],
  ['shakedown list', [node, bin, 'list']],
  ['shakedown list --json', [node, bin, 'list', '--json']],
  ['shakedown validate', [node, bin, 'validate']],
  ['shakedown run --dry-run', [node, bin, 'run', 'statefulset-identity', '--dry-run']],
  ['shakedown list (cold cache)', [node, bin, 'list'], cold],
  ['shakedown validate (cold cache)', [node, bin, 'validate'], cold],
  ['kubectl version --client', ['kubectl', 'version', '--client']],
  ['python3 -c 0', ['python3', '-c', '0']],
  ...(existsSync(chaos) ? [['chaos --version (chaostoolkit)', [chaos, '--no-version-check', '--version']], ['chaos --help', [chaos, '--no-version-check', '--help']]] : []),
];

const dir = mkdtempSync(join(tmpdir(), 'shakedown-startup-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function measure(argv, env = {}) {
  const t = join(dir, 'time');
  const walls = [];
  const peaks = [];
  const cpus = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync('/usr/bin/time', ['-f', '%M %U %S', '-o', t, ...argv], { stdio: 'ignore', env: { ...process.env, ...env } });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // The first two runs warm the OS's file cache and Node's compile cache; they are not counted.
    if (i < 2) continue;
    walls.push(ms);
    const [kb, user, sys] = readFileSync(t, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
    peaks.push(kb / 1024);
    cpus.push((user + sys) * 1000);
  }
  return { ms: median(walls), min: Math.min(...walls), cpu: median(cpus), mb: median(peaks) };
}

const rows = commands.map(([name, argv, env]) => ({ name, ...measure(argv, env) }));
rmSync(dir, { recursive: true, force: true });
const base = rows[0];
console.log(`| command | wall ms, median of ${runs} (× node -e 0) | fastest ms (×) | CPU ms, median (×) | resident peak MiB (×) |`);
console.log('| --- | --- | --- | --- | --- |');
const x = (v, b) => `(${(v / b).toFixed(1)})`;
for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(0)} ${x(r.ms, base.ms)} | ${r.min.toFixed(0)} ${x(r.min, base.min)} | ${r.cpu.toFixed(0)} ${x(r.cpu, base.cpu)} | ${r.mb.toFixed(0)} ${x(r.mb, base.mb)} |`);
