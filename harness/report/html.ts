// report.html: one self-contained file (inline CSS and SVG, nothing fetched, no script).
import type { CheckRecord, EventRecord, Journal } from '../journal/schema.ts';
import { renderCharts, renderSpecToSvg } from './charts.ts';
import { recoverySpec } from './charts/recovery.ts';
import { COMPARISON_HEAD, METRIC_HEAD, comparisonRows, comparisonSource, metricRows } from './comparison.ts';
import type { RenderedChart } from './charts.ts';
import {
  durationBetween,
  escapeHtml as e,
  formatDuration,
  formatNumber,
  formatValue,
  runDurationMs,
  safeJson,
  toMs,
  truncate,
  verdictLabel,
  verdictReason,
  undoActions,
  paramsInEffect,
} from './format.ts';

// A browser still opens a 20 MB table, but nobody reads it; the journal has everything.
export const MAX_EVENT_ROWS = 5000;

const BADGE_CLASS: Record<string, string> = {
  PASSED: 'passed',
  FAILED: 'failed',
  ERROR: 'error',
  ABORTED: 'aborted',
};

const CSS = `
:root { color-scheme: light; --fg:#1d2330; --muted:#5c6370; --line:#d9dde3; --bg:#ffffff; --soft:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 64px; }
header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; border-bottom: 2px solid var(--line); padding-bottom: 12px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 17px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
.badge { display: inline-block; padding: 4px 12px; border-radius: 4px; font-weight: 700; letter-spacing: .06em; color: #fff; background: #6b7280; }
.badge.passed { background: #1f883d; } .badge.failed { background: #cf222e; }
.badge.error { background: #bc4c00; } .badge.aborted { background: #57606a; } .badge.incomplete { background: #9a6700; }
.summary-line { font-size: 15px; margin: 12px 0 0; }
.callout { border-left: 4px solid #bc4c00; background: #fff4e5; padding: 10px 14px; margin: 14px 0; }
.callout.warn { border-color: #9a6700; background: #fff8c5; }
.callout.fail { border-color: #cf222e; background: #ffebe9; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 14px 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
table.kv th { width: 1%; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.st-failed td:first-child, tr.st-error td:first-child { font-weight: 700; }
.st { display: inline-block; min-width: 56px; padding: 1px 6px; border-radius: 3px; font-size: 12px; font-weight: 600; text-align: center; }
.st.passed, .st.ok { background: #dafbe1; color: #116329; }
.st.failed { background: #ffebe9; color: #a40e26; }
.st.error { background: #fff1e5; color: #953800; }
.st.aborted, .st.running { background: #eaeef2; color: #424a53; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: var(--soft); padding: 8px; overflow: auto; max-height: 420px; margin: 6px 0 0; white-space: pre-wrap; word-break: break-word; }
details > summary { cursor: pointer; color: var(--muted); }
figure { margin: 12px 0 24px; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
.muted { color: var(--muted); }
.wrap { word-break: break-word; }
@media print { details { display: block; } figure { break-inside: avoid; } }
`;

function statusPill(status: string): string {
  return `<span class="st ${e(status)}">${e(status)}</span>`;
}

function rel(journal: Journal, iso: string | undefined): string {
  const d = durationBetween(journal.startedAt, iso);
  return d === undefined ? '' : `+${formatDuration(d)}`;
}

function timeCell(journal: Journal, iso: string | undefined): string {
  if (!iso) return '<td class="muted">–</td>';
  return `<td title="${e(iso)}"><code>${e(timeOfDay(iso))}</code> <span class="muted">${e(rel(journal, iso))}</span></td>`;
}

function timeOfDay(iso: string): string {
  const ms = toMs(iso);
  return ms === undefined ? iso : new Date(ms).toISOString().slice(11, 23);
}

function pre(value: unknown): string {
  return `<pre>${e(typeof value === 'string' ? value : safeJson(value, 2))}</pre>`;
}

function section(title: string, body: string, id?: string): string {
  return `<section${id ? ` id="${e(id)}"` : ''}><h2>${e(title)}</h2>\n${body}\n</section>`;
}

function keyValueTable(entries: [string, unknown][]): string {
  const rows = entries
    .map(([k, v]) => {
      const text = formatValue(v);
      const cell = typeof v === 'object' && v !== null ? pre(v) : `<code>${e(text)}</code>`;
      return `<tr><th scope="row"><code>${e(k)}</code></th><td class="wrap">${cell}</td></tr>`;
    })
    .join('\n');
  return `<table class="kv"><tbody>${rows}</tbody></table>`;
}

function header(journal: Journal): string {
  const label = verdictLabel(journal);
  const cls = BADGE_CLASS[label] ?? 'incomplete';
  const v = journal.verdict;
  const parts: string[] = [];
  parts.push(
    `<header><span class="badge ${cls}">${e(label)}</span><h1>${e(journal.experiment.name)}</h1>` +
      `<span class="muted">run <code>${e(journal.runId)}</code></span></header>`,
  );
  if (journal.status === 'running') {
    parts.push(
      '<div class="callout warn"><strong>Incomplete journal (run did not finish).</strong> ' +
        'The run crashed or is still going; what follows is everything recorded so far.</div>',
    );
  }
  if (v) parts.push(`<p class="summary-line">${e(v.summary)}</p>`);
  const reason = verdictReason(v);
  if (reason) parts.push(`<div class="callout"><strong>Why:</strong> ${e(reason)}</div>`);
  if (v?.kind === 'failed' && v.findings.length > 0) {
    parts.push(
      `<div class="callout fail"><strong>Findings</strong><ul>${v.findings.map((f) => `<li>${e(f)}</li>`).join('')}</ul></div>`,
    );
  }
  return parts.join('\n');
}

function summary(journal: Journal): string {
  const env = journal.environment;
  const meta: [string, string][] = [
    ['Experiment', `<code>${e(journal.experiment.name)}</code> — ${e(journal.experiment.description)}`],
    ['Run id', `<code>${e(journal.runId)}</code>`],
    ['Context', env.context ? `<code>${e(env.context)}</code>${env.server ? ` <span class="muted">${e(env.server)}</span>` : ''}` : '–'],
    ['Kubernetes', e(env.serverVersion ?? '–')],
    ['Started', `<code>${e(journal.startedAt)}</code>`],
    ['Ended', journal.endedAt ? `<code>${e(journal.endedAt)}</code>` : '<span class="muted">did not end</span>'],
    ['Duration', e(formatDuration(runDurationMs(journal)) + (journal.status === 'running' ? ' (so far)' : ''))],
    ['Harness', `shakedown ${e(env.shakedownVersion)}, Node ${e(env.node)}, ${e(env.platform)} on ${e(env.hostname)}`],
  ];
  if (env.dryRun) meta.push(['Dry run', 'yes: nothing in the cluster was touched']);
  const dl = `<dl class="meta">${meta.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join('\n')}</dl>`;
  const params = paramsInEffect(journal);
  const paramTable = params.length > 0 ? `<h3>Parameters</h3>${keyValueTable(params)}` : '<p class="muted">No parameters.</p>';
  return section('Summary', dl + paramTable, 'summary');
}

function charts(list: RenderedChart[]): string {
  if (list.length === 0) return '';
  // The SVG comes from Vega's renderer, which escapes every text it draws.
  const figures = list.map((c) => `<figure aria-label="${e(c.title)}">${c.svg}</figure>`).join('\n');
  return section('Charts', figures, 'charts');
}

function checkRow(journal: Journal, c: CheckRecord): string {
  const evidence =
    Object.keys(c.evidence).length > 0 ? `<details><summary>evidence</summary>${pre(c.evidence)}</details>` : '';
  return (
    `<tr class="st-${e(c.status)}"><td>${statusPill(c.status)}</td>` +
    `<td class="wrap">${e(c.name)}<div class="muted">${e(c.phase)}</div></td>` +
    `<td>${e(c.target ?? '')}</td>` +
    `<td class="wrap">${e(c.expected)}</td>` +
    `<td class="wrap">${e(c.observed)}${evidence}</td>` +
    `${timeCell(journal, c.at)}</tr>`
  );
}

function checks(journal: Journal): string {
  if (journal.checks.length === 0) return section('Checks', '<p class="muted">No checks were recorded.</p>', 'checks');
  const count = (s: CheckRecord['status']): number => journal.checks.filter((c) => c.status === s).length;
  const head = `<p>${count('passed')} passed, ${count('failed')} failed, ${count('error')} error.</p>`;
  const rows = journal.checks.map((c) => checkRow(journal, c)).join('\n');
  return section(
    'Checks',
    `${head}<table><thead><tr><th>Status</th><th>Check</th><th>Target</th><th>Expected</th><th>Observed</th><th>At</th></tr></thead><tbody>${rows}</tbody></table>`,
    'checks',
  );
}

function htmlTable(head: string[], rows: string[][], mark: (i: number) => boolean = () => false): string {
  const body = rows.map((r, i) => `<tr${mark(i) ? ' class="st-failed"' : ''}>${r.map((x) => `<td>${e(x)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

function comparison(journal: Journal): string {
  if (!journal.comparison) return '';
  const { rows, regressed } = comparisonRows(journal);
  return section('Compared with the baseline', `<p class="muted">Baseline: ${e(comparisonSource(journal))}</p>${htmlTable(COMPARISON_HEAD, rows, (i) => regressed[i] === true)}`, 'comparison');
}

function metrics(journal: Journal): string {
  if (journal.metrics.length === 0) return '';
  return section('Metrics', htmlTable(METRIC_HEAD, metricRows(journal)), 'metrics');
}

function measurements(journal: Journal): string {
  if (journal.measurements.length === 0) return '';
  const rows = journal.measurements
    .map(
      (m) =>
        `<tr><td>${e(m.name)}</td><td class="num">${e(formatNumber(m.value))}</td><td>${e(m.unit)}</td><td class="muted">${e(m.description ?? '')}</td></tr>`,
    )
    .join('\n');
  return section(
    'Measurements',
    `<table><thead><tr><th>Measurement</th><th>Value</th><th>Unit</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table>`,
    'measurements',
  );
}

function tables(journal: Journal): string {
  if (journal.tables.length === 0) return '';
  const body = journal.tables
    .map((t) => {
      const headRow = t.columns.map((c) => `<th>${e(c)}</th>`).join('');
      const rows = t.rows
        .map((row) => {
          const width = Math.max(t.columns.length, row.length);
          const cells: string[] = [];
          for (let i = 0; i < width; i++) {
            const v = row[i];
            cells.push(typeof v === 'number' ? `<td class="num">${e(formatNumber(v))}</td>` : `<td>${e(v ?? '')}</td>`);
          }
          return `<tr>${cells.join('')}</tr>`;
        })
        .join('\n');
      return `<h3>${e(t.title)}</h3><table><thead><tr>${headRow}</tr></thead><tbody>${rows}</tbody></table>`;
    })
    .join('\n');
  return section('Tables', body, 'tables');
}

function phases(journal: Journal): string {
  if (journal.phases.length === 0) return section('Phases', '<p class="muted">No phase was started.</p>', 'phases');
  const rows: string[] = [];
  for (const p of journal.phases) {
    rows.push(
      `<tr><th colspan="2" scope="rowgroup">${e(p.phase)}</th><td>${statusPill(p.status ?? 'running')}</td>` +
        `${timeCell(journal, p.startedAt)}<td>${e(p.endedAt ? formatDuration(durationBetween(p.startedAt, p.endedAt)) : 'did not end')}</td><td></td></tr>`,
    );
    for (const s of p.steps) {
      rows.push(
        `<tr><td></td><td class="wrap">${e(s.name)} <span class="muted">(${e(s.kind)})</span><div class="muted">${e(s.description)}</div></td>` +
          `<td>${statusPill(s.status ?? 'running')}</td>${timeCell(journal, s.startedAt)}` +
          `<td>${e(s.endedAt ? formatDuration(durationBetween(s.startedAt, s.endedAt)) : '–')}</td><td class="wrap">${e(s.message ?? '')}</td></tr>`,
      );
    }
  }
  return section(
    'Phases',
    `<table><thead><tr><th>Phase</th><th>Step</th><th>Status</th><th>Started</th><th>Duration</th><th>Message</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`,
    'phases',
  );
}

function rollbacks(journal: Journal): string {
  const actions = undoActions(journal);
  if (actions.length === 0) return section('Rollbacks', '<p class="muted">Nothing needed rolling back.</p>', 'rollbacks');
  const rows = actions
    .map(
      (r) =>
        `<tr><td>${statusPill(r.status)}</td><td>${e(r.phase)}</td><td>${e(r.name)}</td>${timeCell(journal, r.startedAt)}` +
        `<td>${e(formatDuration(durationBetween(r.startedAt, r.endedAt)))}</td><td class="wrap">${e(r.error ?? '')}</td></tr>`,
    )
    .join('\n');
  return section(
    'Rollbacks',
    `<table><thead><tr><th>Status</th><th>Phase</th><th>Action</th><th>Started</th><th>Duration</th><th>Error</th></tr></thead><tbody>${rows}</tbody></table>`,
    'rollbacks',
  );
}

function eventRow(journal: Journal, ev: EventRecord): string {
  const extra: Record<string, unknown> = {};
  if (ev.apiTimes) extra['apiTimes'] = ev.apiTimes;
  if (ev.data) extra['data'] = ev.data;
  const details = Object.keys(extra).length > 0 ? `<details><summary>details</summary>${pre(extra)}</details>` : '';
  return (
    `<tr>${timeCell(journal, ev.at)}<td>${e(ev.source)}</td><td>${e(ev.type)}</td>` +
    `<td class="wrap"><code>${e(ev.object ?? '')}</code></td><td class="wrap">${e(truncate(ev.message, 2000))}${details}</td></tr>`
  );
}

function events(journal: Journal): string {
  const total = journal.events.length;
  if (total === 0) return section('Events', '<p class="muted">No events were recorded.</p>', 'events');
  const shown = journal.events.slice(0, MAX_EVENT_ROWS);
  const note = total > shown.length ? `<p class="muted">First ${shown.length} of ${total} events; journal.json has them all.</p>` : '';
  const rows = shown.map((ev) => eventRow(journal, ev)).join('\n');
  return section(
    'Events',
    `<details><summary>${total} event(s)</summary>${note}<table><thead><tr><th>At</th><th>Source</th><th>Type</th><th>Object</th><th>Message</th></tr></thead><tbody>${rows}</tbody></table></details>`,
    'events',
  );
}

/** The per-pod recovery bars, first thing under the verdict: what a room asks about after a game day. */
async function recovery(journal: Journal): Promise<string> {
  const spec = recoverySpec(journal);
  if (!spec) return '';
  const svg = await renderSpecToSvg(spec.spec).catch((err: unknown) => `<p class="muted">chart could not be rendered: ${e((err as Error).message)}</p>`);
  return section('Recovery', `<figure aria-label="${e(spec.title)}">${svg}</figure>`, 'recovery');
}

export async function renderHtml(journal: Journal): Promise<string> {
  const chartList = await renderCharts(journal);
  const recoveryBars = await recovery(journal);
  const title = `shakedown ${journal.experiment.name} ${journal.runId}: ${verdictLabel(journal)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(journal)}
${recoveryBars}
${summary(journal)}
${charts(chartList)}
${checks(journal)}
${comparison(journal)}
${metrics(journal)}
${measurements(journal)}
${tables(journal)}
${phases(journal)}
${rollbacks(journal)}
${events(journal)}
<footer class="muted"><p>Rebuilt from journal.json (schema <code>${e(journal.schema)}</code>) by shakedown ${e(journal.environment.shakedownVersion)}.</p></footer>
</main>
</body>
</html>
`;
}
