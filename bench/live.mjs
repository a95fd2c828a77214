#!/usr/bin/env node
// Benchmark (figures, no pass/fail): what following a run costs the harness's own thread with
// --live. A journal the size of a 100-replica statefulset-identity run with load (100 pods × 15
// events, 600 load seconds, 600 checks) grows event by event; each feed message is timed (the
// view derived from the journal, diffed, and the charts rebuilt at most once a second), with the
// size of what the stream sends.
//
//   node bench/live.mjs [pods=100] [seconds=600]
import { performance } from 'node:perf_hooks';
import { LiveFeed } from '../harness/live/feed.ts';
import { JOURNAL_SCHEMA } from '../harness/journal/schema.ts';

const pods = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 600);
const T0 = Date.now() - seconds * 1000;
const at = (ms) => new Date(T0 + ms).toISOString();
const j = {
  schema: JOURNAL_SCHEMA, runId: 'rbench0001', experiment: { name: 'statefulset-identity', description: '' }, parameters: {},
  environment: { shakedownVersion: '0', node: process.version, platform: process.platform, hostname: 'bench' }, startedAt: at(0), status: 'running',
  phases: [{ phase: 'inject', startedAt: at(0), steps: [{ name: 'delete-pod', kind: 'fault', description: 'delete', startedAt: at(0) }] }],
  events: [], checks: [], series: [{ name: 'sent', group: 'load: requests/s', unit: 'req/s', points: [] }, { name: 'errors', group: 'load: requests/s', unit: 'req/s', points: [] }, { name: 'p95', group: 'load: latency', unit: 'ms', points: [] }],
  windows: [{ name: 'load', start: at(0) }], measurements: [], tables: [], changes: [], rollbacks: [], teardowns: [],
};
const feed = new LiveFeed(1e9); // flushed by hand below, once per change
let bytes = 0;
feed.subscribe((m) => (bytes += JSON.stringify(m).length));
feed.watch.started(j);
const times = [];
const step = (fn) => {
  fn();
  const t = performance.now();
  feed.flush();
  times.push(performance.now() - t);
};
const perPod = Math.floor((seconds * 1000) / pods);
for (let p = 0; p < pods; p++) {
  const pod = `web-${p}`;
  const t = p * perPod;
  step(() => j.events.push({ at: at(t), source: 'fault', type: 'pod-delete-requested', object: `Pod/ns/${pod}`, message: `delete ${pod}` }));
  for (let e = 0; e < 13; e++) step(() => j.events.push({ at: at(t + e * 100), source: 'watch', type: e === 5 ? 'DELETED' : e < 5 ? 'MODIFIED' : e === 6 ? 'ADDED' : 'MODIFIED', object: `Pod/ns/${pod}`, message: 'x'.repeat(120), data: { uid: e <= 5 ? `old-${p}` : `new-${p}`, ready: e > 10 } }));
  step(() => j.events.push({ at: at(t + 1500), source: 'probe', type: 'dns-updated', object: `Pod/ns/${pod}`, message: `${pod} → 10.0.0.1` }));
  for (let c = 0; c < 6; c++) step(() => j.checks.push({ name: `check-${c}`, phase: 'inject', status: 'passed', expected: 'e', observed: 'o', evidence: {}, at: at(t) }));
  for (let s = Math.floor(t / 1000); s < Math.floor((t + perPod) / 1000); s++) {
    step(() => {
      j.series[0].points.push({ at: at(s * 1000), value: 50 });
      j.series[1].points.push({ at: at(s * 1000), value: 0 });
      j.series[2].points.push({ at: at(s * 1000), value: 12.5 });
    });
  }
}
times.sort((a, b) => a - b);
const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))].toFixed(2);
console.log(`${pods} pods, ${seconds} load seconds, ${j.events.length} events, ${j.checks.length} checks: ${times.length} messages`);
console.log(`per message ms: median ${q(0.5)}, p95 ${q(0.95)}, max ${q(1)}; total ${times.reduce((a, b) => a + b, 0).toFixed(0)} ms; stream ${(bytes / 1048576).toFixed(1)} MiB`);
// The charts are rebuilt at most once a second; a snapshot (what a page opening now gets) has them all.
const snaps = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  const s = JSON.stringify(feed.snapshot());
  snaps.push([performance.now() - t, s.length]);
}
snaps.sort((a, b) => a[0] - b[0]);
console.log(`snapshot (view, every check, the charts), median of 10: ${snaps[5][0].toFixed(1)} ms, ${(snaps[5][1] / 1024).toFixed(0)} KiB`);
