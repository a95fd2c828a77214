// The probe matrix over time: one lane per client → target path, coloured by outcome.
import type { Journal } from '../../journal/schema.ts';
import { LANE_CHART_WIDTH, MAX_TIMELINE_EVENTS, xEncoding, windowLayers, phaseLayers, base, type ChartSpec } from './layout.ts';
import { bands, probeLane, laneNamer, eventRows, laneHeight } from './timeline.ts';

// Served (an HTTP status below 500) is green; a connection-level rejection (reset, closed without a
// response) red; a broken probe (timeout, DNS failure, refused, exec error) orange.
export const GOOD = /^(ok|success|succeeded|allowed|connected|pass(ed)?|[1-4]\d\d)$/i;
export const REJECTED = /^(rejected|reset|closed|denied|blocked|fail(ed|ure)?)$/i;

export function outcomeColour(outcome: string): string {
  if (GOOD.test(outcome)) return '#2e9e4f';
  if (REJECTED.test(outcome)) return '#d64541';
  if (/timeout|error|dns|refused/i.test(outcome)) return '#e8912d';
  return '#7f7f7f';
}

/** The mTLS matrix: one lane per client → target pair, coloured by what the probe saw. */
export function probeSpec(journal: Journal): ChartSpec | undefined {
  // Only probe events naming a client → target pair belong in the matrix (mTLS probes).
  const probes = journal.events.filter((e) => e.source === 'probe' && probeLane(e) !== undefined);
  const rows = eventRows(probes, laneNamer(undefined)).slice(0, MAX_TIMELINE_EVENTS);
  if (rows.length === 0) return undefined;
  for (const r of rows) if (r.outcome === '') r.outcome = r.type as string;
  const { windows, phases, domain } = bands(journal, rows);
  if (!domain) return undefined;
  const lanes = [...new Set(rows.map((r) => r.lane as string))].sort();
  const outcomes = [...new Set(rows.map((r) => r.outcome as string))].sort();
  const height = laneHeight(lanes.length);
  const title = 'Probe matrix over time';
  return {
    title,
    spec: base(title, height, [
      ...windowLayers(windows, domain, height),
      ...phaseLayers(phases, domain, LANE_CHART_WIDTH),
      {
        data: { values: rows },
        mark: { type: 'square', filled: true, size: 110 },
        encoding: {
          x: xEncoding(domain, 't'),
          y: { field: 'lane', type: 'nominal', sort: lanes, title: null, axis: { labelLimit: 300 } },
          color: {
            field: 'outcome',
            type: 'nominal',
            title: 'outcome',
            scale: { domain: outcomes, range: outcomes.map(outcomeColour) },
          },
          tooltip: [{ field: 'time', title: 'at' }, { field: 'lane', title: 'probe' }, { field: 'outcome' }, { field: 'message' }],
        },
      },
    ], LANE_CHART_WIDTH),
  };
}

