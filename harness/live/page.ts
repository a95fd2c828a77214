// The live page and its script, served by server.ts. The script keeps the view the stream
// describes (feed.ts) and draws it; charts go through the same Vega-Lite specs as report.html,
// rendered in the browser by the vega and vega-lite builds the server hands out. At the end the
// page shows the run's report.html itself.

export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shakedown live</title>
<style>
:root { --fg:#1d2330; --muted:#5c6370; --line:#d9dde3; --soft:#f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); }
main { max-width: 1280px; margin: 0 auto; padding: 16px 24px 48px; }
header { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; border-bottom: 2px solid var(--line); padding-bottom: 10px; }
h1 { font-size: 20px; margin: 0; } h2 { font-size: 15px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); }
.badge { padding: 3px 10px; border-radius: 4px; font-weight: 700; color: #fff; background: #0969da; }
.badge.passed { background: #1f883d; } .badge.failed { background: #cf222e; } .badge.error { background: #bc4c00; } .badge.aborted { background: #57606a; }
.muted { color: var(--muted); }
button#abort { margin-left: auto; background: #cf222e; color: #fff; border: 0; border-radius: 4px; padding: 8px 16px; font-weight: 700; cursor: pointer; }
button#abort:disabled { background: #8c959f; cursor: default; }
ol.phases { display: flex; list-style: none; padding: 0; margin: 8px 0; gap: 4px; flex-wrap: wrap; }
ol.phases li { padding: 4px 10px; border-radius: 3px; background: var(--soft); border: 1px solid var(--line); font-size: 13px; }
ol.phases li.running { background: #ddf4ff; border-color: #0969da; font-weight: 700; }
ol.phases li.ok { background: #dafbe1; } ol.phases li.failed, ol.phases li.error { background: #ffebe9; } ol.phases li.aborted { background: #eaeef2; }
#current { padding: 8px 12px; background: #ddf4ff; border-left: 4px solid #0969da; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
.st { padding: 1px 6px; border-radius: 3px; font-size: 12px; font-weight: 600; }
.st.ok, .st.passed, .st.undone, .st.Ready, .st.DNS { background: #dafbe1; color: #116329; }
.st.failed, .st.error, .st.undo-failed, .st.gone, .st.deleting { background: #ffebe9; color: #a40e26; }
.st.applied, .st.recreated, .st.running { background: #fff8c5; color: #7d4e00; }
#load { font-variant-numeric: tabular-nums; }
figure { margin: 8px 0 16px; overflow-x: auto; }
#events li { font-family: ui-monospace, monospace; font-size: 12px; }
iframe#report { position: fixed; inset: 0; width: 100%; height: 100%; border: 0; background: #fff; }
</style>
</head>
<body>
<main>
<header><span id="badge" class="badge">connecting</span><h1 id="title">shakedown</h1><span id="runid" class="muted"></span><span id="elapsed" class="muted"></span>
<button id="abort" type="button" disabled>Abort run</button></header>
<p id="description" class="muted"></p>
<h2>Phases</h2><ol id="phases" class="phases"></ol><div id="current"></div>
<section id="pods-section"><h2>Target pods</h2><table><thead><tr><th>Pod</th><th>State</th><th>Deleted</th><th>Gone</th><th>Recreated</th><th>Ready</th><th>DNS answered</th></tr></thead><tbody id="pods"></tbody></table></section>
<section id="load-section" hidden><h2>Load</h2><div id="load"></div></section>
<section id="values-section" hidden><h2>Measured now</h2><table><thead><tr><th>Chart</th><th>Series</th><th>Value</th><th>At</th></tr></thead><tbody id="values"></tbody></table></section>
<section id="probes-section" hidden><h2>Probe matrix</h2><table><thead><tr><th>Stage</th><th>Path</th><th>Last outcome</th><th>Expected</th><th>At</th></tr></thead><tbody id="probes"></tbody></table></section>
<section id="charts-section" hidden><h2>Charts</h2><div id="charts"></div></section>
<h2>Checks</h2><table><thead><tr><th>Status</th><th>Check</th><th>Target</th><th>Observed</th></tr></thead><tbody id="checks"></tbody></table>
<h2>Changes and undo</h2><table><thead><tr><th>#</th><th>Change</th><th>Status</th></tr></thead><tbody id="changes"></tbody></table>
<table id="undo-table" hidden><thead><tr><th>Phase</th><th>Undo / teardown action</th><th>Status</th><th>Error</th></tr></thead><tbody id="undo"></tbody></table>
<h2>Latest events</h2><ol id="events" reversed></ol>
</main>
<script src="vega.min.js"></script>
<script src="vega-lite.min.js"></script>
<script src="live.js"></script>
</body>
</html>
`;

export const LIVE_SCRIPT = String.raw`'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const PHASES = ['preflight', 'setup', 'steady-state-before', 'inject', 'verify', 'rollback', 'teardown'];
  let view = {}; let checks = []; let events = []; let report; let ended = false;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const ms = (a, b) => (a && b ? Date.parse(b) - Date.parse(a) : undefined);
  const dur = (m) => (m === undefined ? '' : m < 1000 ? m + ' ms' : (m / 1000).toFixed(m < 10000 ? 2 : 1) + ' s');
  const clock = (iso) => (iso ? iso.slice(11, 19) : '');
  const pill = (s) => '<span class="st ' + esc(String(s).split(' ')[0]) + '">' + esc(s) + '</span>';
  const rows = (el, list, fn) => { $(el).innerHTML = list.map(fn).join(''); };

  function apply(m) {
    if (m.reset) { view = {}; checks = []; events = []; }
    if (m.parts) Object.assign(view, m.parts);
    if (m.checks) checks = checks.concat(m.checks);
    if (m.events) events = events.concat(m.events).slice(-50);
    if (m.charts) drawCharts(m.charts);
    if (m.report) report = m.report;
    if (m.done) ended = true;
  }

  function draw() {
    const run = view.run;
    if (!run) return;
    $('title').textContent = run.experiment;
    $('runid').textContent = 'run ' + run.runId;
    $('description').textContent = run.description;
    const verdict = run.verdict ? run.verdict.kind : run.status;
    $('badge').textContent = verdict.toUpperCase();
    $('badge').className = 'badge ' + verdict;
    $('elapsed').textContent = dur(Date.parse(run.endedAt || new Date().toISOString()) - Date.parse(run.startedAt));
    $('abort').disabled = run.status !== 'running';
    const byPhase = new Map((view.phases || []).map((p) => [p.phase, p]));
    rows('phases', PHASES, (name) => {
      const p = byPhase.get(name);
      const cls = p ? (p.endedAt ? p.status || 'ok' : 'running') : '';
      return '<li class="' + cls + '">' + esc(name) + (p && p.endedAt ? ' <span class="muted">' + dur(ms(p.startedAt, p.endedAt)) + '</span>' : '') + '</li>';
    });
    const c = view.current;
    $('current').innerHTML = c ? '<strong>' + esc(c.phase) + ' › ' + esc(c.name) + '</strong> <span class="muted">for ' + dur(Date.now() - Date.parse(c.startedAt)) + '</span><div>' + esc(c.description) + '</div>' : (run.verdict ? esc(run.verdict.summary) : '');
    rows('pods', view.pods || [], (p) => '<tr data-pod="' + esc(p.pod) + '" data-state="' + esc(p.state) + '"><td><code>' + esc(p.pod) + '</code>' + (p.replaces ? ' <span class="muted">(in place of ' + esc(p.replaces) + ')</span>' : '') + '</td><td>' + pill(p.state) + '</td><td>' + clock(p.deletedAt) + '</td>' +
      [p.goneAt, p.recreatedAt, p.readyAt, p.dnsAt].map((t) => '<td>' + (t ? (p.deletedAt ? '+' + dur(ms(p.deletedAt, t)) : clock(t)) : '') + '</td>').join('') + '</tr>');
    $('pods-section').hidden = !(view.pods || []).length;
    const load = view.load || [];
    $('load-section').hidden = load.length === 0;
    const last = load[load.length - 1];
    if (last) $('load').innerHTML = '<strong>' + last.sent + ' req/s</strong>, ' + last.errors + ' errors, p95 ' + (last.p95 === undefined ? '–' : (+last.p95).toFixed(1) + ' ms') + ' <span class="muted">at ' + clock(last.at) + '</span>';
    rows('values', view.values || [], (v) => '<tr><td>' + esc(v.group) + '</td><td>' + esc(v.series) + '</td><td>' + esc(v.value) + ' ' + esc(v.unit) + '</td><td>' + clock(v.at) + '</td></tr>');
    $('values-section').hidden = !(view.values || []).length;
    rows('probes', view.probes || [], (p) => '<tr><td>' + esc(p.stage) + '</td><td>' + esc(p.path) + '</td><td>' + pill(p.outcome) + '</td><td>' + esc(p.expected) + '</td><td>' + clock(p.at) + '</td></tr>');
    $('probes-section').hidden = !(view.probes || []).length;
    rows('checks', checks, (k) => '<tr><td>' + pill(k.status) + '</td><td>' + esc(k.name) + '</td><td>' + esc(k.target || '') + '</td><td>' + esc(k.observed) + '</td></tr>');
    rows('changes', view.changes || [], (k) => '<tr><td>' + k.id + '</td><td>' + esc(k.description) + '</td><td>' + pill(k.status) + '</td></tr>');
    $('undo-table').hidden = !(view.undo || []).length;
    rows('undo', view.undo || [], (u) => '<tr><td>' + esc(u.phase) + '</td><td>' + esc(u.name) + '</td><td>' + pill(u.status) + '</td><td>' + esc(u.error || '') + '</td></tr>');
    rows('events', events.slice().reverse().slice(0, 20), (e) => '<li>' + clock(e.at) + ' ' + esc(e.source) + ' ' + esc(e.type) + ' ' + esc(e.object || '') + ' ' + esc(e.message) + '</li>');
  }

  // Vega-Lite warns about merged scales on the console; the report's renderer keeps as quiet.
  const quiet = { level() { return quiet; }, error() { return quiet; }, warn() { return quiet; }, info() { return quiet; }, debug() { return quiet; } };

  function drawCharts(list) {
    $('charts-section').hidden = list.length === 0;
    const box = $('charts');
    box.innerHTML = '';
    for (const c of list) {
      const fig = document.createElement('figure');
      fig.dataset.title = c.title;
      box.appendChild(fig);
      try {
        const spec = vegaLite.compile(c.spec, { logger: quiet }).spec;
        new vega.View(vega.parse(spec), { renderer: 'svg', container: fig, logLevel: vega.Error }).runAsync();
      } catch (err) {
        fig.textContent = 'chart could not be rendered: ' + err.message;
      }
    }
  }

  function showReport() {
    const frame = document.createElement('iframe');
    frame.id = 'report';
    frame.setAttribute('sandbox', '');
    frame.title = 'report';
    frame.srcdoc = report.html;
    document.body.innerHTML = '';
    document.body.appendChild(frame);
    document.title = 'shakedown ' + report.runId + ': ' + report.verdict;
  }

  $('abort').addEventListener('click', () => {
    if (!confirm('Abort this run? It rolls back every change (as Ctrl-C does) and ends with verdict "aborted".')) return;
    $('abort').disabled = true;
    $('abort').textContent = 'Aborting…';
    fetch('abort', { method: 'POST' }).catch(() => {});
  });

  const es = new EventSource('events');
  es.onmessage = (ev) => {
    apply(JSON.parse(ev.data));
    if (ended && report) { es.close(); showReport(); return; }
    draw();
  };
  setInterval(() => { if (!ended) draw(); }, 1000);
})();
`;
