// A pod's story from the journal's events: a StatefulSet pod recreated under its own name, a
// Deployment's pod replaced under a new one, and a pod that is not back yet.
import assert from 'node:assert/strict';
import type { EventRecord } from '../../../harness/journal/schema.ts';
import { podRows, sinceDeletion } from '../../../harness/live/pods.ts';

const t = (s: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, 0) + s * 1000).toISOString();
const watch = (s: number, type: string, pod: string, uid: string, ready: boolean, terminating = false): EventRecord => ({
  at: t(s), source: 'watch', type, object: `Pod/ns/${pod}`, message: `${type} uid=${uid} ready=${ready}${terminating ? ' terminating' : ''}`, data: { uid, ready },
});

describe('live: pod rows', () => {
  it('follows a StatefulSet pod deleted → gone → recreated → Ready → DNS answered', () => {
    const rows = podRows([
      { at: t(0), source: 'preflight', type: 'target-selected', object: 'StatefulSet/ns/web', message: '2 pods: web-0, web-1' },
      watch(1, 'ADDED', 'web-0', 'a', true),
      watch(1, 'ADDED', 'web-1', 'b', true),
      { at: t(2), source: 'fault', type: 'pod-delete-requested', object: 'Pod/ns/web-0', message: 'delete web-0' },
      watch(2.1, 'MODIFIED', 'web-0', 'a', false, true),
      watch(3, 'DELETED', 'web-0', 'a', false, true),
      watch(3.5, 'ADDED', 'web-0', 'c', false),
    ]);
    assert.deepEqual(rows.map((r) => [r.pod, r.state]), [['web-0', 'recreated'], ['web-1', 'Ready']]);
    const more = podRows([
      watch(1, 'ADDED', 'web-0', 'a', true),
      { at: t(2), source: 'fault', type: 'pod-delete-requested', object: 'Pod/ns/web-0', message: 'delete web-0' },
      watch(3, 'DELETED', 'web-0', 'a', false, true),
      watch(3.5, 'ADDED', 'web-0', 'c', false),
      watch(5, 'MODIFIED', 'web-0', 'c', true),
      { at: t(6), source: 'probe', type: 'dns-updated', object: 'Pod/ns/web-0', message: 'web-0 → 10.0.0.9' },
    ]);
    const r = more[0]!;
    assert.equal(r.state, 'DNS answered');
    assert.equal(r.uid, 'c');
    assert.deepEqual([r.goneAt, r.recreatedAt, r.readyAt, r.dnsAt].map((x) => sinceDeletion(r, x)), [1000, 1500, 3000, 4000]);
  });

  it('a pod still gone stays gone; the old pod turning Ready again is not the replacement', () => {
    const [r] = podRows([
      watch(1, 'ADDED', 'web-0', 'a', true),
      { at: t(2), source: 'fault', type: 'pod-delete-requested', object: 'Pod/ns/web-0', message: '', data: { uid: 'a' } },
      watch(2.5, 'MODIFIED', 'web-0', 'a', true, true),
      watch(3, 'DELETED', 'web-0', 'a', false, true),
    ]);
    assert.equal(r!.state, 'gone');
    assert.equal(r!.readyAt, undefined);
  });

  it("a Deployment's replacement is a row of its own, marked as standing in for the deleted pod", () => {
    const rows = podRows([
      watch(1, 'ADDED', 'app-x', 'a', true),
      watch(1, 'ADDED', 'app-y', 'b', true),
      { at: t(2), source: 'fault', type: 'pod-delete', object: 'Pod/ns/app-x', message: 'deleting app-x', data: { uid: 'a' } },
      watch(2.2, 'ADDED', 'app-z', 'c', false),
      watch(3, 'DELETED', 'app-x', 'a', false, true),
      watch(4, 'MODIFIED', 'app-z', 'c', true),
    ]);
    assert.deepEqual(rows.map((r) => [r.pod, r.state, r.replaces]), [['app-x', 'gone', undefined], ['app-y', 'Ready', undefined], ['app-z', 'Ready again', 'app-x']]);
  });
});
