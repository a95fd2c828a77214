// report.md: a summary that fits a PR comment (GitHub caps comments at 65,536 characters).
import { COMPARISON_HEAD, METRIC_HEAD, comparisonRows, comparisonSource, metricRows } from './comparison.ts';
import type { Journal } from '../journal/schema.ts';
import {
  durationBetween,
  formatDuration,
  formatNumber,
  formatValue,
  runDurationMs,
  truncate,
  paramsInEffect,
  verdictLabel,
  verdictReason,
  undoActions,
} from './format.ts';

export const MARKDOWN_MAX_CHARS = 60_000;
const CELL_MAX = 200;
const TABLE_ROWS_MAX = 50;

/** Escape inline text: no raw HTML, no accidental emphasis from underscores or stars. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([*_`[\]|~])/g, '\\$1');
}

/** One table cell: escaped, on one line, bounded. */
export function mdCell(value: unknown, max = CELL_MAX): string {
  const text = truncate(formatValue(value).replace(/\r?\n/g, ' ').trim(), max);
  return escapeMarkdown(text);
}

function code(text: string): string {
  // Inline code cannot escape anything, so choose a fence longer than any backtick run inside.
  const clean = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...Array.from(clean.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}

function table(headers: string[], rows: string[][], totalRows = rows.length): string[] {
  const out = [`| ${headers.map((h) => escapeMarkdown(h)).join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`];
  for (const row of rows) out.push(`| ${row.join(' | ')} |`);
  if (totalRows > rows.length) out.push('', `_${totalRows - rows.length} more row(s) not shown; see report.html._`);
  return out;
}

export function renderMarkdown(journal: Journal): string {
  const lines = [...headSection(journal), ...checksSection(journal), ...figuresSection(journal), ...rollbackSection(journal)];
  lines.push(`<sub>Full report: report.html · journal: journal.json · ${journal.events.length} event(s) recorded</sub>`, '');
  return fit(lines.join('\n'));
}

/** The verdict, its reason and findings, then what ran where, and the parameters. */
function headSection(journal: Journal): string[] {
  const lines: string[] = [];
  const verdict = journal.verdict;
  const experiment = journal.experiment.name;

  lines.push(`## shakedown: ${escapeMarkdown(experiment)} — **${verdictLabel(journal)}**`, '');
  if (journal.status === 'running') {
    lines.push('> **Incomplete journal (run did not finish).** The results below are partial.', '');
  }
  if (verdict) lines.push(`> ${mdCell(verdict.summary, 1000)}`, '');
  const reason = verdictReason(verdict);
  if (reason) lines.push(`**Reason:** ${mdCell(reason, 2000)}`, '');
  if (verdict?.kind === 'failed' && verdict.findings.length > 0) {
    lines.push('**Findings:**', '');
    for (const finding of verdict.findings) lines.push(`- ${mdCell(finding, 500)}`);
    lines.push('');
  }

  const env = journal.environment;
  const summary: [string, string][] = [
    ['Experiment', `${code(experiment)}${journal.experiment.description ? ` — ${mdCell(journal.experiment.description)}` : ''}`],
    ['Run id', code(journal.runId)],
    ['Started', mdCell(journal.startedAt)],
    ['Duration', `${formatDuration(runDurationMs(journal))}${journal.status === 'running' ? ' (incomplete)' : ''}`],
    ['Context', env.context ? `${code(env.context)}${env.server ? ` (${mdCell(env.server)})` : ''}` : '–'],
  ];
  if (env.serverVersion) summary.push(['Kubernetes', mdCell(env.serverVersion)]);
  summary.push(['shakedown', `${mdCell(env.shakedownVersion)} on Node ${mdCell(env.node)}`]);
  if (env.dryRun) summary.push(['Dry run', 'yes']);
  lines.push(...table(['', ''], summary.map(([k, v]) => [`**${k}**`, v])), '');

  const params = paramsInEffect(journal);
  if (params.length > 0) {
    lines.push('<details><summary>Parameters</summary>', '');
    lines.push(...table(['Parameter', 'Value'], params.map(([k, v]) => [code(k), mdCell(v)])), '');
    lines.push('</details>', '');
  }

  return lines;
}

/** Every check, problems first. */
function checksSection(journal: Journal): string[] {
  const lines: string[] = [];
  if (journal.checks.length > 0) {
    const passed = journal.checks.filter((c) => c.status === 'passed').length;
    const failed = journal.checks.filter((c) => c.status === 'failed').length;
    const errored = journal.checks.filter((c) => c.status === 'error').length;
    const counts = [`${passed} passed`, failed ? `${failed} failed` : '', errored ? `${errored} error` : '']
      .filter(Boolean)
      .join(', ');
    // Problems first: the reader of a PR comment wants the deviation, not the 20th green row.
    const order = { failed: 0, error: 1, passed: 2 } as const;
    const sorted = [...journal.checks].sort((a, b) => order[a.status] - order[b.status]);
    const shown = sorted.slice(0, TABLE_ROWS_MAX);
    lines.push(`### Checks (${counts})`, '');
    lines.push(
      ...table(
        ['Status', 'Check', 'Target', 'Expected', 'Observed'],
        shown.map((c) => [
          c.status === 'passed' ? 'passed' : `**${c.status.toUpperCase()}**`,
          `${mdCell(c.name)} _(${mdCell(c.phase)})_`,
          mdCell(c.target ?? ''),
          mdCell(c.expected),
          mdCell(c.observed),
        ]),
        sorted.length,
      ),
      '',
    );
  }

  return lines;
}

/** The comparison with a baseline, metrics, measurements and the experiment's own tables. */
function figuresSection(journal: Journal): string[] {
  const lines: string[] = [];
  if (journal.comparison) {
    const { rows, regressed } = comparisonRows(journal);
    lines.push('### Compared with the baseline', '', `Baseline: ${mdCell(comparisonSource(journal), 500)}`, '');
    lines.push(...table(COMPARISON_HEAD, rows.map((r, i) => r.map((x, j) => (j === 4 && regressed[i] ? `**${x.toUpperCase()}**` : mdCell(x))))), '');
  }

  if (journal.metrics.length > 0) {
    lines.push('### Metrics', '');
    lines.push(...table(METRIC_HEAD, metricRows(journal).slice(0, TABLE_ROWS_MAX).map((r) => r.map((x) => mdCell(x))), journal.metrics.length), '');
  }

  if (journal.measurements.length > 0) {
    lines.push('### Measurements', '');
    const shown = journal.measurements.slice(0, TABLE_ROWS_MAX);
    lines.push(
      ...table(
        ['Measurement', 'Value', 'Description'],
        shown.map((m) => [mdCell(m.name), mdCell(`${formatNumber(m.value)} ${m.unit}`.trim()), mdCell(m.description ?? '')]),
        journal.measurements.length,
      ),
      '',
    );
  }

  for (const t of journal.tables) {
    if (t.columns.length === 0) continue;
    lines.push(`### ${mdCell(t.title)}`, '');
    const shown = t.rows.slice(0, TABLE_ROWS_MAX);
    lines.push(
      ...table(
        t.columns,
        shown.map((row) => t.columns.map((_, i) => mdCell(row[i] ?? ''))),
        t.rows.length,
      ),
      '',
    );
  }

  return lines;
}

/** What was undone, and the phases with their steps that did not go well. */
function rollbackSection(journal: Journal): string[] {
  const lines: string[] = [];
  const actions = undoActions(journal);
  if (actions.length > 0) {
    lines.push('### Rollbacks', '');
    lines.push(
      ...table(
        ['Status', 'Phase', 'Action', 'Duration', 'Error'],
        actions.map((r) => [
          r.status === 'ok' ? 'ok' : '**FAILED**',
          r.phase,
          mdCell(r.name),
          formatDuration(durationBetween(r.startedAt, r.endedAt)),
          mdCell(r.error ?? ''),
        ]),
      ),
      '',
    );
  }

  if (journal.phases.length > 0) {
    lines.push('### Phases', '');
    for (const p of journal.phases) {
      const duration = p.endedAt ? formatDuration(durationBetween(p.startedAt, p.endedAt)) : 'did not end';
      const bad = p.steps.filter((s) => s.status && s.status !== 'ok');
      const note = bad.length > 0 ? ` — ${bad.map((s) => `${mdCell(s.name, 80)}: ${s.status}`).join(', ')}` : '';
      lines.push(`- **${p.phase}** ${p.status ?? 'running'}, ${duration} (${p.steps.length} step(s))${note}`);
    }
    lines.push('');
  }

  return lines;
}

/** Cut at a line boundary so the comment stays postable. */
function fit(text: string): string {
  if (text.length <= MARKDOWN_MAX_CHARS) return text;
  const note = '\n\n_Report truncated to fit a PR comment; see report.html for everything._\n';
  const budget = MARKDOWN_MAX_CHARS - note.length;
  const cut = text.lastIndexOf('\n', budget);
  return text.slice(0, cut > 0 ? cut : budget) + note;
}
