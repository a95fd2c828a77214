// The live view's feed and server on loopback: the token guards every path, another Host is
// refused, the stream starts from a snapshot and carries what changed, Abort calls back, and
// close() ends the streams. The journal is one the test writes, as the runner would.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { JOURNAL_SCHEMA, type Journal } from '../../../harness/journal/schema.ts';
import { LiveFeed, type LiveMessage } from '../../../harness/live/feed.ts';
import { startLiveServer, type LiveServer } from '../../../harness/live/server.ts';

function journal(): Journal {
  return {
    schema: JOURNAL_SCHEMA, runId: 'rtest00001', experiment: { name: 'demo', description: 'a demo' }, parameters: {},
    environment: { shakedownVersion: '0', node: 'v24', platform: 'linux', hostname: 'h' }, startedAt: new Date().toISOString(), status: 'running',
    phases: [{ phase: 'inject', startedAt: new Date().toISOString(), steps: [{ name: 'delete-pods', kind: 'fault', description: 'delete them', startedAt: new Date().toISOString() }] }],
    events: [], checks: [], series: [], windows: [], measurements: [], tables: [], changes: [], rollbacks: [], teardowns: [], metrics: [],
  };
}

/** A raw GET with the Host header as given (fetch sets its own). */
const get = (port: number, path: string, host = `127.0.0.1:${port}`) =>
  new Promise<number>((resolve, reject) => request({ host: '127.0.0.1', port, path, headers: { host } }, (r) => { r.resume(); resolve(r.statusCode ?? 0); }).on('error', reject).end());

/** Reads SSE messages from the stream until `until` holds for one. */
async function messages(url: string, until: (m: LiveMessage) => boolean, seen: LiveMessage[] = []): Promise<LiveMessage[]> {
  const r = await fetch(url);
  let buf = '';
  for await (const chunk of r.body!) {
    buf += Buffer.from(chunk).toString();
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!line.startsWith('data: ')) continue;
      const m = JSON.parse(line.slice(6)) as LiveMessage;
      seen.push(m);
      if (until(m)) return seen;
    }
  }
  return seen;
}

describe('live: feed and server', () => {
  let server: LiveServer | undefined;
  afterEach(async () => server?.close());

  it('guards every path with the token and the loopback Host, and serves the page and the chart libraries', async () => {
    const feed = new LiveFeed();
    server = await startLiveServer({ feed, onAbort: () => {} });
    const { origin, pathname } = new URL(server.url);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}\/$/);
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(await page.text(), /<button id="abort"/);
    for (const lib of ['vega.min.js', 'vega-lite.min.js', 'live.js']) {
      const r = await fetch(`${server.url}${lib}`);
      assert.equal(r.status, 200, lib);
      assert.ok((await r.text()).length > 1000, `${lib} has content`);
    }
    for (const path of ['/', '/x/', '/x/events', `${pathname.slice(0, -2)}/`, '/favicon.ico']) assert.equal((await fetch(`${origin}${path}`)).status, 403, path);
    assert.equal(await get(server.port, pathname, `evil.example:${server.port}`), 403, 'a rebound name is refused');
    assert.equal(await get(server.port, pathname), 200);
    assert.equal((await fetch(`${origin}${pathname.slice(0, -1)}`, { redirect: 'manual' })).status, 308);
  });

  it('streams a snapshot, then what changed; Abort calls back (not from another origin); close ends the stream', async () => {
    const feed = new LiveFeed(10);
    let aborts = 0;
    server = await startLiveServer({ feed, onAbort: () => aborts++ });
    const j = journal();
    feed.watch.started(j);
    const seen: LiveMessage[] = [];
    const reading = messages(`${server.url}events`, (m) => m.done === true, seen);
    // The snapshot first.
    while (seen.length === 0) await new Promise((r) => setImmediate(r));
    assert.equal(seen[0]!.reset, true);
    assert.equal(seen[0]!.parts?.run?.runId, 'rtest00001');
    assert.equal(seen[0]!.parts?.current?.name, 'delete-pods');
    j.checks.push({ name: 'ready', phase: 'inject', status: 'passed', expected: 'e', observed: 'o', evidence: { secret: 'not-for-the-page' }, at: new Date().toISOString() });
    j.events.push({ at: new Date().toISOString(), source: 'fault', type: 'pod-delete', object: 'Pod/ns/web-0', message: 'deleting web-0' });
    feed.watch.changed();
    feed.flush();
    assert.equal((await fetch(`${server.url}abort`, { method: 'POST', headers: { origin: 'http://evil.example' } })).status, 403);
    assert.equal(aborts, 0);
    assert.equal((await fetch(`${server.url}abort`, { method: 'POST' })).status, 202);
    assert.equal(aborts, 1);
    j.status = 'completed';
    feed.report('rtest00001', 'passed', '<html>report</html>');
    feed.done();
    await reading;
    const delta = seen.find((m) => m.checks?.length);
    assert.ok(delta, 'a message carried the new check');
    assert.deepEqual(delta.checks!.map((c) => c.name), ['ready']);
    assert.ok(!JSON.stringify(seen).includes('not-for-the-page'), 'check evidence stays out of the stream');
    assert.deepEqual(delta.parts?.pods?.map((p) => [p.pod, p.state]), [['web-0', 'deleting']]);
    assert.equal(delta.parts?.run, undefined, 'parts that did not change are not sent again');
    assert.equal(seen.find((m) => m.report)?.report?.html, '<html>report</html>');
    // A page opened after the end gets the report at once.
    assert.equal(feed.snapshot().report?.runId, 'rtest00001');
    await server.close();
    server = undefined;
  });
});
