// `shakedown compare` and `shakedown history`: the commands (flags, help, exit codes); the
// statistics live in harness/compare/, loaded only when one of these runs.
import type { Command } from 'commander';
import { UsageError } from '../engine/errors.ts';
import { EXIT } from '../engine/verdict.ts';
import type { CliIo } from './io.ts';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export interface CompareFlags {
  threshold?: string[];
  minSamples?: string;
  seed?: string;
  last?: string;
}

const examples = (lines: string[], tail: string) => ['', 'Examples:', ...lines.map((l) => `  ${l}`), '', tail].join('\n');

/** A whole number flag at least `min`, or bad input naming it. */
export function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError(`${name} ${value}: expected a whole number of at least ${min}`, { field: name });
  return Number(value);
}

/** The comparison options from the flags, checked before anything is read. */
export async function compareOptions(f: CompareFlags) {
  const { parseThresholds } = await import('../compare/thresholds.ts');
  const minSamples = intFlag('--min-samples', f.minSamples, 2);
  const seed = intFlag('--seed', f.seed, 0);
  const last = intFlag('--last', f.last, 1);
  return { thresholds: parseThresholds(f.threshold ?? []), ...(minSamples === undefined ? {} : { minSamples }), ...(seed === undefined ? {} : { seed }), ...(last === undefined ? {} : { last }) };
}

/** Flags shared by `compare` and `run --baseline`. */
export function compareFlags(cmd: Command): Command {
  return cmd
    .option('--threshold <name=1.5x,+500ms>', 'regression threshold of a metric (or * for all): a ratio of medians and/or an absolute floor (repeatable)', collect)
    .option('--min-samples <n>', 'fewest samples on each side for a verdict (default 2)')
    .option('--seed <n>', 'seed of the bootstrap (default 1: the same inputs give the same figures)')
    .option('--last <n>', 'from a folder of past runs, use the last n that compare (default 10)');
}

export function addCompareCommands(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const out = (line: string) => io.stdout(line + '\n');
  compareFlags(
    program
      .command('compare')
      .usage('<baseline> <current> [options]')
      .summary('compare a run with a baseline: which metrics regressed')
      .description(
        "Compare the metrics of a run with a baseline: per metric the baseline's and the current median and p95, the change " +
          'with a bootstrap 95 % interval, and a verdict (regressed, improved, unchanged, not enough data). A regression needs ' +
          'the relative threshold, the absolute floor and an interval above 0. The baseline is a journal.json, a report ' +
          'folder, or a folder of report folders (their samples pooled); the runs must be of the same experiment, target and parameters.',
      )
      .argument('<baseline>', 'journal.json, report folder, or folder of past runs')
      .argument('<current>', 'journal.json or report folder'),
  )
    .option('--json', 'print JSON')
    .option('--markdown', 'print Markdown (for a PR comment)')
    .addHelpText(
      'after',
      examples(
        ['shakedown compare reports/<last-night> reports/<tonight>', 'shakedown compare history/ reports/<dir> --markdown', 'shakedown compare a/journal.json b/journal.json --threshold readyAfterDelete=1.5x,+500ms --json'],
        'Exit codes: 0 no metric regressed, 1 a metric regressed, 2 bad input (not a journal; different experiments, targets or parameters; mixed units; a bad flag)',
      ),
    )
    .action(async (baseline: string, current: string, opts: CompareFlags & { json?: boolean; markdown?: boolean }) => {
      if (opts.json && opts.markdown) throw new UsageError('pass --json or --markdown, not both');
      const options = await compareOptions(opts);
      const [{ compareFiles, loadRun }, render] = await Promise.all([import('../compare/inputs.ts'), import('../compare/render.ts')]);
      const c = await compareFiles(baseline, await loadRun(current), options);
      out(opts.json ? render.renderJson(c) : opts.markdown ? render.renderMarkdown(c) : render.renderTable(c));
      setExit(c.regressed ? EXIT.failed : EXIT.passed);
    });

  program
    .command('history')
    .usage('<folder> [options]')
    .summary('write an HTML trend page of the runs in a folder')
    .description('Write an HTML page with each metric over the last runs of each experiment in a folder of report folders, each run compared with the runs before it (regressions marked).')
    .argument('<folder>', 'a folder of report folders (e.g. reports/)')
    .option('--out <file>', 'where to write the page (default: <folder>/history.html)')
    .option('--last <n>', 'how many runs per experiment (default 30)')
    .option('--window <n>', 'how many earlier runs each run is compared with (default 10)')
    .addHelpText('after', examples(['shakedown history reports/', 'shakedown history history/ --out trend.html --last 14'], 'Exit codes: 0 written (1 when the newest run of an experiment regressed), 2 no runs or a bad flag'))
    .action(async (folder: string, opts: { out?: string; last?: string; window?: string }) => {
      const last = intFlag('--last', opts.last, 1) ?? 30;
      const window = intFlag('--window', opts.window, 1) ?? 10;
      const { writeHistory } = await import('../compare/history.ts');
      const r = await writeHistory(folder, { last, window, ...(opts.out === undefined ? {} : { out: opts.out }) });
      out(`wrote ${r.file} (${r.runs} run(s) of ${r.experiments} experiment(s); ${r.regressions} regression marker(s))`);
      setExit(r.newestRegressed ? EXIT.failed : EXIT.passed);
    });
}
