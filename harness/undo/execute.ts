// Undoes one journaled change from its data alone (an UndoSpec), with no live state of the run
// that made it: what `shakedown cleanup --run-id` runs after a crash or SIGKILL. Every undo is
// idempotent: undoing twice, or undoing what is already gone, is "nothing to do", not an error.
import type { UndoSpec } from '../journal/schema.ts';
import { ExecError, execInPod } from '../cluster/exec.ts';
import { apiStatus, isNotFound, withTimeout, type ClusterSession } from '../cluster/session.ts';
import { AbortedError, describeApiError } from '../engine/errors.ts';

export { describeApiError };
import { restoreObject } from './object.ts';
import { undoKindOf } from './registry.ts';

export interface UndoOutcome {
  /** `done`: the change was reverted now; `unchanged`: it was already reverted; `gone`: its target no longer exists. */
  result: 'done' | 'unchanged' | 'gone';
  /** One line for the user: what was found and what was done. */
  detail: string;
}

export interface UndoChangeOptions {
  /** The run that made the change: an object it created is deleted only if it carries this run's label. */
  runId: string;
  signal?: AbortSignal | undefined;
  /** Bound on the whole undo (its requests and execs). */
  timeoutMs?: number;
}

/**
 * Kills every process whose full command line (argv joined by spaces) equals $1, with its direct
 * children (GNU `timeout N cmd` runs cmd as its child). Busybox `timeout N cmd` instead execs cmd
 * in the original process and watches it from a detached grandchild, so for a `timeout` command
 * line it also kills processes running the wrapped command that started within a second of a
 * matched watcher (same launch). The pattern is an argument, never part of the script. Busybox
 * has no pkill, so it walks /proc. Prints the pids it killed.
 */
// Stryker disable all: shell text run in a pod; the integration tier proves it kills (fault-primitives).
export const KILL_BY_COMMAND_LINE = [
  'want="$1"; me=$$; pids=""; starts=""',
  'cmdline() { tr "\\000" " " < "/proc/$1/cmdline" 2>/dev/null; }',
  'ppid() { sed -n "s/^PPid:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null; }',
  // Field 22 of /proc/<pid>/stat (start time in clock ticks), counted after the ") " that ends the name.
  'started() { s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "${20}"; }',
  'for d in /proc/[0-9]*; do',
  '  p=${d#/proc/}; [ "$p" = "$me" ] && continue',
  '  c=$(cmdline "$p") || continue',
  '  [ "${c% }" = "$want" ] || continue',
  '  pids="$pids $p"; starts="$starts $(started "$p")"',
  'done',
  'inner=$(echo "$want" | sed -n "s/^timeout \\(-s [^ ]* \\)\\{0,1\\}[0-9][^ ]* //p")',
  'if [ -n "$inner" ] && [ -n "$pids" ]; then',
  '  for d in /proc/[0-9]*; do',
  '    p=${d#/proc/}; [ "$p" = "$me" ] || [ "$p" = 1 ] && continue',
  '    c=$(cmdline "$p") || continue',
  '    [ "${c% }" = "$inner" ] || continue',
  '    t=$(started "$p") || continue',
  '    for w in $starts; do dt=$((t - w)); [ "$dt" -lt 0 ] && dt=$((0 - dt)); [ "$dt" -le 100 ] && { pids="$pids $p"; break; }; done',
  '  done',
  'fi',
  'kids=""',
  'if [ -n "$pids" ]; then',
  '  for d in /proc/[0-9]*; do',
  '    pp=$(ppid "${d#/proc/}") || continue',
  '    for p in $pids; do [ "$pp" = "$p" ] && kids="$kids ${d#/proc/}"; done',
  '  done',
  '  kill -KILL $pids $kids 2>/dev/null',
  'fi',
  'echo killed:$pids $kids',
].join('\n');
// Stryker restore all

const ref = (s: UndoSpec): string => {
  switch (s.kind) {
    case 'replicas':
      return `${s.workload}/${s.namespace}/${s.name}`;
    case 'object':
      return `${s.objectKind}/${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
    case 'file':
    case 'process':
      return `Pod/${s.namespace}/${s.pod}`;
    case 'custom':
      return s.type;
  }
};

/** A short description of the undo, for progress lines and errors. */
export function describeUndo(s: UndoSpec): string {
  switch (s.kind) {
    case 'replicas':
      return `set ${ref(s)} back to ${s.replicas} replica(s)`;
    case 'object':
      return s.before === null ? `delete ${ref(s)} (it did not exist before)` : `restore ${ref(s)} as recorded`;
    case 'file':
      return `remove ${s.path} in ${ref(s)} (container ${s.container})`;
    case 'process':
      return `kill "${s.commandLine}" in ${ref(s)} (container ${s.container})`;
    case 'custom':
      return `undo ${s.type} (registered by ${s.module})`;
  }
}

/** Undoes one change. Resolves with what it did; rejects when the undo could not be done. */
export async function undoChange(session: ClusterSession, spec: UndoSpec, opts: UndoChangeOptions): Promise<UndoOutcome> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const signal = withTimeout(opts.signal, timeoutMs);
  const check = () => {
    if (signal.aborted) throw opts.signal?.aborted ? (opts.signal.reason instanceof AbortedError ? opts.signal.reason : new AbortedError('SIGINT')) : new Error(`${describeUndo(spec)}: did not finish within ${Math.round(timeoutMs / 1000)} s`);
  };
  check();
  switch (spec.kind) {
    // Stryker disable all: these three reach the API server (see the note at PodNotSettledError).
    case 'replicas':
      return undoReplicas(session, spec, check);
    case 'object':
      return undoObject(session, spec, opts.runId, check);
    case 'file':
    case 'process':
      {
      const deadline = Date.now() + timeoutMs;
      return retryWhilePodSettles(() => undoInPod(session, spec, Math.max(1000, deadline - Date.now()), check), signal, check);
    }
    // Stryker restore all
    case 'custom': {
      const kind = undoKindOf(spec.type);
      if (!kind) throw new Error(`undo kind ${spec.type} is not registered: its module ${spec.module} was not loaded`);
      const r = await kind.undo(session, spec.data, { runId: opts.runId, signal });
      check();
      return r ?? { result: 'done', detail: `${spec.type} undone` };
    }
  }
}

// Stryker disable all: from here on every line reads or writes the API server or execs in a pod;
// the integration tier (test/integration/fault-primitives, crash-cleanup) kills these, the unit
// tier Stryker runs cannot reach them without a stand-in API server, which the project forbids.
/** An undo in a pod that failed for a reason that passes (the container restarting, the exec lost), not for the command's own. */
class PodNotSettledError extends Error {
  override name = 'PodNotSettledError';
}

/**
 * A pod the crashed run was changing is often just being re-created when cleanup runs (a
 * StatefulSet scaled back up a moment before), and an exec into it can fail before the command
 * starts. Such failures are tried again every 2 s until the undo's own bound; the last is reported.
 */
async function retryWhilePodSettles(attempt: () => Promise<UndoOutcome>, signal: AbortSignal, check: () => void): Promise<UndoOutcome> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof PodNotSettledError)) throw err;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (signal.aborted) throw new Error(err.message, { cause: err });
      check();
    }
  }
}

/** Runs an exec for an undo: a lost or refused exec (no exit code from the command) is PodNotSettledError. */
async function execForUndo(session: ClusterSession, s: Extract<UndoSpec, { kind: 'file' | 'process' }>, command: string[], timeoutMs: number) {
  let r;
  try {
    r = await execInPod(session, { namespace: s.namespace, pod: s.pod, container: s.container, command, timeoutMs });
  } catch (err) {
    if (err instanceof ExecError && !err.timedOut) throw new PodNotSettledError(`${describeUndo(s)}: ${err.message}`, { cause: err });
    throw err;
  }
  if (r.exitCode === -1) throw new PodNotSettledError(`${describeUndo(s)}: the exec did not run: ${(r.stderr || r.stdout).trim() || 'no exit status'}`);
  if (r.exitCode !== 0) throw new Error(`${describeUndo(s)}: exit ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** Conflicting writes tolerated in a row: each retry reads the newer version first. */
const MAX_CONFLICTS = 5;

/**
 * Sets replicas back through the scale subresource. The write carries the resourceVersion just
 * read; when the controller updated the object in between (409 Conflict, common right after a
 * scale as it writes status), it reads again and retries.
 */
async function undoReplicas(session: ClusterSession, s: Extract<UndoSpec, { kind: 'replicas' }>, check: () => void): Promise<UndoOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeReplicasBack(session, s, check);
    } catch (err) {
      if (apiStatus(err) !== 409 || attempt >= MAX_CONFLICTS) throw err;
    }
  }
}

async function writeReplicasBack(session: ClusterSession, s: Extract<UndoSpec, { kind: 'replicas' }>, check: () => void): Promise<UndoOutcome> {
  const args = { name: s.name, namespace: s.namespace };
  const api = session.apps;
  let scale;
  try {
    scale = s.workload === 'StatefulSet' ? await api.readNamespacedStatefulSetScale(args) : await api.readNamespacedDeploymentScale(args);
  } catch (err) {
    if (isNotFound(err)) return { result: 'gone', detail: `${ref(s)} no longer exists; nothing to scale` };
    throw err;
  }
  const now = scale.spec?.replicas ?? 0;
  if (now === s.replicas) return { result: 'unchanged', detail: `${ref(s)} already has ${s.replicas} replica(s)` };
  check();
  const body = { ...scale, spec: { ...scale.spec, replicas: s.replicas } };
  if (s.workload === 'StatefulSet') await api.replaceNamespacedStatefulSetScale({ ...args, body });
  else await api.replaceNamespacedDeploymentScale({ ...args, body });
  return { result: 'done', detail: `${ref(s)} scaled from ${now} back to ${s.replicas} replica(s)` };
}

async function undoObject(session: ClusterSession, s: Extract<UndoSpec, { kind: 'object' }>, runId: string, check: () => void): Promise<UndoOutcome> {
  // Re-creating into a namespace that was deleted meanwhile would fail; its objects went with it.
  if (s.before !== null && s.namespace && !(await namespaceExists(session, s.namespace))) {
    return { result: 'gone', detail: `namespace ${s.namespace} no longer exists; ${ref(s)} is not re-created in it` };
  }
  check();
  // The same restore the run's own rollback does: replaced, re-created, or deleted if the run made it.
  const action = await restoreObject(session, s, { runId });
  switch (action) {
    case 'unchanged':
      return { result: 'unchanged', detail: `${ref(s)} is as recorded` };
    case 'absent':
      return { result: 'unchanged', detail: `${ref(s)} does not exist, as before the run` };
    case 'deleted':
      return { result: 'done', detail: `${ref(s)} deleted (it did not exist before the run)` };
    case 'recreated':
      return { result: 'done', detail: `${ref(s)} re-created as recorded` };
    case 'replaced':
      return { result: 'done', detail: `${ref(s)} restored as recorded` };
  }
}

async function namespaceExists(session: ClusterSession, name: string): Promise<boolean> {
  try {
    await session.core.readNamespace({ name });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}


async function undoInPod(session: ClusterSession, s: Extract<UndoSpec, { kind: 'file' | 'process' }>, timeoutMs: number, check: () => void): Promise<UndoOutcome> {
  let pod;
  try {
    pod = await session.core.readNamespacedPod({ name: s.pod, namespace: s.namespace });
  } catch (err) {
    if (isNotFound(err)) return { result: 'gone', detail: `${ref(s)} no longer exists; nothing to ${s.kind === 'file' ? 'remove' : 'kill'}` };
    throw err;
  }
  const running = pod.status?.containerStatuses?.find((c) => c.name === s.container)?.state?.running;
  if (s.kind === 'process' && !running) return { result: 'gone', detail: `container ${s.container} of ${ref(s)} is not running; no process of the run can be left in it` };
  if (!running) throw new PodNotSettledError(`${describeUndo(s)}: container ${s.container} is not running (phase ${pod.status?.phase ?? 'unknown'}); try again once it runs`);
  check();
  if (s.kind === 'file') {
    // `test -e` first to tell "removed" from "was not there"; the path is an argument, never part of the script.
    const r = await execForUndo(session, s, ['sh', '-c', 'if [ -e "$1" ] || [ -L "$1" ]; then rm -f -- "$1" && echo removed; else echo absent; fi', 'sh', s.path], timeoutMs);
    return r.stdout.includes('removed') ? { result: 'done', detail: `${s.path} removed in ${ref(s)}` } : { result: 'unchanged', detail: `${s.path} is not in ${ref(s)}` };
  }
  const r = await execForUndo(session, s, ['sh', '-c', KILL_BY_COMMAND_LINE, 'sh', s.commandLine], timeoutMs);
  const killed = r.stdout.replace(/^killed:/, '').trim().split(/\s+/).filter(Boolean);
  return killed.length ? { result: 'done', detail: `killed ${killed.length} process(es) in ${ref(s)} (pids ${killed.join(', ')})` } : { result: 'unchanged', detail: `no "${s.commandLine}" running in ${ref(s)}` };
}
// Stryker restore all
