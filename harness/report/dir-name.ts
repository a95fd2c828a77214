// The name of a run's report folder, apart from the writers so a run can name its folder without
// loading the chart renderer (which only loads once the run is over and its reports are written).
import type { Journal } from '../journal/schema.ts';

/** `<UTC time>-<experiment>-<run id>`, safe as a path segment. */
export function reportDirName(journal: Pick<Journal, 'startedAt' | 'runId'> & { experiment: { name: string } }): string {
  const ms = Date.parse(journal.startedAt);
  const stamp = Number.isNaN(ms)
    ? 'unknown-time'
    : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${stamp}-${pathSafe(journal.experiment.name)}-${pathSafe(journal.runId)}`;
}

function pathSafe(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|-+$/g, '');
  return safe === '' ? 'unnamed' : safe;
}
