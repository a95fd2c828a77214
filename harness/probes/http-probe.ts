// A plaintext (or TLS) HTTP GET from this host over a raw socket, so that how a connection ended
// is told apart: a reset from a close without a response, a refusal from a timeout. An HTTP
// client library would fold all of these into one "socket hang up".
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ProbeOutcome } from './outcome.ts';

/** A GET from this host: to `host`:`port`, bounded by `timeoutMs`. */
export interface HttpProbe {
  /** Host name or IP to connect to (a test host of your own, or loopback). */
  host: string;
  /** TCP port. */
  port: number;
  /** Request path, default "/". */
  path?: string;
  /** Bound on the whole probe (connect, request, response headers). */
  timeoutMs: number;
  /** Speak TLS (verifying the server's certificate against the system's roots). */
  tls?: boolean;
  /** Cancels the probe: it ends at once as a broken probe ("probe cancelled"). */
  signal?: AbortSignal;
}

/** Bytes read before giving up on finding the end of the response headers. */
const MAX_HEAD = 64 * 1024;
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/** TLS failures: OpenSSL's (ERR_SSL_*, EPROTO) and certificate verification's. */
function isTlsError(err: NodeJS.ErrnoException): boolean {
  const code = err.code ?? '';
  return /^ERR_(SSL|TLS)_/.test(code) || code === 'EPROTO' || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code);
}

/** Classifies what a server sent back when no HTTP status line came. */
function classifyBytes(head: Buffer): ProbeOutcome {
  if (head.length === 0) return { kind: 'closed', detail: 'closed without a response' };
  // A TLS record (alert 0x15 or handshake 0x16, version 3.x) in reply to plaintext: the port speaks TLS.
  if ((head[0] === 0x15 || head[0] === 0x16) && head[1] === 0x03) return { kind: 'tls-error', detail: `the server answered plaintext with a TLS record (type 0x${head[0].toString(16)})` };
  return { kind: 'closed', detail: `closed after ${head.length} bytes that are not an HTTP response` };
}

/**
 * GETs http(s)://host:port/path and resolves with how it ended; never rejects. Ends as soon as the
 * response headers are in (the body is not needed), or at `timeoutMs`.
 */
export function probeHttp(p: HttpProbe): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    let settled = false;
    let socket: Socket;
    const finish = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(o);
    };
    const onAbort = () => finish({ kind: 'error', detail: 'probe cancelled' });
    const timer = setTimeout(() => finish({ kind: 'timeout', detail: `no answer within ${p.timeoutMs} ms` }), p.timeoutMs);
    const request = `GET ${p.path ?? '/'} HTTP/1.1\r\nHost: ${p.host}:${p.port}\r\nUser-Agent: shakedown-probe\r\nConnection: close\r\n\r\n`;
    if (p.tls) {
      socket = tlsConnect({ host: p.host, port: p.port, servername: /^[\d.]+$|:/.test(p.host) ? undefined : p.host });
      socket.once('secureConnect', () => socket.write(request));
    } else {
      socket = tcpConnect({ host: p.host, port: p.port });
      socket.once('connect', () => socket.write(request));
    }
    p.signal?.addEventListener('abort', onAbort, { once: true });
    if (p.signal?.aborted) onAbort();
    const response = (): ProbeOutcome | undefined => {
      const text = head.toString('latin1');
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
      if (!status) return undefined;
      const end = text.indexOf('\r\n\r\n');
      const headers = end >= 0 ? text.slice(0, end) : text;
      const server = /^server:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim();
      return { kind: 'http', status: Number(status[1]), detail: headers.split('\r\n')[0]!, server };
    };
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]).subarray(0, MAX_HEAD);
      if (head.includes('\r\n\r\n') || head.length >= MAX_HEAD) finish(response() ?? classifyBytes(head));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A response already read wins over a reset that follows it.
      const answered = response();
      if (answered) return finish(answered);
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return finish({ kind: 'reset', detail: `connection reset by peer after ${head.length} bytes` });
      if (err.code === 'ECONNREFUSED') return finish({ kind: 'refused', detail: 'connection refused' });
      if (DNS_CODES.has(err.code ?? '')) return finish({ kind: 'dns-failure', detail: `${p.host} does not resolve (${err.code})` });
      if (isTlsError(err)) return finish({ kind: 'tls-error', detail: `${err.code}: ${err.message}` });
      finish({ kind: 'error', detail: `${err.code ?? 'error'}: ${err.message}` });
    });
    socket.on('close', () => finish(response() ?? classifyBytes(head)));
  });
}
