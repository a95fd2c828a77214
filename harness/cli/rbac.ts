// `shakedown rbac`: the ServiceAccount, Roles and bindings a run needs, printed as YAML from what
// its parts declare with these parameters (plus the harness's own Lease). Touches no cluster and
// reads no kubeconfig.
import type { Command } from 'commander';
import { UsageError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import type { CliIo } from './io.ts';

type Prepared = { def: AnyExperiment; params: Record<string, unknown> };

/** The namespace a run's undeclared-namespace rules apply in: its `namespace` parameter. */
export const runNamespaceOf = (params: Record<string, unknown>): string => (typeof params['namespace'] === 'string' ? params['namespace'] : 'default');

// A ServiceAccount's name is a DNS subdomain; Roles and bindings take the same name.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The YAML granting what the prepared runs declare to one ServiceAccount in the first run's namespace. */
export async function rbacYaml(prepared: readonly Prepared[], opts: { serviceAccount?: string | undefined; recordVerdict?: boolean | undefined }): Promise<string> {
  const serviceAccount = opts.serviceAccount ?? (prepared.length === 1 ? `shakedown-${prepared[0]!.def.name}` : 'shakedown');
  if (!DNS_SUBDOMAIN.test(serviceAccount)) throw new UsageError(`--service-account "${serviceAccount}" is not a valid name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit`, { field: '--service-account' });
  const [{ declaresPermissions, experimentPermissions }, { placeRules, rbacObjects, renderYaml, scopeRules }, { RECORD_PERMISSIONS }] = await Promise.all([import('../cluster/permissions.ts'), import('../cluster/rbac.ts'), import('../cluster/verdict-record.ts')]);
  const extra = opts.recordVerdict ? RECORD_PERMISSIONS : [];
  const silent = prepared.filter(({ def }) => !declaresPermissions(def)).map(({ def }) => def.name);
  if (silent.length) throw new UsageError(`${silent.join(', ')}: no part declares its API permissions, so no Role can be derived (give each step and observer a \`permissions\`)`, { field: silent[0]! });
  // Each run's rules placed in its own namespace, then merged across the runs.
  const rules = scopeRules(prepared.flatMap(({ def, params }) => placeRules(experimentPermissions(def, params, extra), runNamespaceOf(params))), 'default');
  const namespace = runNamespaceOf(prepared[0]!.params);
  const names = prepared.map(({ def }) => def.name).join(', ');
  const header = `# RBAC for shakedown run ${names}, derived from what its parts declare with these parameters\n# (and the run's Lease in namespace default${opts.recordVerdict ? ', and recording its verdict' : ''}). Apply with: kubectl apply -f <this file>\n`;
  return header + renderYaml(rbacObjects({ name: serviceAccount, serviceAccount, namespace, rules, labels: prepared.length === 1 ? { 'shakedown.io/experiment': prepared[0]!.def.name } : {} }));
}

/**
 * Registers `rbac` on the program. `prepare` checks the names, files and parameters as `run`
 * does (bad input throws UsageError, exit 2) and loads the experiments' parts.
 */
export function addRbacCommand(program: Command, paramOptions: (cmd: Command) => Command, prepare: (names: string[], opts: { set?: string[]; namespace?: string }) => Promise<Prepared[]>, io: CliIo): void {
  paramOptions(
    program
      .command('rbac')
      .usage('<experiment...> [options]')
      .summary('print the least-privilege RBAC a run needs (ServiceAccount, Roles, bindings)')
      .description(
        'Print, as YAML, a ServiceAccount with exactly the API permissions a run of the experiments needs with these parameters: ' +
          "a Role and RoleBinding per namespace, a ClusterRole only for cluster-scoped needs, derived from what each part declares, plus the run's Lease. " +
          'Reads no kubeconfig and touches no cluster. `shakedown run` checks the same rules before it touches anything (exit 3 naming what is missing).',
      )
      .argument('<experiments...>', 'built-in names or experiment files (./my-exp.ts)'),
  )
    .option('--service-account <name>', 'name of the ServiceAccount (and of its Roles and bindings); default shakedown-<experiment>')
    .option('--record-verdict', 'include what `run --record-verdict` needs (a ConfigMap and an Event in the run\'s namespace)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  shakedown rbac pod-delete --namespace shop --set workload=deployment/checkout | kubectl apply -f -',
        '  shakedown rbac statefulset-identity --set statefulset=orders --namespace shop --service-account gameday',
        '',
        'Exit codes: 0 printed, 2 an unknown experiment, a bad parameter or name, or an experiment that declares no permissions',
      ].join('\n'),
    )
    .action(async (names: string[], opts: { set?: string[]; namespace?: string; serviceAccount?: string; recordVerdict?: boolean }) => {
      io.stdout(await rbacYaml(await prepare(names, opts), opts));
    });
}
