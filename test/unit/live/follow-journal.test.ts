// `shakedown attach` from a journal: a run whose process is gone without a verdict is reported
// as such at once, not waited on until --timeout; a live writer, or one on another host, is not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { followJournal, writerGone } from '../../../harness/live/attach.ts';
import type { Journal } from '../../../harness/journal/schema.ts';
import { sampleStatefulSetJournal } from '../report/sample-journal.ts';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.ok(r.pid && r.status === 0);
  return r.pid;
}

function running(pid: number, host = hostname()): Journal {
  const j = sampleStatefulSetJournal();
  return { ...j, status: 'running', environment: { ...j.environment, hostname: host, pid } };
}

describe('attach: a journal whose writer is gone', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'shakedown-follow-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('knows a writer on this host by its pid: gone once it exited, not while it runs, never for another host or an old journal without a pid', () => {
    const dead = deadPid();
    assert.equal(writerGone(running(dead)), true);
    assert.equal(writerGone(running(process.pid)), false);
    assert.equal(writerGone(running(dead, `${hostname()}-elsewhere`)), false);
    const old = sampleStatefulSetJournal();
    assert.equal(old.environment.pid, undefined);
    assert.equal(writerGone(old), false);
  });

  it('ends with "died" when the run never completes and its process is gone, long before its own bound', async () => {
    const path = join(dir, 'journal.json');
    writeFileSync(path, JSON.stringify(running(deadPid())));
    const lines: string[] = [];
    const r = await followJournal(path, (l) => lines.push(l), AbortSignal.timeout(20_000));
    assert.equal(r, 'died');
    assert.ok(lines.length > 0, 'what the journal held was printed first');
  });

  it('keeps following a running journal whose writer lives, until the signal', async () => {
    const path = join(dir, 'journal.json');
    writeFileSync(path, JSON.stringify(running(process.pid)));
    const stop = new AbortController();
    const followed = followJournal(path, () => undefined, stop.signal);
    // Three polls of an unchanged journal (one a second) with its writer alive: still following.
    const settled = await Promise.race([followed.then(() => 'settled'), new Promise((r) => setTimeout(r, 3_500, 'following'))]);
    stop.abort();
    assert.equal(settled, 'following');
    assert.equal(await followed, undefined);
  });
});
