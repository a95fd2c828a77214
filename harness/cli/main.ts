import { join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { readCatalog } from '../../experiments/catalog.ts';
import type { ExperimentMeta } from '../../experiments/meta.ts';
import { UsageError, describeError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import { isExperimentFile, loadExperimentFile } from './experiment-file.ts';
import { EXIT } from '../engine/verdict.ts';
import { SHAKEDOWN_VERSION } from '../engine/version.ts';
import { addCompareCommands, compareFlags, compareOptions, type CompareFlags } from './compare.ts';
import { addRbacCommand } from './rbac.ts';
import { liveFlags, reportDirFlag, timeoutFlag } from './flags.ts';
import { defaultIo, type CliIo } from './io.ts';

export type { CliIo };

interface ParamOptions {
  set?: string[];
  namespace?: string;
}

interface ClusterOptions {
  context?: string;
  allowContext?: string[];
}

interface RunOptions extends ParamOptions, ClusterOptions, CompareFlags {
  all?: boolean;
  baseline?: string;
  dryRun?: boolean;
  reportDir: string;
  timeout: string;
  json?: boolean;
  live?: boolean;
  livePort?: string;
  liveKeep?: boolean;
}

// No default for repeatable flags: commander would print "(default: [])" in the help.
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const EXIT_CODES = `Exit codes:
  0    passed: every check held
  1    failed: a hypothesis did not hold (a finding about the cluster)
  2    bad usage or input; nothing in the cluster was touched
  3    error: the run broke (a prerequisite missing, an API error, a check it could not evaluate,
       no check recorded), hit its deadline or lost its output; or the account lacks a permission
       the run declares (checked before anything is touched; see shakedown rbac)
  129, 130, 143
       SIGHUP, SIGINT, SIGTERM received; rollback ran first`;

/** Help text after a command's options: examples, then whatever else it needs said. */
const examples = (lines: string[], ...more: string[]) => ['', 'Examples:', ...lines.map((l) => `  ${l}`), ...more.flatMap((m) => ['', m])].join('\n');

// Every command loads only what it uses, so `--help`, `--version` and `list` start about as fast
// as Node itself: `list` reads catalog.json (no zod, no schema, no step); `validate` loads the
// schemas and manifests (experiments/meta.ts) but no step and no Kubernetes client; `run` loads
// the experiments' steps and the client; `report` the chart renderer (here and in run.ts,
// cleanup.ts).
const reports = () => import('../report/index.ts');
const validation = async () => {
  const [{ metas, loadExperiment }, params, { loadManifestFile }] = await Promise.all([import('../../experiments/meta.ts'), import('../engine/params.ts'), import('../manifests/load.ts')]);
  return { metas, loadExperiment, loadManifestFile, ...params };
};

/** Runs the CLI and resolves to its exit code; never throws for bad input. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let exitCode: number = EXIT.passed;
  const out = (line: string) => io.stdout(line + '\n');

  const program = new Command('shakedown')
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

  const paramOptions = (cmd: Command) =>
    cmd
      .option('--set <key=value>', 'an experiment parameter (repeatable); exp.key=value sets it for one experiment; values are YAML (3, true, [0,2]), durations 90s, 2m', collect)
      .option('--namespace <name>', 'shorthand for --set namespace=<name>');
  const clusterOptions = (cmd: Command) =>
    cmd
      .option('--context <name>', 'kubeconfig context (default: the current one)')
      .option('--allow-context <name>', 'allow a context that is neither kind-* nor the local test cluster (repeatable)', collect);

  program
    .command('list')
    .usage('[--json]')
    .summary('list the experiments and their parameters')
    .description('List every experiment with its parameters: type, default and meaning.')
    .option('--json', 'print JSON')
    .addHelpText('after', examples(['shakedown list', 'shakedown list --json'], 'Exit codes: 0 listed'))
    .action((opts: { json?: boolean }) => {
      const catalog = readCatalog();
      if (opts.json) {
        out(JSON.stringify(catalog, null, 2));
        return;
      }
      for (const e of catalog) {
        out(`${e.name}\n  ${e.description}`);
        for (const p of e.parameters) {
          const def = p.default === undefined ? (p.required ? ' (required)' : '') : ` = ${JSON.stringify(p.default)}`;
          out(`    ${p.name}: ${p.type}${def}  ${p.description}`);
        }
        out('');
      }
    });

  paramOptions(
    program
      .command('validate')
      .usage('[experiment...] [options]')
      .summary('check parameters and manifests without touching a cluster')
      .description("Check the experiments' parameters and fill in and parse their manifests, without a cluster.")
      .argument('[experiments...]', 'experiments to validate: built-in names or experiment files (./my-exp.ts); default: every built-in'),
  )
    .addHelpText(
      'after',
      examples(['shakedown validate', "shakedown validate statefulset-identity --set replicas=3 --set 'ordinals=[0,2]'"], 'Exit codes: 0 valid, 2 an unknown experiment, a bad parameter or a broken manifest (named)'),
    )
    .action(async (names: string[], opts: ParamOptions) => {
    const v = await validation();
    const selected = await select(v, names, names.length === 0);
    for (const { def, params } of prepare(v, selected.map((e) => e.meta), opts)) {
      const values = def.manifestValues?.(params) ?? {};
      const objects = (def.manifests ?? []).flatMap((m) => v.loadManifestFile(m, values));
      out(`${def.name}: ok (${v.describeParams(def.params).length} parameters, ${objects.length ? `${objects.length} manifest objects: ${objects.map((o) => o.kind).join(', ')}` : 'no manifests'})`);
    }
  });

  clusterOptions(
    paramOptions(
      program
        .command('run')
        .summary('run experiments against the cluster')
        .usage('<experiment...> | --all  [options]')
        .description(
          'Run experiments one after another against the cluster of the kubeconfig context: preflight, setup, ' +
            'steady state, fault, verify, rollback (always), teardown; then write journal.json, junit.xml, report.md ' +
            'and report.html for each run. Only kind-* contexts and the local test cluster are targets unless ' +
            '--allow-context names another.',
        )
        .argument('[experiments...]', 'experiments to run: built-in names (see shakedown list) or experiment files (./my-exp.ts, .js, .mjs)')
        .option('--all', 'run every experiment')
        .option('--dry-run', 'print the plan and touch nothing (needs no cluster)'),
    ),
  )
    .option('--report-dir <dir>', 'where run reports are written', 'reports')
    .option('--timeout <duration>', 'deadline of each run, e.g. 30m (rollback still runs after it)', '30m')
    .option('--json', 'machine-readable output (NDJSON progress, JSON results)')
    .option('--baseline <path>', 'compare each run with a baseline (journal.json, report folder or folder of past runs); a regressed metric is a finding')
    .option('--live', 'serve a live view of the run on 127.0.0.1 (the URL, with its token, is printed at start): phases, pods, load, checks, changes, an Abort button')
    .option('--live-port <port>', 'port of the live view (default: any free one); implies --live')
    .option('--live-keep', 'keep serving the live view (the final report) after the runs, until Ctrl-C; implies --live');
  // The comparison's flags on the run command just defined (as `compare` has them).
  compareFlags(program.commands.at(-1)!)
    .addHelpText(
      'after',
      examples([
        'shakedown run statefulset-identity --dry-run',
        'shakedown run statefulset-identity --baseline reports/ --threshold readyAfterDelete=1.5x,+500ms',
        'shakedown run pod-delete --live --set image=shakedown.local/sample:1',
        'shakedown run statefulset-identity hpa-cpu --set image=shakedown.local/sample:1',
        'shakedown run hpa-cpu --set hpa-cpu.maxReplicas=6 --timeout 20m',
        'shakedown run --all --context kind-ci --report-dir out --json',
      ], EXIT_CODES),
    )
    .action(async (names: string[], opts: RunOptions) => {
    if (names.length === 0 && !opts.all) throw new UsageError('name the experiments to run, or pass --all (see `shakedown list`)');
    if (names.length > 0 && opts.all) throw new UsageError('pass experiment names or --all, not both');
    // Flags, parameters and manifests are checked before the steps (and the Kubernetes client)
    // load, and before any kubeconfig is read.
    const timeoutMs = timeoutFlag(opts.timeout);
    const reportDir = reportDirFlag(opts.reportDir, { write: true });
    const live = liveFlags(opts);
    if (live && opts.dryRun) throw new UsageError('--live shows a run as it happens; a --dry-run touches nothing and has nothing to show', { field: 'live' });
    const v = await validation();
    const selected = await select(v, names, Boolean(opts.all));
    const checked = prepare(v, selected.map((e) => e.meta), opts);
    for (const { def, params } of checked) {
      const values = def.manifestValues?.(params) ?? {};
      for (const m of def.manifests ?? []) v.loadManifestFile(m, values);
    }
    const prepared = await Promise.all(checked.map(async ({ params }, i) => ({ def: await selected[i]!.load(), params })));
    if (opts.baseline === undefined && (opts.threshold ?? opts.minSamples ?? opts.seed ?? opts.last) !== undefined) throw new UsageError('--threshold, --min-samples, --seed and --last compare with a baseline: pass --baseline <path> too');
    // The baseline is read and matched to each experiment and its parameters before the cluster is touched.
    const baseline = opts.baseline === undefined || opts.dryRun ? undefined : await (await import('./baseline.ts')).prepareBaseline(opts.baseline, await compareOptions(opts), checked, v.displayParams);

    if (opts.dryRun) {
      const [{ planOf, renderPlan }, { newRunId }] = await Promise.all([import('./plan.ts'), import('../engine/run-id.ts')]);
      const plans = prepared.map(({ def, params }) => planOf(def, params, newRunId()));
      out(opts.json ? JSON.stringify(plans, null, 2) : plans.map(renderPlan).join('\n'));
      return;
    }

    exitCode = await (await import('./run.ts')).runExperiments(prepared, { ...opts, reportDir, timeoutMs, baseline, live }, io);
  });

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

  addCompareCommands(program, io, (code) => (exitCode = code));
  // rbac: names, files and parameters checked as `run` checks them; nothing else is read.
  addRbacCommand(program, paramOptions, async (names, opts) => { const v = await validation(); const s = await select(v, names, false); return Promise.all(prepare(v, s.map((e) => e.meta), opts).map(async ({ params }, i) => ({ def: await s[i]!.load(), params }))); }, io);

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
      exitCode = await (await import('./cleanup.ts')).cleanupCommand(opts, io);
    });

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
    .action(async (runId: string, opts: Parameters<typeof import('./attach.ts').attachCommand>[1]) => {
      exitCode = await (await import('./attach.ts')).attachCommand(runId, opts, io);
    });

  // kind lifecycle: the logic lives in harness/kind, loaded only when these commands run.
  program
    .command('up')
    .description('create the kind cluster from kind-config.yaml, install metrics-server (and Istio with --with istio), and wait until nodes, CoreDNS, StorageClass standard and the metrics API (and istiod) answer')
    .addOption(new Option('--name <name>', 'kind cluster name').default('shakedown'))
    .addOption(new Option('--config <file>', 'kind cluster config').default('kind-config.yaml'))
    .option('--image <ref>', 'kind node image (default: kind\'s own)')
    .option('--kind <path>', 'the kind binary (default: kind on PATH)')
    .option('--with <addon>', 'also install an add-on (istio), repeatable', collect)
    .option('--load <archive>', 'image archive to load into the nodes (kind load image-archive), repeatable', collect)
    .option('--metrics-server-image <ref>', 'metrics-server image (default registry.k8s.io/metrics-server/metrics-server:v0.8.0)')
    .option('--istioctl <path>', 'the istioctl binary for --with istio (default: istioctl on PATH)')
    .option('--istio-set <key=value>', 'passed to `istioctl install --set profile=minimal` as --set key=value, repeatable', collect)
    .addOption(new Option('--timeout <duration>', 'how long to wait for the cluster to answer').default('10m'))
    .addHelpText('after', examples(['shakedown up', 'shakedown up --name ci --load images/app.tar', 'shakedown up --with istio --istio-set values.pilot.autoscaleEnabled=false'], 'Exit codes: 0 up, 2 bad flag or missing config, 3 kind or istioctl missing or failed, or the cluster did not answer in time'))
    .action(async (opts: Parameters<typeof import('../kind/lifecycle.ts').upCommand>[0]) => {
      exitCode = await (await import('../kind/lifecycle.ts')).upCommand(opts, io);
    });
  program
    .command('down')
    .description('delete a kind cluster that `shakedown up` made (its containers, network and kubeconfig entry)')
    .addOption(new Option('--name <name>', 'kind cluster name').default('shakedown'))
    .option('--kind <path>', 'the kind binary (default: kind on PATH)')
    .addHelpText('after', examples(['shakedown down', 'shakedown down --name ci'], 'Exit codes: 0 deleted, 2 not a cluster `shakedown up` made, 3 kind missing or failed'))
    .action(async (opts: { name: string; kind?: string }) => {
      exitCode = await (await import('../kind/lifecycle.ts')).downCommand(opts, io);
    });

  // Commander's own errors (an unknown command or option, a missing argument) in one line, with
  // its suggestion of the closest name, like every other bad-input message.
  for (const cmd of [program, ...program.commands]) {
    const name = cmd === program ? 'shakedown' : `shakedown ${cmd.name()}`;
    cmd.configureOutput({
      outputError: (text, write) => {
        const message = text.trim().replace(/^error: /, '').replace(/\s*\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\s*\n\s*/g, ' ');
        write(`shakedown: error: ${message}; see '${name} --help'\n`);
      },
    });
  }

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

type Validation = Awaited<ReturnType<typeof validation>>;

/** An experiment chosen on the command line: what validation needs now, the steps when it runs. */
interface Selected {
  meta: ExperimentMeta;
  load: () => Promise<AnyExperiment>;
}

/**
 * Experiments named on the command line (built-in names or experiment files), or every built-in;
 * an unknown name, a bad file or a name given twice is bad input.
 */
async function select(v: Validation, names: readonly string[], all: boolean): Promise<Selected[]> {
  const builtin = (def: ExperimentMeta): Selected => ({ meta: def, load: () => v.loadExperiment(def.name) });
  if (all) return v.metas.map(builtin);
  const out: Selected[] = [];
  for (const n of names) {
    if (isExperimentFile(n)) {
      const def = await loadExperimentFile(n);
      if (v.metas.some((e) => e.name === def.name)) throw new UsageError(`experiment file ${n}: its name "${def.name}" is a built-in experiment's; give it another`, { field: n });
      out.push({ meta: def as ExperimentMeta, load: () => Promise.resolve(def) });
      continue;
    }
    const def = v.metas.find((e) => e.name === n);
    if (!def) throw new UsageError(`unknown experiment "${n}" (known: ${v.metas.map((e) => e.name).join(', ')}; a file of your own is named by its path, e.g. ./${n}.ts)`, { field: n });
    out.push(builtin(def));
  }
  const seen = new Set<string>();
  for (const e of out) {
    if (seen.has(e.meta.name)) throw new UsageError(`experiment "${e.meta.name}" is named twice`, { field: e.meta.name });
    seen.add(e.meta.name);
  }
  return out;
}

/**
 * Validates every selected experiment's parameters before any run starts. `--set key=value`
 * applies to each experiment; `--set exp.key=value` to that experiment only.
 */
function prepare(v: Validation, selected: readonly ExperimentMeta[], opts: ParamOptions): { def: ExperimentMeta; params: Record<string, unknown> }[] {
  const names = new Set([...v.metas, ...selected].map((e) => e.name));
  const scoped = new Map<string, string[]>();
  const unscoped: string[] = [];
  for (const flag of opts.set ?? []) {
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
    const raw = v.parseSetFlags([...unscoped, ...(scoped.get(def.name) ?? [])], def.params);
    if (opts.namespace !== undefined) {
      if (raw['namespace'] !== undefined && raw['namespace'] !== opts.namespace) {
        throw new UsageError(`--namespace ${opts.namespace} conflicts with --set namespace=${String(raw['namespace'])}`, { field: 'namespace' });
      }
      raw['namespace'] = opts.namespace;
    }
    return { def, params: v.validateParams(def.name, def.params, raw) };
  });
}
