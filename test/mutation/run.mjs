#!/usr/bin/env node
// `npm run mutation`: StrykerJS over the code that decides verdicts and undoes changes
// (test/mutation/stryker.config.mjs), incremental against the last run's record
// (test/mutation/incremental.json, kept out of git). Its last line is the score, from Stryker's JSON report:
//   mutation score NN.N% (killed K, survived S, timeout T, no coverage C)
// and it exits 1 when the score is below the threshold (85 %).
//
//   node test/mutation/run.mjs            re-runs what changed since the baseline, rewrites it
//   node test/mutation/run.mjs --force    re-runs every mutant (a full run)
//   node test/mutation/run.mjs --survivors  lists the last report's survivors and uncovered mutants
//   node test/mutation/run.mjs --ci       as the first, but first compares the mutated files and
//                                         the unit tests with the baseline: nothing changed, it
//                                         skips Stryker and says why; too much changed for the
//                                         CI budget, it skips and says so (run it here, commit).
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import config from './stryker.config.mjs';

export const THRESHOLD = 85;
const root = fileURLToPath(new URL('../..', import.meta.url));
const configFile = 'test/mutation/stryker.config.mjs';
const hooks = fileURLToPath(new URL('./mocha12-paths.mjs', import.meta.url));

/** Score over Stryker's JSON report (mutation-testing-report-schema): what the score line says. */
export function score(report) {
  const n = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0, Ignored: 0, CompileError: 0, RuntimeError: 0 };
  for (const f of Object.values(report.files)) for (const m of f.mutants) n[m.status] = (n[m.status] ?? 0) + 1;
  const detected = n.Killed + n.Timeout;
  const valid = detected + n.Survived + n.NoCoverage;
  if (valid === 0) throw new Error('the mutation report holds no mutant that ran: nothing was measured');
  const pct = Math.floor((detected / valid) * 1000) / 10;
  return { pct, n, line: `mutation score ${pct.toFixed(1)}% (killed ${n.Killed}, survived ${n.Survived}, timeout ${n.Timeout}, no coverage ${n.NoCoverage})` };
}

/** What differs from the baseline: mutated files and unit tests whose text changed, appeared or went. */
export function changedSince(baseline) {
  const mutated = config.mutate.flatMap((g) => globSync(g, { cwd: root })).sort();
  // The spec files Stryker runs (helpers beside them are not tracked by its incremental report either).
  const tests = globSync(config.mochaOptions.spec, { cwd: root }).sort();
  const differs = (files, known) => [
    ...files.filter((f) => known[f]?.source !== readFileSync(join(root, f), 'utf8')),
    ...Object.keys(known).filter((f) => !files.includes(f)),
  ];
  return { mutated: differs(mutated, baseline.files), tests: differs(tests, baseline.testFiles ?? {}) };
}

/** One line per surviving or uncovered mutant: file:line:column, mutator, and what it replaced. */
export function survivors(report) {
  const lines = [];
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const { line, column } = m.location.start;
      const original = f.source.split('\n')[line - 1]?.trim() ?? '';
      lines.push(`${file}:${line}:${column} ${m.status} ${m.mutatorName}: \`${(m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80)}\` in \`${original.slice(0, 100)}\``);
    }
  }
  return lines;
}

function main(args) {
  if (args.includes('--survivors')) {
    for (const l of survivors(JSON.parse(readFileSync(join(root, config.jsonReporter.fileName), 'utf8')))) console.log(l);
    return 0;
  }
  const incremental = join(root, config.incrementalFile);
  if (args.includes('--ci')) {
    if (!existsSync(incremental)) return fail(`no committed baseline at ${config.incrementalFile}: run \`npm run mutation\` and commit it`);
    const base = JSON.parse(readFileSync(incremental, 'utf8'));
    const changed = changedSince(base);
    if (changed.mutated.length + changed.tests.length === 0) {
      console.log(`mutation: skipped, no mutated file and no unit test changed since the committed baseline (${config.incrementalFile}); its score:`);
      return finish(base);
    }
    // Mutants Stryker will re-run: those of changed files, and those covered by a changed test.
    const budgetS = Number(process.env.SHAKEDOWN_MUTATION_BUDGET_S ?? 900);
    // The full run here: 2,049 mutants in 34 min 47 s (~1 s each, a runner.ts mutant several).
    const perMutantS = 1.5;
    const changedTests = new Set(changed.tests.flatMap((f) => (base.testFiles?.[f]?.tests ?? []).map((t) => t.id)));
    let rerun = 0;
    for (const [f, file] of Object.entries(base.files)) {
      for (const m of file.mutants) if (changed.mutated.includes(f) || (m.coveredBy ?? []).some((t) => changedTests.has(t))) rerun += 1;
    }
    const estimateS = 200 + rerun * perMutantS;
    console.log(`mutation: changed since the baseline: ${[...changed.mutated, ...changed.tests].join(', ')} (~${rerun} mutants to re-run, ~${Math.round(estimateS / 60)} min)`);
    if (estimateS > budgetS) {
      console.log(`mutation: skipped, ~${Math.round(estimateS / 60)} min is over CI's budget of ${Math.round(budgetS / 60)} min (SHAKEDOWN_MUTATION_BUDGET_S): run \`npm run mutation\` here and commit ${config.incrementalFile}`);
      return 0;
    }
  }
  const r = spawnSync(process.execPath, [join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', configFile, ...args.filter((a) => a !== '--ci')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hooks}`.trim() },
  });
  if (r.status !== 0) return fail(`stryker exited ${r.status ?? r.signal}`);
  return finish(JSON.parse(readFileSync(join(root, config.jsonReporter.fileName), 'utf8')));
}

function finish(report) {
  const s = score(report);
  console.log(`(not counted: ${s.n.Ignored} ignored, static or disabled in place; ${s.n.CompileError} rejected by the type checker. Survivors: test/mutation/equivalent.md)`);
  if (s.pct < THRESHOLD) console.log(`FAILED: the mutation score is below ${THRESHOLD}%`);
  console.log(s.line);
  return s.pct < THRESHOLD ? 1 : 0;
}

function fail(why) {
  console.log(`FAILED: ${why}`);
  return 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
