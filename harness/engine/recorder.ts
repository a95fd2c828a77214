// The Recorder a run's steps write through: every event, check, point, window, measurement and
// table goes into the journal, which is written to disk soon after (coalesced) or at once.
import type { CheckRecord, Journal, Phase } from '../journal/schema.ts';
import type { JournalWriter } from '../journal/writer.ts';
import type { Recorder } from './experiment.ts';
import type { ProgressSink } from './progress.ts';
import { nowIso } from './time.ts';

/** A Recorder over `journal`; `phaseOf` says which phase a check belongs to when it is recorded. */
export function journalRecorder(journal: Journal, writer: JournalWriter, progress: ProgressSink, phaseOf: () => Phase): Recorder {
  return {
    event(e) {
      const rec = { at: nowIso(), ...e };
      journal.events.push(rec);
      writer.touch();
      return rec;
    },
    check(c) {
      const rec: CheckRecord = {
        name: c.name,
        phase: phaseOf(),
        status: c.passed === 'error' ? 'error' : c.passed ? 'passed' : 'failed',
        expected: c.expected,
        observed: c.observed,
        evidence: c.evidence ?? {},
        at: nowIso(),
      };
      if (c.target !== undefined) rec.target = c.target;
      journal.checks.push(rec);
      progress.check(rec);
      writer.touch();
      return rec;
    },
    point(series, value, at) {
      let s = journal.series.find((x) => x.name === series.name && x.group === series.group);
      if (!s) {
        s = { ...series, points: [] };
        journal.series.push(s);
      }
      s.points.push({ at: at ?? nowIso(), value });
      writer.touch();
    },
    window(name) {
      const w: { name: string; start: string; end?: string } = { name, start: nowIso() };
      journal.windows.push(w);
      writer.touch();
      return () => {
        w.end ??= nowIso();
        writer.touch();
      };
    },
    measurement(m) {
      journal.measurements = journal.measurements.filter((x) => x.name !== m.name).concat(m);
      writer.touch();
    },
    table(t) {
      journal.tables.push(t);
      writer.touch();
    },
    environment(patch) {
      Object.assign(journal.environment, patch);
      writer.touch();
    },
  };
}
