// What the command modules share: flag groups, help text pieces, the experiment selection and
// parameter validation that `validate` and `run` both do before a cluster is touched.
import type { Command } from 'commander';
import type { ExperimentMeta } from '../../../experiments/meta.ts';
import { UsageError } from '../../engine/errors.ts';
import type { AnyExperiment } from '../../engine/experiment.ts';
import { isExperimentFile, loadExperimentFile } from '../experiment-file.ts';
import type { CliIo } from '../io.ts';

/** What a command module gets to register its command: the output and where its exit code goes. */
export interface CommandContext {
  io: CliIo;
  out: (line: string) => void;
  setExit: (code: number) => void;
}

export interface ParamOptions {
  set?: string[];
  namespace?: string;
}

export interface ClusterOptions {
  context?: string;
  allowContext?: string[];
}

// No default for repeatable flags: commander would print "(default: [])" in the help.
export const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export const EXIT_CODES = `Exit codes:
  0    passed: every check held
  1    failed: a hypothesis did not hold (a finding about the cluster)
  2    bad usage or input; nothing in the cluster was touched
  3    error: the run broke (a prerequisite missing, an API error, a check it could not evaluate,
       no check recorded), hit its deadline or lost its output; or the account lacks a permission
       the run declares (checked before anything is touched; see shakedown rbac)
  129, 130, 143
       SIGHUP, SIGINT, SIGTERM received; rollback ran first`;

/** Help text after a command's options: examples, then whatever else it needs said. */
export const examples = (lines: string[], ...more: string[]) => ['', 'Examples:', ...lines.map((l) => `  ${l}`), ...more.flatMap((m) => ['', m])].join('\n');

export const paramOptions = (cmd: Command) =>
  cmd
    .option('--set <key=value>', 'an experiment parameter (repeatable); exp.key=value sets it for one experiment; values are YAML (3, true, [0,2]), durations 90s, 2m', collect)
    .option('--namespace <name>', 'shorthand for --set namespace=<name>');

export const clusterOptions = (cmd: Command) =>
  cmd
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--allow-context <name>', 'allow a context that is neither kind-* nor the local test cluster (repeatable)', collect);

// Every command loads only what it uses, so `--help`, `--version` and `list` start about as fast
// as Node itself: `list` reads catalog.json (no zod, no schema, no step); `validate` loads the
// schemas and manifests (experiments/meta.ts) but no step and no Kubernetes client; `run` loads
// the experiments' steps and the client; `report` the chart renderer (here and in run.ts,
// cleanup.ts).
export const validation = async () => {
  const [{ metas, loadExperiment }, params, { loadManifestFile }] = await Promise.all([import('../../../experiments/meta.ts'), import('../../engine/params.ts'), import('../../manifests/load.ts')]);
  return { metas, loadExperiment, loadManifestFile, ...params };
};

export type Validation = Awaited<ReturnType<typeof validation>>;

/** An experiment chosen on the command line: what validation needs now, the steps when it runs. */
export interface Selected {
  meta: ExperimentMeta;
  load: () => Promise<AnyExperiment>;
}

/**
 * Experiments named on the command line (built-in names or experiment files), or every built-in;
 * an unknown name, a bad file or a name given twice is bad input.
 */
export async function select(v: Validation, names: readonly string[], all: boolean): Promise<Selected[]> {
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
export function prepare(v: Validation, selected: readonly ExperimentMeta[], opts: ParamOptions): { def: ExperimentMeta; params: Record<string, unknown> }[] {
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
