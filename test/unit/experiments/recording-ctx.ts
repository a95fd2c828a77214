// A step context over an in-memory journal, for checks that judge recorded state: the real
// recorder (harness/engine/recorder.ts) writes what they record; no cluster is reachable from it.
import type { Journal } from '../../../harness/journal/schema.ts';
import { JournalWriter } from '../../../harness/journal/writer.ts';
import { journalRecorder } from '../../../harness/engine/recorder.ts';
import { silentProgress } from '../../../harness/engine/progress.ts';

export function recordingCtx<P, S>(params: P, state: S) {
  const journal = { checks: [], events: [], series: [], windows: [], measurements: [], tables: [], metrics: [], environment: {} } as unknown as Journal;
  const record = journalRecorder(journal, new JournalWriter(journal, undefined), silentProgress, () => 'verify');
  const ctx = { params, state, record, cluster: undefined as never, signal: new AbortController().signal };
  const check = (name: string, target?: string) => {
    const found = journal.checks.filter((c) => c.name === name && (target === undefined || c.target === target));
    if (found.length !== 1) throw new Error(`expected one ${name} check${target ? ` of ${target}` : ''}, found ${found.length}: ${journal.checks.map((c) => `${c.name}/${c.target}`).join(', ')}`);
    return found[0]!;
  };
  const measurement = (name: string) => journal.measurements.find((m) => m.name === name)?.value;
  return { ctx, journal, check, measurement };
}
