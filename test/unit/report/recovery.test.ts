// What a room reads after a game day: per-pod recovery bars at the top of report.html (with the
// bound as a rule), and only the parameters that were in effect.
import assert from 'node:assert/strict';
import { JOURNAL_SCHEMA, type Journal } from '../../../harness/journal/schema.ts';
import { paramsInEffect } from '../../../harness/report/format.ts';
import { renderHtml } from '../../../harness/report/html.ts';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const t = (s: number) => new Date(T0 + s * 1000).toISOString();

function journal(over: Partial<Journal> = {}): Journal {
  return {
    schema: JOURNAL_SCHEMA, runId: 'rrecov0001', experiment: { name: 'statefulset-identity', description: '' },
    parameters: { namespace: 'shop', image: 'busybox:1.36', recoveryWithin: '60s', load: 'off', loadRate: 20, loadTimeout: '2s' },
    environment: { shakedownVersion: '0', node: 'v24', platform: 'linux', hostname: 'h' }, startedAt: t(0), endedAt: t(30), status: 'completed',
    phases: [{ phase: 'setup', startedAt: t(0), endedAt: t(1), status: 'ok', steps: [{ name: 'deploy-fixture', kind: 'fixture', description: 'server-side apply the fixture', startedAt: t(0), endedAt: t(1), status: 'ok' }] }],
    events: [
      { at: t(2), source: 'watch', type: 'ADDED', object: 'Pod/shop/orders-0', message: '', data: { uid: 'a', ready: true } },
      { at: t(10), source: 'fault', type: 'pod-delete-requested', object: 'Pod/shop/orders-0', message: '' },
      { at: t(11), source: 'watch', type: 'DELETED', object: 'Pod/shop/orders-0', message: '', data: { uid: 'a', ready: false } },
      { at: t(11.5), source: 'watch', type: 'ADDED', object: 'Pod/shop/orders-0', message: '', data: { uid: 'b', ready: false } },
      { at: t(14), source: 'watch', type: 'MODIFIED', object: 'Pod/shop/orders-0', message: '', data: { uid: 'b', ready: true } },
      { at: t(15), source: 'probe', type: 'dns-updated', object: 'Pod/shop/orders-0', message: '' },
    ],
    checks: [], series: [], windows: [], measurements: [], tables: [], changes: [], rollbacks: [], teardowns: [], metrics: [],
    verdict: { kind: 'passed', summary: 'ok' },
    ...over,
  };
}

describe('report: recovery bars and the parameters in effect', function () {
  this.timeout(30_000);

  it('draws one bar row per deleted pod, segment by segment, with the bound as a rule, above the summary', async () => {
    const html = await renderHtml(journal());
    const recovery = html.indexOf('id="recovery"');
    assert.ok(recovery > 0 && recovery < html.indexOf('id="summary"'), 'the recovery section comes before the summary');
    const section = html.slice(recovery, html.indexOf('</section>', recovery));
    assert.match(section, /Recovery per pod \(seconds after its deletion; bound 60 s\)/);
    assert.match(section, /orders-0/);
    for (const segment of ['terminating', 'awaiting replacement', 'DNS catching up']) assert.ok(section.includes(segment), segment);
  });

  it('has no recovery section when no pod was deleted', async () => {
    const html = await renderHtml(journal({ events: [] }));
    assert.ok(html.includes('id="summary"'));
    assert.ok(!html.includes('id="recovery"'));
  });

  it('leaves out load* when load was off and the fixture image when a user\'s workload was the target', () => {
    assert.deepEqual(paramsInEffect(journal()).map(([k]) => k), ['namespace', 'image', 'recoveryWithin', 'load']);
    const withLoad = journal({ parameters: { ...journal().parameters, load: 'builtin' } });
    assert.deepEqual(paramsInEffect(withLoad).map(([k]) => k), ['namespace', 'image', 'recoveryWithin', 'load', 'loadRate', 'loadTimeout']);
    const user = journal();
    user.phases[0]!.steps[0]!.description = 'nothing to deploy: testing an existing StatefulSet';
    assert.deepEqual(paramsInEffect(user).map(([k]) => k), ['namespace', 'recoveryWithin', 'load']);
  });
});
