#!/usr/bin/env node
// Benchmark (figures, no pass/fail): statefulset-identity's checks done three ways on the same
// StatefulSet of the current kubeconfig's cluster, side by side, at each replica count:
//
//   harness       `shakedown run statefulset-identity` on the StatefulSet (rescale off)
//   kubectl       bench/kubectl-check.sh: the same checks as a kubectl script
//   chaostoolkit  `chaos run` of a generated experiment with chaostoolkit-kubernetes actions and
//                 probes (terminate_pods, exec_in_pods, statefulset_(not_)fully_available)
//
// Each deletes every pod, `batch` at a time, follows them back to Ready, and checks claim, token
// and DNS record. Per tool: wall time, API requests, per-pod recovery (delete → Ready, as the tool
// saw it), resident peak (largest process), and for the harness its V8 heap peak. API requests are
// counted the same way for all three: the harness and chaostoolkit talk to the cluster through
// `kubectl proxy -v=6`, whose log has one line per request it forwards; the kubectl script's
// own calls run with -v=6. A bare `kubectl get pods --watch` beside the harness gives the
// cluster's own recovery (delete request → the new pod seen Ready by a watch that does nothing
// else), so the harness's overhead on it can be told apart from the cluster's time.
//
// The StatefulSet (the harness's fixture manifests, podManagementPolicy Parallel so 100 replicas
// start in parallel) is created before and deleted after each replica count, in a namespace of its
// own labelled shakedown.io/run-id=bench-<time>, not timed; the tools run on it one after another.
//
//   KUBECONFIG=... node bench/compare.mjs [replicas=3,30,100] [batch=1,10,10] [--tools harness,kubectl,chaostoolkit]
//
// chaostoolkit comes from PyPI in a virtualenv of its own, never in the project:
//   python3 -m venv ~/.cache/shakedown/ctk-venv && ~/.cache/shakedown/ctk-venv/bin/pip install chaostoolkit chaostoolkit-kubernetes
// (CHAOS=/path/to/chaos overrides where it is looked for).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const tools = (flag('--tools') ?? 'harness,kubectl,chaostoolkit').split(',');
const counts = (args[0] ?? '3,30,100').split(',').map(Number);
const batches = (args[1] ?? '1,10,10').split(',').map(Number);
const image = process.env.SHAKEDOWN_BENCH_IMAGE ?? 'shakedown.local/sample:1';
const chaos = process.env.CHAOS ?? join(homedir(), '.cache/shakedown/ctk-venv/bin/chaos');
const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const bin = here('../harness/cli/bin.js');
const STS = 'bench-web';
const runId = `bench-${Date.now().toString(36)}`;

const sh = (cmd, argv, opts = {}) => execFileSync(cmd, argv, { encoding: 'utf8', ...opts });
const kubectl = (...argv) => sh('kubectl', argv);
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** The fixture's manifests with its placeholders filled (the same the harness deploys). */
function fixtureYaml(ns, replicas) {
  const values = { namespace: ns, statefulset: STS, service: `${STS}-headless`, replicas, image, storageClass: 'standard', mountPath: '/data', podManagementPolicy: 'Parallel' };
  const fill = (f) => readFileSync(here(`../experiments/statefulset-identity/manifests/${f}`), 'utf8').replace(/\$\{(\w+)\}/g, (_, k) => String(values[k]));
  return `${fill('headless-service.yaml')}\n---\n${fill('statefulset.yaml')}`;
}

function deployFixture(ns, replicas) {
  kubectl('create', 'namespace', ns);
  kubectl('label', 'namespace', ns, `shakedown.io/run-id=${runId}`);
  sh('kubectl', ['apply', '-f', '-'], { input: fixtureYaml(ns, replicas) });
  kubectl('-n', ns, 'label', 'statefulset', STS, `shakedown.io/run-id=${runId}`);
  kubectl('-n', ns, 'rollout', 'status', `statefulset/${STS}`, '--timeout=600s');
}

/** A kubeconfig whose only cluster is a `kubectl proxy -v=6` on loopback, and the proxy. */
async function startProxy(dir, name) {
  const log = join(dir, `${name}-proxy.log`);
  const p = spawn('sh', ['-c', `exec kubectl proxy -v=6 --port=0 --reject-paths='^$' --disable-filter=true 2>>"${log}" 1>>"${log}"`], { stdio: 'ignore' });
  let port;
  for (let i = 0; i < 100 && !port; i++) {
    await new Promise((r) => setTimeout(r, 100));
    port = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(existsSync(log) ? readFileSync(log, 'utf8') : '')?.[1];
  }
  if (!port) throw new Error(`kubectl proxy did not start: ${readFileSync(log, 'utf8')}`);
  const kubeconfig = join(dir, `${name}-kubeconfig`);
  writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: shakedown-local\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: shakedown-local\n  context:\n    cluster: shakedown-local\n    user: proxy\ncurrent-context: shakedown-local\nusers:\n- name: proxy\n  user: {}\n`);
  return { kubeconfig, log, stop: () => p.kill('SIGTERM') };
}

/** API requests in a -v=6 log: one line per response, in klog's old and new formats. */
function countRequests(log) {
  if (!existsSync(log)) return NaN;
  return readFileSync(log, 'utf8').split('\n').filter((l) => /round_trippers\.go.*(\b(GET|POST|PUT|PATCH|DELETE) https?:\/\/|"Response"|verb=")/.test(l)).length;
}

/**
 * Runs `argv` under /usr/bin/time: wall ms, resident peak in MB (the largest process of its tree),
 * output. Asynchronous, so the bare watch beside it stamps its lines as they arrive.
 */
async function timed(argv, env, dir, name) {
  const t = join(dir, `${name}.time`);
  const out = join(dir, `${name}.out`);
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    const p = spawn('sh', ['-c', `/usr/bin/time -f '%M' -o "${t}" "$@" >"${out}" 2>&1`, 'timed', ...argv], { env: { ...process.env, ...env }, stdio: 'ignore' });
    p.on('exit', (c) => resolve(c));
  });
  const wallMs = Date.now() - t0;
  const rssMB = Number(readFileSync(t, 'utf8').trim().split('\n').at(-1)) / 1024;
  return { wallMs, rssMB, code, output: readFileSync(out, 'utf8') };
}

/** A bare watch on the pods, each line stamped on arrival: the cluster's own Ready times. */
function bareWatch(ns) {
  const lines = [];
  const p = spawn('kubectl', ['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/name=${STS}`, '--watch', '-o', 'jsonpath={.metadata.name} {.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}']);
  let buf = '';
  p.stdout.on('data', (d) => {
    const at = Date.now();
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop();
    for (const l of parts) {
      const [name, uid, ready] = l.split(' ');
      lines.push({ at, name, uid, ready: ready === 'True' });
    }
  });
  return {
    /** When the bare watch first saw `pod` Ready with a UID other than `oldUid`, after `since`. */
    readyAt: (pod, oldUid, since) => lines.find((l) => l.name === pod && l.uid !== oldUid && l.ready && l.at >= since)?.at,
    stop: () => p.kill('SIGTERM'),
  };
}

/** Total length of the union of [start, end] intervals. */
function union(intervals) {
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of intervals.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((p, q) => p[0] - q[0])) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

async function runHarness(ns, replicas, batch, dir) {
  const proxy = await startProxy(dir, 'harness');
  const watch = bareWatch(ns);
  const reports = join(dir, 'harness-reports');
  try {
    const r = await timed(
      [process.execPath, bin, 'run', 'statefulset-identity', '--namespace', ns, '--set', `statefulset=${STS}`, '--set', 'rescale=false', '--set', `batch=${batch}`, '--report-dir', reports, '--timeout', '60m'],
      { KUBECONFIG: proxy.kubeconfig, CI: 'true' },
      dir,
      'harness',
    );
    await new Promise((r) => setTimeout(r, 1000)); // the bare watch's last lines
    const j = JSON.parse(readFileSync(join(reports, readdirSync(reports)[0], 'journal.json'), 'utf8'));
    const m = (name) => j.measurements.find((x) => x.name === name)?.value;
    const recovered = j.checks.filter((c) => c.name === 'recovered-within' && c.evidence?.deleteRequestedAt);
    const perPod = recovered.map((c) => {
      const t0 = Date.parse(c.evidence.deleteRequestedAt);
      const seen = Date.parse(c.evidence.readySeenAt) - t0;
      const oldUid = j.events.find((e) => e.type === 'identity-recorded' && e.object?.endsWith(`/${c.target}`))?.data?.uid;
      const bare = watch.readyAt(c.target, oldUid, t0);
      return { t0, seen, bare: bare === undefined ? NaN : bare - t0 };
    });
    const checks = j.checks.filter((c) => c.phase === 'verify' || c.phase === 'steady-state-before');
    return {
      tool: 'harness',
      verdict: j.verdict.kind,
      wallMs: r.wallMs,
      requests: countRequests(proxy.log),
      ownCount: m('api requests'),
      recoveryMs: median(perPod.map((x) => x.seen)),
      clusterMs: median(perPod.map((x) => x.bare)),
      overheadMs: median(perPod.map((x) => x.seen - x.bare)),
      sumSeen: perPod.reduce((a, x) => a + x.seen, 0),
      sumBare: perPod.reduce((a, x) => a + x.bare, 0),
      // The time some pod was down (from its delete to the bare watch seeing it Ready): the
      // union of the per-pod windows, so pods recovering together count once.
      downMs: union(perPod.map((x) => [x.t0, x.t0 + x.bare])),
      pods: perPod.length,
      rssMB: r.rssMB,
      runRssMB: m('harness rss peak'),
      heapMB: m('harness heap peak'),
      checks: `${checks.filter((c) => c.status === 'passed').length}/${checks.length}`,
    };
  } finally {
    watch.stop();
    proxy.stop();
  }
}

async function runKubectl(ns, replicas, batch, dir) {
  const log = join(dir, 'kubectl-v6.log');
  const r = await timed(['bash', here('./kubectl-check.sh'), ns, STS, String(replicas), String(batch), log], {}, dir, 'kubectl');
  const perPod = [...r.output.matchAll(/^recovered \S+ (\d+)$/gm)].map((x) => Number(x[1]));
  const checks = /^checks (\d+) (\d+)$/m.exec(r.output);
  return { tool: 'kubectl', verdict: r.code === 0 && checks?.[2] === '0' ? 'passed' : `exit ${r.code}`, wallMs: r.wallMs, requests: countRequests(log), recoveryMs: median(perPod), pods: perPod.length, rssMB: r.rssMB, checks: checks ? `${checks[1]}/${Number(checks[1]) + Number(checks[2])}` : '?' };
}

/** A chaostoolkit experiment doing the same, with chaostoolkit-kubernetes' actions and probes. */
function chaosExperiment(ns, replicas, batch) {
  const py = (type, name, func, args, extra = {}) => ({ type, name, provider: { type: 'python', module: type === 'probe' && func.startsWith('statefulset') ? 'chaosk8s.statefulset.probes' : 'chaosk8s.pod.actions', func, arguments: args }, ...extra });
  const pattern = (os) => `^${STS}-(${os.join('|')})$`;
  const method = [];
  const all = [...Array(replicas).keys()];
  for (let o = 0; o < replicas; o++) {
    method.push(py('action', `write-token-${o}`, 'exec_in_pods', { cmd: ['sh', '-c', `echo ctk-${o} > /data/.ctk-token && sync`], name_pattern: pattern([o]), all: true, ns, container_name: 'web' }));
    method.push(py('action', `dns-before-${o}`, 'exec_in_pods', { cmd: ['nslookup', `${STS}-${o}.${STS}-headless.${ns}.svc.cluster.local`], name_pattern: pattern([(o + 1) % replicas]), all: true, ns, container_name: 'web' }));
  }
  for (let s = 0; s < replicas; s += batch) {
    const os = all.slice(s, s + batch);
    method.push(py('action', `terminate-${os.join('-')}`, 'terminate_pods', { name_pattern: pattern(os), all: true, ns }));
    method.push(py('probe', `not-available-${os.join('-')}`, 'statefulset_not_fully_available', { name: STS, ns, timeout: 120 }));
    method.push(py('probe', `available-${os.join('-')}`, 'statefulset_fully_available', { name: STS, ns, timeout: 240 }));
    for (const o of os) {
      method.push(py('action', `read-token-${o}`, 'exec_in_pods', { cmd: ['cat', '/data/.ctk-token'], name_pattern: pattern([o]), all: true, ns, container_name: 'web' }));
      method.push(py('action', `dns-after-${o}`, 'exec_in_pods', { cmd: ['nslookup', `${STS}-${o}.${STS}-headless.${ns}.svc.cluster.local`], name_pattern: pattern([(o + 1) % replicas]), all: true, ns, container_name: 'web' }));
    }
  }
  return {
    version: '1.0.0',
    title: `statefulset-identity's checks on ${replicas} replicas`,
    description: 'delete every pod, follow it back, read its token and DNS record',
    'steady-state-hypothesis': { title: 'all replicas ready', probes: [{ ...py('probe', 'fully-available', 'statefulset_fully_available', { name: STS, ns, timeout: 60 }), tolerance: true }] },
    method,
  };
}

async function runChaos(ns, replicas, batch, dir, proxy) {
  const exp = join(dir, 'chaos-experiment.json');
  writeFileSync(exp, JSON.stringify(chaosExperiment(ns, replicas, batch), null, 2));
  const journal = join(dir, 'chaos-journal.json');
  const r = await timed([chaos, '--no-version-check', '--log-file', join(dir, 'chaos.log'), 'run', '--journal-path', journal, exp], { KUBECONFIG: proxy.kubeconfig }, dir, 'chaostoolkit');
  const j = existsSync(journal) ? JSON.parse(readFileSync(journal, 'utf8')) : { run: [], status: 'no journal' };
  const perPod = [];
  for (const a of j.run) {
    if (!a.activity.name.startsWith('terminate-')) continue;
    const tag = a.activity.name.slice('terminate-'.length);
    const back = j.run.find((x) => x.activity.name === `available-${tag}`);
    if (back) for (const _ of tag.split('-')) perPod.push(Date.parse(back.end) - Date.parse(a.start));
  }
  const reads = j.run.filter((x) => x.activity.name.startsWith('read-token-'));
  const good = reads.filter((x) => String(x.output?.[0]?.stdout ?? '').trim() === `ctk-${x.activity.name.slice('read-token-'.length)}`).length;
  return { tool: 'chaostoolkit', verdict: j.status, wallMs: r.wallMs, requests: countRequests(proxy.log), recoveryMs: median(perPod), pods: perPod.length, rssMB: r.rssMB, checks: `${good}/${reads.length} tokens` };
}

// `--chaos-experiment <replicas> [batch]` prints the chaostoolkit experiment it would run, and stops.
if (process.argv[2] === '--chaos-experiment') {
  console.log(JSON.stringify(chaosExperiment(`shakedown-bench-${process.argv[3]}`, Number(process.argv[3]), Number(process.argv[4] ?? 1)), null, 2));
  process.exit(0);
}

const rows = [];
for (const [i, replicas] of counts.entries()) {
  const batch = batches[i] ?? batches.at(-1);
  // One StatefulSet per replica count, shared by the tools in turn (each leaves it as it found
  // it: every pod back and Ready, its own token file beside the others').
  const ns = `shakedown-bench-${replicas}`;
  try {
    console.error(`${replicas} replicas, batch ${batch}: deploying ${ns}/${STS}`);
    deployFixture(ns, replicas);
    for (const tool of tools) {
      const dir = mkdtempSync(join(tmpdir(), `shakedown-compare-${tool}-`));
      try {
        kubectl('-n', ns, 'rollout', 'status', `statefulset/${STS}`, '--timeout=600s');
        let row;
        if (tool === 'harness') row = await runHarness(ns, replicas, batch, dir);
        else if (tool === 'kubectl') row = await runKubectl(ns, replicas, batch, dir);
        else {
          const proxy = await startProxy(dir, 'chaos');
          try {
            row = await runChaos(ns, replicas, batch, dir, proxy);
          } finally {
            proxy.stop();
          }
        }
        rows.push({ replicas, batch, ...row });
        console.error(JSON.stringify(rows.at(-1)));
      } catch (err) {
        console.error(`${tool} at ${replicas}: ${err.message}`);
      } finally {
        if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
        else console.error(`kept ${dir}`);
      }
    }
  } finally {
    try {
      kubectl('delete', 'namespace', ns, '--wait=true', '--timeout=600s');
    } catch (err) {
      console.error(`could not delete namespace ${ns}: ${err.message}`);
    }
  }
}

const s = (ms) => (Number.isFinite(ms) ? (ms / 1000).toFixed(1) : '–');
console.log('| replicas (batch) | tool | verdict | checks | wall s | API requests | per pod: delete → Ready, median s | resident peak MiB |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const req = r.tool === 'harness' ? `${r.requests} (own count ${r.ownCount})` : r.requests;
  const mem = r.tool === 'harness' ? `${r.rssMB.toFixed(0)} (during the run ${r.runRssMB}, heap ${r.heapMB})` : r.rssMB.toFixed(0);
  console.log(`| ${r.replicas} (${r.batch}) | ${r.tool} | ${r.verdict} | ${r.checks} | ${s(r.wallMs)} | ${req} | ${s(r.recoveryMs)} | ${mem} |`);
}
const h = rows.filter((r) => r.tool === 'harness');
if (h.length) {
  console.log('\nThe harness against the cluster\'s own recovery (a bare kubectl watch beside it):');
  for (const r of h) {
    console.log(`  ${r.replicas} replicas: per pod median ${s(r.recoveryMs)} s seen by the harness vs ${s(r.clusterMs)} s by the bare watch (median overhead ${r.overheadMs} ms, ${((r.sumSeen / r.sumBare - 1) * 100).toFixed(1)}% over the sum); whole run ${s(r.wallMs)} s, of which pods were down (deleted, not yet Ready again) ${s(r.downMs)} s`);
  }
}
for (const tool of tools) {
  const t = rows.filter((r) => r.tool === tool);
  if (t.length < 2) continue;
  const [a, b] = [t[0], t.at(-1)];
  console.log(`${tool}: ${a.replicas} → ${b.replicas} replicas (×${(b.replicas / a.replicas).toFixed(1)}): wall ×${(b.wallMs / a.wallMs).toFixed(1)}, API requests ×${(b.requests / a.requests).toFixed(1)}; per replica: ${t.map((r) => `${r.replicas}: ${(r.wallMs / r.replicas / 1000).toFixed(2)} s, ${(r.requests / r.replicas).toFixed(1)} req`).join('; ')}`);
}
