// A run's verdict left where `kubectl get` finds it (`run --record-verdict`, which the Jobs of
// `shakedown schedule` pass): a ConfigMap per experiment and namespace, replaced by each run, and
// an Event on the run's target. Neither carries the run-id label: they outlive the run on purpose
// and teardown never sweeps them.
import type { Verdict } from '../journal/schema.ts';
import { can, type Permission } from './permissions.ts';
import { enc } from './objects.ts';
import { isNotFound, type ClusterSession } from './session.ts';
import type { RunTarget } from './lease.ts';

/** The label every verdict ConfigMap carries: `kubectl get cm -l shakedown.io/experiment=<name>`. */
export const LABEL_EXPERIMENT = 'shakedown.io/experiment';

/** What recording needs, in the run's namespace (placed there like every undeclared-namespace rule). */
export const RECORD_PERMISSIONS: readonly Permission[] = [can('', 'configmaps', 'get', 'create', 'update'), can('', 'events', 'create')];

/** The ConfigMap's name for an experiment: a DNS subdomain at most 253 long. */
export const verdictConfigMapName = (experiment: string): string => `shakedown-verdict-${experiment.replace(/[^a-z0-9-]/g, '-')}`.slice(0, 253).replace(/-+$/, '');

export interface VerdictRecord {
  experiment: string;
  namespace: string;
  runId: string;
  verdict: Verdict;
  startedAt: string;
  endedAt: string;
  /** Where the run's reports were written (a path on the pod's volume). */
  reportDir: string;
  target: RunTarget;
}

/** The ConfigMap's data: verdict, times, run id, summary, the report folder. */
export function verdictData(r: VerdictRecord): Record<string, string> {
  return {
    verdict: r.verdict.kind,
    summary: r.verdict.summary,
    runId: r.runId,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    reportDir: r.reportDir,
    ...(r.verdict.kind === 'failed' ? { findings: r.verdict.findings.join('\n') } : {}),
    ...(r.verdict.kind === 'error' ? { code: r.verdict.code, message: r.verdict.message } : {}),
  };
}

// The kinds a target parameter names (`deployment/web`, a StatefulSet's name ...), as an Event's involvedObject.
const KINDS: Record<string, { apiVersion: string; kind: string }> = {
  deployment: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulset: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  replicaset: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  service: { apiVersion: 'v1', kind: 'Service' },
  hpa: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
  horizontalpodautoscaler: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
};

/**
 * The object an Event about the run is attached to: the target the run's parameters name
 * (`kind/name`, or a bare name for the experiment's own kind), else the verdict ConfigMap itself
 * (a run on its own fixture has no target that outlives it).
 */
export function eventSubject(r: Pick<VerdictRecord, 'experiment' | 'namespace' | 'target'>): { apiVersion: string; kind: string; name: string; namespace: string } {
  const text = r.target.object;
  const slash = text.indexOf('/');
  const kind = slash > 0 ? KINDS[text.slice(0, slash).toLowerCase()] : r.experiment.startsWith('statefulset') ? KINDS['statefulset'] : undefined;
  const name = slash > 0 ? text.slice(slash + 1) : text;
  if (kind && name) return { ...kind, name, namespace: r.namespace };
  return { apiVersion: 'v1', kind: 'ConfigMap', name: verdictConfigMapName(r.experiment), namespace: r.namespace };
}

/** Writes the ConfigMap (created, or replaced in place) and the Event. */
export async function recordVerdict(session: ClusterSession, r: VerdictRecord): Promise<{ configMap: string; event: string }> {
  const name = verdictConfigMapName(r.experiment);
  const path = `/api/v1/namespaces/${enc(r.namespace)}/configmaps`;
  const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: r.namespace, labels: { [LABEL_EXPERIMENT]: r.experiment, 'app.kubernetes.io/managed-by': 'shakedown' } }, data: verdictData(r) };
  try {
    const live = await session.rest.request<{ metadata?: { resourceVersion?: string } }>('GET', `${path}/${enc(name)}`);
    await session.rest.request('PUT', `${path}/${enc(name)}`, { body: { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata?.resourceVersion } } });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await session.rest.request('POST', path, { body });
  }
  const subject = eventSubject(r);
  const passed = r.verdict.kind === 'passed';
  const event = await session.rest.request<{ metadata?: { name?: string } }>('POST', `/api/v1/namespaces/${enc(r.namespace)}/events`, {
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `shakedown-${r.experiment.slice(0, 40)}-`, namespace: r.namespace, labels: { [LABEL_EXPERIMENT]: r.experiment } },
      involvedObject: subject,
      reason: `Shakedown${r.verdict.kind[0]!.toUpperCase()}${r.verdict.kind.slice(1)}`,
      message: `shakedown ${r.experiment} run ${r.runId}: ${r.verdict.kind}: ${r.verdict.summary}`.slice(0, 1024),
      type: passed ? 'Normal' : 'Warning',
      source: { component: 'shakedown' },
      reportingComponent: 'shakedown',
      reportingInstance: r.runId,
      firstTimestamp: r.endedAt,
      lastTimestamp: r.endedAt,
      count: 1,
    },
  });
  return { configMap: `${r.namespace}/${name}`, event: `${r.namespace}/${event.metadata?.name ?? '?'}` };
}
