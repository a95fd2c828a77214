// The Recorder a run's steps write through: every event, check, point, window, measurement and
// table goes into the journal, which is written to disk soon after (coalesced) or at once.
import type { CheckRecord, EventRecord, Journal, Phase } from '../journal/schema.ts';
import type { JournalWriter } from '../journal/writer.ts';
import type { Recorder } from './experiment.ts';
import type { ProgressSink } from './progress.ts';
import { RunError } from './errors.ts';
import { nowIso } from './time.ts';

/**
 * The most events one run's journal keeps (the journal lives in memory and is rewritten as the run
 * goes): a 100-replica statefulset-identity run journals about 1,500. Watch events are already
 * reduced to the changes that matter (harness/observe/pod-lifecycle.ts); this bounds the rest.
 */
export const MAX_JOURNAL_EVENTS = 20_000;

/** A Recorder over `journal`; `phaseOf` says which phase a check belongs to when it is recorded. */
export function journalRecorder(journal: Journal, writer: JournalWriter, progress: ProgressSink, phaseOf: () => Phase): Recorder {
  let dropped: EventRecord | undefined;
  let droppedCount = 0;
  return {
    event(e) {
      const rec = { at: nowIso(), ...e };
      if (journal.events.length < MAX_JOURNAL_EVENTS) {
        journal.events.push(rec);
      } else {
        // Past the bound, one last event counts what was left out (kept up to date in place).
        dropped ??= { at: rec.at, source: 'harness', type: 'events-dropped', message: '' };
        if (!journal.events.includes(dropped)) journal.events.push(dropped);
        droppedCount++;
        dropped.message = `${droppedCount} more event(s) not journaled: the journal keeps at most ${MAX_JOURNAL_EVENTS} (the last left out: ${rec.type} ${rec.object ?? ''} at ${rec.at})`;
      }
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
    metric(name, unit, sample, options = {}) {
      addSample(journal, name, unit, sample, options);
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

/** One sample of a metric: a new metric on its first sample, whose unit and target the later ones must match. */
function addSample(journal: Journal, name: string, unit: string, sample: number, options: Parameters<Recorder['metric']>[3] = {}): void {
  if (!Number.isFinite(sample)) throw new RunError('INTERNAL', `metric ${name}: sample ${sample} is not a finite number`);
  let m = journal.metrics.find((x) => x.name === name);
  if (!m) {
    m = { name, unit, samples: [] };
    if (options.target !== undefined) m.target = options.target;
    if (options.description !== undefined) m.description = options.description;
    journal.metrics.push(m);
  }
  if (m.unit !== unit) throw new RunError('INTERNAL', `metric ${name} is in ${m.unit}; a sample in ${unit} cannot join it`);
  if (options.target !== undefined && m.target !== undefined && m.target !== options.target) throw new RunError('INTERNAL', `metric ${name} is about ${m.target}; a sample about ${options.target} cannot join it`);
  m.samples.push(sample);
  if (options.histogram !== undefined) (m.histograms ??= []).push(options.histogram);
}
