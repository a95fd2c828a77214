// busybox wget's messages read into outcomes: strings captured from busybox 1.35 (Debian's
// busybox-static, the sample image's) against the loopback servers of servers.ts, and the same
// servers probed live when this machine has busybox.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { classifyWget, wgetCommand } from '../../../harness/probes/pod-http.ts';
import { isBroken, isRejected, outcomeLabel } from '../../../harness/probes/outcome.ts';
import { startServers, type Servers } from './servers.ts';

const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

/** Captured with `busybox wget -S -q -O- URL` (exit code, stderr). */
const CAPTURED: { name: string; exitCode: number; stderr: string; label: string }[] = [
  { name: 'reset', exitCode: 1, stderr: 'wget: error getting response: Connection reset by peer\n', label: 'reset' },
  { name: 'closed without response', exitCode: 1, stderr: 'wget: error getting response\n', label: 'closed' },
  { name: 'refused', exitCode: 1, stderr: "wget: can't connect to remote host (127.0.0.1): Connection refused\n", label: 'refused' },
  { name: 'unknown name', exitCode: 1, stderr: "wget: bad address 'nonexistent.invalid'\n", label: 'dns-failure' },
  { name: '200', exitCode: 0, stderr: '  HTTP/1.1 200 OK\n  Date: Wed, 25 Nov 2026 09:44:46 GMT\n  Connection: close\n  Content-Length: 5\n  \n', label: '200' },
  { name: '404', exitCode: 1, stderr: '  HTTP/1.1 404 Not Found\nwget: server returned error: HTTP/1.1 404 Not Found\n', label: '404' },
  { name: '503 without -S', exitCode: 1, stderr: 'wget: server returned error: HTTP/1.1 503 Service Unavailable\n', label: '503' },
  { name: 'killed by busybox timeout (SIGTERM)', exitCode: 143, stderr: '', label: 'timeout' },
  { name: 'killed by GNU timeout', exitCode: 124, stderr: '', label: 'timeout' },
  { name: 'something else', exitCode: 139, stderr: '', label: 'error' },
];

describe('probes/pod-http (busybox wget in a pod)', () => {
  it('bounds wget with timeout and passes the URL as an argument', () => {
    assert.deepEqual(wgetCommand('http://svc.ns.svc.cluster.local:8080/', 5), ['timeout', '5', 'wget', '-S', '-q', '-O', '/dev/null', 'http://svc.ns.svc.cluster.local:8080/']);
  });

  for (const c of CAPTURED) {
    it(`reads "${c.name}" as ${c.label}`, () => {
      assert.equal(outcomeLabel(classifyWget(c)), c.label);
    });
  }

  it('reads the Server header that -S prints (an answer through Envoy)', () => {
    const o = classifyWget({ exitCode: 0, stderr: '  HTTP/1.1 200 OK\n  server: envoy\n  x-envoy-upstream-service-time: 3\n' });
    assert.equal(o.kind === 'http' ? o.server : undefined, 'envoy');
  });

  it('only reset and closed are rejections; refused, timeout, DNS failure and errors are broken probes', () => {
    const by = Object.fromEntries(CAPTURED.map((c) => [c.label, classifyWget(c)]));
    assert.ok(isRejected(by['reset']!) && isRejected(by['closed']!));
    for (const l of ['refused', 'timeout', 'dns-failure', 'error']) assert.ok(isBroken(by[l]!) && !isRejected(by[l]!), l);
  });

  describe('live, with this machine\'s busybox', function () {
    let s: Servers;
    before(async function () {
      if (!BUSYBOX) return this.skip();
      s = await startServers();
    });
    after(() => s?.close());

    /** Runs the same command the pod runs, with busybox's own timeout; a signal death is 128+n as in a container. */
    const run = (port: number, path = '/', seconds = 3) =>
      new Promise<{ exitCode: number; stderr: string }>((resolve) => {
        const [, ...rest] = wgetCommand(`http://127.0.0.1:${port}${path}`, seconds);
        execFile(BUSYBOX!, ['timeout', ...rest.slice(0, 1), BUSYBOX!, ...rest.slice(1)], (err, _out, stderr) => {
          const e = err as (Error & { code?: number; signal?: string }) | null;
          const exitCode = !e ? 0 : typeof e.code === 'number' ? e.code : e.signal === 'SIGTERM' ? 143 : e.signal === 'SIGKILL' ? 137 : -1;
          resolve({ exitCode, stderr });
        });
      });

    it('classifies each server as the captured strings say', async function () {
      this.timeout(20_000);
      const seen = {
        reset: outcomeLabel(classifyWget(await run(s.reset))),
        closed: outcomeLabel(classifyWget(await run(s.closed))),
        refused: outcomeLabel(classifyWget(await run(s.refused))),
        tls: outcomeLabel(classifyWget(await run(s.tls))),
        ok: outcomeLabel(classifyWget(await run(s.ok))),
        notFound: outcomeLabel(classifyWget(await run(s.notFound))),
        unavailable: outcomeLabel(classifyWget(await run(s.notFound, '/503'))),
        silent: outcomeLabel(classifyWget(await run(s.silent, '/', 1))),
      };
      // busybox cannot tell a TLS server from a close: it closes on plaintext without a response.
      assert.deepEqual(seen, { reset: 'reset', closed: 'closed', refused: 'refused', tls: 'closed', ok: '200', notFound: '404', unavailable: '503', silent: 'timeout' });
    });
  });
});
