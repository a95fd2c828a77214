// What the reports show of a run's metrics and, after `run --baseline`, of its comparison with
// the baseline: rows for the Markdown and HTML tables, and the baseline-vs-current chart.
import type { TopLevelSpec } from 'vega-lite';
import { formatValue } from '../compare/render.ts';
import { median, percentile } from '../compare/stats.ts';
import type { Journal, MetricComparisonRecord } from '../journal/schema.ts';
import { WIDTH, type ChartSpec } from './charts/layout.ts';

const summary = (xs: readonly number[], unit: string) => (xs.length ? `${formatValue(median(xs), unit)} / ${formatValue(percentile(xs, 95), unit)} (n=${xs.length})` : '– (n=0)');

export const METRIC_HEAD = ['Metric', 'Median / p95 (n)', 'Target', 'Description'];

/** One row per recorded metric. */
export function metricRows(journal: Journal): string[][] {
  return journal.metrics.map((m) => [m.name, summary(m.samples, m.unit), m.target ?? '', m.description ?? '']);
}

export const COMPARISON_HEAD = ['Metric', 'Baseline median / p95 (n)', 'Current median / p95 (n)', 'Change [95% CI]', 'Verdict', 'Why'];

function change(m: MetricComparisonRecord): string {
  const c = m['change'] as { absolute: number; absoluteCi95: [number, number]; relative?: number } | undefined;
  if (!c) return '–';
  const s = (v: number) => (v > 0 ? '+' : v < 0 ? '−' : '±') + formatValue(Math.abs(v), m.unit);
  return `${s(c.absolute)} [${s(c.absoluteCi95[0])}, ${s(c.absoluteCi95[1])}]${c.relative === undefined ? '' : ` (×${c.relative.toFixed(2)})`}`;
}

/** One row per compared metric. */
export function comparisonRows(journal: Journal): { rows: string[][]; regressed: boolean[] } {
  const ms = journal.comparison?.metrics ?? [];
  return {
    rows: ms.map((m) => [m.name, summary(m.baseline, m.unit), summary(m.current, m.unit), change(m), m.verdict, m.reason]),
    regressed: ms.map((m) => m.verdict === 'regressed'),
  };
}

/** Where the baseline came from, in one line. */
export function comparisonSource(journal: Journal): string {
  const b = journal.comparison?.baseline;
  return b ? `${b.source} (${b.runs.length} run(s): ${b.runs.slice(-5).join(', ')}${b.runs.length > 5 ? ', …' : ''})` : '';
}

/** Baseline vs current samples of each compared metric, one row per metric, coloured by side. */
export function comparisonSpec(journal: Journal): ChartSpec | undefined {
  const ms = (journal.comparison?.metrics ?? []).filter((m) => m.baseline.length + m.current.length > 0);
  if (ms.length === 0) return undefined;
  const values = ms.flatMap((m) => [
    ...m.baseline.map((v) => ({ metric: `${m.name} (${m.unit}) — ${m.verdict}`, side: 'baseline', value: v })),
    ...m.current.map((v) => ({ metric: `${m.name} (${m.unit}) — ${m.verdict}`, side: 'current', value: v })),
  ]);
  const title = 'Baseline vs current, per metric';
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelLimit: 400 } } },
    spec: {
      width: WIDTH - 200,
      height: 44,
      layer: [
        { mark: { type: 'tick', thickness: 2, opacity: 0.7 }, encoding: { x: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } }, y: { field: 'side', type: 'nominal', title: null }, color: { field: 'side', type: 'nominal', scale: { domain: ['baseline', 'current'], range: ['#8a8f98', '#1f6feb'] } } } },
        { mark: { type: 'point', shape: 'diamond', size: 90, filled: true, color: '#000' }, encoding: { x: { aggregate: 'median', field: 'value', type: 'quantitative' }, y: { field: 'side', type: 'nominal' } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
  return { title, spec };
}
