// The event timeline: one lane per object, the run's phases and windows as bands.
import type { EventRecord, Journal } from '../../journal/schema.ts';
import { journalEndMs, toMs, truncate } from '../format.ts';
import { LANE_CHART_WIDTH, LANE_HEIGHT, MAX_TIMELINE_EVENTS, MAX_LANES, timeDomain, xEncoding, windowRows, phaseRows, windowLayers, phaseLayers, base, type ChartSpec, type Domain, type Row } from './layout.ts';

export function probeLane(e: EventRecord): string | undefined {
  const client = e.data?.['client'];
  const target = e.data?.['target'];
  return typeof client === 'string' && typeof target === 'string' ? `${client} → ${target}` : undefined;
}

/** The namespace every namespaced event object is in, when there is exactly one. */
export function sharedNamespace(events: EventRecord[]): string | undefined {
  const namespaces = new Set<string>();
  for (const e of events) {
    const parts = e.object?.split('/');
    if (parts?.length === 3 && parts[1]) namespaces.add(parts[1]);
  }
  return namespaces.size === 1 ? [...namespaces][0] : undefined;
}

/**
 * Lane label for an event: the probe pair, else the object, else the source. Objects are
 * "Kind/namespace/name"; the namespace shared by all of them is dropped so labels fit.
 */
export function laneNamer(shared: string | undefined): (e: EventRecord) => string {
  return (e) => {
    const probe = e.source === 'probe' ? probeLane(e) : undefined;
    if (probe) return probe;
    if (!e.object) return e.source;
    const parts = e.object.split('/');
    return shared && parts.length === 3 && parts[1] === shared ? `${parts[0]}/${parts[2]}` : e.object;
  };
}

export function eventRows(events: EventRecord[], lane: (e: EventRecord) => string): Row[] {
  const rows: Row[] = [];
  for (const e of events) {
    const t = toMs(e.at);
    if (t === undefined) continue;
    rows.push({
      t,
      time: e.at,
      lane: lane(e),
      type: e.type,
      source: e.source,
      object: e.object ?? '',
      message: truncate(e.message, 200),
      outcome: typeof e.data?.['outcome'] === 'string' ? e.data['outcome'] : '',
    });
  }
  return rows;
}

export function laneHeight(lanes: number): number {
  return Math.max(120, lanes * LANE_HEIGHT);
}

export function timelineSpec(journal: Journal): ChartSpec | undefined {
  const namespace = sharedNamespace(journal.events);
  const all = eventRows(journal.events, laneNamer(namespace));
  if (all.length === 0) return undefined;
  // Bounded twice: in events (SVG size) and in lanes (height); the first to appear are kept.
  const firstLanes = new Set<string>();
  for (const r of all) {
    if (firstLanes.size >= MAX_LANES) break;
    firstLanes.add(r.lane as string);
  }
  const rows = all.filter((r) => firstLanes.has(r.lane as string)).slice(0, MAX_TIMELINE_EVENTS);
  const { windows, phases, domain } = bands(journal, rows);
  if (!domain) return undefined;
  const lanes = [...new Set(rows.map((r) => r.lane as string))].sort();
  const height = laneHeight(lanes.length);
  const title = all.length > rows.length ? `Event timeline (${rows.length} of ${all.length} events shown)` : 'Event timeline';
  return {
    title,
    spec: base(title, height, [
      ...windowLayers(windows, domain, height),
      ...phaseLayers(phases, domain, LANE_CHART_WIDTH),
      {
        data: { values: rows },
        // Small, translucent marks: a pod's events a few ms apart would hide each other.
        mark: { type: 'point', filled: true, size: 40, opacity: 0.7 },
        encoding: {
          x: xEncoding(domain, 't'),
          y: {
            field: 'lane',
            type: 'nominal',
            sort: lanes,
            title: namespace ? `namespace ${namespace}` : null,
            axis: { labelLimit: 320 },
          },
          // Legends below the plot, in columns: beside it, dozens of event types ran off the page.
          color: { field: 'type', type: 'nominal', title: 'event type', scale: { scheme: 'tableau20' }, legend: { orient: 'bottom', direction: 'horizontal', columns: 4, labelLimit: 140 } },
          shape: { field: 'source', type: 'nominal', title: 'source', legend: { orient: 'bottom', direction: 'horizontal', columns: 4 } },
          tooltip: [
            { field: 'time', title: 'at' },
            { field: 'source' },
            { field: 'type' },
            { field: 'object' },
            { field: 'message' },
          ],
        },
      },
    ], LANE_CHART_WIDTH),
  };
}

/** The run's windows and phases as bands, and the time domain that holds them and the lane rows. */
export function bands(journal: Journal, rows: Row[]): { windows: Row[]; phases: Row[]; domain: Domain | undefined } {
  const windows = windowRows(journal, journalEndMs(journal));
  const phases = phaseRows(journal);
  const domain = timeDomain([
    ...rows.map((r) => r.t as number),
    ...windows.flatMap((w) => [w.start as number, w.end as number]),
    ...phases.map((p) => p.t as number),
  ]);
  return { windows, phases, domain };
}
