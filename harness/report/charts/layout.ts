// What every chart shares: sizes, time domains, the window and phase bands, the spec frame.
import type { TopLevelSpec } from 'vega-lite';
import type { Journal } from '../../journal/schema.ts';
import { toMs } from '../format.ts';

export interface ChartSpec {
  title: string;
  spec: TopLevelSpec;
}

export const WIDTH = 820;
// Lane labels and legends sit beside the plot; a narrower plot keeps the whole chart page-wide.
export const LANE_CHART_WIDTH = 700;
export const LANE_HEIGHT = 22;
// Thousands of points make a multi-megabyte SVG that no one can read anyway.
export const MAX_TIMELINE_EVENTS = 3000;
export const MAX_SERIES_POINTS = 1500;
export const MAX_LANES = 60;
export const WINDOW_COLOUR = '#f2a541';
export const PHASE_COLOUR = '#8a8f98';

export interface Row {
  [key: string]: string | number;
}

export interface Domain {
  min: number;
  max: number;
}

// A loop, not Math.min(...values): long series would overflow the call stack.
export function minMax(values: number[]): Domain | undefined {
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
export function timeDomain(values: number[]): Domain | undefined {
  const range = minMax(values);
  if (!range) return undefined;
  let { min, max } = range;
  const pad = max === min ? 30_000 : Math.max((max - min) * 0.02, 500);
  min -= pad;
  max += pad;
  return { min, max };
}

// Every layer carries the same axis: Vega-Lite merges layer axes, and one `axis: null` hides it.
export function xEncoding(domain: Domain, field: string): Record<string, unknown> {
  return {
    field,
    type: 'temporal',
    scale: { type: 'utc', domain: [domain.min, domain.max] },
    axis: { title: 'time (UTC)', format: '%H:%M:%S', labelOverlap: true, grid: true },
  };
}

export function windowRows(journal: Journal, fallbackEnd: number | undefined): Row[] {
  const rows: Row[] = [];
  for (const w of journal.windows) {
    const start = toMs(w.start);
    const end = toMs(w.end) ?? fallbackEnd;
    if (start === undefined || end === undefined) continue;
    rows.push({ start, end: Math.max(end, start), name: w.name, open: w.end === undefined ? 1 : 0 });
  }
  return rows;
}

export function phaseRows(journal: Journal): Row[] {
  const rows: Row[] = [];
  for (const p of journal.phases) {
    const t = toMs(p.startedAt);
    if (t !== undefined) rows.push({ t, phase: p.phase });
  }
  return rows;
}

/** Shaded windows (load, fault) with their names at the bottom of the plot. */
export function windowLayers(windows: Row[], domain: Domain, height: number): Record<string, unknown>[] {
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
export function phaseLayers(phases: Row[], domain: Domain, width: number): Record<string, unknown>[] {
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

export function base(title: string, height: number, layer: Record<string, unknown>[], width = WIDTH): TopLevelSpec {
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

