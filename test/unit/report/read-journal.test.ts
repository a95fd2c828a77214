import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalReadError, readJournal } from '../../../harness/report/index.ts';
import { parseJournal } from '../../../harness/report/read-journal.ts';
import { sampleHpaJournal } from './sample-journal.ts';

describe('report/readJournal', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakedown-journal-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, content: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content, 'utf8');
    return path;
  }

  async function rejection(path: string): Promise<JournalReadError> {
    try {
      await readJournal(path);
    } catch (err) {
      assert.ok(err instanceof JournalReadError, `expected a JournalReadError, got ${String(err)}`);
      assert.equal(err.path, path);
      return err;
    }
    assert.fail('readJournal should have rejected');
  }

  it('reads a valid journal', async () => {
    const journal = sampleHpaJournal();
    const path = await write('ok.json', JSON.stringify(journal));
    assert.deepEqual(await readJournal(path), journal);
  });

  it('rejects a missing file', async () => {
    const path = join(dir, 'nope', 'journal.json');
    const err = await rejection(path);
    assert.equal(err.message, `journal file not found: ${path}`);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
  });

  it('rejects a file that is not JSON, with the parse error', async () => {
    const path = await write('bad.json', '{"schema": "shakedown.io/journal/v1", ');
    const err = await rejection(path);
    assert.match(err.message, /is not valid JSON: /);
    assert.ok(err.cause instanceof SyntaxError);
    assert.ok(err.message.includes((err.cause).message));
  });

  it('rejects a wrong schema, naming the expected and the found one', async () => {
    const path = await write('v0.json', JSON.stringify({ ...sampleHpaJournal(), schema: 'shakedown.io/journal/v0' }));
    const err = await rejection(path);
    assert.match(err.message, /expected "schema": "shakedown\.io\/journal\/v1"/);
    assert.match(err.message, /found "schema": "shakedown\.io\/journal\/v0"/);
  });

  it('rejects a missing schema', async () => {
    const { schema: _schema, ...rest } = sampleHpaJournal();
    const err = await rejection(await write('noschema.json', JSON.stringify(rest)));
    assert.match(err.message, /expected "schema": "shakedown\.io\/journal\/v1", found no "schema" field/);
  });

  it('rejects JSON that is not an object', async () => {
    const err = await rejection(await write('array.json', '[1,2]'));
    assert.match(err.message, /not a JSON object \(found an array\)/);
  });

  it('names missing required fields', async () => {
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    delete journal['runId'];
    delete journal['checks'];
    const events = journal['events'] as Record<string, unknown>[];
    delete events[2]!['at'];
    const err = await rejection(await write('missing.json', JSON.stringify(journal)));
    assert.match(err.message, /missing required field\(s\): /);
    for (const field of ['runId', 'checks', 'events[2].at']) assert.ok(err.message.includes(field), field);
  });

  it('names fields of the wrong type or value', async () => {
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    journal['status'] = 'exploded';
    (journal['series'] as { points: { value: unknown }[] }[])[0]!.points[0]!.value = 'one';
    const err = await rejection(await write('invalid.json', JSON.stringify(journal)));
    assert.match(err.message, /invalid field\(s\): /);
    assert.ok(err.message.includes('status'));
    assert.ok(err.message.includes('series[0].points[0].value'));
  });

  it('rejects a per-second load series with two points for one second, naming the series and the second', async () => {
    const journal = sampleHpaJournal();
    const at = '2026-01-01T00:00:05.000Z';
    const series = { name: 'sent', group: 'load: requests/s', unit: 'req/s', points: [{ at: '2026-01-01T00:00:04.000Z', value: 20 }, { at, value: 19 }, { at, value: 1 }] };
    journal.series.push(series);
    const err = await rejection(await write('duplicate-second.json', JSON.stringify(journal)));
    assert.match(err.message, /load series 'sent' \(load: requests\/s\) has two points for 2026-01-01T00:00:05.000Z/);
    // The same series with one point a second reads.
    series.points.pop();
    assert.equal((await readJournal(await write('one-a-second.json', JSON.stringify(journal)))).series.at(-1)?.points.length, 2);
  });

  it('says what it found instead of an object, and names the file', async () => {
    for (const [text, found] of [['null', 'null'], ['"text"', 'string'], ['42', 'number']] as const) {
      const path = await write(`scalar-${found}.json`, text);
      assert.equal((await rejection(path)).message, `journal file ${path} is not a JSON object (found ${found})`);
    }
    assert.throws(() => parseJournal([]), { message: 'journal file <journal> is not a JSON object (found an array)' });
  });

  it('a path that cannot be read (a directory) is named with the reason', async () => {
    const err = await rejection(dir);
    assert.match(err.message, new RegExp(`^cannot read journal file ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: EISDIR`));
  });

  it('lists the missing fields exactly, and at most ten of the invalid ones with a count of the rest', () => {
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    delete journal['runId'];
    delete journal['startedAt'];
    assert.throws(() => parseJournal(journal, 'j.json'), { message: 'journal file j.json is not a valid journal: missing required field(s): runId, startedAt' });
    const many = sampleHpaJournal() as unknown as Record<string, unknown>;
    many['events'] = Array.from({ length: 12 }, () => ({ at: 5, source: 'harness', type: 't', message: 'm' }));
    const err = (() => {
      try {
        parseJournal(many, 'j.json');
      } catch (e) {
        return e as Error;
      }
      return assert.fail('an invalid journal was accepted');
    })();
    assert.match(err.message, /^journal file j\.json is not a valid journal: invalid field\(s\): events\[0\]\.at: /);
    assert.match(err.message, /events\[9\]\.at: Invalid input: expected string, received number \(and 2 more\)$/);
    assert.doesNotMatch(err.message, /events\[10\]/);
  });

  it('names itself, and keeps the cause of a read or validation failure', async () => {
    const unreadable = await rejection(dir);
    assert.equal(unreadable.name, 'JournalReadError');
    assert.equal((unreadable.cause as NodeJS.ErrnoException).code, 'EISDIR');
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    delete journal['runId'];
    const invalid = (() => {
      try {
        parseJournal(journal, 'j.json');
      } catch (e) {
        return e as Error;
      }
      return assert.fail('an invalid journal was accepted');
    })();
    assert.ok(invalid.cause instanceof Error, 'the validation error is kept as the cause');
    assert.match(invalid.cause.message, /runId/);
  });

  it('lists exactly ten invalid fields without a count of more', () => {
    const ten = sampleHpaJournal() as unknown as Record<string, unknown>;
    ten['events'] = Array.from({ length: 10 }, () => ({ at: 5, source: 'harness', type: 't', message: 'm' }));
    assert.throws(() => parseJournal(ten, 'j.json'), (err: Error) => /events\[9\]\.at: Invalid input: expected string, received number$/.test(err.message));
  });

  it('a journal both missing and invalid names both, missing first', () => {
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    delete journal['runId'];
    journal['status'] = 'exploded';
    assert.throws(() => parseJournal(journal, 'j.json'), (err: Error) => /: missing required field\(s\): runId; invalid field\(s\): status: /.test(err.message));
  });

  it('fills in what older journals lack (changes, teardowns), keeping unknown keys', () => {
    const journal = sampleHpaJournal() as unknown as Record<string, unknown>;
    delete journal['changes'];
    delete journal['teardowns'];
    journal['extra'] = { kept: true };
    const read = parseJournal(journal) as unknown as Record<string, unknown>;
    assert.deepEqual(read['changes'], []);
    assert.deepEqual(read['teardowns'], []);
    assert.deepEqual(read['extra'], { kept: true });
  });

  it('two points for one second are refused in a load series only, and each load series is judged on its own', () => {
    const journal = sampleHpaJournal();
    const at = '2026-01-01T00:00:05.000Z';
    journal.series.push({ name: 'replicas', group: 'hpa', unit: 'pods', points: [{ at, value: 1 }, { at, value: 2 }] });
    journal.series.push({ name: 'sent', group: 'load: requests/s', unit: 'req/s', points: [{ at, value: 20 }] });
    journal.series.push({ name: 'ok', group: 'load: requests/s', unit: 'req/s', points: [{ at, value: 20 }] });
    assert.equal(parseJournal(journal).series.length, journal.series.length);
  });
});
