// Run-to-run comparison on synthetic samples with known shifts: the statistics, the verdict rules
// (relative threshold AND floor AND significance), and the inputs it refuses.
import assert from 'node:assert/strict';
import { recordRecovery } from '../../../harness/checks/workload.ts';
import { compareMetric, compareRuns, differences, poolMetrics } from '../../../harness/compare/compare.ts';
import { selectBaseline } from '../../../harness/compare/inputs.ts';
import { bootstrapMedianChange, median, percentile } from '../../../harness/compare/stats.ts';
import { parseThresholds, thresholdFor } from '../../../harness/compare/thresholds.ts';
import { UsageError } from '../../../harness/engine/errors.ts';
import { silentProgress } from '../../../harness/engine/progress.ts';
import { journalRecorder } from '../../../harness/engine/recorder.ts';
import { JournalWriter } from '../../../harness/journal/writer.ts';
import type { MetricRecord } from '../../../harness/journal/schema.ts';
import { journalWith, noisy } from './samples.ts';

const metric = (samples: number[], unit = 'ms', name = 'readyAfterDelete'): MetricRecord => ({ name, unit, samples, target: 'StatefulSet shop/orders' });

describe('compare: statistics', () => {
  it('median and nearest-rank p95 of known samples', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 10);
    assert.equal(percentile([10, 20, 30, 40], 50), 20);
    assert.throws(() => median([]), RangeError);
  });

  it('the bootstrap is reproducible with a seed, and moves with it', () => {
    const b = noisy(12, 2000, 400, 1);
    const c = noisy(12, 2300, 400, 2);
    const one = bootstrapMedianChange(b, c, { seed: 7 });
    assert.deepEqual(bootstrapMedianChange(b, c, { seed: 7 }), one);
    assert.notDeepEqual(bootstrapMedianChange(b, c, { seed: 8 }).differenceCi, one.differenceCi);
    assert.ok(one.differenceCi[0] <= one.difference && one.difference <= one.differenceCi[1], 'the interval holds the point estimate');
  });

  it('a shift of +5 s over 0.4 s of noise has an interval far from 0 that holds the shift', () => {
    const b = noisy(10, 2000, 400, 3);
    const c = b.map((x) => x + 5000);
    const r = bootstrapMedianChange(b, c);
    assert.equal(r.difference, 5000);
    assert.ok(r.differenceCi[0] > 4000 && r.differenceCi[1] < 6000, JSON.stringify(r.differenceCi));
  });
});

describe('compare: verdict per metric', () => {
  const base = noisy(10, 2000, 400, 11);

  it('a real slowdown (+5 s, ×3.5) is regressed', () => {
    const m = compareMetric('readyAfterDelete', metric(base), metric(noisy(10, 7000, 400, 12)));
    assert.equal(m.verdict, 'regressed', m.reason);
    assert.ok(m.change && m.change.absoluteCi95[0] > 0);
  });

  it('the same distribution is unchanged', () => {
    const m = compareMetric('readyAfterDelete', metric(base), metric(noisy(10, 2000, 400, 13)));
    assert.equal(m.verdict, 'unchanged', m.reason);
  });

  it('a speed-up beyond the thresholds is improved', () => {
    const m = compareMetric('readyAfterDelete', metric(noisy(10, 7000, 400, 14)), metric(base));
    assert.equal(m.verdict, 'improved', m.reason);
  });

  it('a significant ×3 change under the absolute floor is unchanged, and the reason names the floor', () => {
    const m = compareMetric('readyAfterDelete', metric(noisy(10, 100, 10, 15)), metric(noisy(10, 300, 10, 16)));
    assert.equal(m.verdict, 'unchanged');
    assert.ok(m.change && m.change.absoluteCi95[0] > 0, 'significant');
    assert.match(m.reason, /change within 2000 ms/);
  });

  it('a large but not significant change (two wild samples) is unchanged, and says the interval includes 0', () => {
    const m = compareMetric('readyAfterDelete', metric([2000, 2100, 9000, 9100]), metric([2000, 9000, 9050, 9100]));
    assert.equal(m.verdict, 'unchanged');
    assert.match(m.reason, /interval includes 0/);
  });

  it('a shift above the floor but under the ratio is unchanged (+2.5 s on 10 s is ×1.25)', () => {
    const m = compareMetric('readyAfterDelete', metric(noisy(10, 10_000, 100, 17)), metric(noisy(10, 12_500, 100, 18)));
    assert.equal(m.verdict, 'unchanged');
    assert.match(m.reason, /^ratio within 1.5x$/);
  });

  it('too few samples on either side is not enough data, whatever the shift', () => {
    const few = compareMetric('readyAfterDelete', metric([2000]), metric([9000, 9100, 9200]));
    assert.equal(few.verdict, 'not enough data');
    assert.match(few.reason, /1 baseline and 3 current sample\(s\); at least 2 needed/);
    assert.equal(compareMetric('readyAfterDelete', metric([2000, 2100]), metric([9000, 9100, 9200]), { minSamples: 3 }).verdict, 'not enough data');
    assert.equal(compareMetric('x', undefined, metric([1, 2, 3])).reason, 'not in the baseline');
    assert.equal(compareMetric('readyAfterDelete', metric([2000, 2100]), metric([9000, 9100]), { minSamples: 2 }).verdict, 'regressed');
  });

  it('an error rate rising from 0 is judged by its floor', () => {
    const zero = metric([0, 0, 0, 0], 'ratio', 'load.fault.errorRate');
    assert.equal(compareMetric('load.fault.errorRate', zero, metric([0.2, 0.3, 0.25, 0.3], 'ratio', 'load.fault.errorRate')).verdict, 'regressed');
    assert.equal(compareMetric('load.fault.errorRate', zero, metric([0.01, 0.01, 0.01, 0.01], 'ratio', 'load.fault.errorRate')).verdict, 'unchanged');
  });
});

describe('compare: thresholds', () => {
  it('parses name=1.5x,+500ms, seconds, bare numbers and *', () => {
    const t = parseThresholds(['readyAfterDelete=1.2x,+500ms', '*=3x', 'dnsAfterDelete=+2s', 'load.fault.errorRate=+0.05']);
    assert.deepEqual(thresholdFor('readyAfterDelete', 'ms', t), { relative: 1.2, absolute: 500 });
    assert.deepEqual(thresholdFor('dnsAfterDelete', 'ms', t), { relative: 3, absolute: 2000 });
    assert.deepEqual(thresholdFor('load.fault.errorRate', 'ratio', t), { relative: 3, absolute: 0.05 });
  });

  it('an override changes the verdict: the +200 ms shift of 2 s regresses under 1.05x,+100ms', () => {
    const b = noisy(12, 2000, 50, 21);
    const c = b.map((x) => x + 200);
    assert.equal(compareMetric('readyAfterDelete', metric(b), metric(c)).verdict, 'unchanged');
    assert.equal(compareMetric('readyAfterDelete', metric(b), metric(c), { thresholds: parseThresholds(['readyAfterDelete=1.05x,+100ms']) }).verdict, 'regressed');
  });

  for (const bad of ['readyAfterDelete', '=2x', 'x=0.5x', 'x=fast', 'x=2x,3x', 'x=+5ms,+6ms', 'x=']) {
    it(`refuses --threshold ${bad} as bad input`, () => {
      assert.throws(() => parseThresholds([bad]), (e: unknown) => e instanceof UsageError && e.message.includes(`--threshold ${bad}`));
    });
  }

  it('refuses a time floor on a metric that is not a time', () => {
    assert.throws(() => thresholdFor('load.fault.errorRate', 'ratio', parseThresholds(['load.fault.errorRate=+5ms'])), /is a time, but metric load.fault.errorRate is in ratio/);
  });
});

describe('compare: what cannot be compared', () => {
  it('different parameters are refused, naming the field and both values', () => {
    const b = { source: 'a', journal: journalWith([metric([1, 2, 3])]) };
    const c = { source: 'b', journal: journalWith([metric([1, 2, 3])], { runId: 'r2', parameters: { namespace: 'shop', statefulset: 'carts', recoveryWithin: '120s' } }) };
    assert.throws(() => selectBaseline([b], c, false), (e: unknown) => e instanceof UsageError && /different parameter statefulset: baseline "orders", current "carts"/.test(e.message));
  });

  it('different experiments are refused, naming both', () => {
    const d = differences(journalWith([]), journalWith([], { experiment: 'pod-delete' }));
    assert.deepEqual(d, ['different experiments: baseline statefulset-identity, current pod-delete']);
  });

  it('different targets of one metric are refused', () => {
    const other = { ...metric([1, 2, 3]), target: 'StatefulSet shop/carts' };
    assert.match(differences(journalWith([metric([1, 2, 3])]), journalWith([other])).join(), /different targets: metric readyAfterDelete is about StatefulSet shop\/orders in the baseline, StatefulSet shop\/carts/);
  });

  it('mixed units are refused, within the baseline runs and between the sides', () => {
    const ms = { source: 'a', journal: journalWith([metric([1000, 2000, 3000])]) };
    const s = { source: 'b', journal: journalWith([metric([1, 2, 3], 's')], { runId: 'r2' }) };
    assert.throws(() => poolMetrics([ms, s]), (e: unknown) => e instanceof UsageError && /mixed units: metric readyAfterDelete is in ms in one run and in s in b/.test(e.message));
    assert.throws(() => compareRuns([ms], s, { baselineSource: 'a' }), (e: unknown) => e instanceof UsageError && /mixed units/.test(e.message));
  });

  it('a folder baseline keeps the comparable runs (last n), skips others with the reason, and refuses when none is left', () => {
    const runs = [1, 2, 3, 4].map((i) => ({ source: `r${i}`, journal: journalWith([metric([1, 2, 3])], { runId: `r${i}` }) }));
    const odd = { source: 'odd', journal: journalWith([metric([1, 2, 3])], { runId: 'odd', parameters: { namespace: 'other' } }) };
    const other = { source: 'hpa', journal: journalWith([], { runId: 'hpa', experiment: 'hpa-cpu' }) };
    const current = { source: 'cur', journal: journalWith([metric([1, 2, 3])], { runId: 'cur' }) };
    const sel = selectBaseline([...runs, odd, other], current, true, 3);
    assert.deepEqual(sel.runs.map((r) => r.journal.runId), ['r2', 'r3', 'r4']);
    assert.equal(sel.skipped.length, 1);
    assert.match(sel.skipped[0]!, /^odd: different parameter namespace/);
    assert.throws(() => selectBaseline([odd, other], current, true), /no run in the baseline folder compares with cur; e\.g\. different parameter namespace/);
  });

  it('pooled baseline runs give one sample set: 3 runs of 2 samples make 6', () => {
    const runs = [1, 2, 3].map((i) => ({ source: `r${i}`, journal: journalWith([metric([2000 + i, 2100 + i])], { runId: `r${i}` }) }));
    const c = compareRuns(runs, { source: 'c', journal: journalWith([metric([9000, 9100, 9200])], { runId: 'c' }) }, { baselineSource: 'dir' });
    assert.equal(c.metrics[0]!.baseline.n, 6);
    assert.equal(c.metrics[0]!.verdict, 'regressed');
    assert.equal(c.regressed, true);
  });
});

describe('ctx.record.metric: samples into the journal', () => {
  const recorder = () => {
    const journal = journalWith([]);
    return { journal, record: journalRecorder(journal, new JournalWriter(journal, undefined), silentProgress, () => 'verify') };
  };

  it('appends samples to one metric per name, with its unit, target and histograms', () => {
    const { journal, record } = recorder();
    record.metric('readyAfterDelete', 'ms', 2100, { target: 'StatefulSet shop/orders', description: 'delete → Ready' });
    record.metric('readyAfterDelete', 'ms', 2300, { target: 'StatefulSet shop/orders' });
    record.metric('load.fault.p95', 'ms', 12, { histogram: 'HISTFAAAA' });
    assert.deepEqual(journal.metrics, [
      { name: 'readyAfterDelete', unit: 'ms', samples: [2100, 2300], target: 'StatefulSet shop/orders', description: 'delete → Ready' },
      { name: 'load.fault.p95', unit: 'ms', samples: [12], histograms: ['HISTFAAAA'] },
    ]);
  });

  it('refuses a second unit, a second target, or a sample that is not a finite number', () => {
    const { journal, record } = recorder();
    record.metric('readyAfterDelete', 'ms', 2100, { target: 'StatefulSet shop/orders' });
    assert.throws(() => record.metric('readyAfterDelete', 's', 2.1), /readyAfterDelete is in ms; a sample in s cannot join it/);
    assert.throws(() => record.metric('readyAfterDelete', 'ms', 1, { target: 'StatefulSet shop/carts' }), /is about StatefulSet shop\/orders/);
    assert.throws(() => record.metric('readyAfterDelete', 'ms', Number.NaN), /not a finite number/);
    assert.deepEqual(journal.metrics[0]?.samples, [2100]);
  });
});

describe("pod-delete's per-pod recovery metrics (recordRecovery)", () => {
  it('records delete→recreated and delete→Ready per followed pod; a pod never Ready adds no Ready sample', () => {
    const journal = journalWith([]);
    const record = journalRecorder(journal, new JournalWriter(journal, undefined), silentProgress, () => 'verify');
    recordRecovery({ record }, { pod: 'web-0', uid: 'u0', recovery: { deleteRequestedAt: 1000, oldUid: 'u0', recreatedAt: 1400, readyAt: 3100 } }, 'Deployment shop/web');
    recordRecovery({ record }, { pod: 'web-1', uid: 'u1', recovery: { deleteRequestedAt: 5000, oldUid: 'u1', recreatedAt: 5300, notRecovered: 'not Ready within 60s' } }, 'Deployment shop/web');
    assert.deepEqual(journal.metrics.map((m) => [m.name, m.unit, m.samples, m.target]), [
      ['recreatedAfterDelete', 'ms', [400, 300], 'Deployment shop/web'],
      ['readyAfterDelete', 'ms', [2100], 'Deployment shop/web'],
    ]);
  });
});
