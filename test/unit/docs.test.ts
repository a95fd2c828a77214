// The README is a contract: its commands are what CI runs and its reference matches the code.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { experiments } from '../../experiments/index.ts';
import { describeParams } from '../../harness/engine/params.ts';

const read = (rel: string) => readFileSync(fileURLToPath(new URL(`../../${rel}`, import.meta.url)), 'utf8');

describe('docs match the code', () => {
  const readme = read('README.md');

  it('.ci/run runs the README\'s test command verbatim', () => {
    const m = /README_TEST_COMMAND="([^"]+)"/.exec(read('.ci/run'));
    assert.ok(m, '.ci/run names README_TEST_COMMAND');
    assert.ok(readme.includes(`\n${m[1]}\n`), `README shows the test command "${m[1]}" on a line of its own`);
  });

  it('the README\'s two commands bring their own Node: each runs through ./with-node', () => {
    const section = readme.slice(readme.indexOf('## The two commands')).split('\n## ')[0]!;
    const commands = [...section.matchAll(/```sh\n([^`]+)```/g)].map((m) => m[1]!.trim());
    assert.equal(commands.length, 2, 'two commands under "The two commands"');
    for (const c of commands) assert.match(c, /^\.\/with-node sh -c '[^']+'$/, c);
  });

  it('the README names every experiment and every parameter', () => {
    for (const e of experiments) {
      assert.ok(readme.includes(`### ${e.name}`), e.name);
      const section = readme.slice(readme.indexOf(`### ${e.name}`)).split('\n### ')[0]!;
      for (const p of describeParams(e.params)) assert.ok(section.includes(`\`${p.name}\``), `${e.name}: parameter ${p.name} is not in the README`);
    }
  });

  it("the first ts block under '## Writing an experiment' is a complete experiment file: it validates and plans", async function () {
    this.timeout(60_000);
    const section = readme.slice(readme.indexOf('\n## Writing an experiment\n')).split('\n## ')[1]!;
    const example = /```ts\n([\s\S]+?)```/.exec(section)?.[1];
    assert.ok(example, "a ts block under '## Writing an experiment'");
    assert.match(example, /from 'shakedown';/, "it imports from 'shakedown', as a user's file does");
    assert.match(example, /export default defineExperiment\(/);
    // The checkout is not installed as a package here: its public entry stands in by path (the
    // package check compiles and runs the same block from the packed tarball).
    const dir = mkdtempSync(join(tmpdir(), 'shakedown-readme-'));
    try {
      const file = join(dir, 'checkout.ts');
      writeFileSync(file, example.replace("from 'shakedown';", `from ${JSON.stringify(fileURLToPath(new URL('../../harness/index.ts', import.meta.url)))};`));
      const bin = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));
      const r = await execa(process.execPath, [bin, 'run', file, '--dry-run'], { reject: false, env: { CI: 'true', KUBECONFIG: '/nonexistent' } });
      assert.equal(r.exitCode, 0, r.stderr);
      for (const phase of ['preflight', 'setup', 'steady-state-before', 'inject', 'verify']) assert.match(r.stdout, new RegExp(`\\d\\. ${phase}\\n`), phase);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
