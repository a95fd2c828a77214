// One interface for every load driver: start a constant arrival rate against a target, get a
// running load that can be stopped, and per-second aggregates of what its requests met.
import type { WorkerFigures } from './workers/merge.ts';

/** What one request met. `2xx`…`5xx` are HTTP status classes; the rest got no HTTP answer. */
export const OUTCOMES = ['2xx', '3xx', '4xx', '5xx', 'reset', 'refused', 'timeout', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes a user of the service would have counted as served. Everything else is an error. */
export const SERVED: ReadonlySet<Outcome> = new Set(['2xx', '3xx']);

export type OutcomeCounts = Record<Outcome, number>;

export const zeroCounts = (): OutcomeCounts => ({ '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, reset: 0, refused: 0, timeout: 0, other: 0 });

/**
 * One second of load, keyed by the second in which the requests were *meant* to be sent (so a
 * request offered during the fault counts in the fault even when it times out after it).
 */
export interface SecondBucket {
  /** Epoch milliseconds of the start of the second. */
  at: number;
  /** Requests the schedule offered in this second. */
  offered: number;
  /** Requests actually sent (lower than offered only when the driver itself fell behind or was stopped). */
  sent: number;
  outcomes: OutcomeCounts;
  /** Latency in ms from the intended send time (not the actual one: no coordinated omission). */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** The second's HDR histogram of latencies in microseconds, compressed (base64), for merging per phase. */
  histogram: string;
  /** Largest delay between the intended and the actual send time in this second (driver health), ms. */
  maxSendLagMs: number;
}

export interface LoadStartOptions {
  /** http://127.x.x.x:port/path; only loopback targets are allowed (see target.ts). */
  url: string;
  /** Requests per second, offered at a constant arrival rate. */
  rate: number;
  /** Hard bound on the load's duration, ms; it stops by itself after it. */
  duration: number;
  /** Per-request timeout, ms. */
  timeout: number;
  /** Stops the load (as `stop()` does) when it fires. */
  signal?: AbortSignal;
  /** Called as each second is complete (every request of it has an outcome). */
  onSecond?: (bucket: SecondBucket) => void;
}

/** How a driver ended, beside the harness's own judgement of the series. */
export interface DriverExit {
  /** ok: ran and stopped as asked; thresholds: k6's own thresholds failed (recorded, not judged); error: the driver broke. */
  kind: 'ok' | 'thresholds' | 'error';
  code?: number;
  message: string;
}

export interface LoadResult {
  driver: string;
  url: string;
  rate: number;
  startedAt: number;
  endedAt: number;
  /** Complete seconds in time order. */
  seconds: SecondBucket[];
  totals: { offered: number; sent: number; outcomes: OutcomeCounts };
  /** Error codes of `other` outcomes (ENETUNREACH …) with their counts, for evidence. */
  otherCodes: Record<string, number>;
  exit: DriverExit;
  /** Per-worker figures when the load ran in worker pods (loadWorkers > 1). */
  workers?: LoadWorkerFigures[];
}

/** One load worker pod's figures (see workers/merge.ts), with where it ran. */
export type LoadWorkerFigures = WorkerFigures & { pod: string; node: string };

export interface RunningLoad {
  readonly driver: string;
  /** Epoch ms of the first scheduled request. */
  readonly startedAt: number;
  /** Seconds complete so far, in time order. */
  seconds(): SecondBucket[];
  /** Stops sending, waits for requests in flight (bounded by their timeout), resolves the result. Idempotent. */
  stop(): Promise<LoadResult>;
  /** Resolves when the load ends by itself (duration, request bound, signal) or is stopped. */
  readonly done: Promise<LoadResult>;
}

export interface LoadDriver {
  readonly name: 'builtin' | 'k6';
  /** Checks the driver can run here (e.g. `k6 version`); throws a message naming what is missing. */
  preflight(): Promise<void>;
  start(options: LoadStartOptions): Promise<RunningLoad>;
}

/** The load driver itself broke (crashed worker, k6 script error): the run's verdict is `error`, not a finding. */
export class LoadDriverError extends Error {
  override name = 'LoadDriverError';
}
