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
//   node test/mutation/run.mjs --ci       CI's check (.ci/run): only the mutated files the HEAD commit
//                                         changed, cold (no baseline in a clean clone), failed below
//                                         85 % over them; skipped with its reason when HEAD changes
//                                         none, or when the estimate is over the budget.
import { execFileSync, spawnSync } from 'node:child_process';
import { globSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

// CI's check (.ci/run, after the unit tier): the mutated files the HEAD commit changed, cold, since a
// clean clone has no incremental record. Measured here on two shared cores: Stryker's start (~30 s)
// and its dry run of the whole unit tier with per-test coverage (2 min 39 s to 4 min 24 s), then
// ~1.3 s a mutant (1,116 mutants in 24 min; 2.2 s with another Stryker run beside it).
const COLD_START_S = 300;
const PER_MUTANT_S = 1.5;
// What CI gives this step: the clean-clone CI takes ~39 of its 90 minutes and must stay under 75.
const BUDGET_S = 660;

/** The files the HEAD commit changed, against its first parent (a merge: all it brought in). */
export function headChanges() {
  const git = (...a) => execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const head = git('rev-parse', '--short', 'HEAD');
  let parent;
  try {
    parent = git('rev-parse', '--verify', '--quiet', 'HEAD^1');
  } catch {
    return { head, parent: undefined, files: [] };
  }
  return { head, parent, files: git('diff', '--name-only', parent, 'HEAD').split('\n').filter(Boolean) };
}

/** Which of `files` are in the mutate set (files a commit deleted are not). */
export function mutatedAmong(files) {
  const set = new Set(config.mutate.flatMap((g) => globSync(g, { cwd: root })));
  return files.filter((f) => set.has(f)).sort();
}

/** Mutants Stryker will make of `files`, by its own instrumenter (those disabled in place left out). */
async function countMutants(files) {
  const req = createRequire(join(root, 'node_modules/@stryker-mutator/core/package.json'));
  const { Instrumenter } = await import(pathToFileURL(req.resolve('@stryker-mutator/instrumenter')).href);
  const quiet = () => false;
  const logger = { isTraceEnabled: quiet, isDebugEnabled: quiet, isInfoEnabled: quiet, isWarnEnabled: quiet, isErrorEnabled: quiet, isFatalEnabled: quiet, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
  const input = files.map((name) => ({ name, content: readFileSync(join(root, name), 'utf8'), mutate: true }));
  const r = await new Instrumenter(logger).instrument(input, { plugins: null, excludedMutations: [], ignorers: [], noHeader: true });
  return r.mutants.filter((m) => m.status === undefined).length;
}

async function ci(args) {
  const { head, parent, files } = headChanges();
  if (!parent) {
    console.log(`mutation: skipped, HEAD ${head} has no parent in this clone (a root commit or a shallow clone): no change to test`);
    return 0;
  }
  const mutated = mutatedAmong(files);
  if (mutated.length === 0) {
    console.log(`mutation: skipped, the HEAD commit ${head} changes no mutated file (${files.length} file(s) changed; the mutated set is in ${configFile})`);
    return 0;
  }
  const n = await countMutants(mutated);
  const budgetS = Number(process.env.SHAKEDOWN_MUTATION_BUDGET_S ?? BUDGET_S);
  const estimateS = COLD_START_S + n * PER_MUTANT_S;
  const min = (x) => (x / 60).toFixed(1);
  console.log(`mutation: the HEAD commit ${head} changes ${mutated.join(', ')}: ${n} mutants, ~${min(estimateS)} min cold (CI's budget ${min(budgetS)} min)`);
  if (estimateS > budgetS) {
    console.log(`mutation: skipped, ~${min(estimateS)} min is over CI's budget of ${min(budgetS)} min (SHAKEDOWN_MUTATION_BUDGET_S): run \`npm run mutation\` here before pushing`);
    return 0;
  }
  // Cold and apart from the local incremental record: every mutant of these files runs.
  const status = stryker(['--mutate', mutated.join(','), '--incremental', '--force', '--incrementalFile', 'reports/mutation/ci-incremental.json', ...args]);
  if (status !== 0) return fail(`stryker exited ${status}`);
  const report = JSON.parse(readFileSync(join(root, config.jsonReporter.fileName), 'utf8'));
  for (const [f, file] of Object.entries(report.files)) console.log(`  ${f}: ${score({ files: { [f]: file } }).line}`);
  return finish(report);
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

async function main(args) {
  if (args.includes('--survivors')) {
    for (const l of survivors(JSON.parse(readFileSync(join(root, config.jsonReporter.fileName), 'utf8')))) console.log(l);
    return 0;
  }
  if (args.includes('--ci')) return ci(args.filter((a) => a !== '--ci'));
  const status = stryker(args);
  if (status !== 0) return fail(`stryker exited ${status}`);
  return finish(JSON.parse(readFileSync(join(root, config.jsonReporter.fileName), 'utf8')));
}

function stryker(args) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', configFile, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hooks}`.trim() },
  });
  return r.status ?? r.signal;
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

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
