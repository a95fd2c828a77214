// The Node.js version check: every entry point stops in one line on a Node older than
// package.json's "engines.node", and ./with-node runs commands on a supported Node.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { minimumNode, supports } from '../../../harness/cli/require-node.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };

// Makes this Node report itself as 20.20.2 (what the project's machines ship) before anything loads.
const OLD_NODE = `data:text/javascript,${encodeURIComponent(
  "Object.defineProperty(process.versions, 'node', { value: '20.20.2' }); Object.defineProperty(process, 'version', { value: 'v20.20.2' });",
)}`;

async function onOldNode(script: string, args: string[]) {
  return execa(process.execPath, ['--import', OLD_NODE, join(ROOT, script), ...args], { reject: false, cwd: ROOT, env: { CI: 'true' }, timeout: 60_000 });
}

describe('require-node', function () {
  this.timeout(60_000);

  it('reads the minimum from package.json "engines.node"', () => {
    assert.equal(pkg.engines.node, `>=${minimumNode().slice(0, 2).join('.')}`);
  });

  it('compares versions part by part, not as text', () => {
    const min: [number, number, number] = [22, 19, 0];
    for (const v of ['22.19.0', '22.20.1', '23.0.0', '24.1.0', '100.0.0']) assert.equal(supports(v, min), true, v);
    for (const v of ['22.18.9', '22.9.0', '20.20.2', '18.0.0', '2.30.0']) assert.equal(supports(v, min), false, v);
  });

  for (const [script, args] of [
    ['harness/cli/bin.js', ['list']],
    ['test/run-tiers.mjs', ['unit']],
    ['harness/cli/require-node.js', []],
  ] as const) {
    it(`${script} on Node 20 stops with one line and exit 2, not a SyntaxError`, async () => {
      const r = await onOldNode(script, [...args]);
      assert.equal(r.exitCode, 2, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^shakedown needs Node\.js >= 22\.19 \(this is v20\.20\.2\); run it through \.\/with-node \(see the README\)$/);
    });
  }

  it('on a supported Node, require-node.js is silent and exits 0', async () => {
    const r = await execa(process.execPath, [join(ROOT, 'harness/cli/require-node.js')], { reject: false });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout + r.stderr, '');
  });
});

describe('./with-node', function () {
  this.timeout(60_000);
  let cache: string;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), 'shakedown-with-node-'));
  });
  afterEach(() => rmSync(cache, { recursive: true, force: true }));

  it('runs the command with the Node on PATH when that one is supported, installing nothing', async () => {
    const path = `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}`;
    const r = await execa(join(ROOT, 'with-node'), ['node', '-p', 'process.execPath'], { reject: false, env: { PATH: path, SHAKEDOWN_CACHE: cache } });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, process.execPath);
    assert.equal(r.stderr, '');
    assert.deepEqual(readdirSync(cache), []);
  });

  it('passes the exit code through', async () => {
    const path = `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}`;
    const r = await execa(join(ROOT, 'with-node'), ['sh', '-c', 'exit 7'], { reject: false, env: { PATH: path, SHAKEDOWN_CACHE: cache } });
    assert.equal(r.exitCode, 7);
  });

  it('without a command prints its usage and exits 2', async () => {
    const r = await execa(join(ROOT, 'with-node'), [], { reject: false });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^with-node: usage: \.\/with-node <command>/);
  });
});

describe('the package file list', function () {
  this.timeout(60_000);

  it('holds bin.js, what it imports outside dist/, README and LICENSE, and nothing of test/', async () => {
    // Without prepack (no build here), so only the files outside dist/ are listed.
    const r = await execa('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    const [listing] = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { files: { path: string }[] }[];
    const files = listing!.files.map((f) => f.path);
    const bin = readFileSync(join(ROOT, 'harness/cli/bin.js'), 'utf8');
    const imports = [...bin.matchAll(/from '(\.[^']+)'/g)].map((m) => join('harness/cli', m[1]!));
    assert.ok(imports.length > 0, 'bin.js imports its Node check');
    for (const f of ['package.json', 'README.md', 'LICENSE', 'harness/cli/bin.js', ...imports]) assert.ok(files.includes(f), `the package lacks ${f}`);
    // The experiments' k6 scripts are TypeScript that k6 itself runs, and the public API's rolled-up
    // declarations (present once built) are types: the only .ts files the package holds.
    assert.deepEqual(files.filter((f) => /^(test|\.ci|reports)\/|\.ts$/.test(f) && !/^dist\/experiments\/[^/]+\/k6\/[^/]+\.ts$|^dist\/shakedown\.d\.ts$/.test(f)), []);
  });
});
