// A user's experiment file on the command line, as a real child process: a good file validates,
// plans and mixes with built-ins; every bad one is exit 2 naming the file and the cause, with
// no cluster contacted (the kubeconfig points at a closed port and is never read for these).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { experimentProblem } from '../../../harness/cli/experiment-file.ts';

const BIN = fileURLToPath(new URL('../../../harness/cli/bin.js', import.meta.url));
const API = fileURLToPath(new URL('../../../harness/index.ts', import.meta.url));

/** A complete experiment file, built from the public entry (by path: the checkout is not installed). */
const GOOD = `
import { checks, defineExperiment, faults, params, probes, target, z } from ${JSON.stringify(API)};
export default defineExperiment({
  name: 'checkout-survives-pod-loss',
  description: 'delete the pods of checkout one at a time',
  hypothesis: 'each comes back Ready within 30s',
  params: z.strictObject({ namespace: params.labelName().default('shop'), workload: params.workload().default('deployment/checkout') }),
  initialState: target.state,
  preflight: [probes.clusterReachable()],
  steadyState: [target.select((p) => ({ namespace: p.namespace, ...p.workload })), target.ready(() => 30_000)],
  observe: [target.watchPods()],
  method: [faults.deletePods(() => ({ count: 'all', batch: 1, gracePeriodSeconds: 5, followForMs: 60_000 }))],
  verify: [checks.replacementsReady(() => 30_000), checks.readyReplicasRestored(() => 30_000)],
});
`;

describe('cli: experiment files', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'shakedown-files-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: kind-c, context: {cluster: c, user: u}}]\ncurrent-context: kind-c\n');
    env = { CI: 'true', KUBECONFIG: kubeconfig };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const shakedown = async (args: string[]) => {
    const r = await execa(process.execPath, [BIN, ...args], { reject: false, env, timeout: 60_000 });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };

  it('validates a good file against its own parameter schema', async () => {
    const good = file('good.ts', GOOD);
    const ok = await shakedown(['validate', good, '--set', 'workload=sts/orders']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^checkout-survives-pod-loss: ok \(2 parameters, no manifests\)$/m);
    const bad = await shakedown(['validate', good, '--set', 'workload=pod/orders']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /parameter "workload": "pod" is not a workload kind/);
  });

  it('plans a file beside a built-in in one dry run, --set scoped to the file by its name', async () => {
    const good = file('good2.ts', GOOD);
    const r = await shakedown(['run', good, 'pod-delete', '--dry-run', '--set', 'checkout-survives-pod-loss.workload=ds/agent']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for checkout-survives-pod-loss/);
    assert.match(r.stdout, /DaemonSet shop\/agent exists/);
    assert.match(r.stdout, /Plan for pod-delete/);
  });

  const cases: [string, string, string, RegExp][] = [
    ['a syntax error', 'broken.ts', 'export default defineExperiment({', /broken\.ts: could not be loaded/],
    ['no default export', 'nodefault.mjs', 'export const x = 1;\n', /nodefault\.mjs: has no default export/],
    ['a default export that is not an experiment', 'number.js', 'export default 42;\n', /number\.js: its default export is not an experiment: found number/],
    ['an invalid schema', 'schema.mjs', "export default { name: 'x', description: 'd', hypothesis: 'h', params: { a: 1 }, initialState: () => ({}), preflight: [], steadyState: [], method: [], verify: [] };\n", /schema\.mjs: .*"params" must be a zod object schema/],
    ['a built-in name', 'clash.ts', GOOD.replace("'checkout-survives-pod-loss'", "'pod-delete'"), /clash\.ts: its name "pod-delete" is a built-in/],
    ['a file that throws on import', 'throws.mjs', "throw new Error('boom at import');\n", /throws\.mjs: could not be loaded: boom at import/],
    ['a missing file', 'missing.ts', '', /missing\.ts: no such file/],
    ['a file of another kind', 'exp.json', '{}', /exp\.json: must be \.ts, \.mts, \.js or \.mjs/],
  ];
  for (const [what, name, text, message] of cases) {
    it(`refuses ${what}: exit 2 naming the file, nothing contacted`, async () => {
      const path = name === 'missing.ts' ? join(dir, name) : file(name, text);
      for (const cmd of [['validate', path], ['run', path]]) {
        const r = await shakedown(cmd);
        assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr + r.stdout, /127\.0\.0\.1:9|ECONNREFUSED|\n\s+at /, 'no connection attempt, no stack trace');
      }
    });
  }

  it('names what is missing from a definition', () => {
    const base = { name: 'ok-name', description: 'd', hypothesis: 'h', params: { safeParse: () => 0, shape: {} }, initialState: () => ({}), preflight: [], steadyState: [], method: [], verify: [] };
    assert.equal(experimentProblem(base), 'it has no steady-state or verify step, so it could never record a check');
    const step = { name: 's', kind: 'check', describe: () => '', run: () => Promise.resolve() };
    assert.equal(experimentProblem({ ...base, verify: [step] }), undefined);
    assert.match(experimentProblem({ ...base, name: 'Bad Name', verify: [step] }) ?? '', /"name" must be a lowercase name/);
    assert.match(experimentProblem({ ...base, method: [{ name: 'x' }], verify: [step] }) ?? '', /method\[0\] is not a step/);
    assert.match(experimentProblem({ ...base, verify: [step], observe: [{}] }) ?? '', /"observe" must be a list of observers/);
  });
});
