// `shakedown history <folder>`: one HTML page with each metric of each experiment over its last
// runs (median per run, with the p95 beside it), every run compared with the comparable runs
// before it (the same rules as `compare`) and its regressions marked.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSpecToSvg } from '../report/charts.ts';
import { escapeHtml as e } from '../report/format.ts';
import { compareRuns, differences } from './compare.ts';
import { loadRuns, usable, type LoadedRun } from './inputs.ts';
import { formatValue } from './render.ts';
import { median, percentile } from './stats.ts';

export interface HistoryPoint {
  run: string;
  startedAt: string;
  median: number;
  p95: number;
  n: number;
  regressed: boolean;
}

export interface MetricHistory {
  experiment: string;
  metric: string;
  unit: string;
  points: HistoryPoint[];
}

/** The trend of every metric: each run compared with up to `window` comparable runs before it. */
export function buildHistory(all: readonly LoadedRun[], opts: { last: number; window: number; minSamples?: number }): MetricHistory[] {
  const runs = all.filter((r) => usable(r.journal) === undefined);
  const out = new Map<string, MetricHistory>();
  for (const name of [...new Set(runs.map((r) => r.journal.experiment.name))].sort()) {
    const mine = runs.filter((r) => r.journal.experiment.name === name).slice(-opts.last);
    mine.forEach((r, i) => {
      const before = mine.slice(0, i).filter((p) => differences(p.journal, r.journal).length === 0).slice(-opts.window);
      const c = before.length ? compareRuns(before, r, { baselineSource: 'history', ...(opts.minSamples ? { minSamples: opts.minSamples } : {}) }) : undefined;
      for (const m of r.journal.metrics) {
        if (m.samples.length === 0) continue;
        const key = `${name}\u0000${m.name}`;
        const h = out.get(key) ?? { experiment: name, metric: m.name, unit: m.unit, points: [] };
        const regressed = c?.metrics.find((x) => x.name === m.name)?.verdict === 'regressed';
        h.points.push({ run: r.journal.runId, startedAt: r.journal.startedAt, median: median(m.samples), p95: percentile(m.samples, 95), n: m.samples.length, regressed });
        out.set(key, h);
      }
    });
  }
  return [...out.values()];
}

/** A Vega-Lite chart of one metric's medians and p95s over runs, regressions as red points. */
export function historySpec(h: MetricHistory): TopLevelSpec {
  const values = h.points.flatMap((p) => [
    { at: p.startedAt, value: p.median, stat: 'median', regressed: p.regressed },
    { at: p.startedAt, value: p.p95, stat: 'p95', regressed: false },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 700,
    height: 160,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'at', type: 'temporal', title: 'run start' }, y: { field: 'value', type: 'quantitative', title: h.unit }, color: { field: 'stat', type: 'nominal' } } },
      { transform: [{ filter: 'datum.regressed' }], mark: { type: 'point', shape: 'triangle-up', size: 140, filled: true, color: '#cf222e' }, encoding: { x: { field: 'at', type: 'temporal' }, y: { field: 'value', type: 'quantitative' } } },
    ],
  };
}

export interface HistoryResult {
  file: string;
  runs: number;
  experiments: number;
  regressions: number;
  /** The newest run of some experiment regressed (what a nightly job fails on). */
  newestRegressed: boolean;
}

export async function writeHistory(folder: string, opts: { last: number; window: number; out?: string }): Promise<HistoryResult> {
  const runs = await loadRuns(folder);
  const history = buildHistory(runs, opts);
  const sections: string[] = [];
  for (const h of history) {
    const svg = await renderSpecToSvg(historySpec(h));
    const newest = h.points.at(-1)!;
    const marks = h.points.filter((p) => p.regressed).map((p) => `${e(p.run)} (${e(p.startedAt)})`);
    sections.push(`<section><h2>${e(h.experiment)}: ${e(h.metric)}</h2><p>newest median ${e(formatValue(newest.median, h.unit))} over ${h.points.length} run(s); ${marks.length ? `<strong>regressed in</strong> ${marks.join(', ')}` : 'no regression'}</p>${svg}</section>`);
  }
  const newestRegressed = history.some((h) => h.points.at(-1)?.regressed);
  const file = opts.out ?? join(folder, 'history.html');
  const experiments = new Set(history.map((h) => h.experiment)).size;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>shakedown history</title><style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:0 auto;padding:24px}h2{font-size:16px;border-bottom:1px solid #ddd}</style></head><body><h1>shakedown history: ${e(folder)}</h1><p>${runs.length} run(s); each run compared with up to ${opts.window} comparable earlier run(s); red triangles mark regressions.</p>${sections.join('\n') || '<p>No metrics recorded in these runs.</p>'}</body></html>\n`;
  await writeFile(file, html);
  return { file, runs: runs.length, experiments, regressions: history.reduce((n, h) => n + h.points.filter((p) => p.regressed).length, 0), newestRegressed: Boolean(newestRegressed) };
}
