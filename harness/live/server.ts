// The live view's HTTP server: loopback only, every path behind a random token (the URL printed
// at start is `http://127.0.0.1:<port>/<token>/`), the page, its Server-Sent Events stream, the
// chart libraries from the installed vega and vega-lite packages (no CDN), and the Abort button's
// POST, which takes the same path as SIGINT.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LiveFeed, LiveMessage } from './feed.ts';
import { LIVE_PAGE, LIVE_SCRIPT } from './page.ts';

export interface LiveServerOptions {
  feed: LiveFeed;
  /** 0 (default) for a port the system picks. */
  port?: number;
  /** The Abort button: the run's SIGINT path. */
  onAbort: () => void;
}

export interface LiveServer {
  url: string;
  port: number;
  /** Ends every stream (after what was written is delivered) and stops listening. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
// Vega compiles its expressions with Function(): the page allows eval for its own scripts only.
const CSP = "default-src 'none'; script-src 'self' 'unsafe-eval'; connect-src 'self'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'";
const COMMON = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' };

/** The browser builds of vega and vega-lite, from the packages the harness itself uses. */
function chartLibrary(pkg: 'vega' | 'vega-lite'): string {
  const entry = fileURLToPath(import.meta.resolve(pkg));
  return join(dirname(entry), pkg === 'vega' ? 'vega.min.js' : 'vega-lite.min.js');
}

export async function startLiveServer(o: LiveServerOptions): Promise<LiveServer> {
  const token = randomBytes(24).toString('base64url');
  const streams = new Set<ServerResponse>();
  const assets = new Map<string, () => string>([
    ['live.js', () => LIVE_SCRIPT],
    ['vega.min.js', () => readFileSync(chartLibrary('vega'), 'utf8')],
    ['vega-lite.min.js', () => readFileSync(chartLibrary('vega-lite'), 'utf8')],
  ]);
  let port = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // Only this machine's loopback names: a page of another site that resolves its own name to
    // 127.0.0.1 (DNS rebinding) is refused before the token is even looked at.
    if (req.headers.host !== `${HOST}:${port}` && req.headers.host !== `localhost:${port}`) return refuse(res, 403, 'forbidden');
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const [first, ...rest] = url.pathname.split('/').slice(1);
    if (!first || !sameToken(first, token)) return refuse(res, 403, 'forbidden: this view needs the URL with its token, as the run printed it');
    const path = rest.join('/');
    // Relative links need the trailing slash: /<token> → /<token>/.
    if (rest.length === 0) {
      res.writeHead(308, { ...COMMON, Location: `/${first}/` });
      return res.end();
    }
    if (req.method === 'POST' && path === 'abort') {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${HOST}:${port}` && origin !== `http://localhost:${port}`) return refuse(res, 403, 'forbidden');
      o.onAbort();
      res.writeHead(202, { ...COMMON, 'Content-Type': 'application/json' });
      return res.end('{"aborting":true}\n');
    }
    if (req.method !== 'GET') return refuse(res, 405, 'method not allowed');
    if (path === '') {
      res.writeHead(200, { ...COMMON, 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP });
      return res.end(LIVE_PAGE);
    }
    if (path === 'events') return stream(res, o.feed, streams);
    const asset = assets.get(path);
    if (asset) {
      res.writeHead(200, { ...COMMON, 'Content-Type': 'text/javascript; charset=utf-8' });
      return res.end(asset());
    }
    return refuse(res, 404, 'not found');
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/${token}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function refuse(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...COMMON, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

/** The event stream of one page: the feed's snapshot, then every message, until the page goes. */
function stream(res: ServerResponse, feed: LiveServerOptions['feed'], streams: Set<ServerResponse>): void {
  res.writeHead(200, { ...COMMON, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
  const send = (m: LiveMessage) => res.write(`data: ${JSON.stringify(m)}\n\n`);
  send(feed.snapshot());
  const off = feed.subscribe(send);
  // A comment now and then keeps idle proxies and the browser from giving up on the stream.
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000).unref();
  streams.add(res);
  res.on('close', () => {
    off();
    clearInterval(ping);
    streams.delete(res);
  });
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
