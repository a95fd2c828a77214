// `shakedown run`: flags, help and the checks done before anything is touched; the run itself
// lives in ../run.ts, loaded only when a run starts.
import type { Command } from 'commander';
import { UsageError } from '../../engine/errors.ts';
import { compareFlags, compareOptions, type CompareFlags } from '../compare.ts';
import { liveFlags, reportDirFlag, timeoutFlag } from '../flags.ts';
import { clusterOptions, EXIT_CODES, examples, paramOptions, prepare, select, validation, type ClusterOptions, type CommandContext, type ParamOptions } from './shared.ts';

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
  inCluster?: string;
  recordVerdict?: boolean;
}

export function addRunCommand(program: Command, ctx: CommandContext): void {
  const run = clusterOptions(
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
    .option('--live-keep', 'keep serving the live view (the final report) after the runs, until Ctrl-C; implies --live')
    .option('--in-cluster <namespace/serviceaccount>', "inside a pod: use the pod's ServiceAccount instead of a kubeconfig, allowed only when it is this account and the runs' namespace is its namespace (the Jobs of `shakedown schedule` pass it)")
    .option('--record-verdict', "leave each run's verdict where kubectl finds it: a ConfigMap shakedown-verdict-<experiment> labelled shakedown.io/experiment=<experiment> in the run's namespace, and an Event on the target");
  // The comparison's flags on the run command (as `compare` has them).
  compareFlags(run)
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
    .action((names: string[], opts: RunOptions) => runAction(names, opts, ctx));
}

async function runAction(names: string[], opts: RunOptions, { io, out, setExit }: CommandContext): Promise<void> {
  if (names.length === 0 && !opts.all) throw new UsageError('name the experiments to run, or pass --all (see `shakedown list`)');
  if (names.length > 0 && opts.all) throw new UsageError('pass experiment names or --all, not both');
  // Flags, parameters and manifests are checked before the steps (and the Kubernetes client)
  // load, and before any kubeconfig is read.
  const timeoutMs = timeoutFlag(opts.timeout);
  const reportDir = reportDirFlag(opts.reportDir, { write: true });
  const live = liveFlags(opts);
  const inCluster = opts.inCluster === undefined ? undefined : (await import('../../cluster/in-cluster.ts')).parseInClusterFlag(opts.inCluster);
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
  const baseline = opts.baseline === undefined || opts.dryRun ? undefined : await (await import('../baseline.ts')).prepareBaseline(opts.baseline, await compareOptions(opts), checked, v.displayParams);

  if (opts.dryRun) {
    const [{ planOf, renderPlan }, { newRunId }] = await Promise.all([import('../plan.ts'), import('../../engine/run-id.ts')]);
    const plans = prepared.map(({ def, params }) => planOf(def, params, newRunId()));
    out(opts.json ? JSON.stringify(plans, null, 2) : plans.map(renderPlan).join('\n'));
    return;
  }

  setExit(await (await import('../run.ts')).runExperiments(prepared, { ...opts, reportDir, timeoutMs, baseline, live, inCluster }, io));
}
