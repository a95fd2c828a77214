#!/usr/bin/env node
// Benchmark (figures, no pass/fail): how often `shakedown compare` flags noise, and whether it
// flags a real slowdown, on the current kubeconfig's cluster. What the defaults of
// harness/compare/thresholds.ts rest on (README, "Comparing runs").
//
// 1. Noise: `runs` identical runs of statefulset-identity on its own fixture (3 pods deleted one
//    at a time, rescale off) in namespace <ns>-noise, then every ordered pair compared
//    (`shakedown compare <run i> <run j>`): how many pairs exit 1 (a regression), per metric.
// 2. Slowdown: a user's StatefulSet (3 replicas, busybox httpd, readinessProbe every 2 s) in
//    <ns>-slow: `slowRuns` runs as it is, then its readinessProbe gets initialDelaySeconds=`delay`,
//    `slowRuns` runs more; every slowed run compared with every plain one (must all exit 1 naming
//    readyAfterDelete), and the plain runs among themselves (noise on a user's workload).
//
//   KUBECONFIG=... node bench/noise.mjs [runs=10] [slowRuns=3] [delay=8] [--ns shakedown-cmp] [--keep <dir>]
//   node bench/noise.mjs --analyse <dir>     the same figures again from the reports a --keep run kept
//
// Beside the CLI's verdicts with the default thresholds, a grid: for each relative threshold and
// absolute floor (applied to every ms metric), the share of noise pairs flagged and of slowdown
// pairs flagged (computed in-process with harness/compare, the code behind the CLI).
//
// Everything it creates is labelled shakedown.io/run-id=bench-<time> and deleted at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(name);
  if (i < 0) return def;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const ns = flag('--ns', 'shakedown-cmp');
const analyse = flag('--analyse', undefined);
const keep = flag('--keep', undefined);
const [runs = 10, slowRuns = 3, delay = 8] = args.map(Number);
const bin = fileURLToPath(new URL('../harness/cli/bin.js', import.meta.url));
const image = process.env.SHAKEDOWN_BENCH_IMAGE ?? 'shakedown.local/sample:1';
const benchId = `bench-${Date.now().toString(36)}`;
const root = keep ?? mkdtempSync(join(tmpdir(), 'shakedown-noise-'));

function run(dir, extra) {
  const r = spawnSync(process.execPath, [bin, 'run', 'statefulset-identity', '--set', 'rescale=false', '--report-dir', dir, ...extra], { encoding: 'utf8' });
  const d = /reports: (\S+)/.exec(r.stdout)?.[1];
  console.error(`  run exit ${r.status} ${d ?? r.stderr.trim().split('\n').at(-1)}`);
  return r.status === 0 || r.status === 1 ? d : undefined;
}

function compare(base, cur) {
  const r = spawnSync(process.execPath, [bin, 'compare', base, cur, '--json'], { encoding: 'utf8' });
  if (r.status === 2) throw new Error(`compare ${base} ${cur}: ${r.stderr}`);
  return { code: r.status, metrics: JSON.parse(r.stdout).metrics };
}

function pairs(label, baseRuns, curRuns, allOrdered) {
  const perMetric = {};
  let flagged = 0;
  let total = 0;
  for (const [i, b] of baseRuns.entries()) {
    for (const [j, c] of curRuns.entries()) {
      if (allOrdered && i === j) continue;
      const r = compare(b, c);
      total++;
      if (r.code === 1) flagged++;
      for (const m of r.metrics) {
        perMetric[m.name] ??= { regressed: 0, improved: 0, unchanged: 0, 'not enough data': 0 };
        perMetric[m.name][m.verdict]++;
      }
    }
  }
  console.log(`\n${label}: ${flagged} of ${total} pairs flagged (${((100 * flagged) / total).toFixed(1)} %)`);
  console.table(perMetric);
  return { flagged, total, perMetric };
}

const kubectl = (input, ...a) => execFileSync('kubectl', a, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });

function userStatefulSet(namespace, readyDelay) {
  const labels = { 'shakedown.io/run-id': benchId };
  const probe = { tcpSocket: { port: 8080 }, periodSeconds: 2, ...(readyDelay ? { initialDelaySeconds: readyDelay } : {}) };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders', namespace, labels }, spec: { clusterIP: 'None', selector: { app: 'orders' }, ports: [{ port: 80, targetPort: 8080 }] } },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'orders', namespace, labels },
        spec: {
          replicas: 3,
          serviceName: 'orders',
          selector: { matchLabels: { app: 'orders' } },
          template: {
            metadata: { labels: { app: 'orders', ...labels } },
            spec: { containers: [{ name: 'web', image, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], readinessProbe: probe, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
          },
          volumeClaimTemplates: [{ metadata: { name: 'data', labels }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '16Mi' } } } }],
        },
      },
    ],
  });
}

const reportsIn = (dir) => {
  try {
    return readdirSync(dir).sort().map((d) => join(dir, d));
  } catch {
    return [];
  }
};

/** Share of pairs in which some ms metric regressed, for each threshold on a grid. */
async function grid(noiseSets, slowPairs) {
  const { compareRuns } = await import('../harness/compare/compare.ts');
  const { loadRun } = await import('../harness/compare/inputs.ts');
  const { parseThresholds } = await import('../harness/compare/thresholds.ts');
  const load = async (dirs) => Promise.all(dirs.map((d) => loadRun(d)));
  const noise = await Promise.all(noiseSets.map(load));
  const slow = { plain: await load(slowPairs.plain), slowed: await load(slowPairs.slowed) };
  const flaggedShare = (pairs, thresholds, metric) => {
    let n = 0;
    for (const [b, c] of pairs) {
      const r = compareRuns([b], c, { baselineSource: b.source, thresholds });
      if (r.metrics.some((m) => m.verdict === 'regressed' && (metric === undefined || m.name === metric))) n++;
    }
    return pairs.length ? `${n}/${pairs.length}` : '–';
  };
  const ordered = (runs) => runs.flatMap((b, i) => runs.filter((_, j) => j !== i).map((c) => [b, c]));
  const rows = [];
  for (const rel of [1.25, 1.5, 2, 3]) {
    for (const floor of [500, 1000, 2000, 3000]) {
      const t = parseThresholds([`*=${rel}x,+${floor}ms`]);
      const row = { threshold: `${rel}x,+${floor}ms` };
      noise.forEach((runs, i) => (row[`noise ${i + 1}: any metric`] = flaggedShare(ordered(runs), t)));
      row['slowdown: readyAfterDelete'] = flaggedShare(slow.plain.flatMap((b) => slow.slowed.map((c) => [b, c])), t, 'readyAfterDelete');
      rows.push(row);
    }
  }
  console.log('\nflagged pairs by threshold (every ms metric; noise sets: ' + noiseSets.map((s, i) => `${i + 1} = ${s.length} runs`).join(', ') + ')');
  console.table(rows);
}

const summary = {};
if (analyse) {
  const noise = reportsIn(join(analyse, 'noise'));
  const plain = reportsIn(join(analyse, 'plain'));
  const slowed = reportsIn(join(analyse, 'slowed'));
  if (noise.length > 1) summary.noise = pairs(`noise, fixture (${noise.length} runs, every ordered pair)`, noise, noise, true);
  if (plain.length > 1) summary.userNoise = pairs(`noise, user StatefulSet (${plain.length} plain runs, every ordered pair)`, plain, plain, true);
  if (plain.length && slowed.length) summary.slowdown = pairs('slowdown (every slowed run against every plain one)', plain, slowed, false);
  await grid([noise, plain].filter((x) => x.length > 1), { plain, slowed });
  console.log(JSON.stringify(summary));
  process.exit(0);
}
try {
  if (runs > 1) {
    console.error(`noise: ${runs} identical runs of statefulset-identity on its fixture in ${ns}-noise`);
    const dir = join(root, 'noise');
    const fixture = ['--namespace', `${ns}-noise`, '--set', `image=${image}`];
    const done = [];
    for (let i = 0; i < runs; i++) {
      const d = run(dir, fixture);
      if (d) done.push(d);
    }
    summary.noise = pairs(`noise, fixture (${done.length} runs, every ordered pair)`, done, done, true);
  }
  if (slowRuns > 0) {
    const slowNs = `${ns}-slow`;
    console.error(`slowdown: a user StatefulSet in ${slowNs}, ${slowRuns} runs plain, ${slowRuns} with initialDelaySeconds=${delay}`);
    kubectl(userStatefulSet(slowNs, 0), 'apply', '-f', '-');
    kubectl(undefined, 'rollout', 'status', `statefulset/orders`, '-n', slowNs, '--timeout=300s');
    const user = ['--set', 'statefulset=orders', '--namespace', slowNs];
    const plain = [];
    for (let i = 0; i < slowRuns; i++) plain.push(run(join(root, 'plain'), user));
    kubectl(userStatefulSet(slowNs, delay), 'apply', '-f', '-');
    kubectl(undefined, 'rollout', 'status', `statefulset/orders`, '-n', slowNs, '--timeout=600s');
    const slowed = [];
    for (let i = 0; i < slowRuns; i++) slowed.push(run(join(root, 'slowed'), user));
    summary.userNoise = pairs(`noise, user StatefulSet (${plain.filter(Boolean).length} plain runs, every ordered pair)`, plain.filter(Boolean), plain.filter(Boolean), true);
    summary.slowdown = pairs(`slowdown: initialDelaySeconds=${delay} vs none (every slowed run against every plain one)`, plain.filter(Boolean), slowed.filter(Boolean), false);
  }
} finally {
  try {
    kubectl(undefined, 'delete', 'namespace', '-l', `shakedown.io/run-id=${benchId}`, '--wait=true', '--timeout=300s');
  } catch {
    console.error(`could not delete the namespaces labelled shakedown.io/run-id=${benchId}; shakedown cleanup --run-id ${benchId} removes them`);
  }
  if (!keep) rmSync(root, { recursive: true, force: true });
  else console.error(`reports kept in ${root}: ${readdirSync(root).join(', ')}`);
}
console.log(JSON.stringify(summary));
if (keep) await grid([reportsIn(join(root, 'noise')), reportsIn(join(root, 'plain'))].filter((x) => x.length > 1), { plain: reportsIn(join(root, 'plain')), slowed: reportsIn(join(root, 'slowed')) });
