import assert from 'node:assert/strict';
import {
  buildChartSpecs,
  downsample,
  MAX_LANES,
  MAX_TIMELINE_EVENTS,
  renderCharts,
  renderHtml,
} from '../../../harness/report/index.ts';
import type { Journal } from '../../../harness/journal/schema.ts';
import { at, sampleHpaJournal, sampleIstioJournal, sampleStatefulSetJournal } from './sample-journal.ts';

/** Every `<svg …>…</svg>` in the page, with the figure title that precedes it. */
function figures(html: string): { title: string; svg: string }[] {
  return [...html.matchAll(/<figure aria-label="([^"]*)">(<svg[\s\S]*?<\/svg>)<\/figure>/g)].map((m) => ({
    title: m[1] ?? '',
    svg: m[2] ?? '',
  }));
}

describe('report/charts', () => {
  it('builds a timeline and one time-series chart per series group', () => {
    const titles = buildChartSpecs(sampleHpaJournal()).map((c) => c.title);
    assert.deepEqual(titles, ['Event timeline', 'replicas over time', 'cpu over time']);
  });

  it('adds a probe matrix for probe events and omits charts without data', () => {
    const titles = buildChartSpecs(sampleIstioJournal()).map((c) => c.title);
    assert.deepEqual(titles, ['Event timeline', 'Probe matrix over time']);
    const empty: Journal = { ...sampleHpaJournal(), events: [], series: [] };
    assert.deepEqual(buildChartSpecs(empty), []);
  });

  it('renders SVG with axes, the unit as y title and the load window', async () => {
    const charts = await renderCharts(sampleHpaJournal());
    const cpu = charts.find((c) => c.title === 'cpu over time');
    assert.ok(cpu);
    assert.match(cpu.svg, /^<svg/);
    assert.match(cpu.svg, /time \(UTC\)/);
    assert.match(cpu.svg, /cpu \(%\)/);
    assert.match(cpu.svg, /cpu load/);
    assert.match(cpu.svg, /average utilisation %/);
    const timeline = charts.find((c) => c.title === 'Event timeline');
    assert.match(timeline?.svg ?? '', /Pod\/cpu-burner-5f7c9-abcde/);
  });

  it('copes with a single point and an open window', async () => {
    const journal: Journal = {
      ...sampleHpaJournal(),
      events: [{ at: at(5), source: 'harness', type: 'started', message: 'only event' }],
      series: [{ name: 'actual', unit: 'replicas', group: 'replicas', points: [{ at: at(5), value: 1 }] }],
      windows: [{ name: 'load', start: at(4) }],
    };
    delete journal.endedAt;
    journal.status = 'running';
    const charts = await renderCharts(journal);
    assert.equal(charts.length, 2);
    for (const c of charts) {
      assert.match(c.svg, /^<svg/);
      assert.doesNotMatch(c.svg, /NaN/);
      assert.doesNotMatch(c.svg, /could not be rendered/);
    }
  });
});

describe('report/html', () => {
  it('is one page with the verdict, summary and an inline SVG for the timeline and each time series', async () => {
    const html = await renderHtml(sampleHpaJournal());
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<span class="badge failed">FAILED<\/span>/);
    assert.match(html, /<code>r7k2q9<\/code>/);
    assert.match(html, /kind-shakedown/);
    const titles = figures(html).map((f) => f.title);
    assert.deepEqual(titles, ['Event timeline', 'replicas over time', 'cpu over time']);
    for (const f of figures(html)) assert.match(f.svg, /<svg[^>]*viewBox/);
    assert.match(html, /<h3>HPA decisions<\/h3>/);
    assert.match(html, /<details><summary>evidence<\/summary><pre>\{\n {2}&quot;loadStoppedAt&quot;/);
    assert.match(html, /<h2>Phases<\/h2>/);
    assert.match(html, /hpa-sampler/);
    assert.match(html, /<h2>Rollbacks<\/h2>/);
    assert.match(html, /<summary>12 event\(s\)<\/summary>/);
  });

  it('has a pod lifecycle timeline for the StatefulSet run', async () => {
    const html = await renderHtml(sampleStatefulSetJournal());
    const timeline = figures(html).find((f) => f.title === 'Event timeline');
    assert.ok(timeline);
    for (const pod of ['Pod/web-0', 'Pod/web-1', 'Pod/web-2']) assert.ok(timeline.svg.includes(pod), pod);
    assert.match(html, /<span class="badge passed">PASSED<\/span>/);
  });

  it('loads nothing from outside the file', async () => {
    for (const journal of [sampleHpaJournal(), sampleStatefulSetJournal(), sampleIstioJournal()]) {
      const html = await renderHtml(journal);
      assert.doesNotMatch(html, /<script/i);
      assert.doesNotMatch(html, /<link/i);
      assert.doesNotMatch(html, /<img/i);
      assert.doesNotMatch(html, /@import/i);
      assert.doesNotMatch(html, /\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
      assert.doesNotMatch(html, /url\(\s*["']?\s*(?:https?:)?\/\//i);
    }
  });

  it('escapes markup injected through events, objects, windows and checks', async () => {
    const journal = sampleHpaJournal();
    journal.events.push({
      at: at(100),
      source: 'exec',
      type: '<script>alert("type")</script>',
      object: 'Pod/shakedown/<script>alert(1)</script>',
      message: '<script>alert("pwned")</script>',
      data: { out: '</pre><script>alert(2)</script>' },
    });
    journal.windows.push({ name: '<script>alert(3)</script>', start: at(300), end: at(310) });
    journal.checks[0]!.observed = '"><script>alert(4)</script>';
    journal.experiment.name = 'hpa-<b>cpu</b>';
    const html = await renderHtml(journal);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<b>cpu/);
    assert.match(html, /&lt;script&gt;alert\(&quot;pwned&quot;\)&lt;\/script&gt;/);
  });

  it('warns that a running journal is incomplete', async () => {
    const journal = sampleStatefulSetJournal();
    delete journal.verdict;
    delete journal.endedAt;
    journal.status = 'running';
    const html = await renderHtml(journal);
    assert.match(html, /incomplete journal \(run did not finish\)/i);
    assert.match(html, /<span class="badge incomplete">INCOMPLETE<\/span>/);
  });

  it('says why an errored run broke', async () => {
    const html = await renderHtml(sampleIstioJournal());
    assert.match(html, /<span class="badge error">ERROR<\/span>/);
    assert.match(html, /error in phase rollback \(REVERT\): PeerAuthentication shop\/default: 409 Conflict/);
    assert.ok(figures(html).some((f) => f.title === 'Probe matrix over time'));
  });
});

describe('report/charts limits', () => {
  it('downsamples long series but keeps their extremes', () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ t: i, value: i === 4321 ? 99 : i % 5 }));
    const out = downsample(points, 500);
    assert.ok(out.length <= 500, `${out.length} points`);
    assert.ok(out.some((p) => p.value === 99), 'the spike survives');
    assert.ok(out.some((p) => p.value === 0));
    for (let i = 1; i < out.length; i++) assert.ok(out[i]!.t >= out[i - 1]!.t, 'still in time order');
  });

  it('bounds the timeline in events and lanes', () => {
    const journal = sampleHpaJournal();
    for (let i = 0; i < 2 * MAX_TIMELINE_EVENTS; i++) {
      journal.events.push({ at: at(i * 0.05), source: 'watch', type: 'MODIFIED', object: `Pod/shakedown/p-${i % 500}`, message: 'm' });
    }
    const timeline = buildChartSpecs(journal)[0]!;
    assert.match(timeline.title, /of 6012 events shown/);
    const layers = (timeline.spec as unknown as { layer: { data: { values: { lane: string }[] } }[] }).layer;
    const points = layers[layers.length - 1]!.data.values;
    assert.ok(points.length <= MAX_TIMELINE_EVENTS);
    assert.ok(new Set(points.map((p) => p.lane)).size <= MAX_LANES);
  });
});
