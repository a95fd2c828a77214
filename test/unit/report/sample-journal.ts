// Realistic journals for the report writer tests, shaped like what the engine records.
import { JOURNAL_SCHEMA } from '../../../harness/journal/schema.ts';
import type {
  CheckRecord,
  EventRecord,
  Journal,
  PhaseRecord,
  SeriesPoint,
  Verdict,
} from '../../../harness/journal/schema.ts';

const T0 = Date.parse('2026-11-22T03:15:00.000Z');
/** ISO stamp `seconds` after the sample run started. */
export const at = (seconds: number): string => new Date(T0 + Math.round(seconds * 1000)).toISOString();

function phase(name: PhaseRecord['phase'], from: number, to: number, steps: PhaseRecord['steps'] = []): PhaseRecord {
  return { phase: name, startedAt: at(from), endedAt: at(to), status: 'ok', steps };
}

const environment: Journal['environment'] = {
  shakedownVersion: '0.1.0',
  node: 'v24.21.0',
  platform: 'linux-x64',
  hostname: 'ci-runner-7',
  context: 'kind-shakedown',
  server: 'https://127.0.0.1:40123',
  serverVersion: 'v1.34.1',
};

/** An hpa-cpu run: load drives a scale-out that holds, but scale-in is too slow (one failed check). */
export function sampleHpaJournal(): Journal {
  const replicas: SeriesPoint[] = [];
  const predicted: SeriesPoint[] = [];
  const cpu: SeriesPoint[] = [];
  // One sample per HPA sync (15 s): load from 30 s to 210 s, scale-in lags behind.
  const actualAt = [1, 1, 1, 2, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4];
  const cpuAt = [8, 9, 95, 180, 120, 96, 82, 80, 79, 81, 80, 78, 80, 81, 79, 6, 5, 5, 4, 5, 5, 4, 5, 5, 4, 5];
  actualAt.forEach((r, i) => {
    const t = at(20 + i * 15);
    replicas.push({ at: t, value: r });
    const util = cpuAt[i] ?? 0;
    cpu.push({ at: t, value: util });
    predicted.push({ at: t, value: Math.min(5, Math.max(1, Math.ceil((r * util) / 50))) });
  });

  const events: EventRecord[] = [
    { at: at(20.4), source: 'watch', type: 'ADDED', object: 'HorizontalPodAutoscaler/shakedown/cpu-burner', message: 'hpa observed: 1 replica, target 50% cpu' },
    { at: at(30.0), source: 'harness', type: 'load-started', object: 'Pod/shakedown/cpu-burner-5f7c9-abcde', message: 'started sha256sum /dev/zero under timeout 180s', data: { pid: 4242, timeoutSeconds: 180 } },
    { at: at(30.1), source: 'exec', type: 'exec', object: 'Pod/shakedown/cpu-burner-5f7c9-abcde', message: 'timeout 180 sha256sum /dev/zero &' },
    { at: at(66.2), source: 'watch', type: 'MODIFIED', object: 'HorizontalPodAutoscaler/shakedown/cpu-burner', message: 'desiredReplicas 1 → 4', apiTimes: { lastScaleTime: at(66.0) } },
    { at: at(66.9), source: 'watch', type: 'ADDED', object: 'Pod/shakedown/cpu-burner-5f7c9-fghij', message: 'pod created' },
    { at: at(67.0), source: 'watch', type: 'ADDED', object: 'Pod/shakedown/cpu-burner-5f7c9-klmno', message: 'pod created' },
    { at: at(67.1), source: 'watch', type: 'ADDED', object: 'Pod/shakedown/cpu-burner-5f7c9-pqrst', message: 'pod created' },
    { at: at(81.3), source: 'watch', type: 'MODIFIED', object: 'HorizontalPodAutoscaler/shakedown/cpu-burner', message: 'desiredReplicas 4 → 5', apiTimes: { lastScaleTime: at(81.0) } },
    { at: at(81.9), source: 'watch', type: 'ADDED', object: 'Pod/shakedown/cpu-burner-5f7c9-uvwxy', message: 'pod created' },
    { at: at(210.0), source: 'harness', type: 'load-stopped', object: 'Pod/shakedown/cpu-burner-5f7c9-abcde', message: 'load stopped; no sha256sum process left' },
    { at: at(321.4), source: 'watch', type: 'MODIFIED', object: 'HorizontalPodAutoscaler/shakedown/cpu-burner', message: 'desiredReplicas 5 → 4', apiTimes: { lastScaleTime: at(321.0) } },
    { at: at(322.0), source: 'watch', type: 'DELETED', object: 'Pod/shakedown/cpu-burner-5f7c9-uvwxy', message: 'pod deleted', apiTimes: { deletionTimestamp: at(321.5) } },
  ];

  const checks: CheckRecord[] = [
    { name: 'metrics API serves pod metrics', phase: 'preflight', status: 'passed', expected: 'metrics.k8s.io/v1beta1 available', observed: 'available, 4 pods reported', evidence: { apiService: 'v1beta1.metrics.k8s.io' }, at: at(1.0) },
    { name: 'target has cpu requests', phase: 'preflight', status: 'passed', expected: 'every container requests cpu', observed: 'cpu-burner: 100m', evidence: { requests: { 'cpu-burner': '100m' } }, at: at(1.1) },
    { name: 'scaled out within 120s', phase: 'verify', status: 'passed', expected: 'replicas > 1 within 120s of load start', observed: 'first scale after 36.2s', evidence: { loadStartedAt: at(30), firstScaleAt: at(66.2) }, at: at(270) },
    { name: 'replicas follow the formula', phase: 'verify', status: 'passed', expected: 'ceil(current × utilisation / target) within tolerance 0.1', observed: 'matched at 25 of 26 syncs', evidence: { tolerance: 0.1, mismatches: [{ at: at(65), predicted: 4, actual: 2 }] }, at: at(271) },
    { name: 'no load process survives', phase: 'verify', status: 'passed', expected: 'no sha256sum process in any target pod', observed: 'none found in 5 pods', evidence: { pods: 5, command: 'pgrep -f sha256sum' }, at: at(272) },
    { name: 'scaled in within 120s', phase: 'verify', status: 'failed', expected: 'back to 1 replica within 120s of load stop', observed: 'still 4 replicas after 183s | stabilisation window not shortened?', evidence: { loadStoppedAt: at(210), replicasAt: { [at(393)]: 4 }, hpa: 'shakedown/cpu-burner' }, at: at(393) },
  ];

  const verdict: Verdict = {
    kind: 'failed',
    summary: '1 of 6 checks failed: the HPA did not scale in in time',
    findings: ['scaled in within 120s'],
  };

  return {
    schema: JOURNAL_SCHEMA,
    runId: 'r7k2q9',
    experiment: { name: 'hpa-cpu', description: 'HPA scales out under CPU load and back in after it' },
    parameters: { namespace: 'shakedown', deployment: 'cpu-burner', targetUtilization: 50, scaleOutWithin: '120s', loadPods: 1 },
    environment,
    startedAt: at(0),
    endedAt: at(410),
    status: 'completed',
    phases: [
      phase('preflight', 0, 1.2, [
        { name: 'metrics-api', kind: 'probe', description: 'metrics API answers', startedAt: at(0.1), endedAt: at(1.0), status: 'ok' },
        { name: 'cpu-requests', kind: 'probe', description: 'target requests cpu', startedAt: at(1.0), endedAt: at(1.1), status: 'ok' },
      ]),
      phase('setup', 1.2, 20, [
        { name: 'apply-fixtures', kind: 'action', description: 'deploy cpu-burner and its HPA', startedAt: at(1.2), endedAt: at(19.8), status: 'ok' },
      ]),
      phase('steady-state-before', 20, 25, [
        { name: 'baseline-replicas', kind: 'probe', description: 'record baseline replicas', startedAt: at(20), endedAt: at(24.9), status: 'ok', message: '1 replica' },
      ]),
      phase('inject', 25, 265, [
        { name: 'cpu-load', kind: 'fault', description: 'sha256sum /dev/zero in 1 pod for 180s', startedAt: at(30), endedAt: at(210), status: 'ok' },
        { name: 'hpa-sampler', kind: 'observer', description: 'sample HPA status every sync', startedAt: at(20), endedAt: at(395), status: 'ok' },
      ]),
      phase('verify', 265, 400, [
        { name: 'scale-in', kind: 'check', description: 'wait for scale-in', startedAt: at(270), endedAt: at(393), status: 'failed', message: 'still 4 replicas' },
      ]),
      phase('rollback', 400, 402, []),
      phase('teardown', 402, 410, []),
    ],
    events,
    checks,
    series: [
      { name: 'actual', unit: 'replicas', group: 'replicas', points: replicas },
      { name: 'predicted (formula)', unit: 'replicas', group: 'replicas', points: predicted },
      { name: 'average utilisation %', unit: '%', group: 'cpu', points: cpu },
    ],
    windows: [{ name: 'cpu load', start: at(30), end: at(210) }],
    metrics: [{ name: 'firstScaleOut', unit: 'ms', samples: [36200], target: 'Deployment shakedown-hpa/shakedown-cpu' }],
    measurements: [
      { name: 'time to first scale', value: 36.2, unit: 's', description: 'load start → first replica change' },
      { name: 'time to peak', value: 51.3, unit: 's' },
      { name: 'peak replicas', value: 5, unit: 'replicas' },
    ],
    tables: [
      {
        title: 'HPA decisions',
        columns: ['at', 'current', 'desired', 'cpu %', 'predicted'],
        rows: [
          [at(65), 2, 4, 180, 4],
          [at(80), 4, 5, 120, 5],
          [at(320), 5, 4, 5, 1],
          [at(335), 4, 4, null, 1],
        ],
      },
    ],
    changes: [],
    teardowns: [],
    rollbacks: [
      { name: 'stop cpu load', startedAt: at(400), endedAt: at(400.8), status: 'ok' },
      { name: 'delete fixtures', startedAt: at(400.8), endedAt: at(402), status: 'ok' },
    ],
    verdict,
  };
}

/** A statefulset-identity run: each pod deleted and recreated with its identity; everything held. */
export function sampleStatefulSetJournal(): Journal {
  const events: EventRecord[] = [];
  const checks: CheckRecord[] = [];
  const rows: (string | number | null)[][] = [];
  ['web-0', 'web-1', 'web-2'].forEach((pod, i) => {
    const t = 30 + i * 40;
    const object = `Pod/shop/${pod}`;
    events.push(
      { at: at(t), source: 'harness', type: 'pod-deleted', object, message: `deleted ${pod} (grace 30s)`, data: { uid: `uid-old-${i}` } },
      { at: at(t + 0.2), source: 'watch', type: 'MODIFIED', object, message: 'terminating', apiTimes: { deletionTimestamp: at(t + 0.1) } },
      { at: at(t + 2.1), source: 'watch', type: 'DELETED', object, message: 'pod gone' },
      { at: at(t + 2.4), source: 'watch', type: 'ADDED', object, message: 'recreated with a new UID', data: { uid: `uid-new-${i}` } },
      { at: at(t + 9.8), source: 'watch', type: 'MODIFIED', object, message: 'Ready=True', apiTimes: { lastTransitionTime: at(t + 9.7) } },
    );
    for (const name of ['same identity', 'same claim', 'data intact', 'recovered within 60s']) {
      checks.push({
        name,
        phase: 'verify',
        status: 'passed',
        expected: name === 'recovered within 60s' ? 'Ready within 60s' : `${name} after recreation`,
        observed: name === 'recovered within 60s' ? 'Ready after 9.8s' : 'as before',
        evidence: { pod, oldUid: `uid-old-${i}`, newUid: `uid-new-${i}`, pvc: `data-${pod}` },
        at: at(t + 12),
        target: pod,
      });
    }
    rows.push([pod, `uid-old-${i}`, `uid-new-${i}`, `data-${pod}`, 9.8]);
  });
  return {
    schema: JOURNAL_SCHEMA,
    runId: 'x3m8p1',
    experiment: { name: 'statefulset-identity', description: 'StatefulSet pods keep name, storage and DNS across deletion' },
    parameters: { namespace: 'shop', statefulset: 'web', pick: 'each' },
    environment,
    startedAt: at(0),
    endedAt: at(170),
    status: 'completed',
    phases: [
      phase('preflight', 0, 1),
      phase('steady-state-before', 1, 25),
      phase('inject', 25, 150),
      phase('verify', 150, 160),
      phase('rollback', 160, 161),
      phase('teardown', 161, 170),
    ],
    events,
    checks,
    series: [],
    windows: [{ name: 'pod deletions', start: at(30), end: at(120) }],
    metrics: [{ name: 'readyAfterDelete', unit: 'ms', samples: [9800, 3100, 2900], target: 'StatefulSet shakedown-sts/web' }],
    measurements: [
      { name: 'time to recreate (max)', value: 2.4, unit: 's' },
      { name: 'time to Ready (max)', value: 9.8, unit: 's' },
    ],
    tables: [{ title: 'Pod identities', columns: ['pod', 'old UID', 'new UID', 'PVC', 'ready after (s)'], rows }],
    changes: [],
    teardowns: [],
    rollbacks: [],
    verdict: { kind: 'passed', summary: 'all 12 checks held' },
  };
}

/** An istio-mtls run with a probe matrix; the run broke while restoring the original policy. */
export function sampleIstioJournal(): Journal {
  const events: EventRecord[] = [];
  const matrix: [string, string, (t: number) => string][] = [
    ['in-mesh', 'orders', () => 'success'],
    ['out-of-mesh', 'orders', (t) => (t < 50 ? 'success' : 'rejected')],
    ['host', 'orders:30080', (t) => (t < 55 ? 'success' : 'rejected')],
  ];
  for (let t = 30; t <= 90; t += 5) {
    for (const [client, target, outcome] of matrix) {
      events.push({ at: at(t), source: 'probe', type: 'probe', message: `${client} → ${target}: ${outcome(t)}`, data: { client, target, outcome: outcome(t) } });
    }
  }
  events.push({ at: at(40), source: 'harness', type: 'policy-applied', object: 'PeerAuthentication/shop/default', message: 'mode STRICT' });
  return {
    ...sampleStatefulSetJournal(),
    runId: 'm2t5k0',
    experiment: { name: 'istio-mtls', description: 'STRICT mTLS rejects plaintext' },
    parameters: { namespace: 'shop', scope: 'namespace' },
    endedAt: at(120),
    events,
    checks: [],
    windows: [{ name: 'STRICT', start: at(40), end: at(95) }],
    measurements: [],
    metrics: [],
    tables: [],
    changes: [],
    teardowns: [],
    rollbacks: [{ name: 'restore PeerAuthentication shop/default', startedAt: at(100), endedAt: at(101), status: 'failed', error: 'conflict: the object has been modified' }],
    verdict: {
      kind: 'error',
      summary: 'the run could not restore the original policy',
      phase: 'rollback',
      code: 'REVERT',
      message: 'PeerAuthentication shop/default: 409 Conflict',
    },
  };
}
