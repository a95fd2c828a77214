// What `compare`, `run --baseline` and `history` read: a journal file, a report folder (with its
// journal.json), or (a baseline only) a folder of past runs' report folders. Anything else is
// bad input (exit 2), named.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError, describeError } from '../engine/errors.ts';
import type { Journal } from '../journal/schema.ts';
import { readJournal } from '../report/read-journal.ts';
import { compareRuns, differences, type CompareOptions, type Comparison } from './compare.ts';

export interface LoadedRun {
  source: string;
  journal: Journal;
}

async function kindOf(path: string): Promise<'file' | 'dir'> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch {
    throw new UsageError(`${path}: no such file or folder (expected a journal.json, a report folder or a folder of report folders)`, { field: path });
  }
}

async function readRun(file: string): Promise<LoadedRun> {
  try {
    return { source: file, journal: await readJournal(file) };
  } catch (err) {
    throw new UsageError(describeError(err), { field: file, cause: err });
  }
}

/** One run: a journal file or a report folder. */
export async function loadRun(path: string): Promise<LoadedRun> {
  if ((await kindOf(path)) === 'file') return readRun(path);
  const inside = join(path, 'journal.json');
  if ((await kindOf(inside).catch(() => undefined)) === 'file') return readRun(inside);
  throw new UsageError(`${path} is a folder without a journal.json: the current run must be one journal or one report folder`, { field: path });
}

/** Past runs under `path` (report folders, one level down), oldest first by start time. */
export async function loadRuns(path: string): Promise<LoadedRun[]> {
  if ((await kindOf(path)) === 'file' || (await kindOf(join(path, 'journal.json')).catch(() => undefined)) === 'file') return [await loadRun(path)];
  const runs: LoadedRun[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const file = join(path, entry, 'journal.json');
    if ((await kindOf(file).catch(() => undefined)) !== 'file') continue;
    runs.push(await readRun(file));
  }
  if (runs.length === 0) throw new UsageError(`${path}: no journal.json here nor in any folder directly below it`, { field: path });
  return runs.sort((a, b) => a.journal.startedAt.localeCompare(b.journal.startedAt));
}

/** Whether a past run may serve as a baseline at all: finished, and not broken or aborted. */
export function usable(j: Journal): string | undefined {
  if (j.status !== 'completed') return 'did not finish';
  if (j.verdict?.kind === 'error' || j.verdict?.kind === 'aborted') return `verdict ${j.verdict.kind}`;
  return undefined;
}

/**
 * The baseline runs for `current`: one given run must match it (else bad input saying what
 * differs); from a folder, the last `last` finished runs of the same experiment, target and
 * parameters, the others skipped with the reason.
 */
export function selectBaseline(candidates: readonly LoadedRun[], current: LoadedRun, folder: boolean, last = 10): { runs: LoadedRun[]; skipped: string[] } {
  if (!folder) {
    const only = candidates[0]!;
    const diff = differences(only.journal, current.journal);
    if (diff.length) throw new UsageError(`${only.source} and ${current.source} cannot be compared: ${diff.join('; ')}`, { field: only.source });
    return { runs: [only], skipped: [] };
  }
  const runs: LoadedRun[] = [];
  const skipped: string[] = [];
  let firstDiff: string[] | undefined;
  for (const r of candidates) {
    if (r.journal.runId === current.journal.runId) continue;
    const why = usable(r.journal) ?? differences(r.journal, current.journal).join('; ');
    if (why) {
      if (r.journal.experiment.name === current.journal.experiment.name) {
        skipped.push(`${r.journal.runId}: ${why}`);
        firstDiff ??= [why];
      }
      continue;
    }
    runs.push(r);
  }
  if (runs.length === 0) {
    const why = firstDiff ? `; e.g. ${firstDiff[0]}` : `; none is a run of ${current.journal.experiment.name}`;
    throw new UsageError(`no run in ${candidates.length === 0 ? 'the baseline' : 'the baseline folder'} compares with ${current.source}${why}`, { field: current.source });
  }
  return { runs: runs.slice(-last), skipped };
}

export interface Baseline {
  path: string;
  /** A folder of past runs (else one journal or report folder). */
  folder: boolean;
  candidates: LoadedRun[];
}

/** Reads a baseline (bad input if it holds no journal). */
export async function openBaseline(path: string): Promise<Baseline> {
  const candidates = await loadRuns(path);
  const folder = (await kindOf(path)) === 'dir' && (await kindOf(join(path, 'journal.json')).catch(() => undefined)) !== 'file';
  return { path, folder, candidates };
}

/**
 * For `run --baseline`, before the run: whether the baseline has a run of this experiment with
 * these parameters (as the journal will show them); bad input naming what differs otherwise.
 */
export function checkBaselineFor(b: Baseline, experiment: string, parameters: Record<string, unknown>, last?: number): void {
  const planned = { runId: '(this run)', experiment: { name: experiment, description: '' }, parameters, metrics: [] } as unknown as Journal;
  selectBaseline(b.candidates, { source: `the ${experiment} run`, journal: planned }, b.folder, last);
}

/** Compares a run with an opened baseline. */
export function compareWith(b: Baseline, current: LoadedRun, opts: CompareOptions & { last?: number }): Comparison {
  const { runs, skipped } = selectBaseline(b.candidates, current, b.folder, opts.last);
  return compareRuns(runs, current, { ...opts, baselineSource: b.path, skipped });
}

/** Reads both sides and compares them: what `compare` does. */
export async function compareFiles(baselinePath: string, current: LoadedRun, opts: CompareOptions & { last?: number }): Promise<Comparison> {
  return compareWith(await openBaseline(baselinePath), current, opts);
}
