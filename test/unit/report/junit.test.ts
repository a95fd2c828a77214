import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { escapeXml, renderJUnit } from '../../../harness/report/index.ts';
import type { Journal } from '../../../harness/journal/schema.ts';
import { at, sampleHpaJournal, sampleIstioJournal, sampleStatefulSetJournal } from './sample-journal.ts';

interface Outcome {
  '@_message': string;
  '@_type': string;
  '#text'?: string;
}
interface TestCase {
  '@_classname': string;
  '@_name': string;
  failure?: Outcome;
  error?: Outcome;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  '@_time': string;
  '@_timestamp': string;
  properties: { property: { '@_name': string; '@_value': string }[] };
  testcase: TestCase[];
}

function parse(xml: string): Suite {
  assert.equal(XMLValidator.validate(xml), true, 'junit.xml is well-formed XML');
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseAttributeValue: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  const doc = parser.parse(xml) as { testsuites: { testsuite: Suite[] } };
  const suites = doc.testsuites.testsuite;
  assert.equal(suites.length, 1);
  return suites[0]!;
}

const failures = (s: Suite): TestCase[] => s.testcase.filter((c) => c.failure !== undefined);
const errors = (s: Suite): TestCase[] => s.testcase.filter((c) => c.error !== undefined);

describe('report/junit', () => {
  it('has one testcase per check with counts that match', () => {
    const journal = sampleHpaJournal();
    const suite = parse(renderJUnit(journal));
    assert.equal(suite['@_name'], 'hpa-cpu');
    assert.equal(suite.testcase.length, journal.checks.length);
    assert.equal(suite['@_tests'], String(journal.checks.length));
    assert.equal(suite['@_failures'], '1');
    assert.equal(suite['@_errors'], '0');
    assert.equal(suite['@_skipped'], '0');
    assert.equal(suite['@_time'], '410.000');
    assert.equal(suite['@_timestamp'], '2026-11-22T03:15:00');
    for (const c of suite.testcase) assert.equal(c['@_classname'], 'shakedown.hpa-cpu');
    assert.ok(suite.testcase.some((c) => c['@_name'] === 'preflight: metrics API serves pod metrics'));
  });

  it('records the run id and parameters as properties', () => {
    const suite = parse(renderJUnit(sampleHpaJournal()));
    const props = new Map(suite.properties.property.map((p) => [p['@_name'], p['@_value']]));
    assert.equal(props.get('shakedown.run-id'), 'r7k2q9');
    assert.equal(props.get('param.namespace'), 'shakedown');
    assert.equal(props.get('param.targetUtilization'), '50');
  });

  it('names every finding of a failed verdict in a <failure> message, with the evidence in the body', () => {
    const suite = parse(renderJUnit(sampleHpaJournal()));
    const failed = failures(suite);
    assert.equal(failed.length, 1);
    const f = failed[0]!;
    assert.equal(f['@_name'], 'verify: scaled in within 120s');
    assert.equal(f.failure?.['@_type'], 'deviation');
    assert.match(f.failure?.['@_message'] ?? '', /scaled in within 120s/);
    assert.match(f.failure?.['#text'] ?? '', /expected: back to 1 replica/);
    assert.match(f.failure?.['#text'] ?? '', /"hpa": "shakedown\/cpu-burner"/);
  });

  it('adds a findings testcase for findings no failed check names', () => {
    const journal = sampleHpaJournal();
    journal.verdict = { kind: 'failed', summary: 'deviations', findings: ['scaled in within 120s', 'DNS record went stale'] };
    const suite = parse(renderJUnit(journal));
    const messages = failures(suite).map((c) => c.failure?.['@_message'] ?? '');
    for (const finding of ['scaled in within 120s', 'DNS record went stale']) {
      assert.ok(messages.some((m) => m.includes(finding)), `a failure message names "${finding}"`);
    }
    assert.equal(suite['@_failures'], '2');
  });

  it('shows per-target check names', () => {
    const suite = parse(renderJUnit(sampleStatefulSetJournal()));
    assert.equal(suite.testcase.length, 12);
    assert.equal(failures(suite).length + errors(suite).length, 0);
    assert.ok(suite.testcase.some((c) => c['@_name'] === 'verify: same identity (web-1)'));
  });

  it('turns an error verdict into an <error> testcase with the code, plus one per failed rollback', () => {
    const suite = parse(renderJUnit(sampleIstioJournal()));
    const errs = errors(suite);
    assert.equal(suite['@_errors'], '2');
    const run = errs.find((c) => c['@_name'] === 'istio-mtls: run');
    assert.ok(run, 'a run testcase carries the error');
    assert.equal(run.error?.['@_type'], 'REVERT');
    assert.match(run.error?.['@_message'] ?? '', /409 Conflict/);
    const rollback = errs.find((c) => c['@_name'] === 'rollback: restore PeerAuthentication shop/default');
    assert.ok(rollback);
    assert.match(rollback.error?.['@_message'] ?? '', /conflict: the object has been modified/);
  });

  it('turns an aborted verdict into an <error> typed by the reason', () => {
    const journal = sampleStatefulSetJournal();
    journal.verdict = { kind: 'aborted', summary: 'interrupted', phase: 'inject', reason: 'SIGINT' };
    const suite = parse(renderJUnit(journal));
    const run = errors(suite).find((c) => c['@_name'] === 'statefulset-identity: run');
    assert.equal(run?.error?.['@_type'], 'SIGINT');
  });

  it('gives a passed run without checks a single passing testcase', () => {
    const journal: Journal = { ...sampleStatefulSetJournal(), checks: [] };
    const suite = parse(renderJUnit(journal));
    assert.equal(suite.testcase.length, 1);
    assert.equal(suite.testcase[0]!['@_name'], 'statefulset-identity: run');
    assert.equal(suite['@_failures'], '0');
    assert.equal(suite['@_errors'], '0');
  });

  it('never shows an unfinished run as green', () => {
    const journal = sampleStatefulSetJournal();
    delete journal.verdict;
    delete journal.endedAt;
    journal.status = 'running';
    const suite = parse(renderJUnit(journal));
    const run = errors(suite).find((c) => c['@_name'] === 'statefulset-identity: run');
    assert.match(run?.error?.['@_message'] ?? '', /incomplete/);
  });

  it('escapes markup, quotes and control characters', () => {
    const journal = sampleHpaJournal();
    const nasty = 'a<b>&"c\' \u0000\u0007\u001b[31m \uD800 end';
    journal.checks.push({
      name: `weird ${nasty}`,
      phase: 'verify',
      status: 'failed',
      expected: nasty,
      observed: `line1\nline2 ${nasty}`,
      evidence: { out: nasty },
      at: at(300),
      target: '<pod>',
    });
    const xml = renderJUnit(journal);
    const suite = parse(xml);
    const c = suite.testcase.find((t) => t['@_name'].startsWith('verify: weird'));
    assert.ok(c);
    assert.match(c['@_name'], /a<b>&"c' /);
    assert.match(c['@_name'], /\(<pod>\)$/);
    // eslint-disable-next-line no-control-regex -- asserting that no control character survives
    assert.doesNotMatch(xml, /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    assert.equal(escapeXml('\u0007'), '\\u0007');
  });
});
