import { Writable } from 'node:stream';
import type { V1Status } from '@kubernetes/client-node';
import type { ClusterSession } from './session.ts';

export interface ExecRequest {
  namespace: string;
  pod: string;
  /** Default: the pod's first container (read from the API). */
  container?: string | undefined;
  command: string[];
  /** Bound on the whole exec; the remote process is not waited for past it. */
  timeoutMs: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** An exec that could not run or did not finish in time; `timedOut` says which. */
export class ExecError extends Error {
  override name = 'ExecError';
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  constructor(message: string, opts: { timedOut: boolean; stdout: string; stderr: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.timedOut = opts.timedOut;
    this.stdout = opts.stdout;
    this.stderr = opts.stderr;
  }
}

/** Collects a stream into a string, bounded so a chatty command cannot exhaust memory. */
function sink(limit = 1 << 20): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < limit) chunks.push(chunk);
      size += chunk.length;
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8').slice(0, limit) };
}

/** The exit code from the status the API sends at the end of an exec. */
export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : -1;
}

/**
 * Runs a command in a container and resolves with its exit code and output. client-node's exec
 * resolves when the socket opens, so this waits for the status message (or the socket closing)
 * instead, bounded by the request's timeout.
 */
export async function execInPod(session: ClusterSession, req: ExecRequest): Promise<ExecResult> {
  const container = req.container ?? (await session.core.readNamespacedPod({ name: req.pod, namespace: req.namespace })).spec?.containers[0]?.name ?? '';
  const out = sink();
  const err = sink();
  // Loaded on first use: the public entry imports this module, and `validate` must not load the Kubernetes client.
  const { Exec } = await import('@kubernetes/client-node/dist/exec.js');
  const started = Date.now();
  // An exec over WebSocket is a GET that RBAC authorizes as `get` on pods/exec, and API servers
  // that authorize the upgrade (AuthorizePodWebsocketUpgradeCreatePermission) as `create` too: one request, both uses.
  const use = { group: '', resource: 'pods/exec', cluster: false, namespace: req.namespace } as const;
  session.requests.count('EXEC', { ...use, verb: 'get' }, { ...use, verb: 'create' });
  return new Promise<ExecResult>((resolve, reject) => {
    let settled = false;
    let socket: { close(): void } | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.close();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new ExecError(`exec in ${req.namespace}/${req.pod} did not finish within ${req.timeoutMs} ms: ${req.command.join(' ')}`, { timedOut: true, stdout: out.text(), stderr: err.text() })),
        ),
      req.timeoutMs,
    );
    new Exec(session.kubeConfig)
      .exec(req.namespace, req.pod, container, req.command, out.stream, err.stream, null, false, (status) => {
        const exitCode = exitCodeOf(status);
        // -1: the API refused or lost the exec (no exit code from the command); its message says why.
        const stderr = exitCode === -1 && !err.text() ? [status.reason, status.message].filter(Boolean).join(': ') : err.text();
        finish(() => resolve({ exitCode, stdout: out.text(), stderr, durationMs: Date.now() - started }));
      })
      .then((opened: unknown) => {
        // The socket's type comes from isomorphic-ws, whose types are not installed; name what is used.
        const ws = opened as { close(): void; on(event: 'close', fn: () => void): void };
        socket = ws;
        if (settled) ws.close();
        // A socket that closes without a status means the exec broke (container gone, node lost).
        ws.on('close', () =>
          // Let a status that arrived in the same tick win.
          setImmediate(() =>
            finish(() => reject(new ExecError(`exec in ${req.namespace}/${req.pod} ended without an exit status: ${req.command.join(' ')}`, { timedOut: false, stdout: out.text(), stderr: err.text() }))),
          ),
        );
      })
      .catch((cause: unknown) =>
        finish(() => reject(new ExecError(`exec in ${req.namespace}/${req.pod} could not start: ${req.command.join(' ')}`, { timedOut: false, stdout: out.text(), stderr: err.text(), cause }))),
      );
  });
}
