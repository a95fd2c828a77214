// Load parameters any experiment can take: spread `loadParams()` into its z.strictObject.
import { z } from 'zod';
import { duration } from '../engine/params.ts';
import { isLoopbackHost } from './target.ts';

const loopbackUrl = () =>
  z.string().refine(
    (u) => {
      try {
        const url = new URL(u);
        return url.protocol === 'http:' && isLoopbackHost(url.hostname);
      } catch {
        return false;
      }
    },
    { error: 'must be an http:// URL on loopback (127.0.0.0/8, ::1, localhost), e.g. http://127.0.0.1:30080/' },
  );

export function loadParams() {
  return {
    load: z.enum(['off', 'builtin', 'k6']).default('off').describe('load beside the fault: off, builtin (open-loop HTTP, the default driver) or k6 (a k6 >= 1.0 of your own)'),
    loadRate: z.number().positive().max(2000).default(20).describe('requests per second, offered at a constant arrival rate'),
    loadUrl: loopbackUrl().optional().describe('loopback URL the load goes to (default: the fixture\'s client Service on its NodePort at 127.0.0.1)'),
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
  /** The loopback URL the load goes to (default: the fixture's client Service on its NodePort). */
  loadUrl?: string | undefined;
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
