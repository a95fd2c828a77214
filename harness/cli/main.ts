import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { experiments, findExperiment } from '../../experiments/index.ts';
import { AbortedError, UsageError, describeError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import { describeParams, parseSetFlags, validateParams } from '../engine/params.ts';
import { newRunId } from '../engine/run-id.ts';
import { parseDuration } from '../engine/time.ts';
import { EXIT, exitCodeFor } from '../engine/verdict.ts';
import { loadManifestFile } from '../manifests/load.ts';
import type { Verdict } from '../journal/schema.ts';
import { planOf, renderPlan } from './plan.ts';
import { jsonProgress, plainProgress, ttyProgress } from './progress.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  /** Where SIGINT/SIGTERM/SIGHUP handlers are installed; tests pass their own emitter. */
  signals?: NodeJS.EventEmitter;
  /**
   * Calls `fn` once when the output goes away (a closed pipe, a lost terminal) and returns a
   * function that stops listening. A run then rolls back and ends instead of dying mid-fault.
   */
  onOutputClosed?: (fn: () => void) => () => void;
}

const defaultIo = (): CliIo => {
  // Once a stream has failed, writing to it again only raises more errors: drop what follows.
  const closed = new Set<NodeJS.WriteStream>();
  const write = (stream: NodeJS.WriteStream) => (t: string) => {
    if (!closed.has(stream) && !stream.destroyed) stream.write(t);
  };
  return {
    stdout: write(process.stdout),
    stderr: write(process.stderr),
    isTTY: Boolean(process.stdout.isTTY) && !process.env['CI'],
    signals: process,
    onOutputClosed(fn) {
      const handlers = [process.stdout, process.stderr].map((stream) => {
        const h = (err: NodeJS.ErrnoException) => {
          closed.add(stream);
          if (err.code === 'EPIPE' || err.code === 'EIO' || err.code === 'ERR_STREAM_DESTROYED') fn();
        };
        stream.on('error', h);
        return () => stream.off('error', h);
      });
      return () => handlers.forEach((off) => off());
    },
  };
};

interface CommonOptions {
  set: string[];
  namespace?: string;
  context?: string;
  allowContext: string[];
  reportDir: string;
  timeout: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

// Heavy modules (the Kubernetes client, the chart renderer) load only for the commands that use
// them, so `list`, `validate` and `--help` start fast.
const reports = () => import('../report/index.ts');
const kubeconfig = () => import('../cluster/kubeconfig.ts');
const engine = () => import('../engine/runner.ts');
const cluster = () => import('../cluster/session.ts');
const sweeper = () => import('../cluster/cleanup.ts');

/** Runs the CLI and resolves to its exit code; never throws for bad input. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.passed;
  const out = (line: string) => io.stdout(line + '\n');

  const program = new Command('shakedown')
    .description('Chaos and performance experiments for Kubernetes, with verdicts earned on a real cluster.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 passed, 1 a hypothesis failed, 2 bad usage or input, 3 the run broke or was aborted\n' +
        '(130/143 after SIGINT/SIGTERM, once rollback has run).',
    );

  const withCommon = (cmd: Command) =>
    cmd
      .option('--set <key=value>', 'set an experiment parameter (repeatable; scope with exp.key=value)', collect, [])
      .option('--namespace <name>', 'shorthand for --set namespace=<name>')
      .option('--context <name>', 'kubeconfig context (default: the current one)')
      .option('--allow-context <name>', 'allow a context that is not kind-* or the local test cluster (repeatable)', collect, [])
      .option('--report-dir <dir>', 'where run reports are written', 'reports')
      .option('--timeout <duration>', 'deadline of each run, e.g. 30m (rollback still runs after it)', '30m')
      .option('--json', 'machine-readable output (NDJSON progress, JSON results)');

  program
    .command('list')
    .description('list the experiments and their parameters')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        out(JSON.stringify(experiments.map((e) => ({ name: e.name, description: e.description, hypothesis: e.hypothesis, parameters: describeParams(e.params) })), null, 2));
        return;
      }
      for (const e of experiments) {
        out(`${e.name}\n  ${e.description}`);
        for (const p of describeParams(e.params)) {
          const def = p.default === undefined ? (p.required ? ' (required)' : '') : ` = ${JSON.stringify(p.default)}`;
          out(`    ${p.name}: ${p.type}${def}  ${p.description}`);
        }
        out('');
      }
    });

  withCommon(
    program
      .command('validate')
      .description('check parameters and manifests without touching a cluster')
      .argument('[experiments...]', 'experiments to validate (default: all)'),
  ).action((names: string[], opts: CommonOptions) => {
    const selected = select(names, names.length === 0);
    for (const { def, params } of prepare(selected, opts)) {
      const values = def.manifestValues(params);
      const objects = def.manifests.flatMap((m) => loadManifestFile(m, values));
      out(`${def.name}: ok (${describeParams(def.params).length} parameters, ${objects.length} manifest objects: ${objects.map((o) => o.kind).join(', ')})`);
    }
  });

  withCommon(
    program
      .command('run')
      .description('run experiments against the cluster')
      .argument('[experiments...]', 'experiments to run')
      .option('--all', 'run every experiment')
      .option('--dry-run', 'print the plan and touch nothing (needs no cluster)'),
  ).action(async (names: string[], opts: CommonOptions & { all?: boolean; dryRun?: boolean }) => {
    if (names.length === 0 && !opts.all) throw new UsageError('name the experiments to run, or pass --all (see `shakedown list`)');
    if (names.length > 0 && opts.all) throw new UsageError('pass experiment names or --all, not both');
    const timeoutMs = parseDuration(opts.timeout);
    if (!timeoutMs) throw new UsageError(`--timeout "${opts.timeout}" is not a duration (e.g. 30m, 90s)`, { field: '--timeout' });
    const prepared = prepare(select(names, Boolean(opts.all)), opts);
    for (const { def, params } of prepared) {
      const values = def.manifestValues(params);
      for (const m of def.manifests) loadManifestFile(m, values);
    }

    if (opts.dryRun) {
      const plans = prepared.map(({ def, params }) => planOf(def, params, newRunId()));
      out(opts.json ? JSON.stringify(plans, null, 2) : plans.map(renderPlan).join('\n'));
      return;
    }

    // Bad kubeconfig or a forbidden context is bad input: found before anything is contacted.
    const { loadKubeConfig } = await kubeconfig();
    const { runExperiment } = await engine();
    const { reportDirName, writeReports } = await reports();
    const kube = loadKubeConfig({ context: opts.context, allowContexts: opts.allowContext });
    const { ClusterSession } = await cluster();
    const write = (line: string) => io.stdout(line + '\n');
    const progress = opts.json ? jsonProgress(write) : io.isTTY ? ttyProgress(write) : plainProgress(write);

    const controller = new AbortController();
    let interrupts = 0;
    // SIGHUP (a dropped SSH session during a game day) is handled like SIGTERM: roll back, then exit.
    const onSignal = (sig: 'SIGINT' | 'SIGTERM' | 'SIGHUP') => () => {
      interrupts++;
      if (interrupts > 1 && sig !== 'SIGHUP') {
        io.stderr(`shakedown: second ${sig}: exiting without finishing rollback; \`shakedown cleanup --run-id <id>\` undoes what is left\n`);
        process.exit(EXIT[sig]);
      }
      if (interrupts > 1) return; // a hang-up repeats itself; it never cuts the rollback short
      io.stderr(`shakedown: received ${sig}: rolling back (send it again to exit at once)\n`);
      controller.abort(new AbortedError(sig));
    };
    const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM'), SIGHUP: onSignal('SIGHUP') };
    for (const [sig, h] of Object.entries(handlers)) io.signals?.on(sig, h);
    // Losing the output must not kill the run mid-fault: it rolls back and ends with a verdict.
    const stopWatchingOutput = io.onOutputClosed?.(() => {
      if (!controller.signal.aborted) controller.abort(new AbortedError('output-closed'));
    });

    const verdicts: Verdict[] = [];
    try {
      for (const { def, params } of prepared) {
        if (controller.signal.aborted) break;
        const runId = newRunId();
        // One session per run, so each run's request count is its own.
        const session = new ClusterSession(kube);
        const dir = resolve(opts.reportDir, reportDirName({ startedAt: new Date().toISOString(), experiment: { name: def.name, description: def.description }, runId } as Parameters<typeof reportDirName>[0]));
        const result = await runExperiment(def, params, {
          runId,
          journalDir: dir,
          timeoutMs,
          signal: controller.signal,
          cluster: session,
          environment: { context: kube.context, server: kube.server },
          progress,
        });
        result.journal.measurements.push({ name: 'api requests', value: session.requests.total, unit: 'requests', description: `requests the harness sent to the API server (${Object.entries(session.requests.byVerb).map(([k, v]) => `${k} ${v}`).join(', ')})` });
        const files = await writeReports(result.journal, dir);
        verdicts.push(result.verdict);
        if (opts.json) write(JSON.stringify({ event: 'reports', experiment: def.name, runId, files }));
        else write(`reports: ${dir}`);
      }
    } finally {
      for (const [sig, h] of Object.entries(handlers)) io.signals?.off(sig, h);
      stopWatchingOutput?.();
    }
    exitCode = exitCodeFor(verdicts);
  });

  program
    .command('report')
    .description('rebuild journal.json, junit.xml, report.md and report.html from a journal')
    .argument('<journal>', 'path to a journal.json')
    .option('--report-dir <dir>', 'output directory (default: reports/<time>-<experiment>-<run id>)')
    .action(async (path: string, opts: { reportDir?: string }) => {
      const { readJournal, reportDirName, writeReports } = await reports();
      const journal = await readJournal(path).catch((err: unknown) => {
        throw new UsageError(describeError(err), { field: path, cause: err });
      });
      const dir = resolve(opts.reportDir ?? join('reports', reportDirName(journal)));
      const files = await writeReports(journal, dir);
      out(`wrote ${Object.values(files).join(', ')}`);
    });

  withCommon(
    program
      .command('cleanup')
      .description('delete every object a run left behind, selected by the shakedown.io/run-id label')
      .option('--run-id <id>', 'only the objects of this run (default: every shakedown run)'),
  ).action(async (opts: CommonOptions & { runId?: string }) => {
    const { loadKubeConfig } = await kubeconfig();
    const kube = loadKubeConfig({ context: opts.context, allowContexts: opts.allowContext });
    const { ClusterSession } = await cluster();
    const { deleteByLabel } = await sweeper();
    const timeoutMs = parseDuration(opts.timeout);
    if (!timeoutMs) throw new UsageError(`--timeout "${opts.timeout}" is not a duration (e.g. 5m, 90s)`, { field: '--timeout' });
    const session = new ClusterSession(kube);
    try {
      const r = await deleteByLabel(session, { runId: opts.runId, timeoutMs, onDelete: (ref) => out(`deleted ${ref}`) });
      out(r.deleted.length ? `cleanup: ${r.deleted.length} object(s) deleted, none left` : 'cleanup: nothing labelled by shakedown was found');
    } catch (err) {
      exitCode = EXIT.error;
      io.stderr(`shakedown: cleanup failed on context ${kube.context}: ${describeError(err)}\n`);
    }
  });

  for (const name of ['up', 'down'] as const) {
    program
      .command(name)
      .description(name === 'up' ? 'create the kind cluster from kind-config.yaml with its add-ons' : 'delete the kind cluster')
      .addOption(new Option('--name <name>', 'kind cluster name').default('shakedown'))
      .action(() => {
        exitCode = EXIT.error;
        io.stderr(`shakedown: ${name}: kind lifecycle is not built yet; use \`kind create cluster --config kind-config.yaml\` meanwhile\n`);
      });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.passed;
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

/** Experiments named on the command line, or all of them; an unknown name is bad input. */
function select(names: readonly string[], all: boolean): AnyExperiment[] {
  if (all) return [...experiments];
  return names.map((n) => {
    const def = findExperiment(n);
    if (!def) throw new UsageError(`unknown experiment "${n}" (known: ${experiments.map((e) => e.name).join(', ')})`, { field: n });
    return def;
  });
}

/**
 * Validates every selected experiment's parameters before any run starts. `--set key=value`
 * applies to each experiment; `--set exp.key=value` to that experiment only.
 */
function prepare(selected: readonly AnyExperiment[], opts: CommonOptions): { def: AnyExperiment; params: Record<string, unknown> }[] {
  const names = new Set(experiments.map((e) => e.name));
  const scoped = new Map<string, string[]>();
  const unscoped: string[] = [];
  for (const flag of opts.set) {
    const dot = flag.indexOf('.');
    const eq = flag.indexOf('=');
    const scope = dot > 0 && (eq < 0 || dot < eq) ? flag.slice(0, dot) : undefined;
    if (scope !== undefined && names.has(scope)) {
      if (!selected.some((e) => e.name === scope)) throw new UsageError(`--set ${flag}: experiment "${scope}" is not selected`, { field: flag });
      scoped.set(scope, [...(scoped.get(scope) ?? []), flag.slice(dot + 1)]);
    } else {
      unscoped.push(flag);
    }
  }
  return selected.map((def) => {
    const raw = parseSetFlags([...unscoped, ...(scoped.get(def.name) ?? [])], def.params);
    if (opts.namespace !== undefined) {
      if (raw['namespace'] !== undefined && raw['namespace'] !== opts.namespace) {
        throw new UsageError(`--namespace ${opts.namespace} conflicts with --set namespace=${String(raw['namespace'])}`, { field: 'namespace' });
      }
      raw['namespace'] = opts.namespace;
    }
    return { def, params: validateParams(def.name, def.params, raw) };
  });
}
