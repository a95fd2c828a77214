// Flag values checked before anything else happens: a malformed flag is bad input (exit 2),
// found before any kubeconfig is read or any cluster contacted.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../engine/errors.ts';
import { formatDuration, parseDuration } from '../engine/time.ts';

// A Node timer longer than 2^31-1 ms fires at once: a ceiling well below it keeps a deadline a deadline.
const TIMEOUT_MIN = 1_000;
const TIMEOUT_MAX = 24 * 3_600_000;

/** A `--timeout` value in milliseconds, between 1 s and 24 h. */
export function timeoutFlag(text: string, flag = '--timeout'): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} "${text}" is not a duration (e.g. 30m, 90s)`, { field: flag });
  if (ms < TIMEOUT_MIN || ms > TIMEOUT_MAX) {
    throw new UsageError(`${flag} ${text} is out of range: must be between ${formatDuration(TIMEOUT_MIN)} and ${formatDuration(TIMEOUT_MAX)}`, { field: flag });
  }
  return ms;
}

/**
 * A `--report-dir`: a directory, or a path one can be created at (its nearest existing ancestor
 * is a directory). For writing, that directory must be writable, so a run does not learn at its
 * very end that its reports have nowhere to go.
 */
export function reportDirFlag(dir: string, opts: { write: boolean }, flag = '--report-dir'): string {
  if (dir.trim() === '') throw new UsageError(`${flag} is empty: name a directory`, { field: flag });
  const path = resolve(dir);
  let existing = path;
  for (;;) {
    const st = statOrUndefined(existing, flag);
    if (st) {
      if (!st.isDirectory()) {
        throw new UsageError(existing === path ? `${flag} ${dir} is not a directory` : `${flag} ${dir} cannot be created: ${existing} is not a directory`, { field: flag });
      }
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (opts.write) {
    try {
      accessSync(existing, constants.W_OK | constants.X_OK);
    } catch {
      throw new UsageError(`${flag} ${dir} cannot be written: ${existing} is not writable`, { field: flag });
    }
  }
  return path;
}

function statOrUndefined(path: string, flag: string) {
  try {
    return statSync(path);
  } catch (err) {
    // ENOTDIR: a file sits where a directory of the path should be; the walk up finds it.
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw new UsageError(`${flag}: ${path} cannot be read: ${(err as Error).message}`, { field: flag, cause: err });
  }
}

/** `--live`, `--live-port` and `--live-keep` (either of the last two implies `--live`): undefined when off. */
export function liveFlags(o: { live?: boolean; livePort?: string; liveKeep?: boolean }): { port: number; keep: boolean } | undefined {
  if (!o.live && o.livePort === undefined && !o.liveKeep) return undefined;
  let port = 0;
  if (o.livePort !== undefined) {
    port = Number(o.livePort);
    if (!/^\d+$/.test(o.livePort) || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new UsageError(`--live-port "${o.livePort}" is not a port: give a number from 1 to 65535 (or leave it out for any free port)`, { field: '--live-port' });
    }
  }
  return { port, keep: Boolean(o.liveKeep) };
}
