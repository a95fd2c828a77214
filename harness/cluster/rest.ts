import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { statusMessageOf } from '../engine/errors.ts';

/**
 * The API server said no: its HTTP status and body, as client-node's ApiException carries them
 * (`code`, `body`), so every check on an API error reads both the same way.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  /** The response body as the server sent it (a Status object's JSON, usually). */
  readonly body: string;
  constructor(method: string, path: string, code: number, body: string) {
    const message = statusMessageOf(body);
    super(`${method} ${path}: HTTP ${code}${message === undefined ? '' : `: ${message}`}`);
    this.code = code;
    this.body = body;
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RestRequest {
  query?: Query | undefined;
  body?: unknown;
  /** Content type of the body; JSON unless a patch says otherwise. */
  contentType?: string;
}

/**
 * Plain JSON over HTTPS to the API server, with the TLS settings, credentials (client
 * certificates, tokens, exec plugins) and proxy agent client-node's KubeConfig derives from the
 * kubeconfig: the same options its exec and port-forward use. Responses are the server's JSON as
 * is, with no model classes: client-node's generated clients load about 900 of them (some 45 MiB
 * resident) to turn timestamps into Date objects, which nothing here needs.
 */
export class KubeRest {
  private readonly kubeConfig: KubeConfig;
  private readonly server: string;
  /** Called before each request (a watch's method is WATCH), to count it and note what it used. */
  private readonly onRequest: (method: string, path: string, query: Query | undefined, contentType?: string) => void;
  /** Bound on each request; a server that stops answering fails it instead of hanging it. */
  private readonly timeoutMs: number;
  /** Kept-alive connections, one pool per TLS setting (see agentFor). */
  private readonly agents = new Map<string, HttpAgent>();

  constructor(kubeConfig: KubeConfig, server: string, onRequest: (method: string, path: string, query: Query | undefined, contentType?: string) => void, timeoutMs: number) {
    this.kubeConfig = kubeConfig;
    this.server = server;
    this.onRequest = onRequest;
    this.timeoutMs = timeoutMs;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  async request<T>(method: string, path: string, req: RestRequest = {}): Promise<T> {
    const { url, status, text } = await this.exchange(method, path, req, this.timeoutMs);
    if (status < 200 || status > 299) throw new ApiError(method, url.pathname, status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * A GET whose answer is not the API's JSON (a Service's page through the API server's proxy):
   * its status and body whatever they are, bounded by `timeoutMs`. Rejects only when no answer came.
   */
  async getRaw(path: string, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const { status, text } = await this.exchange('GET', path, {}, timeoutMs, '*/*', signal);
    return { status, text };
  }

  private async exchange(method: string, path: string, req: RestRequest, timeoutMs: number, accept = 'application/json', signal?: AbortSignal): Promise<{ url: URL; status: number; text: string }> {
    this.onRequest(method, path, req.query, req.contentType);
    const { url, opts, send } = await this.prepare(path, req.query);
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const headers: Record<string, string | number> = { ...(opts.headers as Record<string, string> | undefined), accept };
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = send(url, { ...opts, method, headers, signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      r.on('error', reject);
      r.end(payload);
    });
    return { url, status, text };
  }

  /**
   * Watches a path (`?watch=true`): `onEvent` gets each event's type and object as the server
   * sends them, one JSON object a line; `done` is called once, when the stream ends (the server
   * closed it, or `abort()`) or fails (an HTTP error status, a lost connection, or no data at all
   * for the request bound). Resolves once the server answered (or the request failed, after
   * `done`), like client-node's Watch, which this replaces so that undici is never loaded.
   */
  async watch(path: string, query: Query, onEvent: (type: string, object: unknown) => void, done: (err: unknown) => void): Promise<{ abort(): void }> {
    let stopped = false;
    let rest = '';
    const opened = await this.open('WATCH', path, { ...query, watch: true }, this.timeoutMs, 'application/json', (chunk) => {
      rest += chunk;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (!line) continue;
        let e: { type?: string; object?: unknown };
        try {
          e = JSON.parse(line) as { type?: string; object?: unknown };
        } catch {
          continue; // not an event: skipped, as client-node's Watch does
        }
        // An event handler that aborted the watch gets no more events, even from this chunk.
        if (!stopped && e.type) onEvent(e.type, e.object);
      }
    }, (err) => {
      stopped = true;
      done(err);
    });
    await opened.answered;
    return { abort: opened.abort };
  }

  /**
   * A GET whose answer is a stream of text (a pod's log with follow=true): `onText` gets each
   * chunk as it arrives; `done` is called once when the stream ends (null), fails or is
   * aborted, or no data came for `idleMs`. An HTTP error status is an ApiError with its body.
   */
  async stream(path: string, query: Query, idleMs: number, onText: (chunk: string) => void, done: (err: unknown) => void): Promise<{ abort(): void }> {
    const opened = await this.open('GET', path, query, idleMs, '*/*', onText, done);
    return { abort: opened.abort };
  }

  /**
   * The streaming GET under watch and stream: text chunks to `onText` while the status is 200;
   * `done` once (end, failure, an error status as ApiError with its body, abort, or `idleMs`
   * without data). `answered` resolves once the server answered 200, or the request ended.
   */
  private async open(label: 'GET' | 'WATCH', path: string, query: Query, idleMs: number, accept: string, onText: (chunk: string) => void, done: (err: unknown) => void): Promise<{ abort: () => void; answered: Promise<void> }> {
    this.onRequest(label, path, query);
    const { url, opts, send } = await this.prepare(path, query);
    const controller = new AbortController();
    const { promise: answered, resolve: answer } = Promise.withResolvers<void>();
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: unknown) => {
      answer();
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      controller.abort();
      done(err);
    };
    // Inactivity bound: any data (an event, a bookmark, a log line) restarts it.
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(new Error(`${label === 'WATCH' ? 'watch' : 'GET'} ${url.pathname}: no data for ${idleMs} ms`)), idleMs);
      timer.unref();
    };
    idle();
    const r = send(url, { ...opts, method: 'GET', headers: { ...(opts.headers as Record<string, string> | undefined), accept }, signal: controller.signal }, (res) => {
      const failed = res.statusCode !== 200;
      const chunks: string[] = [];
      if (!failed) {
        idle();
        answer();
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        idle();
        if (failed) chunks.push(chunk);
        else if (!finished) onText(chunk);
      });
      const ended = () => finish(failed ? new ApiError(label, url.pathname, res.statusCode ?? 0, chunks.join('')) : null);
      res.on('end', ended);
      res.on('close', ended);
      res.on('error', finish);
    });
    r.on('error', finish);
    r.end();
    return { abort: () => finish(null), answered };
  }

  /** The URL with its query, the request options client-node derives from the kubeconfig, and the request function for its protocol. */
  private async prepare(path: string, query: Query | undefined): Promise<{ url: URL; opts: RequestOptions; send: typeof httpsRequest }> {
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    // Asked for again on every request, so a token an exec plugin refreshed is used.
    const opts: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    opts.agent = this.agentFor(url, opts);
    return { url, opts, send: url.protocol === 'http:' ? httpRequest : httpsRequest };
  }

  /**
   * A connection pool that keeps connections open between requests, for the TLS settings
   * client-node derived (CA, client certificate, server name). client-node's own agent opens a
   * new TLS connection for every request; through a proxy its agent is kept as it is.
   */
  private agentFor(url: URL, opts: RequestOptions): RequestOptions['agent'] {
    if (this.kubeConfig.getCurrentCluster()?.proxyUrl) return opts.agent;
    const tls = { ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
    const key = createHash('sha256')
      .update(url.protocol)
      .update(JSON.stringify(tls, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v)))
      .digest('hex');
    let agent = this.agents.get(key);
    if (!agent) {
      // Idle connections are closed after a few seconds (and never keep the process alive).
      agent = url.protocol === 'http:' ? new HttpAgent({ keepAlive: true, timeout: 5000 }) : new HttpsAgent({ keepAlive: true, timeout: 5000, ...stripUndefined(tls) });
      this.agents.set(key, agent);
    }
    return agent;
  }
}

const stripUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
