import { Command, CommanderError } from 'commander';
import { UsageError, describeError } from '../engine/errors.ts';
import { EXIT } from '../engine/verdict.ts';
import { SHAKEDOWN_VERSION } from '../engine/version.ts';
import { addCompareCommands } from './compare.ts';
import { addRbacCommand } from './rbac.ts';
import { addScheduleCommand } from './schedule.ts';
import { defaultIo, type CliIo } from './io.ts';
import { addKindCommands } from './commands/kind.ts';
import { addListCommand, addValidateCommand } from './commands/list.ts';
import { addLoadWorkerCommand } from './commands/load-worker.ts';
import { addRunCommand } from './commands/run.ts';
import { addAttachCommand, addCleanupCommand, addReportCommand } from './commands/runs.ts';
import { EXIT_CODES, examples, paramOptions, prepare, select, validation, type CommandContext } from './commands/shared.ts';

export type { CliIo };

/** Runs the CLI and resolves to its exit code; never throws for bad input. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.passed;
  const ctx: CommandContext = { io, out: (line) => io.stdout(line + '\n'), setExit: (code) => (exitCode = code) };
  const program = rootCommand(io);
  // Each command registers itself; the order here is the order of the help's command list.
  addListCommand(program, ctx);
  addValidateCommand(program, ctx);
  addRunCommand(program, ctx);
  addReportCommand(program, ctx);
  addCompareCommands(program, io, ctx.setExit);
  // rbac and schedule: names, files and parameters checked as `run` checks them; nothing else is read.
  const prepareParts = async (names: string[], opts: { set?: string[]; namespace?: string }) => {
    const v = await validation();
    const s = await select(v, names, false);
    return Promise.all(prepare(v, s.map((e) => e.meta), opts).map(async ({ params }, i) => ({ def: await s[i]!.load(), params })));
  };
  addRbacCommand(program, paramOptions, prepareParts, io);
  addScheduleCommand(program, paramOptions, prepareParts, io);
  addCleanupCommand(program, ctx);
  addAttachCommand(program, ctx);
  addKindCommands(program, ctx);
  addLoadWorkerCommand(program, ctx);
  oneLineErrors(program);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; help shown for a missing command is bad usage, like any error.
      return err.exitCode === 0 ? EXIT.passed : EXIT.usage;
    }
    if (err instanceof UsageError) {
      io.stderr(`shakedown: error: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`shakedown: internal error: ${describeError(err)}\n`);
    if (process.env['SHAKEDOWN_DEBUG']) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return EXIT.error;
  }
}

/** The program itself: name, version, help and the examples shown under the command list. */
function rootCommand(io: CliIo): Command {
  return new Command('shakedown')
    .usage('<command> [options]')
    .description('Chaos and performance experiments for Kubernetes, with verdicts earned on a real cluster.')
    .version(SHAKEDOWN_VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', "print a command's help")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      'after',
      examples(
        [
          'shakedown list',
          'shakedown run statefulset-identity --dry-run',
          'shakedown run statefulset-identity hpa-cpu --set image=shakedown.local/sample:1',
          'shakedown run statefulset-identity --set statefulset=orders --namespace shop',
          'shakedown report reports/<dir>/journal.json',
        ],
        'Environment:\n  KUBECONFIG   the kubeconfig to use (default: ~/.kube/config); --context picks a context in it',
        EXIT_CODES,
        "Run 'shakedown <command> --help' for a command's options.",
      ),
    );
}

// Commander's own errors (an unknown command or option, a missing argument) in one line, with
// its suggestion of the closest name, like every other bad-input message.
function oneLineErrors(program: Command): void {
  for (const cmd of [program, ...program.commands]) {
    const name = cmd === program ? 'shakedown' : `shakedown ${cmd.name()}`;
    cmd.configureOutput({
      outputError: (text, write) => {
        const message = text.trim().replace(/^error: /, '').replace(/\s*\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\s*\n\s*/g, ' ');
        write(`shakedown: error: ${message}; see '${name} --help'\n`);
      },
    });
  }
}
