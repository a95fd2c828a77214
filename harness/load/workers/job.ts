// The Indexed Job that runs the load workers: N pods of the harness image, each running
// `shakedown load-worker` for its share of the rate, spread over nodes where the scheduler can,
// never retried (a retried worker would send its share twice), bounded in time, non-root on a
// read-only root filesystem, with no API access of its own.
import type { ManifestObject } from '../../manifests/load.ts';
import { withLabels } from '../../manifests/load.ts';

/** Labels the worker pods carry beside the run's, so the harness (and the spread) finds exactly them. */
export const WORKER_COMPONENT = { 'app.kubernetes.io/component': 'load-worker' } as const;

/** The label the Job controller puts the pod's index in. */
export const INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';

/** Startup allowance in the Job's deadline: scheduling, the container starting, the target answering. */
const STARTUP_MS = 120_000;

/** The UID the harness image runs as (its Dockerfile's USER). */
const IMAGE_UID = 65532;

export interface WorkerJobSpec {
  name: string;
  namespace: string;
  image: string;
  url: string;
  /** Each worker's rate (splitRate): worker i drives rates[i]. */
  rates: readonly number[];
  /** Bound on the load, ms (each worker stops by itself after it). */
  durationMs: number;
  /** Per-request timeout, ms. */
  timeoutMs: number;
  /** How long a worker waits for a 2xx from the URL before its schedule starts, ms. */
  waitServedMs: number;
  /** The run's labels (run id, experiment). */
  labels: Record<string, string>;
}

/** The Job's name for a run: one worker Job per run. */
export const workerJobName = (runId: string): string => `shakedown-load-${runId}`;

/** Seconds a worker may take after SIGTERM: its requests in flight (their timeout) and its last lines. */
export const gracePeriodSeconds = (timeoutMs: number): number => Math.ceil(timeoutMs / 1000) + 15;

/** The Job's bound, s: the load's duration, a worker's wait for its target, startup, and its drain after stop. */
export const activeDeadlineSeconds = (s: Pick<WorkerJobSpec, 'durationMs' | 'timeoutMs' | 'waitServedMs'>): number =>
  Math.ceil((s.durationMs + s.waitServedMs + STARTUP_MS) / 1000) + gracePeriodSeconds(s.timeoutMs);

/** The worker's command line (after the image's entrypoint, `shakedown`); the index comes from JOB_COMPLETION_INDEX. */
export const workerArgs = (s: Pick<WorkerJobSpec, 'url' | 'rates' | 'durationMs' | 'timeoutMs' | 'waitServedMs'>): string[] => [
  'load-worker',
  '--url',
  s.url,
  '--rates',
  s.rates.join(','),
  '--duration',
  `${s.durationMs}ms`,
  '--timeout',
  `${s.timeoutMs}ms`,
  '--wait-served',
  `${s.waitServedMs}ms`,
];

/** The Job, labelled with the run (and its pod template, through the shared labelling). */
export function workerJob(s: WorkerJobSpec): ManifestObject {
  const n = s.rates.length;
  const podLabels = { ...s.labels, ...WORKER_COMPONENT };
  const job: ManifestObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: s.name, namespace: s.namespace, labels: { ...WORKER_COMPONENT } },
    spec: {
      completionMode: 'Indexed',
      completions: n,
      parallelism: n,
      // No retry of a worker (its share would be sent twice), and one worker's failure does not
      // end the others: a per-index limit of 0 instead of backoffLimit 0, which fails the whole
      // Job, and so kills every worker, at the first failed pod.
      backoffLimitPerIndex: 0,
      activeDeadlineSeconds: activeDeadlineSeconds(s),
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: gracePeriodSeconds(s.timeoutMs),
          securityContext: { runAsNonRoot: true, runAsUser: IMAGE_UID, runAsGroup: IMAGE_UID, seccompProfile: { type: 'RuntimeDefault' } },
          // A preference, not a rule: a one-node cluster still runs every worker.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: podLabels } }],
          containers: [
            {
              name: 'load-worker',
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              args: workerArgs(s),
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '512Mi' } },
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
        },
      },
    },
  };
  return withLabels(job, s.labels);
}
