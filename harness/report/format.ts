// Small formatting helpers shared by the report writers.
import type { Journal, UndoRecord, Verdict } from '../journal/schema.ts';
import { formatDuration } from '../engine/time.ts';

export { formatDuration };

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Milliseconds since the epoch, or undefined when the stamp does not parse. */
export function toMs(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}


export function durationBetween(start: string | undefined, end: string | undefined): number | undefined {
  const a = toMs(start);
  const b = toMs(end);
  return a === undefined || b === undefined ? undefined : b - a;
}

/** The last moment the journal knows about: its end, or (for a crashed run) its latest stamp. */
export function journalEndMs(journal: Journal): number | undefined {
  const ended = toMs(journal.endedAt);
  if (ended !== undefined) return ended;
  let latest = toMs(journal.startedAt);
  const consider = (iso: string | undefined): void => {
    const ms = toMs(iso);
    if (ms !== undefined && (latest === undefined || ms > latest)) latest = ms;
  };
  for (const p of journal.phases) {
    consider(p.startedAt);
    consider(p.endedAt);
  }
  for (const e of journal.events) consider(e.at);
  for (const c of journal.checks) consider(c.at);
  for (const s of journal.series) for (const pt of s.points) consider(pt.at);
  return latest;
}

export function runDurationMs(journal: Journal): number | undefined {
  const start = toMs(journal.startedAt);
  const end = journalEndMs(journal);
  return start === undefined || end === undefined ? undefined : end - start;
}

/** Verdict label used by every report; an unfinished journal has no verdict. */
export function verdictLabel(journal: Journal): string {
  if (journal.verdict) return journal.verdict.kind.toUpperCase();
  return journal.status === 'running' ? 'INCOMPLETE' : 'NO VERDICT';
}

/** One sentence on why a run did not reach a verdict about the cluster, if it did not. */
export function verdictReason(verdict: Verdict | undefined): string | undefined {
  if (!verdict) return undefined;
  switch (verdict.kind) {
    case 'error':
      return `error in phase ${verdict.phase} (${verdict.code}): ${verdict.message}`;
    case 'aborted':
      return `aborted in phase ${verdict.phase} (${verdict.reason})`;
    default:
      return undefined;
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Compact rendering of an arbitrary value for a table cell. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return safeJson(value);
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(4)));
}

/** JSON.stringify that never throws (cycles, BigInt) — evidence is arbitrary. */
export function safeJson(value: unknown, indent?: number): string {
  try {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(
        value,
        (_key, v: unknown) => {
          if (typeof v === 'bigint') return v.toString();
          if (typeof v === 'object' && v !== null) {
            if (seen.has(v)) return '[circular]';
            seen.add(v);
          }
          return v;
        },
        indent,
      ) ?? ''
    );
  } catch (err) {
    return `[unserialisable: ${(err as Error).message}]`;
  }
}

export function checkLabel(check: { name: string; target?: string }): string {
  return check.target ? `${check.name} (${check.target})` : check.name;
}

/** The rollback phase's undo actions, then the teardown phase's fixture removals, each tagged. */
export function undoActions(journal: Journal): (UndoRecord & { phase: 'rollback' | 'teardown' })[] {
  return [
    ...journal.rollbacks.map((r) => ({ ...r, phase: 'rollback' as const })),
    ...journal.teardowns.map((r) => ({ ...r, phase: 'teardown' as const })),
  ];
}

/** Parameters of a fixture the run deploys itself: beside a user's workload they did nothing. */
const FIXTURE_ONLY = new Set(['image', 'replicas', 'storageClass', 'podManagementPolicy']);

/**
 * The parameters that were in effect: the load's limits only when load ran, the fixture's
 * only when the run deployed its fixture (its setup step says "nothing to deploy" otherwise).
 */
export function paramsInEffect(journal: Journal): [string, unknown][] {
  const p = journal.parameters;
  const loadOff = 'load' in p && (p['load'] === 'off' || p['load'] === undefined);
  const fixture = journal.phases.find((x) => x.phase === 'setup')?.steps.find((s) => s.kind === 'fixture');
  const noFixture = fixture !== undefined && /^nothing to deploy/.test(fixture.description);
  return Object.entries(p).filter(([k]) => !(loadOff && k !== 'load' && /^load[A-Z0-9]/.test(k)) && !(noFixture && FIXTURE_ONLY.has(k)));
}
