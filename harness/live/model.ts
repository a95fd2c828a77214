// What the live page and the terminal show of a run, derived from its journal alone (so a run in
// this process and a journal read from disk give the same view). Nothing here is more than the
// reports already show: no credentials, no undo payloads (a restored object's copy stays in
// the journal), check evidence left out.
import type { CheckRecord, Journal, PhaseRecord, UndoRecord, Verdict } from '../journal/schema.ts';
import { podRows, type PodRow } from './pods.ts';

export interface LiveRun {
  experiment: string;
  description: string;
  runId: string;
  status: Journal['status'];
  startedAt: string;
  endedAt?: string | undefined;
  verdict?: Verdict | undefined;
}

export interface LiveStep {
  phase: string;
  name: string;
  description: string;
  startedAt: string;
}

export interface LiveLoadSecond {
  at: string;
  sent: number;
  errors: number;
  p95?: number | undefined;
}

export interface LiveProbe {
  path: string;
  stage: string;
  outcome: string;
  expected: string;
  at: string;
}

export interface LiveValue {
  group: string;
  series: string;
  value: number;
  unit: string;
  at: string;
}

/** The parts of the view that are sent whole whenever they change. */
export interface LiveParts {
  run: LiveRun;
  phases: PhaseRecord[];
  current: LiveStep | undefined;
  pods: PodRow[];
  changes: { id: number; at: string; description: string; status: string }[];
  undo: (UndoRecord & { phase: 'rollback' | 'teardown' })[];
  load: LiveLoadSecond[];
  probes: LiveProbe[];
  values: LiveValue[];
  windows: Journal['windows'];
}

export type LiveCheck = Omit<CheckRecord, 'evidence'>;

/** The load seconds the view keeps (the chart in the page shows the whole run from the journal's series). */
export const LIVE_LOAD_SECONDS = 120;

export function liveParts(j: Readonly<Journal>): LiveParts {
  return {
    run: { experiment: j.experiment.name, description: j.experiment.description, runId: j.runId, status: j.status, startedAt: j.startedAt, endedAt: j.endedAt, verdict: j.verdict },
    phases: j.phases,
    current: currentStep(j),
    pods: podRows(j.events),
    changes: j.changes.map((c) => ({ id: c.id, at: c.at, description: c.description, status: c.status })),
    undo: [...j.rollbacks.map((r) => ({ ...r, phase: 'rollback' as const })), ...j.teardowns.map((r) => ({ ...r, phase: 'teardown' as const }))],
    load: loadSeconds(j),
    probes: probeMatrix(j),
    values: latestValues(j),
    windows: j.windows,
  };
}

export const liveCheck = ({ evidence: _e, ...c }: CheckRecord): LiveCheck => c;

/** The step running now (the last one started and not ended), else the phase. */
export function currentStep(j: Readonly<Journal>): LiveStep | undefined {
  const p = j.phases.at(-1);
  if (!p || j.status === 'completed') return undefined;
  const s = p.steps.at(-1);
  if (s && !s.endedAt) return { phase: p.phase, name: s.name, description: s.description, startedAt: s.startedAt };
  return p.endedAt ? undefined : { phase: p.phase, name: p.phase, description: '', startedAt: p.startedAt };
}

/** Requests, errors and p95 per second from the load series (journaled as each second completes). */
export function loadSeconds(j: Readonly<Journal>): LiveLoadSecond[] {
  const of = (name: string) => j.series.find((s) => s.name === name && s.group.startsWith('load'))?.points ?? [];
  const errors = new Map(of('errors').map((p) => [p.at, p.value]));
  const p95 = new Map(of('p95').map((p) => [p.at, p.value]));
  return of('sent')
    .slice(-LIVE_LOAD_SECONDS)
    .map((p) => ({ at: p.at, sent: p.value, errors: errors.get(p.at) ?? 0, p95: p95.get(p.at) }));
}

/** The last outcome of each probe path in each stage (istio-mtls' matrix). */
export function probeMatrix(j: Readonly<Journal>): LiveProbe[] {
  const latest = new Map<string, LiveProbe>();
  for (const e of j.events) {
    const d = e.data;
    if (e.source !== 'probe' || typeof d?.['path'] !== 'string' || typeof d['client'] !== 'string') continue;
    const path = `${String(d['client'])} → ${String(d['target'])}`;
    const stage = String(d['stage'] ?? '');
    latest.set(`${stage}\u0000${path}`, { path, stage, outcome: String(d['outcome'] ?? e.type), expected: String(d['expected'] ?? ''), at: e.at });
  }
  return [...latest.values()];
}

/** The latest value of every series other than load's (HPA replicas against the formula, CPU). */
export function latestValues(j: Readonly<Journal>): LiveValue[] {
  return j.series
    .filter((s) => !s.group.startsWith('load') && s.points.length > 0)
    .map((s) => ({ group: s.group, series: s.name, unit: s.unit, value: s.points.at(-1)!.value, at: s.points.at(-1)!.at }));
}
