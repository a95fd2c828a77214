// Every API request has its own bound: a server that accepts the connection and never answers
// (a hung API server) fails the request at the bound instead of hanging the run.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterSession } from '../../../harness/cluster/session.ts';

describe('API request timeout', function () {
  this.timeout(20_000);
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;

  before(async () => {
    server = createServer((s) => sockets.push(s)); // accepts, reads nothing, answers nothing
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it('a request to a server that never answers fails at the session bound', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'kind-hung', cluster: 'c', user: 'u' }],
      currentContext: 'kind-hung',
    });
    const session = new ClusterSession({ kubeConfig: kc, context: 'kind-hung', server: `http://127.0.0.1:${port}`, source: 'test' }, { requestTimeoutMs: 700 });
    const t0 = Date.now();
    await assert.rejects(session.core.listNode(), (err: Error) => /abort|timeout/i.test(`${err.name} ${err.message}`));
    const took = Date.now() - t0;
    assert.ok(took >= 600 && took < 5000, `failed after ${took} ms`);
    assert.ok(sockets.length >= 1, 'the request reached the server');
  });
});
