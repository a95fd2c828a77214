// `shakedown schedule`: a run inside the cluster on a cron schedule, printed as YAML — the
// least-privilege RBAC of `shakedown rbac` (plus recording the verdict), a PVC for the reports and
// a CronJob whose Job runs the harness image as that ServiceAccount with `--in-cluster`, so the
// run is refused if the Job is ever moved to another account or namespace. Reads no kubeconfig.
import type { Command } from 'commander';
import { UsageError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import { SHAKEDOWN_VERSION } from '../engine/version.ts';
import { timeoutFlag } from './flags.ts';
import type { CliIo } from './io.ts';
import { rbacYaml, runNamespaceOf } from './rbac.ts';

type Prepared = { def: AnyExperiment; params: Record<string, unknown> };

export interface ScheduleOptions {
  cron: string;
  set?: string[] | undefined;
  namespace?: string | undefined;
  image?: string | undefined;
  serviceAccount?: string | undefined;
  timeout: string;
  storageSize: string;
  storageClass?: string | undefined;
}

/** After the run's deadline, how long the Job may still take: rollback and teardown run after it. */
export const ROLLBACK_ALLOWANCE_S = 600;

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
// A field of a five-field cron expression: numbers, names (JAN, MON), *, ?, ranges, lists and steps.
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;

/** A CronJob schedule: five fields or a macro (@daily ...); a UsageError names what is wrong. */
export function checkCron(expr: string): string {
  const text = expr.trim();
  if (MACROS.has(text)) return text;
  const fields = text.split(/\s+/);
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  if (fields.length !== 5 || bad !== undefined) {
    throw new UsageError(`--cron "${expr}" is not a cron schedule: five fields (minute hour day-of-month month day-of-week, e.g. "0 3 * * *") or @hourly, @daily, @weekly, @monthly${bad === undefined ? '' : `; "${bad}" is not a field`}`, { field: '--cron' });
  }
  return fields.join(' ');
}

// Image references as Kubernetes accepts them, without spaces (a registry, a path, a tag or a digest).
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;

/** The YAML: RBAC (with recording the verdict), the reports PVC and the CronJob. */
export async function scheduleYaml(prepared: Prepared, opts: ScheduleOptions): Promise<string> {
  const cron = checkCron(opts.cron);
  const timeoutMs = timeoutFlag(opts.timeout);
  const image = opts.image ?? `shakedown:${SHAKEDOWN_VERSION}`;
  if (!IMAGE_REF.test(image)) throw new UsageError(`--image "${image}" is not an image reference (e.g. registry.example/shakedown:${SHAKEDOWN_VERSION})`, { field: '--image' });
  if (!/^[1-9][0-9]*(Mi|Gi)$/.test(opts.storageSize)) throw new UsageError(`--storage-size "${opts.storageSize}" must be a size in Mi or Gi, e.g. 1Gi`, { field: '--storage-size' });
  const { def, params } = prepared;
  const namespace = runNamespaceOf(params);
  const serviceAccount = opts.serviceAccount ?? `shakedown-${def.name}`;
  const rbac = await rbacYaml([prepared], { serviceAccount, recordVerdict: true });
  const { renderYaml } = await import('../cluster/rbac.ts');
  const name = `shakedown-${def.name}`.slice(0, 52).replace(/-+$/, '');
  const labels = () => ({ 'app.kubernetes.io/managed-by': 'shakedown', 'shakedown.io/experiment': def.name });
  const args = ['run', def.name, ...(opts.set ?? []).flatMap((s) => ['--set', s]), '--namespace', namespace, '--in-cluster', `${namespace}/${serviceAccount}`, '--record-verdict', '--report-dir', '/reports', '--timeout', opts.timeout];
  const pvc = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${name}-reports`, namespace, labels: labels() },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: opts.storageSize } }, ...(opts.storageClass ? { storageClassName: opts.storageClass } : {}) },
  };
  const pod = {
    metadata: { labels: labels() },
    spec: {
      serviceAccountName: serviceAccount,
      restartPolicy: 'Never',
      // SIGTERM (the deadline, a deleted Job) rolls back before the pod goes.
      terminationGracePeriodSeconds: 300,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'shakedown',
          image,
          imagePullPolicy: 'IfNotPresent',
          args,
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
          volumeMounts: [
            { name: 'reports', mountPath: '/reports' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'reports', persistentVolumeClaim: { claimName: `${name}-reports` } },
        { name: 'tmp', emptyDir: {} },
      ],
    },
  };
  const cronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace, labels: labels() },
    spec: {
      schedule: cron,
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels: labels() }, spec: { backoffLimit: 0, activeDeadlineSeconds: Math.ceil(timeoutMs / 1000) + ROLLBACK_ALLOWANCE_S, template: pod } },
    },
  };
  const note = `# A CronJob running \`shakedown ${args.join(' ')}\` on "${cron}", as ServiceAccount ${namespace}/${serviceAccount}\n# (namespace ${namespace} must exist). Each run's verdict: kubectl -n ${namespace} get configmap -l shakedown.io/experiment=${def.name} -o yaml\n# Start one now: kubectl -n ${namespace} create job --from=cronjob/${name} ${name}-manual\n`;
  return `${rbac}---\n${note}${renderYaml([pvc, cronJob])}`;
}

/** Registers `schedule`; `prepare` checks the name and parameters as `run` does. */
export function addScheduleCommand(program: Command, paramOptions: (cmd: Command) => Command, prepare: (names: string[], opts: { set?: string[]; namespace?: string }) => Promise<Prepared[]>, io: CliIo): void {
  paramOptions(
    program
      .command('schedule')
      .usage('<experiment> --cron <expr> [options]')
      .summary('print a CronJob (with its least-privilege RBAC) that runs an experiment inside the cluster')
      .description(
        'Print, as YAML, what runs a built-in experiment inside the cluster on a schedule: the ServiceAccount, Roles and bindings of ' +
          '`shakedown rbac` (plus a ConfigMap and Events for the verdict), a PVC for the reports, and a CronJob (concurrencyPolicy Forbid, ' +
          'activeDeadlineSeconds = --timeout + 10m for rollback) running the harness image with --in-cluster and --record-verdict. ' +
          'Reads no kubeconfig and touches no cluster.',
      )
      .argument('<experiment>', 'a built-in experiment (see shakedown list)'),
  )
    .requiredOption('--cron <expr>', 'the CronJob schedule, e.g. "0 3 * * *" or @daily')
    .option('--image <ref>', `the harness image (image/build.sh builds it; default shakedown:${SHAKEDOWN_VERSION})`)
    .option('--service-account <name>', 'name of the ServiceAccount (and of its Roles and bindings); default shakedown-<experiment>')
    .option('--timeout <duration>', 'deadline of each run', '30m')
    .option('--storage-size <size>', 'size of the reports PVC', '1Gi')
    .option('--storage-class <name>', 'StorageClass of the reports PVC (default: the cluster default)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        "  shakedown schedule statefulset-identity --cron '0 3 * * *' --set statefulset=orders --namespace shop | kubectl apply -f -",
        '  kubectl -n shop create job --from=cronjob/shakedown-statefulset-identity now',
        '  kubectl -n shop get configmap -l shakedown.io/experiment=statefulset-identity -o yaml',
        '',
        'Exit codes: 0 printed, 2 an unknown experiment, an experiment file, a bad parameter, schedule, image or name',
      ].join('\n'),
    )
    .action(async (name: string, opts: ScheduleOptions) => {
      if (/[/\\]|\.(ts|js|mjs)$/.test(name)) throw new UsageError(`schedule runs a built-in experiment inside the harness image; "${name}" is a file: build an image with it added, or run it from CI with \`shakedown run\``, { field: 'experiment' });
      const [prepared] = await prepare([name], opts);
      io.stdout(await scheduleYaml(prepared!, opts));
    });
}
