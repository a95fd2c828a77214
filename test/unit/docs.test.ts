// The README is a contract: its commands are what CI runs and its reference matches the code.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
});
