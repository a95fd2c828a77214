// A plaintext HTTP GET exec'd in a client pod with busybox `wget`, bounded by `timeout` (busybox's
// own `wget -T` crashes on some builds). busybox reports failures only as text on stderr, so the
// outcome is read from its messages; the strings below are busybox 1.35's, captured against real
// servers (see test/unit/probes/pod-http.test.ts).
import { ExecError, execInPod, type ExecResult } from '../cluster/exec.ts';
import type { ClusterSession } from '../cluster/session.ts';
import type { ProbeOutcome } from './outcome.ts';

/** A GET of `url` from a container of a pod (its image needs busybox `wget` and `timeout`). */
export interface PodHttpProbe {
  /** The namespace of the pod the request is sent from. */
  namespace: string;
  /** The pod the request is sent from (it needs busybox `wget`). */
  pod: string;
  /** The container to exec into. */
  container: string;
  /** The URL requested from inside the pod. */
  url: string;
  /** Bound on the request, whole seconds (what `timeout` takes). */
  timeoutSeconds: number;
}

/**
 * The command: `-S` prints the response's status line and headers to stderr, `-O /dev/null`
 * drops the body. The URL is an argument, never spliced into a shell script.
 */
export const wgetCommand = (url: string, timeoutSeconds: number): string[] => ['timeout', String(timeoutSeconds), 'wget', '-S', '-q', '-O', '/dev/null', url];

/** Exit codes of a command killed by `timeout`: GNU's 124, or the TERM/KILL signal's 128+n. */
const TIMED_OUT = new Set([124, 143, 137]);

/** Reads busybox wget's exit code and messages into an outcome. */
export function classifyWget(r: Pick<ExecResult, 'exitCode' | 'stderr'>): ProbeOutcome {
  const err = r.stderr;
  const lastLine = err.trim().split('\n').filter((l) => l.startsWith('wget:')).at(-1) ?? err.trim().split('\n').at(-1) ?? '';
  // -S: "  HTTP/1.1 200 OK" and "  Server: envoy", indented, before wget's own messages.
  const statusLine = /^\s+(HTTP\/\d(?:\.\d)? (\d{3}).*)$/m.exec(err);
  const server = /^\s+server:[ \t]*(.*)$/im.exec(err)?.[1]?.trim();
  if (r.exitCode === 0) {
    return { kind: 'http', status: statusLine ? Number(statusLine[2]) : 200, detail: statusLine?.[1]?.trim() ?? 'exit 0', server };
  }
  // "wget: server returned error: HTTP/1.1 404 Not Found": a response, with a status wget treats as failure.
  const returned = /server returned error: (HTTP\/\d(?:\.\d)? (\d{3}).*)$/m.exec(err);
  if (returned) return { kind: 'http', status: Number(returned[2]), detail: returned[1]!.trim(), server };
  if (/connection reset by peer/i.test(err)) return { kind: 'reset', detail: lastLine };
  if (/connection refused/i.test(err)) return { kind: 'refused', detail: lastLine };
  // "wget: bad address 'name'": the name did not resolve.
  if (/bad address/i.test(err)) return { kind: 'dns-failure', detail: lastLine };
  if (TIMED_OUT.has(r.exitCode)) return { kind: 'timeout', detail: `killed by timeout (exit ${r.exitCode})` };
  if (/timed out/i.test(err)) return { kind: 'timeout', detail: lastLine };
  // "wget: error getting response" with no reason: the peer closed before sending a status line.
  if (/error getting response\s*$/m.test(err)) return { kind: 'closed', detail: lastLine };
  if (statusLine) return { kind: 'http', status: Number(statusLine[2]), detail: statusLine[1]!.trim(), server };
  return { kind: 'error', detail: `exit ${r.exitCode}${lastLine ? `: ${lastLine}` : ''}` };
}

/** Runs the probe; an exec that cannot run or hangs is a broken probe (`error`), never a rejection. */
export async function probeFromPod(session: ClusterSession, p: PodHttpProbe): Promise<ProbeOutcome> {
  try {
    const r = await execInPod(session, {
      namespace: p.namespace,
      pod: p.pod,
      container: p.container,
      command: wgetCommand(p.url, p.timeoutSeconds),
      // `timeout` ends wget; the margin covers the exec's own round trip.
      timeoutMs: p.timeoutSeconds * 1000 + 15_000,
    });
    return classifyWget(r);
  } catch (err) {
    if (err instanceof ExecError) return { kind: 'error', detail: err.message };
    return { kind: 'error', detail: err instanceof Error ? err.message : String(err) };
  }
}
