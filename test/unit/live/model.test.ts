// The live view's parts that only hpa-cpu and istio-mtls produce: the latest value of each
// series (replicas against the formula) and the last outcome of each probe path per stage.
import assert from 'node:assert/strict';
import { JOURNAL_SCHEMA, type Journal } from '../../../harness/journal/schema.ts';
import { currentStep, latestValues, loadSeconds, probeMatrix } from '../../../harness/live/model.ts';

const t = (s: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, s)).toISOString();
const base = (): Journal => ({
  schema: JOURNAL_SCHEMA, runId: 'rmodel0001', experiment: { name: 'x', description: '' }, parameters: {},
  environment: { shakedownVersion: '0', node: 'v24', platform: 'linux', hostname: 'h' }, startedAt: t(0), status: 'running',
  phases: [], events: [], checks: [], series: [], windows: [], measurements: [], tables: [], changes: [], rollbacks: [], teardowns: [], metrics: [],
});

describe('live: the view of HPA series, probe matrices, load and the current step', () => {
  it('keeps the latest value of every non-load series, and the load seconds with their errors and p95', () => {
    const j = base();
    j.series = [
      { name: 'replicas', group: 'replicas', unit: 'pods', points: [{ at: t(1), value: 1 }, { at: t(16), value: 4 }] },
      { name: 'formula', group: 'replicas', unit: 'pods', points: [{ at: t(16), value: 5 }] },
      { name: 'sent', group: 'load: requests/s', unit: 'req/s', points: [{ at: t(2), value: 20 }, { at: t(3), value: 19 }] },
      { name: 'errors', group: 'load: requests/s', unit: 'req/s', points: [{ at: t(3), value: 1 }] },
      { name: 'p95', group: 'load: latency', unit: 'ms', points: [{ at: t(2), value: 4 }] },
    ];
    assert.deepEqual(latestValues(j).map((v) => [v.series, v.value]), [['replicas', 4], ['formula', 5]]);
    assert.deepEqual(loadSeconds(j), [{ at: t(2), sent: 20, errors: 0, p95: 4 }, { at: t(3), sent: 19, errors: 1, p95: undefined }]);
  });

  it('keeps the last outcome of each path in each stage', () => {
    const j = base();
    const probe = (s: number, stage: string, client: string, outcome: string) => ({ at: t(s), source: 'probe', type: 'as-expected', message: '', data: { client, target: 'svc', path: client, stage, outcome, expected: 'x' } });
    j.events = [probe(1, 'STRICT', 'in-mesh', '200'), probe(2, 'STRICT', 'outside', '200'), probe(3, 'STRICT', 'outside', 'reset'), probe(4, 'PERMISSIVE', 'outside', '200')];
    assert.deepEqual(probeMatrix(j).map((p) => [p.stage, p.path, p.outcome]), [['STRICT', 'in-mesh → svc', '200'], ['STRICT', 'outside → svc', 'reset'], ['PERMISSIVE', 'outside → svc', '200']]);
  });

  it('names the running step, the phase between steps, and nothing once the run is over', () => {
    const j = base();
    j.phases = [{ phase: 'rollback', startedAt: t(5), steps: [] }];
    assert.equal(currentStep(j)?.name, 'rollback');
    j.phases = [{ phase: 'inject', startedAt: t(5), steps: [{ name: 'delete-pod', kind: 'fault', description: 'd', startedAt: t(6) }] }];
    assert.equal(currentStep(j)?.name, 'delete-pod');
    j.status = 'completed';
    assert.equal(currentStep(j), undefined);
  });
});
