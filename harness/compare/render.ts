// How a comparison reads: a table for a terminal, Markdown for a PR comment, JSON for machines.
import type { Comparison, MetricComparison } from './compare.ts';

/** A value in its unit, readable: ms as ms or s, ratios as percent. */
export function formatValue(v: number | undefined, unit: string): string {
  if (v === undefined) return '–';
  if (unit === 'ms') return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v * 10) / 10} ms`;
  if (unit === 'ratio') return `${(v * 100).toFixed(1)}%`;
  return `${Number(v.toPrecision(4))} ${unit}`;
}

const signed = (v: number, unit: string) => (v > 0 ? '+' : v < 0 ? '−' : '±') + formatValue(Math.abs(v), unit);

/** The change with its interval: "+2.10 s [+1.80 s, +2.40 s] (×3.1)". */
export function formatChange(m: MetricComparison): string {
  if (!m.change) return '–';
  const [lo, hi] = m.change.absoluteCi95;
  const ratio = m.change.relative === undefined ? '' : ` (×${m.change.relative.toFixed(2)})`;
  return `${signed(m.change.absolute, m.unit)} [${signed(lo, m.unit)}, ${signed(hi, m.unit)}]${ratio}`;
}

const MARK: Record<MetricComparison['verdict'], string> = { regressed: 'REGRESSED', improved: 'improved', unchanged: 'unchanged', 'not enough data': 'not enough data' };

function rows(c: Comparison): string[][] {
  return c.metrics.map((m) => [
    m.name,
    `${formatValue(m.baseline.median, m.unit)} / ${formatValue(m.baseline.p95, m.unit)} (n=${m.baseline.n})`,
    `${formatValue(m.current.median, m.unit)} / ${formatValue(m.current.p95, m.unit)} (n=${m.current.n})`,
    formatChange(m),
    MARK[m.verdict],
    m.reason,
  ]);
}

const HEAD = ['metric', 'baseline median / p95', 'current median / p95', 'change [95% CI]', 'verdict', 'why'];

function summary(c: Comparison): string {
  const n = (v: MetricComparison['verdict']) => c.metrics.filter((m) => m.verdict === v).length;
  return `${c.experiment}: ${c.current.runId} vs ${c.baseline.runs.length} baseline run(s) — ${n('regressed')} regressed, ${n('improved')} improved, ${n('unchanged')} unchanged, ${n('not enough data')} not enough data`;
}

/** Aligned columns for a terminal. */
export function renderTable(c: Comparison): string {
  const all = [HEAD, ...rows(c)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!))).join('  ').trimEnd();
  const skipped = c.baseline.skipped.length ? [`skipped baseline runs: ${c.baseline.skipped.join('; ')}`] : [];
  return [summary(c), '', line(HEAD), ...rows(c).map(line), ...skipped].join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown section fit for a PR comment. */
export function renderMarkdown(c: Comparison, heading = '## Compared with the baseline'): string {
  const lines = [heading, '', summary(c), '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows(c)) lines.push(`| ${r.map((x, i) => (i === 4 && x === 'REGRESSED' ? '**REGRESSED**' : cell(x))).join(' | ')} |`);
  lines.push('', `Baseline: \`${c.baseline.source}\` (${c.baseline.runs.length} run(s)); bootstrap seed ${c.seed}. A regression needs the ratio, the absolute floor and a 95 % interval above 0.`);
  return lines.join('\n');
}

/** JSON without the raw samples' duplication concerns: everything, for machines. */
export function renderJson(c: Comparison): string {
  return JSON.stringify(c, null, 2);
}
