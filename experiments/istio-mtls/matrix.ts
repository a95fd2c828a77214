// The probe matrix: rounds of probes (in-mesh client, out-of-mesh client, host → NodePort) until
// every path shows what the policy promises for several rounds in a row, or the bound runs out.
// Every outcome goes into the journal as a probe event, which the report draws as the matrix.
import { setTimeout as delay } from 'node:timers/promises';
import { probes, type ProbeOutcome, type Recorder } from '../../harness/index.ts';

const { broken: isBroken, describe: describeOutcome, label: outcomeLabel, rejected: isRejected, served: isServed } = probes.outcome;

export type PathId = 'in-mesh' | 'out-of-mesh' | 'host';
export type Stage = 'baseline' | 'STRICT' | 'PERMISSIVE';
/** served: an HTTP answer below 500; rejected: reset or closed without a response; answers: either. */
export type Expectation = 'served' | 'rejected' | 'answers';

export interface ProbePath {
  id: PathId;
  client: string;
  target: string;
  probe(): Promise<ProbeOutcome>;
}

export const EXPECT: Record<Stage, Record<PathId, Expectation>> = {
  // Before the change only the mesh must work; plaintext may be either (the user's policy decides).
  baseline: { 'in-mesh': 'served', 'out-of-mesh': 'answers', host: 'answers' },
  STRICT: { 'in-mesh': 'served', 'out-of-mesh': 'rejected', host: 'rejected' },
  PERMISSIVE: { 'in-mesh': 'served', 'out-of-mesh': 'served', host: 'served' },
};

export function meets(o: ProbeOutcome, e: Expectation): boolean {
  if (e === 'served') return isServed(o);
  if (e === 'rejected') return isRejected(o);
  return isServed(o) || isRejected(o);
}

export interface Round {
  at: number;
  outcomes: Partial<Record<PathId, ProbeOutcome>>;
}

export interface StageResult {
  stage: Stage;
  /** When the policy change was answered by the API server (or the stage began). */
  since: number;
  rounds: Round[];
  /** Epoch ms of the first round of the run of rounds that held; undefined if the bound ran out. */
  enforcedAt?: number | undefined;
  /** Per path: from `since` to the first probe after which the path held until the end. */
  perPath: Partial<Record<PathId, number>>;
  /** Per path: from `since` to the last probe that did not hold yet (the change took effect between the two). */
  lastMiss: Partial<Record<PathId, number>>;
}

/** Time as the rounds see it: the wall clock unless a test gives its own. */
export interface RoundClock {
  now(): number;
  /** Waits `ms`, or less when the signal fires (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const WALL_CLOCK: RoundClock = { now: () => Date.now(), sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined) };

export interface RoundOptions {
  stage: Stage;
  since: number;
  boundMs: number;
  everyMs: number;
  consecutive: number;
  signal: AbortSignal;
  record: Recorder;
  clock?: RoundClock;
}

/**
 * Probes every path each `everyMs` until the whole matrix meets the stage's expectation for
 * `consecutive` rounds, or `boundMs` after `since` has passed. Bounded in rounds and in time.
 */
export async function probeRounds(paths: readonly ProbePath[], o: RoundOptions): Promise<StageResult> {
  const expect = EXPECT[o.stage];
  const result: StageResult = { stage: o.stage, since: o.since, rounds: [], perPath: {}, lastMiss: {} };
  const deadline = o.since + o.boundMs;
  const clock = o.clock ?? WALL_CLOCK;
  let streak = 0;
  for (;;) {
    // The run's signal carries its AbortedError as the reason (SIGINT, SIGTERM, the deadline).
    o.signal.throwIfAborted();
    const at = clock.now();
    const outcomes = await Promise.all(paths.map((p) => p.probe()));
    const round: Round = { at, outcomes: {} };
    paths.forEach((p, i) => {
      const outcome = outcomes[i]!;
      round.outcomes[p.id] = outcome;
      const ok = meets(outcome, expect[p.id]);
      o.record.event({
        at: new Date(at).toISOString(),
        source: 'probe',
        type: ok ? 'as-expected' : isBroken(outcome) ? 'broken' : 'unexpected',
        message: `${o.stage}: ${p.client} → ${p.target}: ${describeOutcome(outcome)} (expected ${expect[p.id]})`,
        data: { client: p.client, target: p.target, outcome: outcomeLabel(outcome), path: p.id, stage: o.stage, expected: expect[p.id], detail: outcome.detail },
      });
    });
    result.rounds.push(round);
    streak = paths.every((p) => meets(round.outcomes[p.id]!, expect[p.id])) ? streak + 1 : 0;
    if (streak >= o.consecutive) {
      result.enforcedAt = result.rounds[result.rounds.length - o.consecutive]!.at;
      for (const p of paths) {
        let i = result.rounds.length - 1;
        while (i > 0 && meets(result.rounds[i - 1]!.outcomes[p.id]!, expect[p.id])) i--;
        result.perPath[p.id] = Math.max(0, result.rounds[i]!.at - o.since);
        if (i > 0) result.lastMiss[p.id] = Math.max(0, result.rounds[i - 1]!.at - o.since);
      }
      return result;
    }
    const left = deadline - clock.now();
    if (left <= 0) return result;
    // Rounds start every everyMs; a signal ends the pause early, and the next round's check throws.
    await clock.sleep(Math.min(left, Math.max(0, at + o.everyMs - clock.now())), o.signal);
  }
}

/** The last round's outcomes that broke the probe (timeout, DNS, refused, exec failure), as text. */
export function brokenPaths(paths: readonly ProbePath[], r: StageResult): string[] {
  const last = r.rounds.at(-1);
  if (!last) return [];
  return paths.filter((p) => isBroken(last.outcomes[p.id]!)).map((p) => `${p.client} → ${p.target}: ${describeOutcome(last.outcomes[p.id]!)}`);
}

/** The last round, one line per path, with what was expected. */
export function lastRound(paths: readonly ProbePath[], r: StageResult): string {
  const last = r.rounds.at(-1);
  if (!last) return 'no probe round ran';
  return paths.map((p) => `${p.client} → ${p.target}: ${describeOutcome(last.outcomes[p.id]!)} (expected ${EXPECT[r.stage][p.id]})`).join('; ');
}

/** Outcome counts per path for the report: [stage, path, outcome, count]. */
export function outcomeCounts(results: readonly StageResult[], paths: readonly ProbePath[]): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    for (const p of paths) {
      const counts = new Map<string, number>();
      for (const round of r.rounds) {
        const o = round.outcomes[p.id];
        if (o) counts.set(outcomeLabel(o), (counts.get(outcomeLabel(o)) ?? 0) + 1);
      }
      for (const [label, n] of [...counts].sort()) rows.push([r.stage, `${p.client} → ${p.target}`, label, n]);
    }
  }
  return rows;
}
