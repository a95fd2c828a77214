import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal, reportDirName, writeReports } from '../../../harness/report/index.ts';
import { sampleHpaJournal, sampleIstioJournal } from './sample-journal.ts';

describe('report/writeReports', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shakedown-reports-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the four files into a new directory and the journal round-trips', async () => {
    const journal = sampleHpaJournal();
    const out = join(dir, 'nested', reportDirName(journal));
    const files = await writeReports(journal, out);
    assert.deepEqual(files, {
      journal: join(out, 'journal.json'),
      junit: join(out, 'junit.xml'),
      markdown: join(out, 'report.md'),
      html: join(out, 'report.html'),
    });
    assert.deepEqual((await readdir(out)).sort(), ['journal.json', 'junit.xml', 'report.html', 'report.md']);
    assert.deepEqual(await readJournal(files.journal), journal);
    assert.match(await readFile(files.junit, 'utf8'), /^<\?xml/);
    assert.match(await readFile(files.markdown, 'utf8'), /\*\*FAILED\*\*/);
    assert.match(await readFile(files.html, 'utf8'), /<svg/);
    assert.match(await readFile(files.journal, 'utf8'), /^\{\n {2}"schema": "shakedown\.io\/journal\/v1"/);
  });

  it('rebuilds the same reports from journal.json alone', async () => {
    const first = await writeReports(sampleIstioJournal(), join(dir, 'a'));
    const again = await writeReports(await readJournal(first.journal), join(dir, 'b'));
    for (const key of ['junit', 'markdown', 'html'] as const) {
      assert.equal(await readFile(again[key], 'utf8'), await readFile(first[key], 'utf8'), key);
    }
  });

  it('names the report directory by UTC start, experiment and run id', () => {
    const journal = sampleHpaJournal();
    assert.equal(reportDirName(journal), '20261122T031500Z-hpa-cpu-r7k2q9');
    journal.startedAt = '2026-11-22T04:15:00.123+01:00';
    journal.runId = 'a/b c';
    assert.equal(reportDirName(journal), '20261122T031500Z-hpa-cpu-a-b-c');
  });
});
