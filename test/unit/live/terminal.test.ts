// The terminal's live block: what it says of a run in the middle of its fault, and that it is
// cleared before every progress line and redrawn after it (so lines scroll above it).
import assert from 'node:assert/strict';
import { JOURNAL_SCHEMA, type Journal } from '../../../harness/journal/schema.ts';
import { silentProgress } from '../../../harness/engine/progress.ts';
import { liveParts } from '../../../harness/live/model.ts';
import { blockLines, terminalView } from '../../../harness/live/terminal.ts';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const t = (s: number) => new Date(T0 + s * 1000).toISOString();

function midFault(): Journal {
  return {
    schema: JOURNAL_SCHEMA, runId: 'rterm00001', experiment: { name: 'demo', description: '' }, parameters: {},
    environment: { shakedownVersion: '0', node: 'v24', platform: 'linux', hostname: 'h' }, startedAt: t(0), status: 'running',
    phases: [{ phase: 'inject', startedAt: t(10), steps: [{ name: 'delete-pod', kind: 'fault', description: 'delete', startedAt: t(11) }] }],
    events: [
      { at: t(1), source: 'watch', type: 'ADDED', object: 'Pod/ns/web-0', message: '', data: { uid: 'a', ready: true } },
      { at: t(12), source: 'fault', type: 'pod-delete-requested', object: 'Pod/ns/web-0', message: '' },
      { at: t(13), source: 'watch', type: 'DELETED', object: 'Pod/ns/web-0', message: '', data: { uid: 'a', ready: false } },
    ],
    checks: [],
    series: [
      { name: 'sent', group: 'load: requests/s', unit: 'req/s', points: [{ at: t(12), value: 50 }] },
      { name: 'errors', group: 'load: requests/s', unit: 'req/s', points: [{ at: t(12), value: 3 }] },
      { name: 'p95', group: 'load: latency', unit: 'ms', points: [{ at: t(12), value: 52.44 }] },
    ],
    windows: [], measurements: [], tables: [],
    changes: [{ id: 1, at: t(11), description: 'replicas back to 2', undo: { kind: 'replicas', workload: 'StatefulSet', namespace: 'ns', name: 'web', replicas: 2 }, status: 'applied' }],
    rollbacks: [], teardowns: [], metrics: [],
  };
}

describe('live: the terminal block', () => {
  it('names the step, each pod with its state and time since deletion, the load second and the changes', () => {
    const lines = blockLines(liveParts(midFault()), T0 + 15_000);
    assert.deepEqual(lines, [
      '▸ inject › delete-pod  4.0s   (run 15.0s)',
      '  pods   web-0 gone +1.0s',
      '  load   50 req/s  3 errors  p95 52.4 ms',
      '  changes 1 (0 undone)',
    ]);
  });

  it('clears the block before a progress line and draws it again after it, and leaves none behind at the end', () => {
    let out = '';
    const lines: string[] = [];
    const base = { ...silentProgress, message: (text: string) => lines.push(text) };
    const view = terminalView((s) => (out += s), base, { columns: () => 200, color: false });
    view.watch.started(midFault());
    view.progress.message('one');
    const firstBlock = out;
    assert.match(firstBlock, /▸ inject › delete-pod/);
    out = '';
    view.progress.message('two');
    assert.ok(out.startsWith('\x1b[5A\x1b[0J'), `the 5-line block is cleared first: ${JSON.stringify(out.slice(0, 12))}`);
    assert.match(out, /▸ inject › delete-pod[^]*checks 0 passed/);
    out = '';
    view.progress.runEnded({ experiment: 'demo', runId: 'rterm00001', verdict: { kind: 'passed', summary: 'ok' } });
    assert.equal(out, '\x1b[5A\x1b[0J', 'the block is cleared at the end, nothing drawn after');
    assert.deepEqual(lines, ['one', 'two']);
  });
});
