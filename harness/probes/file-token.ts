import { createHash, randomBytes } from 'node:crypto';
import { RunError } from '../engine/errors.ts';
import { execInPod } from '../cluster/exec.ts';
import type { ClusterContext } from '../cluster/context.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { changeWithUndo } from '../undo/builtin.ts';

/** A unique value written to a file on a pod's volume, and its sha256 to compare what is read back. */
export interface Token {
  /** Where the token is written in the pod (a file on the volume). */
  path: string;
  /** The token's text, unique to the run and the pod. */
  value: string;
  /** The sha256 of the value, compared with what is read back. */
  sha256: string;
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fresh token for one pod of one run. */
export function newToken(dir: string, runId: string, label: string): Token {
  const value = `shakedown ${runId} ${label} ${randomBytes(16).toString('hex')}`;
  return { path: `${dir.replace(/\/$/, '')}/.shakedown-${runId}`, value, sha256: sha256(value) };
}

/** A container of a pod (its first when unnamed). */
export type InPod = { namespace: string; pod: string; container?: string | undefined };
type Where = InPod;

/**
 * Writes the token and flushes it to the volume (sync) before returning, then reads its sha256
 * back from the pod, so what is compared later is what the disk holds, not a page cache.
 */
export async function writeToken(session: ClusterSession, where: Where, token: Token): Promise<void> {
  const script = `printf '%s' "$1" > "$2" && sync && sha256sum "$2"`;
  const r = await execInPod(session, { ...where, command: ['sh', '-c', script, 'write-token', token.value, token.path], timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new RunError('SETUP', `could not write ${token.path} in ${where.pod}: exit ${r.exitCode}: ${r.stderr.trim()}`);
  const got = r.stdout.trim().split(/\s+/)[0];
  if (got !== token.sha256) throw new RunError('SETUP', `the token written to ${where.pod}:${token.path} reads back as ${got}, expected ${token.sha256}`);
}

/** The sha256 of the file in the pod, or undefined when it is missing. */
export async function readTokenSha(session: ClusterSession, where: Where, path: string): Promise<{ sha256?: string; output: string }> {
  const r = await execInPod(session, { ...where, command: ['sh', '-c', 'test -f "$1" && sha256sum "$1"', 'read-token', path], timeoutMs: 30_000 });
  const output = `${r.stdout}${r.stderr}`.trim();
  if (r.exitCode !== 0) return { output: output || `exit ${r.exitCode}: ${path} is missing` };
  const sha = r.stdout.trim().split(/\s+/)[0];
  return sha ? { sha256: sha, output } : { output };
}

/** Removes the token, so a run against someone's own StatefulSet leaves its volumes as they were. */
export async function removeToken(session: ClusterSession, where: Where, path: string): Promise<void> {
  const r = await execInPod(session, { ...where, command: ['rm', '-f', path], timeoutMs: 30_000 });
  if (r.exitCode !== 0) throw new Error(`could not remove ${path} in ${where.pod}: exit ${r.exitCode} ${r.stderr.trim()}`.trim());
}

/**
 * Writes a token to a volume the run does not own (a user's StatefulSet). Its removal is
 * journaled before the write, so `shakedown cleanup --run-id` removes it after a crash, and runs
 * in the rollback phase otherwise, retried for a bounded while as the pod may be restarting.
 */
export async function writeTokenUndoable(ctx: ClusterContext<unknown, unknown>, where: Where & { container: string }, token: Token): Promise<void> {
  // Rollback removes it with the undo `cleanup --run-id` runs (undoChange), which tries again
  // while the pod is restarting, within this bound.
  await changeWithUndo(ctx, `remove ${token.path} from ${where.pod}`, { kind: 'file', namespace: where.namespace, pod: where.pod, container: where.container, path: token.path }, { timeoutMs: 70_000 });
  await writeToken(ctx.cluster, where, token);
}

/**
 * Writes a fresh token for this run into `dir` of the pod (synced to disk, read back) and returns
 * it. With `journalRemoval` (a volume the run does not own) its removal is journaled first, so
 * rollback, or `shakedown cleanup --run-id` after a crash, takes it off again; a fixture's
 * volumes go with the fixture.
 */
export async function placeToken(ctx: ClusterContext<unknown, unknown>, where: Where & { container: string }, o: { dir: string; label: string; journalRemoval: boolean }): Promise<Token> {
  const token = newToken(o.dir, ctx.runId, o.label);
  if (o.journalRemoval) await writeTokenUndoable(ctx, where, token);
  else await writeToken(ctx.cluster, where, token);
  return token;
}
