#!/usr/bin/env node
// Runs every test tier this machine can run, each in its own mocha process, and ends with one
// line of totals. A tier that cannot run prints SKIPPED and why; a tier named in
// SHAKEDOWN_REQUIRE_TIERS (set by .ci/run for what it provisioned) fails instead of skipping.
//
//   node test/run-tiers.mjs              all tiers
//   node test/run-tiers.mjs unit         only the named tiers
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireNode } from '../harness/cli/require-node.js';

// The tiers load TypeScript through Node's type stripping: an older Node stops here, in one line.
requireNode('run it through ./with-node (see the README)');

const root = fileURLToPath(new URL('..', import.meta.url));

if (process.argv[2] === '--worker') {
  await worker(process.argv[3], process.argv[4]);
} else {
  process.exitCode = orchestrate(process.argv.slice(2));
}

/** Finds the test cluster's kubeconfig: the env var, else a running local cluster. */
function testKubeconfig() {
  const fromEnv = process.env.SHAKEDOWN_TEST_KUBECONFIG;
  if (fromEnv) return { path: fromEnv, why: 'SHAKEDOWN_TEST_KUBECONFIG' };
  const script = join(root, 'test/cluster/kubeconfig.sh');
  if (!existsSync(script)) return { why: 'no local cluster scripts' };
  const r = spawnSync('bash', [script], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n').pop();
  if (r.status !== 0 || !path || !existsSync(path)) {
    return { why: 'no test cluster is running (start one with `npm run cluster:up`, or set SHAKEDOWN_TEST_KUBECONFIG)' };
  }
  const alive = spawnSync('bash', ['-c', '. test/cluster/lib.sh && pid_alive kube-apiserver'], { cwd: root });
  if (alive.status !== 0) return { why: `the local test cluster of ${path} is not running (start it with \`npm run cluster:up\`)` };
  return { path, why: 'local test cluster' };
}

function filesOf(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true })
    .filter((f) => String(f).endsWith('.test.ts'))
    .map((f) => join(dir, String(f)));
}

function orchestrate(only) {
  const required = new Set((process.env.SHAKEDOWN_REQUIRE_TIERS ?? '').split(',').filter(Boolean));
  const tiers = [
    { name: 'unit', dir: 'test/unit', needs: () => ({ ok: true }) },
    {
      name: 'integration',
      dir: 'test/integration',
      needs: () => {
        const kc = testKubeconfig();
        return kc.path ? { ok: true, env: { SHAKEDOWN_TEST_KUBECONFIG: kc.path }, note: `against ${kc.path} (${kc.why})` } : { ok: false, why: kc.why };
      },
    },
    {
      name: 'e2e',
      dir: 'test/e2e',
      needs: () => {
        const kc = testKubeconfig();
        if (!kc.path) return { ok: false, why: kc.why };
        // The experiments need real nodes; the control plane alone is not enough.
        const nodes = spawnSync('bash', ['-c', '. test/cluster/lib.sh && "$BIN_DIR/kubectl" --kubeconfig "$1" get nodes -o jsonpath=\'{.items[*].status.conditions[?(@.type=="Ready")].status}\'', 'nodes', kc.path], { cwd: root, encoding: 'utf8' });
        if (!/True/.test(nodes.stdout ?? '')) return { ok: false, why: `the test cluster has no Ready node (start one with \`npm run cluster:up\`)${nodes.stderr ? `: ${nodes.stderr.trim()}` : ''}` };
        return { ok: true, env: { SHAKEDOWN_TEST_KUBECONFIG: kc.path }, note: `against ${kc.path} (Ready node present)` };
      },
    },
    {
      name: 'istio',
      // One tier for everything that needs the mesh: the layer's own tests and the experiment's.
      dir: ['test/integration-istio', 'test/istio'],
      needs: () => {
        const kc = testKubeconfig();
        if (!kc.path) return { ok: false, why: kc.why };
        // The mesh layer is opt-in (`npm run cluster:istio`): it needs istiod Ready.
        const istiod = spawnSync('bash', ['-c', '. test/cluster/lib.sh && "$BIN_DIR/kubectl" --kubeconfig "$1" --request-timeout=10s -n istio-system get deployment istiod -o jsonpath=\'{.status.readyReplicas}\'', 'istiod', kc.path], { cwd: root, encoding: 'utf8' });
        if (!/^[1-9]/.test(istiod.stdout ?? '')) return { ok: false, why: `Istio is not installed on the test cluster: no Ready istiod in istio-system (install it with \`npm run cluster:istio\`)${istiod.stderr ? `: ${istiod.stderr.trim()}` : ''}` };
        return { ok: true, env: { SHAKEDOWN_TEST_KUBECONFIG: kc.path }, note: `against ${kc.path} (istiod Ready)` };
      },
    },
    {
      name: 'incluster',
      // Runs inside the cluster: the harness image (test/image/build.sh, built with the kind tier's
      // Docker) as scheduled Jobs and load workers on the local test cluster's node.
      dir: 'test/incluster',
      needs: () => {
        const kc = testKubeconfig();
        if (!kc.path) return { ok: false, why: kc.why };
        const docker = spawnSync('bash', ['-c', '. test/kind/lib.sh && docker_up'], { cwd: root });
        if (docker.status !== 0) return { ok: false, why: 'no Docker to build the harness image with: the kind tier provisions one (`bash test/kind/setup.sh`, root, Linux)' };
        return { ok: true, env: { SHAKEDOWN_TEST_KUBECONFIG: kc.path }, note: `against ${kc.path}, the harness image built with the kind tier's Docker` };
      },
    },
    {
      name: 'kind',
      // `shakedown up` / `down` on kind with a locally assembled node image (test/kind/setup.sh).
      dir: 'test/e2e-kind',
      needs: () => {
        const r = spawnSync('bash', ['-c', '. test/kind/lib.sh && [[ -f "$KIND_ENV" ]] && docker_up && . "$KIND_ENV" && /usr/bin/docker image inspect "$SHAKEDOWN_KIND_IMAGE" >/dev/null && echo "$KIND_ENV"'], { cwd: root, encoding: 'utf8' });
        const file = r.stdout.trim().split('\n').pop();
        if (r.status !== 0 || !file) return { ok: false, why: 'no kind setup: Docker, kind and the local node image are provisioned by `bash test/kind/setup.sh` (root, Linux)' };
        const vars = spawnSync('bash', ['-c', '. "$1" && env', 'env', file], { encoding: 'utf8' }).stdout;
        const env = Object.fromEntries(vars.split('\n').filter((l) => /^(PATH|DOCKER_HOST|SHAKEDOWN_KIND_[A-Z_]+)=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
        return { ok: true, env, note: `(kind setup of ${file})` };
      },
    },
  ].filter((t) => only.length === 0 || only.includes(t.name));

  const totals = { passed: 0, failed: 0, skipped: 0 };
  let broken = false;
  const statsDir = mkdtempSync(join(tmpdir(), 'shakedown-tiers-'));
  try {
    for (const tier of tiers) {
      const dirs = [tier.dir].flat();
      const files = dirs.flatMap(filesOf);
      if (files.length === 0) {
        console.log(`SKIPPED ${tier.name}: no test files in ${dirs.join(', ')}`);
        if (required.has(tier.name)) broken = true;
        continue;
      }
      const need = tier.needs();
      if (!need.ok) {
        console.log(`SKIPPED ${tier.name}: ${need.why}`);
        if (required.has(tier.name)) {
          console.log(`FAILED ${tier.name}: this tier was provisioned (SHAKEDOWN_REQUIRE_TIERS) and must not be skipped`);
          broken = true;
        }
        continue;
      }
      console.log(`\n=== ${tier.name} tier: ${files.length} file(s)${need.note ? ` ${need.note}` : ''}`);
      const statsFile = join(statsDir, `${tier.name}.json`);
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', tier.name, statsFile], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, ...need.env, SHAKEDOWN_TIER_FILES: JSON.stringify(files) },
      });
      if (!existsSync(statsFile)) {
        console.log(`FAILED ${tier.name}: mocha did not finish (exit ${r.status ?? r.signal})`);
        broken = true;
        continue;
      }
      const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
      totals.passed += stats.passes;
      totals.failed += stats.failures;
      totals.skipped += stats.pending;
      if (stats.tests === 0 && stats.failures === 0) {
        console.log(`FAILED ${tier.name}: no test ran`);
        broken = true;
      }
      // A provisioned tier never passes on skipped tests: each skip counts as a failure here.
      if (required.has(tier.name) && stats.pending > 0) {
        console.log(`FAILED ${tier.name}: ${stats.pending} test(s) skipped in a tier that must run (SHAKEDOWN_REQUIRE_TIERS):`);
        for (const t of stats.pendingTests ?? []) console.log(`  - ${t}`);
        totals.failed += stats.pending;
        totals.skipped -= stats.pending;
        broken = true;
      }
    }
  } finally {
    rmSync(statsDir, { recursive: true, force: true });
  }
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return totals.failed > 0 || broken ? 1 : 0;
}

async function worker(tier, statsFile) {
  const { default: Mocha } = await import('mocha');
  const { writeFileSync } = await import('node:fs');
  const files = JSON.parse(process.env.SHAKEDOWN_TIER_FILES ?? '[]');
  const mocha = new Mocha({
    reporter: 'spec',
    // Cluster tiers wait on real controllers; unit tests get mocha's usual bound.
    timeout: tier === 'unit' ? 10_000 : 600_000,
    color: Boolean(process.stdout.isTTY),
  });
  for (const f of files) mocha.addFile(join(root, f));
  await mocha.loadFilesAsync();
  const pendingTests = [];
  const runner = mocha.run((failures) => {
    writeFileSync(statsFile, JSON.stringify({ ...runner.stats, pendingTests }));
    // Exit even if a test left a handle open (a watch, a timer): the tier is over.
    process.exit(failures > 0 ? 1 : 0);
  });
  // A skip inside a hook (`this.skip()`) gives no reason; the titles say what did not run.
  runner.on('pending', (test) => pendingTests.push(test.fullTitle()));
}
