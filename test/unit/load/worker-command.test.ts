// `shakedown load-worker` against a real loopback server: its lines in order (started, one per
// second, done), its share of the rates, SIGTERM stopping it as the harness's stop does, and
// its flags refused by name.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { UsageError } from '../../../harness/engine/errors.ts';
import { loadWorker, parseWorkerOptions } from '../../../harness/load/workers/command.ts';
import { parseLine, type WorkerLine } from '../../../harness/load/workers/protocol.ts';
import { httpServer, type TestServer } from './servers.ts';

describe('load workers: the worker command', function () {
  this.timeout(20_000);
  let server: TestServer;
  before(async () => {
    server = await httpServer(200);
  });
  after(() => server.close());

  const run = async (flags: Partial<Parameters<typeof loadWorker>[0]>, signals = new EventEmitter(), onText: (t: string) => void = () => {}) => {
    let out = '';
    const stdout = (t: string) => {
      out += t;
      onText(t);
    };
    const code = await loadWorker({ url: server.url, rates: '4,6', index: '1', duration: '2500ms', timeout: '1s', waitServed: '5s', ...flags }, { stdout, stderr: () => {} }, signals);
    const lines = out.split('\n').filter(Boolean);
    return { code, lines: lines.map((l) => parseLine(l)), raw: lines };
  };

  it('prints started, one line per second of its share, and done, every one a line of the protocol', async () => {
    const { code, lines, raw } = await run({});
    assert.equal(code, 0);
    assert.ok(lines.length >= 4, raw.join('\n'));
    assert.ok(lines.every((l): l is WorkerLine => l !== undefined && l.index === 1), 'every line parses, for worker 1');
    const [first, ...rest] = lines;
    const last = rest.pop()!;
    assert.equal(first!.type, 'started');
    assert.equal(first!.type === 'started' && first!.rate, 6, "worker 1's share");
    assert.equal(first!.type === 'started' && first!.maxRequests, 15);
    assert.ok(rest.length > 0 && rest.every((l) => l.type === 'second'));
    assert.equal(last.type, 'done');
    const seconds = rest.filter((l) => l.type === 'second');
    assert.equal(seconds.reduce((n, s) => n + s.outcomes['2xx'], 0), 15);
    assert.equal(last.type === 'done' && last.totals.outcomes['2xx'], 15);
    assert.equal(last.type === 'done' && last.reason, 'ran its full duration');
  });

  it('stops on SIGTERM: no more requests, its last line says the harness stopped it', async () => {
    const signals = new EventEmitter();
    // Once its first second is out, the harness "deletes the Job".
    const { code, lines } = await run({ duration: '60s' }, signals, (t) => {
      if (parseLine(t)?.type === 'second') signals.emit('SIGTERM');
    });
    assert.equal(code, 0);
    const last = lines.at(-1);
    assert.equal(last?.type, 'done');
    assert.equal(last?.type === 'done' && last.reason, 'stopped by SIGTERM');
    assert.ok(last?.type === 'done' && last.totals.sent < 60 * 6, 'far fewer than a minute of requests');
  });

  it('refuses bad flags by name', () => {
    const base = { url: 'http://web.shop.svc:8080/', rates: '7,7,6', duration: '1m', timeout: '2s', waitServed: '60s' };
    assert.equal(parseWorkerOptions({ ...base }, { JOB_COMPLETION_INDEX: '2' }).rate, 6);
    const field = (o: Partial<typeof base> & { index?: string }, env: NodeJS.ProcessEnv = {}) => {
      try {
        parseWorkerOptions({ ...base, ...o }, env);
      } catch (err) {
        assert.ok(err instanceof UsageError);
        return err.field;
      }
      return 'accepted';
    };
    assert.equal(field({}), '--index', 'no index and no JOB_COMPLETION_INDEX');
    assert.equal(field({ index: '3' }), '--index');
    assert.equal(field({ index: '0', rates: '7,x' }), '--rates');
    assert.equal(field({ index: '0', url: 'http://example.com/' }), '--url');
    assert.equal(field({ index: '0', duration: 'soon' }), '--duration');
    assert.equal(field({ index: '0' }), 'accepted');
    assert.equal(field({ index: '0', waitServed: '0s' }), 'accepted', 'no wait for the target');
    assert.equal(field({ index: '0', timeout: '0s' }), '--timeout');
  });
});
