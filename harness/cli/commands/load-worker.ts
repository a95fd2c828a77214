// `shakedown load-worker`: run by the load worker pods of `--set loadWorkers=N` (harness/load/
// workers), not by people, so it is left out of the help. Loaded only when it runs.
import { Option, type Command } from 'commander';
import type { CommandContext } from './shared.ts';

export function addLoadWorkerCommand(program: Command, { io, setExit }: CommandContext): void {
  program
    .command('load-worker', { hidden: true })
    .description('one load worker pod of loadWorkers=N: open-loop HTTP load, one JSON line per second on stdout')
    .requiredOption('--url <url>', 'the target (an in-cluster address)')
    .requiredOption('--rates <list>', "every worker's rate, comma-separated")
    .option('--index <n>', "this worker's index (default: JOB_COMPLETION_INDEX)")
    .addOption(new Option('--duration <duration>', 'bound on the load').default('1h'))
    .addOption(new Option('--timeout <duration>', 'per-request timeout').default('2s'))
    .addOption(new Option('--wait-served <duration>', 'wait this long for a 2xx before starting').default('60s'))
    .action(async (opts: import('../../load/workers/command.ts').LoadWorkerOptions) => {
      const { loadWorker } = await import('../../load/workers/command.ts');
      setExit(await loadWorker(opts, io));
    });
}
