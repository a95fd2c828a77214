// CPU load inside pods: `timeout <s> sha256sum /dev/zero` started through exec, each process
// bounded by `timeout` so it ends by itself even if the harness dies; journaled per pod so
// `shakedown cleanup --run-id` can kill what a crashed run left.
import type { ClusterContext } from '../cluster/context.ts';
import { execInPod } from '../cluster/exec.ts';
import { isNotFound, type ClusterSession } from '../cluster/session.ts';
import { can, type Permission } from '../cluster/permissions.ts';
import { describeError, injectError, revertError, throwIfAborted } from '../engine/errors.ts';
import { changeWithUndo } from '../undo/builtin.ts';

/** The load process' name (comm) and full command line, as /proc shows them. */
export const LOAD_COMM = 'sha256sum';
export const LOAD_COMMAND_LINE = 'sha256sum /dev/zero';

// Scripts take every value as a positional argument ("$1", "$2"): nothing is spliced into them.
const COUNT = 'n=0; for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = "$1" ] && n=$((n+1)); done; echo $n';
const KILL = 'for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && kill "${d#/proc/}" 2>/dev/null; done; true';
const START = 'i=0; while [ "$i" -lt "$1" ]; do timeout "$2" sha256sum /dev/zero >/dev/null 2>&1 & i=$((i+1)); done; echo started';

/** The pod (and container: default its first) CPU load runs in. */
export interface CpuLoadTarget {
  /** The pod's namespace. */
  namespace: string;
  /** The pod's name. */
  pod: string;
  /** The container to exec into; its pod's first when unset. */
  container?: string | undefined;
}

/** What starting, counting and stopping load needs: exec into the pod, and the pod read when an exec fails (gone or not running). */
export const cpuLoadPermissions = (): Permission[] => [can('', 'pods/exec', 'get', 'create'), can('', 'pods', 'get')];

/**
 * Counts load processes in a pod by reading /proc, so no pgrep is needed in the image. A pod
 * that is gone, terminating or not running (scaled in by the HPA) holds none: 0, not an error.
 */
export async function countCpuLoad(cluster: ClusterSession, t: CpuLoadTarget): Promise<number> {
  try {
    const r = await execInPod(cluster, { ...t, command: ['sh', '-c', COUNT, 'count', LOAD_COMM], timeoutMs: 20_000 });
    return Number(r.stdout.trim());
  } catch (err) {
    if (await loadCannotRun(cluster, t)) return 0;
    throw err;
  }
}

/**
 * Kills every load process in a pod. A pod that is gone, terminating, or whose container no
 * longer runs has nothing left to stop: the HPA's scale-in deletes loaded pods, and an exec into
 * one of them fails (a 404, a closed socket, "container not found") without that being an error.
 */
export async function stopCpuLoad(cluster: ClusterSession, t: CpuLoadTarget): Promise<void> {
  try {
    await execInPod(cluster, { ...t, command: ['sh', '-c', KILL, 'stop', LOAD_COMM], timeoutMs: 20_000 });
  } catch (err) {
    if (/not found|NotFound|ended without/i.test(describeError(err))) return;
    if (await loadCannotRun(cluster, t)) return;
    throw revertError(`could not stop the load in ${t.pod}`, err);
  }
}

/** True when the pod is gone or going, or the container is not running: no process can be left in it. */
async function loadCannotRun(cluster: ClusterSession, t: CpuLoadTarget): Promise<boolean> {
  let pod;
  try {
    pod = await cluster.core.readNamespacedPod({ name: t.pod, namespace: t.namespace });
  } catch (err) {
    return isNotFound(err);
  }
  if (pod.metadata?.deletionTimestamp) return true;
  const name = t.container ?? pod.spec?.containers[0]?.name;
  return !pod.status?.containerStatuses?.find((c) => c.name === name)?.state?.running;
}

/**
 * Starts `processes` load processes of at most `seconds` each in one pod. The kill is journaled
 * and registered as its undo before the first process starts, so a partial start is undone too.
 */
export async function startCpuLoad(ctx: ClusterContext<unknown, unknown>, t: CpuLoadTarget & { container: string }, processes: number, seconds: number): Promise<void> {
  // Rollback kills them with the undo `cleanup --run-id` runs (undoChange): by command line, with a
  // `timeout` wrapper's watchers; a container that no longer runs holds none.
  await changeWithUndo(ctx, `stop ${LOAD_COMM} in ${t.pod}`, { kind: 'process', namespace: t.namespace, pod: t.pod, container: t.container, commandLine: LOAD_COMMAND_LINE }, { timeoutMs: 30_000 });
  throwIfAborted(ctx.signal);
  const r = await execInPod(ctx.cluster, { ...t, command: ['sh', '-c', START, 'load', String(processes), String(seconds)], timeoutMs: 20_000 });
  if (r.exitCode !== 0) throw injectError(`could not start the load in ${t.pod}: exit ${r.exitCode} ${r.stderr.trim()}`);
}
