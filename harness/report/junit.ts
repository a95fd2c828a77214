// JUnit XML for CI test views: one testcase per check, plus the run itself when it broke.
import type { CheckRecord, Journal } from '../journal/schema.ts';
import { checkLabel, runDurationMs, safeJson, toMs, truncate, undoActions } from './format.ts';

/** Escape text for XML 1.0; characters XML cannot carry at all are shown as \uXXXX. */
export function escapeXml(value: unknown, attribute = false): string {
  const text = String(value ?? '').toWellFormed();
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '&':
        out += '&amp;';
        continue;
      case '<':
        out += '&lt;';
        continue;
      case '>':
        out += '&gt;';
        continue;
      case '"':
        out += attribute ? '&quot;' : ch;
        continue;
      case "'":
        out += attribute ? '&apos;' : ch;
        continue;
    }
    // Attribute values would normalise raw whitespace to spaces; keep it with references.
    if (attribute && (ch === '\n' || ch === '\r' || ch === '\t')) {
      out += `&#${code};`;
      continue;
    }
    if (ch === '\r') {
      out += '&#13;';
      continue;
    }
    if ((code < 0x20 && ch !== '\n' && ch !== '\t') || code === 0xfffe || code === 0xffff) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
      continue;
    }
    out += ch;
  }
  return out;
}

const attr = (value: unknown): string => `"${escapeXml(value, true)}"`;

interface Outcome {
  kind: 'failure' | 'error';
  type: string;
  message: string;
  body: string;
}

interface TestCase {
  name: string;
  time: number;
  outcome?: Outcome;
  /** Why it was not judged (a baseline metric without enough samples): never counted as a pass. */
  skipped?: string;
}

// Long messages make CI summaries unreadable; the body keeps the full text.
const MESSAGE_MAX = 1000;

function checkCase(check: CheckRecord): TestCase {
  const name = `${check.phase}: ${checkLabel(check)}`;
  if (check.status === 'passed') return { name, time: 0 };
  const body = [
    `expected: ${check.expected}`,
    `observed: ${check.observed}`,
    `at: ${check.at}`,
    `evidence:`,
    safeJson(check.evidence, 2),
  ].join('\n');
  if (check.status === 'failed') {
    return {
      name,
      time: 0,
      outcome: {
        kind: 'failure',
        type: 'deviation',
        message: `${checkLabel(check)}: expected ${check.expected}; observed ${check.observed}`,
        body,
      },
    };
  }
  return {
    name,
    time: 0,
    outcome: {
      kind: 'error',
      type: 'check-error',
      message: `${checkLabel(check)} could not be evaluated: ${check.observed}`,
      body,
    },
  };
}

export function renderJUnit(journal: Journal): string {
  const experiment = journal.experiment.name;
  const cases: TestCase[] = journal.checks.map(checkCase);
  // `run --baseline`: a metric without enough data has no check, but it is still one testcase.
  for (const m of journal.comparison?.metrics ?? []) {
    if (m.verdict === 'not enough data') cases.push({ name: `verify: baseline:${m.name}`, time: 0, skipped: `not enough data: ${m.reason}` });
  }
  const run = runCase(journal, cases);
  if (run) cases.push(run);
  cases.push(...rollbackCases(journal));

  const failures = cases.filter((c) => c.outcome?.kind === 'failure').length;
  const errors = cases.filter((c) => c.outcome?.kind === 'error').length;
  const time = secondsOf(runDurationMs(journal)).toFixed(3);
  const timestamp = junitTimestamp(journal.startedAt);
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const counts = `tests=${attr(cases.length)} failures=${attr(failures)} errors=${attr(errors)} skipped=${attr(skipped)} time=${attr(time)}`;

  const lines: string[] = [];
  lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  lines.push(`<testsuites name="shakedown" ${counts}>`);
  lines.push(
    `  <testsuite name=${attr(experiment)} ${counts}${timestamp ? ` timestamp=${attr(timestamp)}` : ''} hostname=${attr(journal.environment.hostname)}>`,
  );
  lines.push('    <properties>');
  for (const [name, value] of properties(journal)) {
    lines.push(`      <property name=${attr(name)} value=${attr(value)}/>`);
  }
  lines.push('    </properties>');
  const classname = attr(`shakedown.${experiment}`);
  for (const c of cases) lines.push(...testCaseXml(c, classname));
  if (journal.verdict) {
    lines.push(`    <system-out>${escapeXml(`verdict: ${journal.verdict.kind}: ${journal.verdict.summary}`)}</system-out>`);
  }
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

/** The testcase of the run itself, when its verdict is not made of its checks alone (or it has none). */
function runCase(journal: Journal, cases: readonly TestCase[]): TestCase | undefined {
  const experiment = journal.experiment.name;
  const runCaseName = `${experiment}: run`;
  const verdict = journal.verdict;
  if (verdict?.kind === 'error') {
    return {
      name: runCaseName,
      time: secondsOf(runDurationMs(journal)),
      outcome: {
        kind: 'error',
        type: verdict.code,
        // The engine's summary already names the code, phase and message; add what it lacks.
        message: verdict.summary.includes(verdict.message) ? verdict.summary : `${verdict.summary}: ${verdict.message}`,
        body: [
          `phase: ${verdict.phase}`,
          `code: ${verdict.code}`,
          `message: ${verdict.message}`,
          `summary: ${verdict.summary}`,
        ].join('\n'),
      },
    };
  } else if (verdict?.kind === 'aborted') {
    return {
      name: runCaseName,
      time: secondsOf(runDurationMs(journal)),
      outcome: {
        kind: 'error',
        type: verdict.reason,
        message: `${verdict.summary} (aborted in phase ${verdict.phase}: ${verdict.reason})`,
        body: [`phase: ${verdict.phase}`, `reason: ${verdict.reason}`, `summary: ${verdict.summary}`].join('\n'),
      },
    };
  } else if (verdict === undefined) {
    // A journal without a verdict comes from a run that crashed or is still going: never green.
    return {
      name: runCaseName,
      time: secondsOf(runDurationMs(journal)),
      outcome: {
        kind: 'error',
        type: 'incomplete',
        message:
          journal.status === 'running'
            ? 'incomplete journal: the run did not finish'
            : 'the journal has no verdict',
        body: `status: ${journal.status}`,
      },
    };
  } else if (verdict.kind === 'failed') {
    // Every finding must be visible in some <failure> message; those no failed check names get one here.
    const messages = cases.filter((c) => c.outcome?.kind === 'failure').map((c) => truncate(c.outcome?.message ?? '', MESSAGE_MAX));
    const unnamed = verdict.findings.filter((f) => !messages.some((m) => m.includes(f)));
    if (unnamed.length > 0 || messages.length === 0) {
      const findings = unnamed.length > 0 ? unnamed : verdict.findings;
      return {
        name: `${experiment}: findings`,
        time: 0,
        outcome: {
          kind: 'failure',
          type: 'deviation',
          message: findings.length > 0 ? findings.join('; ') : verdict.summary,
          body: [`summary: ${verdict.summary}`, 'findings:', ...verdict.findings.map((f) => `- ${f}`)].join('\n'),
        },
      };
    }
  } else if (cases.length === 0) {
    return { name: runCaseName, time: secondsOf(runDurationMs(journal)) };
  }
  return undefined;
}

/** A testcase of each undo or teardown action that failed. */
function rollbackCases(journal: Journal): TestCase[] {
  const cases: TestCase[] = [];
  for (const rollback of undoActions(journal)) {
    if (rollback.status !== 'failed') continue;
    const duration =
      rollback.endedAt !== undefined ? (toMs(rollback.endedAt) ?? 0) - (toMs(rollback.startedAt) ?? 0) : undefined;
    cases.push({
      name: `${rollback.phase}: ${rollback.name}`,
      time: secondsOf(duration),
      outcome: {
        kind: 'error',
        type: 'REVERT',
        message: `${rollback.phase} ${rollback.name} failed${rollback.error ? `: ${rollback.error}` : ''}`,
        body: [
          `started: ${rollback.startedAt}`,
          `ended: ${rollback.endedAt ?? '(did not end)'}`,
          `error: ${rollback.error ?? '(none recorded)'}`,
        ].join('\n'),
      },
    });
  }

  return cases;
}

function properties(journal: Journal): [string, unknown][] {
  const experiment = journal.experiment.name;
  const verdict = journal.verdict;
  const properties: [string, unknown][] = [
    ['shakedown.run-id', journal.runId],
    ['shakedown.experiment', experiment],
    ['shakedown.verdict', verdict?.kind ?? (journal.status === 'running' ? 'incomplete' : 'none')],
    ['shakedown.version', journal.environment.shakedownVersion],
  ];
  if (journal.environment.context) properties.push(['shakedown.context', journal.environment.context]);
  if (journal.environment.serverVersion) properties.push(['shakedown.server-version', journal.environment.serverVersion]);
  if (journal.environment.dryRun) properties.push(['shakedown.dry-run', 'true']);
  for (const [key, value] of Object.entries(journal.parameters)) {
    properties.push([`param.${key}`, typeof value === 'string' ? value : safeJson(value)]);
  }

  return properties;
}

function testCaseXml(c: TestCase, classname: string): string[] {
  const open = `    <testcase classname=${classname} name=${attr(c.name)} time=${attr(c.time.toFixed(3))}`;
  if (c.skipped !== undefined) return [`${open}>`, `      <skipped message=${attr(truncate(c.skipped, MESSAGE_MAX))}/>`, '    </testcase>'];
  if (!c.outcome) return [`${open}/>`];
  const o = c.outcome;
  return [`${open}>`, `      <${o.kind} message=${attr(truncate(o.message, MESSAGE_MAX))} type=${attr(o.type)}>${escapeXml(o.body)}</${o.kind}>`, '    </testcase>'];
}

function secondsOf(ms: number | undefined): number {
  return ms === undefined || !Number.isFinite(ms) || ms < 0 ? 0 : ms / 1000;
}

// The JUnit XSD's timestamp has no zone; ours is always UTC.
function junitTimestamp(iso: string): string | undefined {
  const ms = toMs(iso);
  return ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 19);
}
