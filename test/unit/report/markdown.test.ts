import assert from 'node:assert/strict';
import { MARKDOWN_MAX_CHARS, renderMarkdown } from '../../../harness/report/index.ts';
import { at, sampleHpaJournal, sampleIstioJournal, sampleStatefulSetJournal } from './sample-journal.ts';

describe('report/markdown', () => {
  it('has the verdict, run id and a checks table', () => {
    const md = renderMarkdown(sampleHpaJournal());
    assert.match(md, /^## shakedown: hpa-cpu — \*\*FAILED\*\*/);
    assert.match(md, /`r7k2q9`/);
    assert.match(md, /\| Status \| Check \| Target \| Expected \| Observed \|/);
    // The failed check comes first and is marked.
    const failedRow = md.split('\n').find((l) => l.startsWith('| **FAILED** |'));
    assert.ok(failedRow);
    assert.match(failedRow, /scaled in within 120s/);
    assert.match(md, /### Measurements/);
    assert.match(md, /time to first scale \| 36\.2 s/);
    assert.match(md, /### HPA decisions/);
    assert.match(md, /- \*\*verify\*\* ok, 2m 15s/);
    assert.match(md, /Duration\*\* \| 6m 50s/);
    assert.match(md, /`kind-shakedown`/);
  });

  it('escapes | in cells so table rows keep their columns', () => {
    const md = renderMarkdown(sampleHpaJournal());
    const row = md.split('\n').find((l) => l.includes('still 4 replicas'));
    assert.ok(row);
    assert.match(row, /after 183s \\\| stabilisation/);
    const unescapedPipes = row.match(/(?<!\\)\|/g) ?? [];
    assert.equal(unescapedPipes.length, 6, 'five columns, six separators');
  });

  it('does not let cells inject HTML or break lines', () => {
    const journal = sampleHpaJournal();
    journal.checks[0]!.observed = '<img src=x onerror=alert(1)>\nsecond line';
    const md = renderMarkdown(journal);
    assert.doesNotMatch(md, /<img/);
    assert.match(md, /&lt;img src=x onerror=alert\(1\)&gt; second line/);
  });

  it('states the reason for an error verdict and lists rollbacks that failed', () => {
    const md = renderMarkdown(sampleIstioJournal());
    assert.match(md, /\*\*ERROR\*\*/);
    assert.match(md, /\*\*Reason:\*\* error in phase rollback \(REVERT\): PeerAuthentication shop\/default: 409 Conflict/);
    assert.match(md, /\| \*\*FAILED\*\* \| rollback \| restore PeerAuthentication shop\/default \|/);
  });

  it('marks an incomplete journal', () => {
    const journal = sampleStatefulSetJournal();
    delete journal.verdict;
    delete journal.endedAt;
    journal.status = 'running';
    const md = renderMarkdown(journal);
    assert.match(md, /\*\*INCOMPLETE\*\*/);
    assert.match(md, /Incomplete journal \(run did not finish\)/);
  });

  it('stays under the PR comment limit for a huge journal', () => {
    const journal = sampleHpaJournal();
    const long = 'x'.repeat(5000);
    for (let i = 0; i < 2000; i++) {
      journal.checks.push({ name: `check ${i} ${long}`, phase: 'verify', status: 'failed', expected: long, observed: long, evidence: {}, at: at(i) });
    }
    journal.tables.push({ title: 'big', columns: ['a', 'b'], rows: Array.from({ length: 5000 }, (_, i) => [i, long]) });
    const md = renderMarkdown(journal);
    assert.ok(md.length <= MARKDOWN_MAX_CHARS, `length ${md.length}`);
    assert.match(md, /more row\(s\) not shown/);
  });
});
