// Load parameters any experiment can take: spread `loadParams()` into its z.strictObject.
import { z } from 'zod';
import { duration } from '../engine/params.ts';
import { SHAKEDOWN_VERSION } from '../engine/version.ts';
import { isInClusterHost, isLoopbackHost } from './target.ts';

const hostOf = (u: string): string | undefined => {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' ? url.hostname : undefined;
  } catch {
    return undefined;
  }
};

// Loopback for the harness's own driver, an in-cluster address for worker pods: which one the
// run needs depends on loadWorkers, checked together in refineLoadParams.
const loadUrl = () =>
  z.string().refine(
    (u) => {
      const h = hostOf(u);
      return h !== undefined && (isLoopbackHost(h) || isInClusterHost(h));
    },
    { error: 'must be an http:// URL on loopback (127.0.0.0/8, ::1, localhost), e.g. http://127.0.0.1:30080/, or with loadWorkers > 1 an in-cluster address, e.g. http://web.shop.svc:8080/' },
  );

/** The harness image the load workers run by default: this version's. */
export const DEFAULT_WORKER_IMAGE = `shakedown:${SHAKEDOWN_VERSION}`;

export function loadParams() {
  return {
    load: z.enum(['off', 'builtin', 'k6']).default('off').describe('load beside the fault: off, builtin (open-loop HTTP, the default driver) or k6 (a k6 >= 1.0 of your own)'),
    loadRate: z.number().positive().max(2000).default(20).describe('requests per second, offered at a constant arrival rate'),
    loadUrl: loadUrl().optional().describe("URL the load goes to: loopback (default: the fixture's client Service on its NodePort at 127.0.0.1); with loadWorkers > 1 an in-cluster address (default: the client Service's cluster DNS name)"),
    loadWorkers: z.number().int().min(1).max(100).default(1).describe('builtin load only: run it in this many pods (an Indexed Job of the harness image), each driving loadRate/N, their histograms merged exactly; 1 runs it in the harness itself'),
    loadWorkerImage: z.string().regex(/^[\w.\-/:@]+$/, 'must be an image reference like shakedown:0.1.0').optional().describe(`the harness image the load worker pods run (default ${DEFAULT_WORKER_IMAGE}); only with loadWorkers > 1`),
    // The drivers refuse a timeout above 60 s (checkBounds): refused here, not halfway through a run.
    loadTimeout: duration('2s', { max: '60s' }).describe('per-request timeout; a request without an answer by then counts as a timeout'),
    loadSteadyFor: duration('10s').describe('load before the fault, the steady-state baseline'),
    loadRecoveryFor: duration('15s').describe('load after the fault, the recovery window'),
    loadMaxErrorRate: z.number().min(0).max(1).default(0.1).describe('largest share of failed requests (0–1) allowed during the fault'),
    loadMaxP95Ratio: z.number().min(1).default(5).describe('largest p95 latency during the fault, as a multiple of the steady p95 (floored at 10 ms)'),
    loadRecoverWithin: duration('60s').describe('bound on fault start → error rate and p95 back in the steady band for good'),
    loadK6: z.string().min(1).default('k6').describe('the k6 binary for load=k6 (a path, or a name on PATH)'),
    loadK6Script: z.string().optional().describe('the k6 script for load=k6 (default: the experiment\'s k6/load.ts)'),
  };
}

/** What refineLoadParams reads. */
type LoadChoice = { load: string; loadUrl?: string | undefined; loadWorkers: number; loadWorkerImage?: string | undefined; loadRate: number };

/**
 * Checks the load parameters together, in an experiment's `superRefine`: loadWorkers > 1 only
 * with the built-in driver, at least 0.001 req/s each, and its loadUrl an in-cluster address
 * (the worker pods cannot reach the harness's loopback); loadWorkers = 1 keeps loadUrl on
 * loopback. Each problem names its field.
 */
export function refineLoadParams(v: LoadChoice, ctx: z.RefinementCtx): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  const host = v.loadUrl === undefined ? undefined : hostOf(v.loadUrl);
  if (v.loadWorkers > 1) {
    if (v.load === 'k6') issue('loadWorkers', 'applies to the built-in driver only (load=builtin), not to k6');
    if (v.loadRate < v.loadWorkers * 0.001) issue('loadRate', `is ${v.loadRate} req/s: too little to split over ${v.loadWorkers} workers`);
    if (host !== undefined && !isInClusterHost(host)) {
      issue('loadUrl', `must be an in-cluster address with loadWorkers > 1 (a Service's DNS name like web.shop.svc or a ClusterIP): the worker pods cannot reach ${host}`);
    }
  } else {
    if (host !== undefined && !isLoopbackHost(host)) issue('loadUrl', `must be on loopback with loadWorkers = 1 (the harness sends the load itself); ${host} is an in-cluster address: set loadWorkers > 1 to send from pods`);
    if (v.loadWorkerImage !== undefined) issue('loadWorkerImage', 'applies only with loadWorkers > 1');
  }
}

/**
 * For an experiment whose fault is meant to turn the load away (judge-rejection.ts): the limits
 * speak of being served again after the fault, and there is no p95 ratio.
 */
export function rejectingLoadParams() {
  const { loadMaxP95Ratio: _noRatio, ...rest } = loadParams();
  return {
    ...rest,
    loadMaxErrorRate: z.number().min(0).max(1).default(0.05).describe('largest share of failed requests (0–1) a second may have and count as served again after the fault'),
    loadRecoverWithin: duration('60s').describe("bound on the fault's end → every second served again (at most loadMaxErrorRate errors)"),
  };
}

/** The parameters `load.params()` adds, as parsed (durations in milliseconds). */
export interface LoadParams {
  /** Load beside the fault: off, builtin (open-loop HTTP) or k6. */
  load: 'off' | 'builtin' | 'k6';
  /** Requests per second, offered at a constant arrival rate. */
  loadRate: number;
  /** The URL the load goes to: loopback, or in-cluster with loadWorkers > 1 (default: the fixture's client Service). */
  loadUrl?: string | undefined;
  /** Pods the built-in load runs in (1, or absent: in the harness itself). */
  loadWorkers?: number | undefined;
  /** The harness image the worker pods run (default `shakedown:<version>`). */
  loadWorkerImage?: string | undefined;
  /** Per-request timeout in ms; a request unanswered by then counts as a timeout. */
  loadTimeout: number;
  /** How long the load runs before the fault (the steady baseline), in ms. */
  loadSteadyFor: number;
  /** How long the load runs after the fault (the recovery window), in ms. */
  loadRecoveryFor: number;
  /** Largest share of failed requests (0–1) allowed during the fault. */
  loadMaxErrorRate: number;
  /** Absent for a rejecting experiment (see loadParams). */
  loadMaxP95Ratio?: number;
  /** Bound in ms on the fault's start → error rate and p95 back in the steady band. */
  loadRecoverWithin: number;
  /** The k6 binary for load=k6. */
  loadK6: string;
  /** The k6 script for load=k6 (default: the experiment's k6/load.ts). */
  loadK6Script?: string | undefined;
}
