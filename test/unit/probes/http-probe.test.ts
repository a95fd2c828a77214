// The host probe's classification against real loopback servers: each way a connection can end.
import assert from 'node:assert/strict';
import { probeHttp } from '../../../harness/probes/http-probe.ts';
import { isBroken, isRejected, isServed, outcomeLabel } from '../../../harness/probes/outcome.ts';
import { startServers, type Servers } from './servers.ts';

describe('probes/http-probe (host → port, raw socket)', () => {
  let s: Servers;
  before(async () => {
    s = await startServers();
  });
  after(() => s.close());

  const get = (port: number, extra: { path?: string; tls?: boolean; timeoutMs?: number } = {}) =>
    probeHttp({ host: '127.0.0.1', port, timeoutMs: 2_000, ...extra });

  it('a reset is "reset" and counts as rejected', async () => {
    const o = await get(s.reset);
    assert.equal(o.kind, 'reset', JSON.stringify(o));
    assert.ok(isRejected(o) && !isBroken(o) && !isServed(o));
  });

  it('a close without a response is "closed" and counts as rejected', async () => {
    const o = await get(s.closed);
    assert.equal(o.kind, 'closed', JSON.stringify(o));
    assert.ok(isRejected(o));
  });

  it('a refused port is "refused": broken, not rejected', async () => {
    const o = await get(s.refused);
    assert.equal(o.kind, 'refused', JSON.stringify(o));
    assert.ok(isBroken(o) && !isRejected(o));
  });

  it('plaintext to a TLS server is closed without a response (rejected); TLS to it is a TLS error (self-signed)', async () => {
    const plain = await get(s.tls);
    assert.equal(plain.kind, 'closed', JSON.stringify(plain));
    const secure = await get(s.tls, { tls: true });
    assert.equal(secure.kind, 'tls-error', JSON.stringify(secure));
    assert.match(secure.detail, /SELF_SIGNED|self.signed/i);
    assert.ok(!isRejected(secure) && !isBroken(secure) && !isServed(secure));
  });

  it('TLS to a plaintext HTTP server is a TLS error', async () => {
    const o = await get(s.ok, { tls: true });
    assert.equal(o.kind, 'tls-error', JSON.stringify(o));
  });

  it('an HTTP answer is its status, with the Server header; 5xx is not "served"', async () => {
    const o = await get(s.ok);
    assert.deepEqual([o.kind, outcomeLabel(o), o.kind === 'http' ? o.server : ''], ['http', '200', 'envoy']);
    assert.ok(isServed(o));
    const nf = await get(s.notFound);
    assert.equal(outcomeLabel(nf), '404');
    assert.ok(isServed(nf), 'a 404 was served: the connection was accepted');
    const unavailable = await get(s.notFound, { path: '/503' });
    assert.equal(outcomeLabel(unavailable), '503');
    assert.ok(!isServed(unavailable) && !isRejected(unavailable));
  });

  it('a server that never answers is a timeout within the bound: broken', async () => {
    const t0 = Date.now();
    const o = await get(s.silent, { timeoutMs: 300 });
    assert.equal(o.kind, 'timeout');
    assert.ok(isBroken(o));
    assert.ok(Date.now() - t0 < 2_000);
  });

  it('a cancelled probe ends at once as "error"', async () => {
    const ac = new AbortController();
    const p = probeHttp({ host: '127.0.0.1', port: s.silent, timeoutMs: 10_000, signal: ac.signal });
    ac.abort();
    const o = await p;
    assert.equal(o.kind, 'error');
  });
});
