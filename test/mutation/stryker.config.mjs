// StrykerJS over the code that decides verdicts and undoes changes (`npm run mutation`, through
// test/mutation/run.mjs, which prints the score line). Only the unit tier runs: no cluster.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    // The engine: phases, verdict, undo stack.
    'harness/engine/runner.ts',
    'harness/engine/verdict.ts',
    'harness/engine/undo.ts',
    // The undo executor (the run's rollback and `cleanup --run-id`).
    'harness/undo/*.ts',
    // The load judges.
    'harness/load/judge*.ts',
    'harness/load/classify.ts',
    // Each experiment's checks, and the HPA controller's calculation.
    'harness/checks/*.ts',
    'experiments/statefulset-identity/checks.ts',
    'experiments/istio-mtls/matrix.ts',
    'experiments/hpa-cpu/formula.ts',
    // The journal reader.
    'harness/report/read-journal.ts',
  ],
  testRunner: 'mocha',
  // The project runs .ts through Node's own type stripping (ESM); the mocha runner loads the
  // spec files with loadFilesAsync, so no build step and no register hook are needed.
  mochaOptions: { spec: ['test/unit/**/*.test.ts'], 'no-config': true, 'no-package': true },
  checkers: ['typescript'],
  // The mutated files and what they import, not the tests: a full-project check costs ~25 s a
  // mutant group on this machine, this one a few. The tests run type-stripped anyway.
  tsconfigFile: 'test/mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The machine's 2 cores are shared with others: at most two workers.
  concurrency: 2,
  // A static mutant (module-level code, run once at import) needs a fresh worker and the whole
  // unit tier (~100 s) each; they are ignored, counted apart in the report (ignored).
  ignoreStatic: true,
  // The baseline is committed: a re-run (and CI, see .ci/run) reuses every result whose code and
  // covering tests did not change, so it costs only what a commit changed. `npm run mutation`
  // rewrites it; commit it with the change it measured.
  incremental: true,
  incrementalFile: 'test/mutation/incremental.json',
  reporters: ['json', 'progress-append-only', 'clear-text'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  timeoutMS: 10000,
  thresholds: { high: 90, low: 85, break: null },
};
