// Charts for report.html: Vega-Lite specs built from the journal, rendered to SVG in Node
// (renderer 'none' + toSVG needs neither a browser nor node-canvas).
import { View, parse } from 'vega';
import type { LoggerInterface } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { EventRecord, Journal } from '../journal/schema.ts';
import { escapeHtml, journalEndMs, toMs, truncate } from './format.ts';

export interface ChartSpec {
  title: string;
  spec: TopLevelSpec;
}

export interface RenderedChart {
  title: string;
  svg: string;
}

const WIDTH = 820;
// Lane labels and legends sit beside the plot; a narrower plot keeps the whole chart page-wide.
const LANE_CHART_WIDTH = 700;
const LANE_HEIGHT = 22;
// Thousands of points make a multi-megabyte SVG that no one can read anyway.
export const MAX_TIMELINE_EVENTS = 3000;
export const MAX_SERIES_POINTS = 1500;
export const MAX_LANES = 60;
const WINDOW_COLOUR = '#f2a541';
const PHASE_COLOUR = '#8a8f98';

interface Row {
  [key: string]: string | number;
}

interface Domain {
  min: number;
  max: number;
}

// A loop, not Math.min(...values): long series would overflow the call stack.
function minMax(values: number[]): Domain | undefined {
  if (values.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Shared x range: everything the chart shows, padded so a lone point is not on the frame. */
function timeDomain(values: number[]): Domain | undefined {
  const range = minMax(values);
  if (!range) return undefined;
  let { min, max } = range;
  const pad = max === min ? 30_000 : Math.max((max - min) * 0.02, 500);
  min -= pad;
  max += pad;
  return { min, max };
}

// Every layer carries the same axis: Vega-Lite merges layer axes, and one `axis: null` hides it.
function xEncoding(domain: Domain, field: string): Record<string, unknown> {
  return {
    field,
    type: 'temporal',
    scale: { type: 'utc', domain: [domain.min, domain.max] },
    axis: { title: 'time (UTC)', format: '%H:%M:%S', labelOverlap: true, grid: true },
  };
}

function windowRows(journal: Journal, fallbackEnd: number | undefined): Row[] {
  const rows: Row[] = [];
  for (const w of journal.windows) {
    const start = toMs(w.start);
    const end = toMs(w.end) ?? fallbackEnd;
    if (start === undefined || end === undefined) continue;
    rows.push({ start, end: Math.max(end, start), name: w.name, open: w.end === undefined ? 1 : 0 });
  }
  return rows;
}

function phaseRows(journal: Journal): Row[] {
  const rows: Row[] = [];
  for (const p of journal.phases) {
    const t = toMs(p.startedAt);
    if (t !== undefined) rows.push({ t, phase: p.phase });
  }
  return rows;
}

/** Shaded windows (load, fault) with their names at the bottom of the plot. */
function windowLayers(windows: Row[], domain: Domain, height: number): Record<string, unknown>[] {
  if (windows.length === 0) return [];
  return [
    {
      data: { values: windows },
      mark: { type: 'rect', color: WINDOW_COLOUR, opacity: 0.18 },
      encoding: { x: xEncoding(domain, 'start'), x2: { field: 'end' } },
    },
    {
      data: { values: windows },
      mark: {
        type: 'text',
        color: '#9a5b00',
        align: 'left',
        baseline: 'bottom',
        dx: 3,
        dy: -2,
        fontSize: 10,
        fontWeight: 'bold',
      },
      encoding: { x: xEncoding(domain, 'start'), y: { value: height }, text: { field: 'name' } },
    },
  ];
}

/** Phase starts as dashed rules, labelled along the rule where the phase is wide enough to read. */
function phaseLayers(phases: Row[], domain: Domain, width: number): Record<string, unknown>[] {
  if (phases.length === 0) return [];
  const minGap = ((domain.max - domain.min) / width) * 12;
  const labelled = phases.filter((p, i) => {
    const next = phases[i + 1];
    return next === undefined || (next.t as number) - (p.t as number) >= minGap;
  });
  return [
    {
      data: { values: phases },
      mark: { type: 'rule', color: PHASE_COLOUR, strokeDash: [4, 3], strokeWidth: 1 },
      encoding: { x: xEncoding(domain, 't') },
    },
    {
      data: { values: labelled },
      mark: { type: 'text', color: '#5c6068', angle: 90, align: 'left', baseline: 'bottom', dx: 3, dy: -2, fontSize: 9 },
      encoding: { x: xEncoding(domain, 't'), y: { value: 0 }, text: { field: 'phase' } },
    },
  ];
}

function probeLane(e: EventRecord): string | undefined {
  const client = e.data?.['client'];
  const target = e.data?.['target'];
  return typeof client === 'string' && typeof target === 'string' ? `${client} → ${target}` : undefined;
}

/** The namespace every namespaced event object is in, when there is exactly one. */
function sharedNamespace(events: EventRecord[]): string | undefined {
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
function laneNamer(shared: string | undefined): (e: EventRecord) => string {
  return (e) => {
    const probe = e.source === 'probe' ? probeLane(e) : undefined;
    if (probe) return probe;
    if (!e.object) return e.source;
    const parts = e.object.split('/');
    return shared && parts.length === 3 && parts[1] === shared ? `${parts[0]}/${parts[2]}` : e.object;
  };
}

function eventRows(events: EventRecord[], lane: (e: EventRecord) => string): Row[] {
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

function laneHeight(lanes: number): number {
  return Math.max(120, lanes * LANE_HEIGHT);
}

function timelineSpec(journal: Journal): ChartSpec | undefined {
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
  const end = journalEndMs(journal);
  const windows = windowRows(journal, end);
  const phases = phaseRows(journal);
  const domain = timeDomain([
    ...rows.map((r) => r.t as number),
    ...windows.flatMap((w) => [w.start as number, w.end as number]),
    ...phases.map((p) => p.t as number),
  ]);
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
        mark: { type: 'point', filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x: xEncoding(domain, 't'),
          y: {
            field: 'lane',
            type: 'nominal',
            sort: lanes,
            title: namespace ? `namespace ${namespace}` : null,
            axis: { labelLimit: 320 },
          },
          color: { field: 'type', type: 'nominal', title: 'event type', scale: { scheme: 'tableau10' } },
          shape: { field: 'source', type: 'nominal', title: 'source' },
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

// Served (an HTTP status below 500) is green; a connection-level rejection (reset, closed without a
// response) red; a broken probe (timeout, DNS failure, refused, exec error) orange.
const GOOD = /^(ok|success|succeeded|allowed|connected|pass(ed)?|[1-4]\d\d)$/i;
const REJECTED = /^(rejected|reset|closed|denied|blocked|fail(ed|ure)?)$/i;

function outcomeColour(outcome: string): string {
  if (GOOD.test(outcome)) return '#2e9e4f';
  if (REJECTED.test(outcome)) return '#d64541';
  if (/timeout|error|dns|refused/i.test(outcome)) return '#e8912d';
  return '#7f7f7f';
}

/** The mTLS matrix: one lane per client → target pair, coloured by what the probe saw. */
function probeSpec(journal: Journal): ChartSpec | undefined {
  // Only probe events naming a client → target pair belong in the matrix (mTLS probes).
  const probes = journal.events.filter((e) => e.source === 'probe' && probeLane(e) !== undefined);
  const rows = eventRows(probes, laneNamer(undefined)).slice(0, MAX_TIMELINE_EVENTS);
  if (rows.length === 0) return undefined;
  for (const r of rows) if (r.outcome === '') r.outcome = r.type as string;
  const windows = windowRows(journal, journalEndMs(journal));
  const phases = phaseRows(journal);
  const domain = timeDomain([
    ...rows.map((r) => r.t as number),
    ...windows.flatMap((w) => [w.start as number, w.end as number]),
    ...phases.map((p) => p.t as number),
  ]);
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

/**
 * Keep at most about `max` points, taking the lowest and highest of each time bucket so
 * spikes survive; the chart is a picture, the journal keeps every sample.
 */
export function downsample<P extends { t: number; value: number }>(points: P[], max: number): P[] {
  if (points.length <= max) return points;
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = sorted.length / buckets;
  const out: P[] = [];
  for (let b = 0; b < buckets; b++) {
    const slice = sorted.slice(Math.floor(b * size), Math.floor((b + 1) * size));
    if (slice.length === 0) continue;
    let lo = slice[0]!;
    let hi = slice[0]!;
    for (const p of slice) {
      if (p.value < lo.value) lo = p;
      if (p.value > hi.value) hi = p;
    }
    if (lo === hi) out.push(lo);
    else out.push(...(lo.t <= hi.t ? [lo, hi] : [hi, lo]));
  }
  return out;
}

function seriesSpecs(journal: Journal): ChartSpec[] {
  const groups = new Map<string, Journal['series']>();
  for (const s of journal.series) {
    const list = groups.get(s.group) ?? [];
    list.push(s);
    groups.set(s.group, list);
  }
  const windows = windowRows(journal, journalEndMs(journal));
  const charts: ChartSpec[] = [];
  for (const [group, list] of groups) {
    const rows: Row[] = [];
    for (const s of list) {
      const points: { t: number; at: string; value: number }[] = [];
      for (const p of s.points) {
        const t = toMs(p.at);
        if (t === undefined || !Number.isFinite(p.value)) continue;
        points.push({ t, at: p.at, value: p.value });
      }
      for (const p of downsample(points, MAX_SERIES_POINTS)) {
        rows.push({ t: p.t, time: p.at, series: s.name, value: p.value, unit: s.unit });
      }
    }
    if (rows.length === 0) continue;
    const units = [...new Set(list.map((s) => s.unit).filter((u) => u !== ''))];
    const unitText = units.join(' / ');
    const yTitle = unitText === '' ? group : unitText === group ? group : `${group} (${unitText})`;
    // Only windows that overlap the data; a load window hours away would squash the plot.
    const times = rows.map((r) => r.t as number);
    const span = minMax(times);
    if (!span) continue;
    const shown = windows.filter((w) => (w.end as number) >= span.min && (w.start as number) <= span.max);
    const domain = timeDomain([...times, ...shown.flatMap((w) => [w.start as number, w.end as number])]);
    if (!domain) continue;
    const height = 260;
    const title = `${group} over time`;
    const seriesNames = list.map((s) => s.name);
    charts.push({
      title,
      spec: base(title, height, [
        ...windowLayers(shown, domain, height),
        {
          data: { values: rows },
          // Markers help with sparse samples (one per HPA sync) and only clutter dense ones.
          mark: { type: 'line', point: rows.length <= 400 ? { filled: true, size: 36 } : false, strokeWidth: 2 },
          encoding: {
            x: xEncoding(domain, 't'),
            y: { field: 'value', type: 'quantitative', title: yTitle },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              sort: seriesNames,
              scale: { scheme: 'tableau10' },
              legend: { orient: 'top', labelLimit: 300 },
            },
            // A "predicted" series reads better dashed next to what actually happened.
            strokeDash: {
              field: 'series',
              type: 'nominal',
              sort: seriesNames,
              scale: {
                domain: seriesNames,
                range: seriesNames.map((n) => (/predict|expect|formula/i.test(n) ? [6, 4] : [1, 0])),
              },
              legend: null,
            },
            tooltip: [
              { field: 'time', title: 'at' },
              { field: 'series' },
              { field: 'value', type: 'quantitative' },
              { field: 'unit' },
            ],
          },
        },
      ]),
    });
  }
  return charts;
}

function base(title: string, height: number, layer: Record<string, unknown>[], width = WIDTH): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 14 },
    width,
    height,
    background: 'white',
    padding: 8,
    config: { view: { stroke: '#d0d4da' }, axis: { labelFontSize: 10, titleFontSize: 11 }, legend: { labelFontSize: 10 } },
    layer,
  } as unknown as TopLevelSpec;
}

/** Every chart the journal has data for, in report order. */
export function buildChartSpecs(journal: Journal): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const timeline = timelineSpec(journal);
  if (timeline) charts.push(timeline);
  const probes = probeSpec(journal);
  if (probes) charts.push(probes);
  charts.push(...seriesSpecs(journal));
  return charts;
}

/** Render one Vega-Lite spec to an SVG string without a browser. */
export async function renderSpecToSvg(spec: TopLevelSpec): Promise<string> {
  const logger = quietLogger();
  const vg = compile(spec, { logger }).spec;
  const view = new View(parse(vg), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render every chart; one that cannot render becomes a placeholder instead of losing the report. */
export async function renderCharts(journal: Journal): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const chart of buildChartSpecs(journal)) {
    try {
      out.push({ title: chart.title, svg: await renderSpecToSvg(chart.spec) });
    } catch (err) {
      out.push({ title: chart.title, svg: placeholderSvg(`chart could not be rendered: ${(err as Error).message}`) });
    }
  }
  return out;
}

function placeholderSvg(message: string): string {
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" width="820" height="40" viewBox="0 0 820 40">' +
    `<text x="8" y="24" font-family="sans-serif" font-size="12" fill="#a33">${escapeHtml(truncate(message, 200))}</text></svg>`
  );
}

// Vega logs warnings (e.g. dropped invalid values) to the console; a report writer keeps quiet.
function quietLogger(): LoggerInterface {
  let level = 0;
  const logger: LoggerInterface = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error() {
      return logger;
    },
    warn() {
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}
