import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalReadError, readJournal } from '../../../harness/report/index.ts';
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
});
