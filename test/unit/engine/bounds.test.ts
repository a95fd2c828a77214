// What a run keeps in memory stays bounded however many pods it follows and however long: the
// journal's events, the watch's events per pod incarnation, and what a watch holds per object.
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { skeleton } from '../../../harness/cluster/watch.ts';
import { silentProgress } from '../../../harness/engine/progress.ts';
import { MAX_JOURNAL_EVENTS, journalRecorder } from '../../../harness/engine/recorder.ts';
import type { Journal } from '../../../harness/journal/schema.ts';
import { JournalWriter } from '../../../harness/journal/writer.ts';
import { MAX_JOURNALED_PER_INCARNATION, PodLifecycle } from '../../../harness/observe/pod-lifecycle.ts';
import type { ClusterSession } from '../../../harness/cluster/session.ts';
import type { WatchEvent } from '../../../harness/cluster/watch.ts';

function emptyJournal(): Journal {
  return { events: [], checks: [], series: [], windows: [], measurements: [], tables: [], environment: {} } as unknown as Journal;
}

function recorder(journal = emptyJournal()) {
  return { journal, record: journalRecorder(journal, new JournalWriter(journal, undefined), silentProgress, () => 'inject') };
}

const pod = (name: string, uid: string, o: { phase?: string; ready?: boolean; ip?: string; terminating?: boolean; rv: number; bulk?: number }): V1Pod => ({
  metadata: { name, uid, namespace: 'ns', resourceVersion: String(o.rv), ...(o.terminating ? { deletionTimestamp: new Date() } : {}), annotations: { bulk: 'x'.repeat(o.bulk ?? 0) } },
  spec: { containers: [], nodeName: 'node-1' },
  status: { phase: o.phase ?? 'Pending', ...(o.ip ? { podIP: o.ip } : {}), conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }] },
});

/** A PodLifecycle fed by hand, as the watch would feed it. */
function fed() {
  const { journal, record } = recorder();
  const lc = new PodLifecycle({} as ClusterSession, 'ns', 'app=x', record);
  const feed = (type: WatchEvent<V1Pod>['type'], object: V1Pod) =>
    (lc as unknown as { onEvent(e: WatchEvent<V1Pod>): void }).onEvent({ type, object, receivedAt: new Date().toISOString(), receivedAtMs: Date.now() });
  return { journal, lc, feed };
}

describe('bounds on what a run keeps', () => {
  it(`the journal keeps at most ${MAX_JOURNAL_EVENTS} events, then one that counts the rest`, () => {
    const { journal, record } = recorder();
    for (let i = 0; i < MAX_JOURNAL_EVENTS + 500; i++) record.event({ source: 'probe', type: 'tick', message: String(i) });
    assert.equal(journal.events.length, MAX_JOURNAL_EVENTS + 1);
    const last = journal.events.at(-1)!;
    assert.equal(last.type, 'events-dropped');
    assert.match(last.message, /^500 more event\(s\) not journaled: the journal keeps at most 20000/);
  });

  it('journals only the watch events that change what is shown of a pod, and always its DELETED', () => {
    const { journal, lc, feed } = fed();
    feed('ADDED', pod('web-0', 'u1', { rv: 1 }));
    // Ten updates that change nothing shown (resourceVersion, an annotation): counted, not journaled.
    for (let rv = 2; rv < 12; rv++) feed('MODIFIED', pod('web-0', 'u1', { rv }));
    feed('MODIFIED', pod('web-0', 'u1', { rv: 12, phase: 'Running', ip: '10.0.0.5' }));
    feed('MODIFIED', pod('web-0', 'u1', { rv: 13, phase: 'Running', ip: '10.0.0.5', ready: true }));
    feed('MODIFIED', pod('web-0', 'u1', { rv: 14, phase: 'Running', ip: '10.0.0.5', ready: true, terminating: true }));
    feed('DELETED', pod('web-0', 'u1', { rv: 15, phase: 'Running', ip: '10.0.0.5', ready: true, terminating: true }));
    assert.deepEqual(journal.events.map((e) => e.type), ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED']);
    assert.match(journal.events.at(-1)!.message, /\(15 watch events, 10 that changed none of this not journaled\)/);
    const inc = lc.incarnations('web-0')[0]!;
    assert.equal(inc.events, 15);
    assert.ok(inc.readyAt !== undefined && inc.terminatingAt !== undefined && inc.deletedAt !== undefined, 'the lifecycle still follows every event');
  });

  it(`a flapping pod journals at most ${MAX_JOURNALED_PER_INCARNATION} events, plus its DELETED`, () => {
    const { journal, lc, feed } = fed();
    for (let rv = 1; rv <= 200; rv++) feed('MODIFIED', pod('web-1', 'u2', { rv, phase: 'Running', ip: '10.0.0.6', ready: rv % 2 === 0 }));
    feed('DELETED', pod('web-1', 'u2', { rv: 201, phase: 'Running', terminating: true }));
    assert.equal(journal.events.length, MAX_JOURNALED_PER_INCARNATION + 1);
    assert.equal(journal.events.at(-1)!.type, 'DELETED');
    assert.equal(lc.incarnations('web-1')[0]!.events, 201);
  });

  it('a watch keeps only the metadata of what it follows, not the object', () => {
    const big = pod('web-2', 'u3', { rv: 7, phase: 'Running', ip: '10.0.0.7', bulk: 100_000 });
    const kept = skeleton(big);
    assert.deepEqual(kept, { metadata: { name: 'web-2', namespace: 'ns', uid: 'u3', resourceVersion: '7', labels: undefined } });
    assert.ok(JSON.stringify(kept).length < 200);
  });
});
