// Reads a journal.json back so any report can be rebuilt from it alone.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { JOURNAL_SCHEMA, PHASES } from '../journal/schema.ts';
import type { Journal } from '../journal/schema.ts';

export class JournalReadError extends Error {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalReadError';
    this.path = path;
  }
}

// Loose on purpose: unknown keys pass (newer writers may add some), but every field the
// report writers rely on must be there with the right type.
const isoTime = z.string().min(1);
const phase = z.enum(PHASES);
const stepStatus = z.enum(['ok', 'failed', 'error', 'aborted', 'skipped']);
const record = z.record(z.string(), z.unknown());

const stepSchema = z.looseObject({
  name: z.string(),
  kind: z.string(),
  description: z.string(),
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  status: stepStatus.optional(),
  message: z.string().optional(),
});

const verdictSchema = z.discriminatedUnion('kind', [
  z.looseObject({ kind: z.literal('passed'), summary: z.string() }),
  z.looseObject({ kind: z.literal('failed'), summary: z.string(), findings: z.array(z.string()) }),
  z.looseObject({
    kind: z.literal('error'),
    summary: z.string(),
    phase,
    code: z.enum(['PREFLIGHT', 'TARGET_SELECTION', 'SETUP', 'INJECT', 'OBSERVE', 'REVERT', 'API', 'INTERNAL']),
    message: z.string(),
  }),
  z.looseObject({
    kind: z.literal('aborted'),
    summary: z.string(),
    phase,
    reason: z.enum(['SIGINT', 'SIGTERM', 'deadline']),
  }),
]);

const journalSchema = z.looseObject({
  schema: z.literal(JOURNAL_SCHEMA),
  runId: z.string().min(1),
  experiment: z.looseObject({ name: z.string().min(1), description: z.string() }),
  parameters: record,
  environment: z.looseObject({
    shakedownVersion: z.string(),
    node: z.string(),
    platform: z.string(),
    hostname: z.string(),
    context: z.string().optional(),
    server: z.string().optional(),
    serverVersion: z.string().optional(),
    dryRun: z.boolean().optional(),
  }),
  startedAt: isoTime,
  endedAt: isoTime.optional(),
  status: z.enum(['running', 'completed']),
  phases: z.array(
    z.looseObject({
      phase,
      startedAt: isoTime,
      endedAt: isoTime.optional(),
      status: stepStatus.optional(),
      steps: z.array(stepSchema),
    }),
  ),
  events: z.array(
    z.looseObject({
      at: isoTime,
      source: z.string(),
      type: z.string(),
      object: z.string().optional(),
      message: z.string(),
      apiTimes: z.record(z.string(), z.string()).optional(),
      data: record.optional(),
    }),
  ),
  checks: z.array(
    z.looseObject({
      name: z.string(),
      phase,
      status: z.enum(['passed', 'failed', 'error']),
      expected: z.string(),
      observed: z.string(),
      evidence: record,
      at: isoTime,
      target: z.string().optional(),
    }),
  ),
  series: z.array(
    z.looseObject({
      name: z.string(),
      unit: z.string(),
      group: z.string(),
      points: z.array(z.looseObject({ at: isoTime, value: z.number() })),
    }),
  ),
  windows: z.array(z.looseObject({ name: z.string(), start: isoTime, end: isoTime.optional() })),
  measurements: z.array(
    z.looseObject({ name: z.string(), value: z.number(), unit: z.string(), description: z.string().optional() }),
  ),
  tables: z.array(
    z.looseObject({
      title: z.string(),
      columns: z.array(z.string()),
      rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
    }),
  ),
  rollbacks: z.array(
    z.looseObject({
      name: z.string(),
      startedAt: isoTime,
      endedAt: isoTime.optional(),
      status: z.enum(['ok', 'failed']),
      error: z.string().optional(),
    }),
  ),
  verdict: verdictSchema.optional(),
});

/** Read and validate a journal file; every failure is a JournalReadError saying what is wrong. */
export async function readJournal(path: string): Promise<Journal> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new JournalReadError(path, `journal file not found: ${path}`, { cause: err });
    throw new JournalReadError(path, `cannot read journal file ${path}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new JournalReadError(path, `journal file ${path} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseJournal(raw, path);
}

/** Validate an already parsed journal; `path` only names the source in messages. */
export function parseJournal(raw: unknown, path = '<journal>'): Journal {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new JournalReadError(path, `journal file ${path} is not a JSON object (found ${describe(raw)})`);
  }
  // Checked first so an old or foreign file is named as such, not as a list of missing fields.
  const schema = (raw as Record<string, unknown>)['schema'];
  if (schema !== JOURNAL_SCHEMA) {
    const found = schema === undefined ? 'no "schema" field' : `"schema": ${JSON.stringify(schema)}`;
    throw new JournalReadError(
      path,
      `journal file ${path} has an unsupported schema: expected "schema": "${JOURNAL_SCHEMA}", found ${found}`,
    );
  }
  const result = journalSchema.safeParse(raw);
  if (!result.success) {
    const missing: string[] = [];
    const invalid: string[] = [];
    for (const issue of result.error.issues) {
      const where = formatPath(issue.path);
      if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) missing.push(where);
      else invalid.push(`${where}: ${issue.message}`);
    }
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing required field(s): ${listSome(missing)}`);
    if (invalid.length > 0) parts.push(`invalid field(s): ${listSome(invalid)}`);
    throw new JournalReadError(path, `journal file ${path} is not a valid journal: ${parts.join('; ')}`, {
      cause: result.error,
    });
  }
  // Return the parsed input itself so a journal round-trips byte for byte, unknown keys included.
  return raw as Journal;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function listSome(items: string[], max = 10): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} (and ${items.length - max} more)` : shown;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
