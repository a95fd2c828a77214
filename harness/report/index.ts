// Report writers: everything is rebuilt from the journal alone.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Journal } from '../journal/schema.ts';
import { renderHtml } from './html.ts';
import { renderJUnit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';

export { JournalReadError, parseJournal, readJournal } from './read-journal.ts';
export { reportDirName } from './dir-name.ts';
export { escapeXml, renderJUnit } from './junit.ts';
export { escapeMarkdown, MARKDOWN_MAX_CHARS, renderMarkdown } from './markdown.ts';
export { MAX_EVENT_ROWS, renderHtml } from './html.ts';
export {
  buildChartSpecs,
  downsample,
  MAX_LANES,
  MAX_SERIES_POINTS,
  MAX_TIMELINE_EVENTS,
  renderCharts,
  renderSpecToSvg,
} from './charts.ts';
export type { ChartSpec, RenderedChart } from './charts.ts';
export { escapeHtml, formatDuration } from './format.ts';

export interface ReportFiles {
  journal: string;
  junit: string;
  markdown: string;
  html: string;
}

export const REPORT_FILE_NAMES = {
  journal: 'journal.json',
  junit: 'junit.xml',
  markdown: 'report.md',
  html: 'report.html',
} as const;

export function serializeJournal(journal: Journal): string {
  return `${JSON.stringify(journal, null, 2)}\n`;
}

/** Write journal.json, junit.xml, report.md and report.html into `dir` (created if needed). */
export async function writeReports(journal: Journal, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    journal: join(dir, REPORT_FILE_NAMES.journal),
    junit: join(dir, REPORT_FILE_NAMES.junit),
    markdown: join(dir, REPORT_FILE_NAMES.markdown),
    html: join(dir, REPORT_FILE_NAMES.html),
  };
  // The journal first: if a renderer breaks, the run's record is still on disk to rebuild from.
  await writeFile(files.journal, serializeJournal(journal), 'utf8');
  await writeFile(files.junit, renderJUnit(journal), 'utf8');
  await writeFile(files.markdown, renderMarkdown(journal), 'utf8');
  await writeFile(files.html, await renderHtml(journal), 'utf8');
  return files;
}

/** `<UTC start like 20261122T031500Z>-<experiment>-<runId>`, safe as one path segment. */
