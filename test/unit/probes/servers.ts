// Real loopback servers for the probe tests, one per way a connection can end.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

export interface Servers {
  /** Resets the connection (RST) as soon as the request arrives: what a STRICT sidecar does. */
  reset: number;
  /** Closes (FIN) without sending anything. */
  closed: number;
  /** Nothing listens here. */
  refused: number;
  /** Speaks TLS with a self-signed certificate. */
  tls: number;
  /** Answers 200 with `Server: envoy`. */
  ok: number;
  /** Answers 404, then 503 for /503. */
  notFound: number;
  /** Accepts and never answers. */
  silent: number;
  close(): Promise<void>;
}

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

/** A throwaway self-signed certificate from openssl. */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'shakedown-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startServers(): Promise<Servers> {
  const servers: Server[] = [];
  const start = async (s: Server) => {
    servers.push(s);
    return listen(s);
  };
  const reset = await start(createTcpServer((s) => s.once('data', () => s.resetAndDestroy())));
  const closed = await start(createTcpServer((s) => s.once('data', () => s.end())));
  const tls = await start(createTlsServer(selfSigned(), (s) => s.end('HTTP/1.1 200 OK\r\n\r\n')));
  const ok = await start(
    createHttpServer((_req, res) => {
      res.setHeader('Server', 'envoy');
      res.end('ok');
    }),
  );
  const notFound = await start(
    createHttpServer((req, res) => {
      res.statusCode = req.url === '/503' ? 503 : 404;
      res.end('no');
    }),
  );
  const silentSockets = new Set<import('node:net').Socket>();
  const silent = await start(
    createTcpServer((s) => {
      silentSockets.add(s);
      s.on('close', () => silentSockets.delete(s));
    }),
  );
  // A port that was just bound and released: nothing listens on it.
  const spare = createTcpServer();
  const refused = await listen(spare);
  await new Promise<void>((r) => spare.close(() => r()));
  return {
    reset,
    closed,
    refused,
    tls,
    ok,
    notFound,
    silent,
    async close() {
      for (const s of silentSockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
