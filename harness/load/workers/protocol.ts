// What a load worker pod prints on stdout, one JSON object a line, and how the harness reads
// it back from the pod's log: a "started" line (its schedule), one "second" line per complete
// second (counts and the encoded HDR histogram, so the harness can merge exactly), and a last
// "done" line. Anything else in the log (a Node warning, a stack trace) is not a line of ours.
import { OUTCOMES, zeroCounts, type OutcomeCounts, type SecondBucket } from '../types.ts';

/** Version of the line format; a line of another version is refused, not guessed at. */
export const PROTOCOL_VERSION = 1;

/** A "done" line's reason: the worker's duration ran out (its whole schedule was sent). */
export const DONE_FULL = 'ran its full duration';
/** A "done" line's reason: SIGTERM (the harness deleting the Job, or anyone else deleting the pod). */
export const DONE_SIGTERM = 'stopped by SIGTERM';

export interface StartedLine {
  type: 'started';
  index: number;
  /** Epoch ms of the first scheduled request (request k is due at at + k × 1000 / rate). */
  at: number;
  rate: number;
  /** The worker's bound on its requests: rate × duration (see builtin-worker.ts). */
  maxRequests: number;
}

export interface SecondLine {
  type: 'second';
  index: number;
  at: number;
  offered: number;
  sent: number;
  outcomes: OutcomeCounts;
  histogram: string;
  maxSendLagMs: number;
}

export interface DoneLine {
  type: 'done';
  index: number;
  endedAt: number;
  totals: { offered: number; sent: number; outcomes: OutcomeCounts };
  otherCodes: Record<string, number>;
  /** Why it ended: the harness stopped it (SIGTERM) or its duration ran out. */
  reason: string;
}

export type WorkerLine = StartedLine | SecondLine | DoneLine;

/** One line of stdout for `line` (no newline). */
export const formatLine = (line: WorkerLine): string => JSON.stringify({ v: PROTOCOL_VERSION, ...line });

/** A second of the built-in driver as a worker's line. */
export const secondLine = (index: number, b: SecondBucket): SecondLine => ({
  type: 'second',
  index,
  at: b.at,
  offered: b.offered,
  sent: b.sent,
  outcomes: b.outcomes,
  histogram: b.histogram,
  maxSendLagMs: b.maxSendLagMs,
});

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function outcomesOf(v: unknown): OutcomeCounts | undefined {
  if (!isObj(v)) return undefined;
  const out = zeroCounts();
  for (const k of OUTCOMES) {
    if (!count(v[k])) return undefined;
    out[k] = v[k];
  }
  return out;
}

function totalsOf(v: unknown): DoneLine['totals'] | undefined {
  if (!isObj(v) || !count(v['offered']) || !count(v['sent'])) return undefined;
  const outcomes = outcomesOf(v['outcomes']);
  return outcomes && { offered: v['offered'], sent: v['sent'], outcomes };
}

/**
 * Reads one log line: a line of ours, or undefined for anything else (not JSON, another
 * version, a field missing or of the wrong type). Never throws: a log holds what it holds.
 */
export function parseLine(text: string): WorkerLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  if (!isObj(v) || v['v'] !== PROTOCOL_VERSION || !count(v['index'])) return undefined;
  const index = v['index'];
  switch (v['type']) {
    case 'started':
      return finite(v['at']) && finite(v['rate']) && v['rate'] > 0 && count(v['maxRequests']) ? { type: 'started', index, at: v['at'], rate: v['rate'], maxRequests: v['maxRequests'] } : undefined;
    case 'second': {
      const outcomes = outcomesOf(v['outcomes']);
      if (!outcomes || !finite(v['at']) || v['at'] % 1000 !== 0 || !count(v['offered']) || !count(v['sent']) || typeof v['histogram'] !== 'string' || !finite(v['maxSendLagMs'])) return undefined;
      return { type: 'second', index, at: v['at'], offered: v['offered'], sent: v['sent'], outcomes, histogram: v['histogram'], maxSendLagMs: v['maxSendLagMs'] };
    }
    case 'done': {
      const totals = totalsOf(v['totals']);
      const codes = v['otherCodes'];
      if (!totals || !finite(v['endedAt']) || !isObj(codes) || !Object.values(codes).every(count) || typeof v['reason'] !== 'string') return undefined;
      return { type: 'done', index, endedAt: v['endedAt'], totals, otherCodes: codes as Record<string, number>, reason: v['reason'] };
    }
    default:
      return undefined;
  }
}

/** Splits a stream of text chunks into whole lines; the rest waits for the next chunk. */
export class LineSplitter {
  private rest = '';
  push(chunk: string): string[] {
    this.rest += chunk;
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }
  /** What is left once the stream ended (a last line without its newline). */
  end(): string[] {
    const last = this.rest.trim();
    this.rest = '';
    return last ? [last] : [];
  }
}
