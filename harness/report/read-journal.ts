// Reads a journal.json back so any report can be rebuilt from it alone.
import { readFile } from 'node:fs/promises';
import { JOURNAL_SCHEMA, journalSchema, type Journal } from '../journal/schema.ts';

export class JournalReadError extends Error {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalReadError';
    this.path = path;
  }
}

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
  // The input itself, so unknown keys round-trip; what older journals lack is filled in.
  const journal = raw as Journal;
  const duplicate = duplicateLoadSecond(journal);
  if (duplicate) throw new JournalReadError(path, `journal file ${path} is not a valid journal: ${duplicate}`);
  journal.changes ??= [];
  journal.teardowns ??= [];
  journal.metrics ??= [];
  return journal;
}

/** Load series hold one point per second; two for one second would double its counts. */
function duplicateLoadSecond(journal: Journal): string | undefined {
  for (const series of journal.series) {
    if (!series.group.startsWith('load:')) continue;
    const seen = new Set<string>();
    for (const p of series.points) {
      if (seen.has(p.at)) return `the per-second load series '${series.name}' (${series.group}) has two points for ${p.at}`;
      seen.add(p.at);
    }
  }
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  // Stryker disable next-line StringLiteral: equivalent, the root is checked to be an object before the schema runs and the schema has no root-level rule, so no issue has an empty path
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
