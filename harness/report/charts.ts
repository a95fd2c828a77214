// Charts for report.html: Vega-Lite specs built from the journal, rendered to SVG in Node
// (renderer 'none' + toSVG needs neither a browser nor node-canvas).
import { View, parse } from 'vega';
import type { LoggerInterface } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Journal } from '../journal/schema.ts';
import { escapeHtml, truncate } from './format.ts';
import type { ChartSpec } from './charts/layout.ts';
import { comparisonSpec } from './comparison.ts';
import { probeSpec } from './charts/probes.ts';
import { seriesSpecs } from './charts/series.ts';
import { timelineSpec } from './charts/timeline.ts';

export type { ChartSpec };
export { downsample } from './charts/series.ts';
export { MAX_LANES, MAX_SERIES_POINTS, MAX_TIMELINE_EVENTS } from './charts/layout.ts';


export interface RenderedChart {
  title: string;
  svg: string;
}

/** Every chart the journal has data for, in report order. */
export function buildChartSpecs(journal: Journal): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const timeline = timelineSpec(journal);
  if (timeline) charts.push(timeline);
  const probes = probeSpec(journal);
  if (probes) charts.push(probes);
  charts.push(...seriesSpecs(journal));
  const comparison = comparisonSpec(journal);
  if (comparison) charts.push(comparison);
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

