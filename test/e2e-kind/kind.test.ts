// The kind tier: `shakedown up` from the top-level kind-config.yaml (one control plane, two
// workers), statefulset-identity and hpa-cpu pass on it, and `shakedown down` leaves no
// container, network or kubeconfig entry behind. Runs where test/kind/setup.sh provisioned
// Docker, kind and the locally assembled node image (test/run-tiers.mjs reads its env file).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readRun } from '../e2e/helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'harness/cli/bin.js');
const NAME = 'shakedown-e2e';

describe('kind: shakedown up, two experiments, shakedown down', function () {
  this.timeout(1_800_000);
  let work: string;
  let env: NodeJS.ProcessEnv;
  let up = false;
  const shakedown = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env, cwd: ROOT, all: true, forceKillAfterDelay: false });
  const docker = (args: string[]) => execa('docker', args, { reject: false, env });

  before(function () {
    const image = process.env['SHAKEDOWN_KIND_IMAGE'];
    if (!image) this.skip();
    work = mkdtempSync(join(tmpdir(), 'shakedown-kind-'));
    // kind writes its context into this kubeconfig; `up` records into this cache.
    env = { ...process.env, KUBECONFIG: join(work, 'kubeconfig'), SHAKEDOWN_CACHE: join(work, 'cache'), CI: 'true' };
  });

  after(async function () {
    if (!work) return;
    // Whatever failed, the cluster goes.
    if (up) await shakedown(['down', '--name', NAME]);
    rmSync(work, { recursive: true, force: true });
  });

  it('shakedown up: nodes Ready, CoreDNS, StorageClass standard and the metrics API answer', async function () {
    const load = (process.env['SHAKEDOWN_KIND_LOAD'] ?? '').split(':').filter(Boolean).flatMap((a) => ['--load', a]);
    const t0 = Date.now();
    up = true;
    const r = await shakedown(['up', '--name', NAME, '--image', process.env['SHAKEDOWN_KIND_IMAGE']!, ...load,
      ...(process.env['SHAKEDOWN_KIND_METRICS_SERVER_IMAGE'] ? ['--metrics-server-image', process.env['SHAKEDOWN_KIND_METRICS_SERVER_IMAGE']] : [])]);
    console.log(`      shakedown up: ${Math.round((Date.now() - t0) / 1000)} s`);
    assert.equal(r.exitCode, 0, String(r.all));
    for (const want of ['nodes: ready', 'CoreDNS: ready', 'StorageClass standard: ready', 'metrics API: ready']) assert.match(String(r.all), new RegExp(want));
    const stats = await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}']);
    console.log(`      node memory: ${String(stats.stdout).split('\n').join('; ')}`);
  });

  it('statefulset-identity and hpa-cpu pass on it', async function () {
    const image = process.env['SHAKEDOWN_KIND_SAMPLE_IMAGE'] ?? 'shakedown.local/sample:1';
    for (const exp of ['statefulset-identity', 'hpa-cpu']) {
      const extra = exp === 'hpa-cpu' ? ['--set', 'sampleEvery=5s', '--set', 'loadFor=150s', '--set', 'scaleInWithin=180s'] : [];
      const r = await shakedown(['run', exp, '--context', `kind-${NAME}`, '--set', `image=${image}`, '--report-dir', join(work, 'reports'), ...extra]);
      const run = readRun(String(r.stdout));
      assert.equal(r.exitCode, 0, `${exp}: ${run.journal.verdict.kind}: ${run.journal.verdict.summary}\n${String(r.all).slice(-3000)}`);
      assert.equal(run.journal.verdict.kind, 'passed');
    }
  });

  it('shakedown down leaves no container, network or kubeconfig entry', async function () {
    const r = await shakedown(['down', '--name', NAME]);
    assert.equal(r.exitCode, 0, String(r.all));
    up = false;
    const containers = await docker(['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${NAME}`]);
    assert.equal(String(containers.stdout).trim(), '', 'no container of the cluster');
    const net = await docker(['network', 'ls', '-q', '--filter', 'name=^kind$']);
    assert.equal(String(net.stdout).trim(), '', 'no kind network');
    const kc = join(work, 'kubeconfig');
    if (existsSync(kc)) assert.doesNotMatch(readFileSync(kc, 'utf8'), new RegExp(`kind-${NAME}`), 'no kubeconfig entry');
    const again = await shakedown(['down', '--name', NAME]);
    assert.equal(again.exitCode, 2, 'a second down refuses: the cluster is no longer one `up` made');
  });
});
