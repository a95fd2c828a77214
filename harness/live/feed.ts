// Turns a run's journal, as it changes, into a stream of small messages for the live page (and
// the terminal view): the parts of the view that changed, the checks and events recorded since
// the last message, and the charts at most once a second. A late subscriber starts from a
// snapshot; the stream carries nothing the reports do not (no credentials, no check evidence).
import type { Journal } from '../journal/schema.ts';
import type { ChartSpec } from '../report/charts/layout.ts';
import { probeSpec } from '../report/charts/probes.ts';
import { seriesSpecs } from '../report/charts/series.ts';
import { truncate } from '../report/format.ts';
import { liveCheck, liveParts, type LiveCheck, type LiveParts } from './model.ts';

export interface LiveEvent {
  at: string;
  source: string;
  type: string;
  object?: string | undefined;
  message: string;
}

export interface LiveMessage {
  /** A new run starts: the page forgets the previous one's view. */
  reset?: boolean;
  parts?: Partial<LiveParts>;
  checks?: LiveCheck[];
  events?: LiveEvent[];
  charts?: ChartSpec[];
  /** A run's reports are written: its report.html, whole. */
  report?: { runId: string; verdict: string; html: string };
  /** Every run of the command has ended. */
  done?: boolean;
}

/** Events a snapshot carries (the page shows the latest few; the journal keeps them all). */
const SNAPSHOT_EVENTS = 50;

export class LiveFeed {
  private journal: Readonly<Journal> | undefined;
  private readonly sentParts = new Map<string, string>();
  private checksSent = 0;
  private eventsSent = 0;
  private chartsJson = '';
  private chartsAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscribers = new Set<(m: LiveMessage) => void>();
  private readonly reports: NonNullable<LiveMessage['report']>[] = [];
  private finished = false;
  private readonly intervalMs: number;

  /** `intervalMs` coalesces bursts of journal changes into one message. */
  constructor(intervalMs = 150) {
    this.intervalMs = intervalMs;
  }

  /** Follows a new run's journal (the runner's `watch`). */
  readonly watch = {
    started: (journal: Readonly<Journal>) => {
      this.journal = journal;
      this.sentParts.clear();
      this.checksSent = 0;
      this.eventsSent = 0;
      this.chartsJson = '';
      this.broadcast({ reset: true, ...this.delta(true) });
    },
    changed: () => {
      this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
    },
  };

  subscribe(fn: (m: LiveMessage) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** Everything a new subscriber needs to draw the view as it is now. */
  snapshot(): LiveMessage {
    const m: LiveMessage = { reset: true };
    const j = this.journal;
    if (j) {
      m.parts = liveParts(j);
      m.checks = j.checks.map(liveCheck);
      m.events = j.events.slice(-SNAPSHOT_EVENTS).map(liveEvent);
      m.charts = charts(j);
    }
    const last = this.reports.at(-1);
    if (last && (this.finished || j?.runId === last.runId)) m.report = last;
    if (this.finished) m.done = true;
    return m;
  }

  /** The view as it is now (for the terminal). */
  parts(): LiveParts | undefined {
    return this.journal ? liveParts(this.journal) : undefined;
  }

  /** Sends what changed since the last message. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const m = this.delta(false);
    if (m.parts || m.checks || m.events || m.charts) this.broadcast(m);
  }

  /** A run's reports are written. */
  report(runId: string, verdict: string, html: string): void {
    this.flush();
    const r = { runId, verdict, html };
    this.reports.push(r);
    this.broadcast({ report: r });
  }

  /** The command is over: no run follows. */
  done(): void {
    this.flush();
    this.finished = true;
    this.broadcast({ done: true });
  }

  private delta(all: boolean): LiveMessage {
    const j = this.journal;
    if (!j) return {};
    const m: LiveMessage = {};
    const parts = liveParts(j);
    const changed: Partial<Record<keyof LiveParts, unknown>> = {};
    for (const [k, v] of Object.entries(parts) as [keyof LiveParts, unknown][]) {
      const text = JSON.stringify(v) ?? '';
      if (all || this.sentParts.get(k) !== text) {
        changed[k] = v;
        this.sentParts.set(k, text);
      }
    }
    if (Object.keys(changed).length > 0) m.parts = changed as Partial<LiveParts>;
    if (j.checks.length > this.checksSent) m.checks = j.checks.slice(this.checksSent).map(liveCheck);
    this.checksSent = j.checks.length;
    if (j.events.length > this.eventsSent) m.events = j.events.slice(Math.max(this.eventsSent, j.events.length - SNAPSHOT_EVENTS)).map(liveEvent);
    this.eventsSent = j.events.length;
    // Charts are rebuilt at most once a second (and at the end); a change in between is sent later.
    const now = Date.now();
    if (all || j.status === 'completed' || now - this.chartsAt >= 1000) {
      const c = charts(j);
      const text = JSON.stringify(c);
      if (text !== this.chartsJson) m.charts = c;
      this.chartsJson = text;
      this.chartsAt = now;
    } else {
      this.timer ??= setTimeout(() => this.flush(), 1000 - (now - this.chartsAt)).unref();
    }
    return m;
  }

  private broadcast(m: LiveMessage): void {
    for (const fn of this.subscribers) fn(m);
  }
}

const liveEvent = (e: Journal['events'][number]): LiveEvent => ({ at: e.at, source: e.source, type: e.type, object: e.object, message: truncate(e.message, 300) });

/** The report's own time-series and probe-matrix charts (the same Vega-Lite specs), of the run so far. */
function charts(j: Readonly<Journal>): ChartSpec[] {
  const out = seriesSpecs(j);
  const probes = probeSpec(j);
  if (probes) out.unshift(probes);
  return out;
}
