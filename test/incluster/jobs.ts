// Jobs of a CronJob `shakedown schedule` printed, started by hand and waited for: what
// `kubectl create job --from=cronjob/…` makes, then the Job's outcome and its pod's log.
import type { V1CronJob, V1Job } from '@kubernetes/client-node';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { clients } from '../clients.ts';

/** Starts a Job from the CronJob's template; `args` replaces the container's arguments. */
export async function startJob(s: ClusterSession, cronJob: V1CronJob, name: string, args?: (a: string[]) => string[]): Promise<string> {
  const ns = cronJob.metadata!.namespace!;
  const spec = structuredClone(cronJob.spec.jobTemplate.spec)!;
  const container = spec.template.spec!.containers[0]!;
  if (args) container.args = args(container.args ?? []);
  await s.rest.request('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, {
    body: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: ns, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata!.name!, uid: cronJob.metadata!.uid!, controller: true }] },
      spec,
    },
  });
  return name;
}

/** Waits (bounded) for the Job to succeed or fail; resolves to which, and its pod's log. */
export async function finished(s: ClusterSession, ns: string, name: string, timeoutMs = 600_000): Promise<{ succeeded: boolean; log: string }> {
  const job = await waitFor(
    async () => {
      const j = await s.rest.request<V1Job>('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
      return (j.status?.succeeded ?? 0) > 0 || (j.status?.failed ?? 0) > 0 ? done(j) : notYet(j.status);
    },
    { what: `Job ${ns}/${name} finished`, timeoutMs, intervalMs: 1000 },
  );
  const pod = (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${name}` })).items[0];
  const log = pod ? await clients(s).core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name! }).catch((e: unknown) => `(no log: ${String(e)})`) : '(no pod)';
  return { succeeded: (job.status?.succeeded ?? 0) > 0, log: String(log) };
}

/** The CronJob as the API server holds it. */
export const readCronJob = (s: ClusterSession, ns: string, name: string): Promise<V1CronJob> => s.rest.request<V1CronJob>('GET', `/apis/batch/v1/namespaces/${ns}/cronjobs/${name}`);
