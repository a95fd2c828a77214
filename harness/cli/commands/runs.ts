// Commands about runs already made or under way: `report`, `cleanup`, `attach`. Their work lives
// in ../cleanup.ts, ../attach.ts and harness/report, loaded only when one of them runs.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError, describeError } from '../../engine/errors.ts';
import { reportDirFlag } from '../flags.ts';
import { clusterOptions, collect, examples, type ClusterOptions, type CommandContext } from './shared.ts';

const reports = () => import('../../report/index.ts');

export function addReportCommand(program: Command, { out }: CommandContext): void {
  program
    .command('report')
    .usage('<journal> [options]')
    .summary('rebuild the reports of a run from its journal')
    .description('Rebuild journal.json, junit.xml, report.md and report.html from a journal.json alone.')
    .argument('<journal>', 'path to a journal.json')
    .option('--report-dir <dir>', 'output directory (default: reports/<time>-<experiment>-<run id>)')
    .addHelpText('after', examples(['shakedown report reports/<dir>/journal.json --report-dir /tmp/report'], 'Exit codes: 0 written, 2 the journal is missing or not a shakedown journal'))
    .action(async (path: string, opts: { reportDir?: string }) => {
      if (opts.reportDir !== undefined) reportDirFlag(opts.reportDir, { write: true });
      const { readJournal, reportDirName, writeReports } = await reports();
      const journal = await readJournal(path).catch((err: unknown) => {
        throw new UsageError(describeError(err), { field: path, cause: err });
      });
      const dir = resolve(opts.reportDir ?? join('reports', reportDirName(journal)));
      const files = await writeReports(journal, dir);
      out(`wrote ${Object.values(files).join(', ')}`);
    });
}

export function addCleanupCommand(program: Command, { io, setExit }: CommandContext): void {
  clusterOptions(
    program
      .command('cleanup')
      .summary("undo a crashed run's changes and delete what it left, by label")
      .description(
        "Undo a crashed run's recorded changes (replicas, objects, files, processes) and delete every object it labelled " +
          '(shakedown.io/run-id), found through API discovery. Without --run-id, runs whose Lease is live are left alone.',
      )
      .option('--run-id <id>', 'only this run: undo its changes (from its Lease, else its journal), then delete its objects')
      .option('--journal <path>', "the run's journal.json, when its Lease is gone and it is not under --report-dir")
      .option('--force', 'also act on runs whose Lease is still live')
      .option('--all-kinds', "with --run-id: look through every kind the server serves, cluster-wide, not only the kinds and namespaces the run's journal recorded (taken anyway when the journal is lost)")
      .option('--undo-module <path>', "a module that registers an undo kind of your own fault (defineUndo), when the run's journal is not at hand (repeatable)", collect),
  )
    .option('--report-dir <dir>', "where to look for the run's journal", 'reports')
    .option('--timeout <duration>', 'how long to wait for the deletions', '30m')
    .addHelpText(
      'after',
      examples(
        ['shakedown cleanup', 'shakedown cleanup --run-id <id> --context kind-ci', 'shakedown cleanup --run-id <id> --journal reports/<dir>/journal.json'],
        'Exit codes: 0 nothing left, 2 bad kubeconfig, context or flag, 3 a change could not be undone, a deletion failed, or the run is live',
      ),
    )
    .action(async (opts: ClusterOptions & { runId?: string; journal?: string; force?: boolean; reportDir: string; timeout: string; undoModule?: string[]; allKinds?: boolean }) => {
      setExit(await (await import('../cleanup.ts')).cleanupCommand(opts, io));
    });
}

export function addAttachCommand(program: Command, { io, setExit }: CommandContext): void {
  clusterOptions(
    program
      .command('attach')
      .usage('<run-id> [options]')
      .summary('follow a live run from another terminal, read-only, until it ends')
      .description(
        "Follow a run another shakedown process is running: from its journal as it is written when this machine has it " +
          "(under --report-dir), else from its Lease in the cluster (phase and changes). Read-only; ends when the run ends, with its verdict.",
      )
      .argument('<run-id>', 'the run id `shakedown run` printed (run=r…)'),
  )
    .option('--report-dir <dir>', "where to look for the run's journal", 'reports')
    .option('--timeout <duration>', 'stop following after this long', '24h')
    .addHelpText('after', examples(['shakedown attach r1a2b3c4d5', 'shakedown attach r1a2b3c4d5 --context kind-ci'], "Exit codes: 0 the run passed, 1 it failed, 2 bad input, 3 it ended in error or aborted, or cannot be followed; 130 you stopped following"))
    .action(async (runId: string, opts: Parameters<typeof import('../attach.ts').attachCommand>[1]) => {
      setExit(await (await import('../attach.ts')).attachCommand(runId, opts, io));
    });
}
