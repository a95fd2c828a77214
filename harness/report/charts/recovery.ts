// Per-pod recovery bars for the top of report.html: one row per deleted pod, its time from the
// deletion to gone, recreated, Ready and DNS answered as consecutive segments, and the
// experiment's recovery bound as a rule. Read from the journal's events (harness/live/pods.ts).
import type { Journal } from '../../journal/schema.ts';
import { parseDuration } from '../../engine/time.ts';
import { podRows } from '../../live/pods.ts';
import { journalEndMs, toMs } from '../format.ts';
import { base, type ChartSpec, type Row } from './layout.ts';

const SEGMENTS = ['terminating', 'awaiting replacement', 'starting (→ Ready)', 'DNS catching up', 'not back'] as const;
const COLOURS = ['#8a8f98', '#f2a541', '#2e9e4f', '#4c78a8', '#d64541'];

/** The recovery bound the run judged against, in ms, when its parameters name one. */
function boundMs(journal: Journal): number | undefined {
  const v = journal.parameters['recoveryWithin'];
  if (typeof v === 'number') return v;
  return typeof v === 'string' ? parseDuration(v) : undefined;
}

export function recoverySpec(journal: Journal): ChartSpec | undefined {
  const pods = podRows(journal.events).filter((r) => r.deletedAt !== undefined);
  if (pods.length === 0) return undefined;
  const end = journalEndMs(journal);
  const rows: Row[] = [];
  for (const p of pods) {
    const t0 = toMs(p.deletedAt)!;
    const marks = [toMs(p.goneAt), toMs(p.recreatedAt), toMs(p.readyAt), toMs(p.dnsAt)];
    let from = t0;
    marks.forEach((m, i) => {
      if (m === undefined || m < from) return;
      rows.push({ pod: p.pod, segment: SEGMENTS[i]!, start: (from - t0) / 1000, end: (m - t0) / 1000 });
      from = m;
    });
    if (p.readyAt === undefined && end !== undefined && end > from) rows.push({ pod: p.pod, segment: 'not back', start: (from - t0) / 1000, end: (end - t0) / 1000 });
  }
  const bound = boundMs(journal);
  const height = Math.max(60, pods.length * 24);
  const title = `Recovery per pod (seconds after its deletion${bound !== undefined ? `; bound ${bound / 1000} s` : ''})`;
  const x = { type: 'quantitative', title: 'seconds after the deletion', scale: { domainMin: 0 } };
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows },
      mark: { type: 'bar', height: 14 },
      encoding: {
        y: { field: 'pod', type: 'nominal', sort: pods.map((p) => p.pod), title: null, axis: { labelLimit: 300 } },
        x: { field: 'start', ...x },
        x2: { field: 'end' },
        color: { field: 'segment', type: 'nominal', title: null, scale: { domain: [...SEGMENTS], range: COLOURS }, legend: { orient: 'top', direction: 'horizontal', labelLimit: 200 } },
        tooltip: [{ field: 'pod' }, { field: 'segment' }, { field: 'start', title: 'from s' }, { field: 'end', title: 'to s' }],
      },
    },
  ];
  if (bound !== undefined) {
    layers.push({ data: { values: [{ bound: bound / 1000 }] }, mark: { type: 'rule', color: '#cf222e', strokeDash: [5, 3], strokeWidth: 2 }, encoding: { x: { field: 'bound', ...x } } });
  }
  return { title, spec: base(title, height, layers, 700) };
}
