// Preflight of hpa-cpu: the metrics API works, and the target (the fixture or a user's workload
// with an HPA) requests CPU and is scaled on CPU utilisation.
import type { V1Pod, V2HPAScalingRules, V2MetricSpec } from '@kubernetes/client-node';
import { describeApiError, formatDuration, isNotFound, probes, RunError, WaitTimeoutError } from '../../harness/index.ts';
import { DEFAULT_TOLERANCE, DEFAULT_TOLERANCES, millicores, type Tolerance } from './formula.ts';
import { scaleInNeeds } from './params.ts';
import { FIXTURE, type Ctx, type Selection } from './state.ts';

const preflightError = (message: string, cause?: unknown) => new RunError('PREFLIGHT', message, { cause });
const targetSelectionError = (message: string) => new RunError('TARGET_SELECTION', message);

// ---------------------------------------------------------------- preflight

/** How long a registered metrics API that answers 503 (its backend briefly unavailable) is waited for. */
const METRICS_API_WITHIN_MS = 60_000;

/**
 * The metrics API must answer, or the HPA has nothing to act on: an error, not a finding. A 503
 * means the APIService is registered but the aggregator marks its backend unavailable for now
 * (metrics-server restarting, or its availability check failed while the API server was busy); it
 * comes back by itself, so it is waited for within a bound. Anything else (404: not installed) is
 * final at once.
 */
export async function metricsApi(ctx: Ctx): Promise<void> {
  const cluster = ctx.cluster;
  let last: unknown;
  try {
    const nodes = await probes.waitFor(
      async () => {
        try {
          return probes.done(((await cluster.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' })) as { items: unknown[] }).items.length);
        } catch (err) {
          if ((err as { code?: unknown }).code !== 503) throw err;
          last = err;
          return probes.notYet(describeApiError(err));
        }
      },
      { what: 'the metrics API to answer', timeoutMs: METRICS_API_WITHIN_MS, intervalMs: 2000, signal: ctx.signal },
    );
    ctx.record.event({ source: 'preflight', type: 'metrics-api', message: `metrics.k8s.io answers: ${nodes} node(s) reporting` });
  } catch (err) {
    // An aborted run (signal, deadline) ends the step as aborted, not as a missing metrics API.
    if (ctx.signal.aborted) throw err;
    const cause = err instanceof WaitTimeoutError ? (last ?? err) : err;
    const within = err instanceof WaitTimeoutError ? `, unavailable for ${METRICS_API_WITHIN_MS / 1000}s` : '';
    throw preflightError(`the metrics API (metrics.k8s.io/v1beta1) does not answer${within}, so the HPA cannot act on CPU: install metrics-server (${describeApiError(cause)})`, cause);
  }
}

/** Finds the target and its HPA, and checks every container of the target requests CPU. */
export async function selectTarget(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const cluster = ctx.cluster;
  if (!p.target) {
    const fixture: Selection = { fixture: true, target: FIXTURE, kind: 'Deployment', hpa: FIXTURE, container: 'web', selector: `app.kubernetes.io/name=${FIXTURE}`, minReplicas: p.minReplicas, maxReplicas: p.maxReplicas, targetUtilization: p.targetUtilization, scaleDownWindowMs: p.scaleDownWindowSeconds * 1000, tolerance: DEFAULT_TOLERANCES, otherMetrics: [] };
    // Its CPU request (above 0, at most its limit) was checked with the parameters.
    Object.assign(s, fixture);
    return;
  }
  let template: V1Pod['spec'];
  let matchLabels: Record<string, string>;
  try {
    if (p.targetKind === 'Deployment') {
      const d = await cluster.apps.readNamespacedDeployment({ name: p.target, namespace: p.namespace });
      template = d.spec?.template.spec;
      matchLabels = d.spec?.selector.matchLabels ?? {};
    } else {
      const st = await cluster.apps.readNamespacedStatefulSet({ name: p.target, namespace: p.namespace });
      template = st.spec?.template.spec;
      matchLabels = st.spec?.selector.matchLabels ?? {};
    }
  } catch (err) {
    if (isNotFound(err)) throw targetSelectionError(`${p.targetKind} ${p.namespace}/${p.target} does not exist`);
    throw err;
  }
  const missing = (template?.containers ?? []).filter((c) => !c.resources?.requests?.['cpu']).map((c) => c.name);
  if (missing.length) {
    throw preflightError(`${p.targetKind} ${p.target} sets no CPU request on container(s) ${missing.join(', ')}: the HPA cannot compute utilisation without one`);
  }
  const hpas = (await cluster.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: p.namespace })).items;
  const hpa = p.hpa ? hpas.find((h) => h.metadata?.name === p.hpa) : hpas.find((h) => h.spec?.scaleTargetRef.kind === p.targetKind && h.spec.scaleTargetRef.name === p.target);
  if (!hpa) throw targetSelectionError(p.hpa ? `HPA ${p.namespace}/${p.hpa} does not exist` : `no HPA in ${p.namespace} targets ${p.targetKind} ${p.target}`);
  const cpu = hpa.spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization');
  if (!cpu?.resource?.target.averageUtilization) throw targetSelectionError(`HPA ${hpa.metadata?.name} has no CPU Utilization target; this experiment predicts only that metric`);
  const selected: Selection = {
    fixture: false,
    target: p.target,
    kind: p.targetKind,
    hpa: hpa.metadata?.name ?? '',
    container: template?.containers[0]?.name ?? '',
    scaleDownWindowMs: (hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds ?? 300) * 1000,
    tolerance: toleranceOf(hpa.spec?.behavior),
    otherMetrics: (hpa.spec?.metrics ?? []).filter((m) => m !== cpu).map(describeMetric),
    scaleUpRules: customRules(hpa.spec?.behavior?.scaleUp, DEFAULT_SCALE_UP),
    scaleDownRules: customRules(hpa.spec?.behavior?.scaleDown, DEFAULT_SCALE_DOWN),
    selector: Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(','),
    minReplicas: hpa.spec?.minReplicas ?? 1,
    maxReplicas: hpa.spec?.maxReplicas ?? 1,
    targetUtilization: cpu.resource.target.averageUtilization,
  };
  if (p.scaleInWithin < scaleInNeeds(selected.scaleDownWindowMs)) {
    const byDefault = hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds === undefined ? ", the controller's default" : '';
    throw preflightError(
      `HPA ${selected.hpa} holds every scale-down for ${formatDuration(selected.scaleDownWindowMs)} (its scale-down stabilization window${byDefault}), so scaleInWithin ${formatDuration(p.scaleInWithin)} could never see the replicas come back: set --set scaleInWithin=${Math.ceil(scaleInNeeds(selected.scaleDownWindowMs) / 60_000)}m or more`,
    );
  }
  Object.assign(s, selected);
}

/**
 * The HPA's tolerances: its behavior's scaleUp/scaleDown tolerance where set (the API server keeps
 * the field only while the HPAConfigurableTolerance feature is on, so a value present is in
 * force), else the controller's 10%.
 */
function toleranceOf(behavior: { scaleUp?: { tolerance?: unknown }; scaleDown?: { tolerance?: unknown } } | undefined): Tolerance {
  const read = (q: unknown) => {
    if (q === undefined || q === null) return DEFAULT_TOLERANCE;
    const v = typeof q === 'number' ? q : millicores(String(q)) / 1000;
    return Number.isFinite(v) && v >= 0 ? v : DEFAULT_TOLERANCE;
  };
  return { down: read(behavior?.scaleDown?.tolerance), up: read(behavior?.scaleUp?.tolerance) };
}

/** A metric of an HPA in a few words: "Resource memory", "Pods http_requests", "External queue_depth". */
function describeMetric(m: V2MetricSpec): string {
  const name = m.resource?.name ?? m.containerResource?.name ?? m.pods?.metric.name ?? m.object?.metric.name ?? m.external?.metric.name ?? '?';
  return `${m.type} ${name}`;
}

// The controller's default scaling rules (autoscaling/v2 defaulting): what an HPA without a behavior of its own gets.
const DEFAULT_SCALE_UP = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: ['Pods 4/15s', 'Percent 100/15s'] };
const DEFAULT_SCALE_DOWN = { selectPolicy: 'Max', policies: ['Percent 100/15s'] };

/**
 * The HPA's own rules for one direction where they differ from the defaults (policies, select
 * policy, and for scale-up the stabilization window; the scale-down window is modelled on its
 * own), in words; undefined when they are the defaults.
 */
function customRules(rules: V2HPAScalingRules | undefined, defaults: { stabilizationWindowSeconds?: number; selectPolicy: string; policies: string[] }): string | undefined {
  if (!rules) return undefined;
  const policies = (rules.policies ?? []).map((x) => `${x.type} ${x.value}/${x.periodSeconds}s`);
  const differs: string[] = [];
  if (rules.policies && [...policies].sort().join() !== [...defaults.policies].sort().join()) differs.push(`policies ${policies.join(', ')}`);
  if (rules.selectPolicy && rules.selectPolicy !== defaults.selectPolicy) differs.push(`selectPolicy ${rules.selectPolicy}`);
  if (defaults.stabilizationWindowSeconds !== undefined && (rules.stabilizationWindowSeconds ?? 0) !== defaults.stabilizationWindowSeconds) differs.push(`stabilizationWindowSeconds ${rules.stabilizationWindowSeconds}`);
  return differs.length ? differs.join('; ') : undefined;
}
