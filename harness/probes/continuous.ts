// Continuous probes: an attempt repeated at a fixed interval while the phases of its window run
// (steady state, fault, recovery or all of them), each attempt a sample tagged with the phase it
// was sent in. Samples are kept in the run's results under the probe's own key, so a check reads
// them by the probe, and are journaled (latency series, failed attempts as events).
import type { ClusterContext } from '../cluster/context.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { describeError, statusMessageOf, targetSelectionError } from '../engine/errors.ts';
import { resultKey, type ObserveWindow, type Observer, type ResultKey } from '../engine/experiment.ts';
import { formatDuration } from '../engine/time.ts';
import { sleep } from '../engine/wait.ts';
import type { Phase } from '../journal/schema.ts';
import { can, type Permission } from '../cluster/permissions.ts';

type Of<P, T> = (params: P) => T;

/** One attempt of a continuous probe. */
export interface ProbeSample {
  /** When it was sent (ISO 8601). */
  at: string;
  /** The phase it was sent in. */
  phase: Phase;
  /** Whether the attempt succeeded. */
  ok: boolean;
  /** From sending to the answer (or the attempt's bound). */
  ms: number;
  /** What was seen: "HTTP 200", "HTTP 503: no endpoints available ...". */
  detail: string;
}

/** An observer that probes at an interval; its samples are read with `ctx.results.get(probe.samples)`. */
export interface ContinuousProbe<P, S> extends Observer<P, S, ClusterSession> {
  /** The phases it probes in. */
  readonly during: ObserveWindow;
  /** The key its samples are kept under in the run's results. */
  readonly samples: ResultKey<ProbeSample[]>;
  /** false: off for these parameters (never started, nothing to judge). */
  enabled(params: P): boolean;
}

/** What `continuousProbe` builds a probe from: its name, window, interval, bound and one attempt. */
export interface ContinuousProbeSpec<P, S> {
  /** The probe's name (journal, report, and its results key). */
  name: string;
  /** The phases it probes in: steady, fault, recovery or always. */
  during: ObserveWindow;
  /** Interval between attempts' starts, ms. */
  every: Of<P, number>;
  /** Bound on one attempt, ms. */
  timeout: Of<P, number>;
  /** One line for the plan and the report. */
  describe: Of<P, string>;
  /** false: the probe is off for these parameters (described as skipped, never started). */
  enabled?: Of<P, boolean>;
  /** The API permissions its attempts need. */
  permissions?: Of<P, readonly Permission[]>;
  /** Runs once before the first attempt; what it throws ends the run as an error, not a finding. */
  prepare?(ctx: ClusterContext<P, S>): Promise<void>;
  /** One attempt; a rejection counts as a failed sample with the error as its detail. */
  attempt(ctx: ClusterContext<P, S>, signal: AbortSignal): Promise<{ ok: boolean; detail: string }>;
}

/** Failed attempts journaled as events, at most (the latency series and the results keep them all). */
const MAX_FAILURE_EVENTS = 200;

/** Builds a continuous probe from one attempt. */
export function continuousProbe<P, S>(spec: ContinuousProbeSpec<P, S>): ContinuousProbe<P, S> {
  const samples = resultKey<ProbeSample[]>(`probe:${spec.name}`);
  const on = (p: P) => spec.enabled?.(p) ?? true;
  return {
    name: spec.name,
    during: spec.during,
    samples,
    enabled: on,
    permissions: (p: P) => (on(p) ? (spec.permissions?.(p) ?? []) : []),
    describe: (p: P) => (on(p) ? `${spec.describe(p)}, every ${formatDuration(spec.every(p))}` : `${spec.name}: skipped (off)`),
    async start(ctx) {
      if (!on(ctx.params)) return () => Promise.resolve();
      await spec.prepare?.(ctx);
      const list: ProbeSample[] = [];
      ctx.results.set(samples, list);
      const stopped = new AbortController();
      const loop = probeLoop(ctx, spec, list, stopped.signal);
      return async () => {
        stopped.abort();
        await loop;
      };
    },
  };
}

async function probeLoop<P, S>(ctx: ClusterContext<P, S>, spec: ContinuousProbeSpec<P, S>, list: ProbeSample[], stopped: AbortSignal): Promise<void> {
  const every = spec.every(ctx.params);
  const timeout = spec.timeout(ctx.params);
  const series = { name: `${spec.name} latency`, group: 'probes', unit: 'ms' };
  let failures = 0;
  let next = Date.now();
  while (!stopped.aborted) {
    const sentAt = Date.now();
    const phase = ctx.phase;
    const attempt = AbortSignal.any([stopped, AbortSignal.timeout(timeout)]);
    let r: { ok: boolean; detail: string };
    try {
      r = await spec.attempt(ctx, attempt);
    } catch (err) {
      r = { ok: false, detail: attempt.aborted && !stopped.aborted ? `no answer within ${formatDuration(timeout)}` : describeError(err) };
    }
    // An attempt cut short by the probe's own stop says nothing about the target.
    if (stopped.aborted) break;
    const s: ProbeSample = { at: new Date(sentAt).toISOString(), phase, ok: r.ok, ms: Date.now() - sentAt, detail: r.detail };
    list.push(s);
    ctx.record.point(series, s.ms, s.at);
    if (!s.ok && failures++ < MAX_FAILURE_EVENTS) ctx.record.event({ at: s.at, source: 'probe', type: 'probe-failed', object: spec.name, message: s.detail });
    // A fixed rate: an attempt that overran skips the ticks it missed rather than bunching up.
    next += every * Math.max(1, Math.ceil((Date.now() - next) / every));
    await sleep(Math.max(0, next - Date.now()), stopped);
  }
}

/** Where an HTTP probe through a Service goes. */
export interface ServiceHttpTarget {
  /** The Service's namespace. */
  namespace: string;
  /** The Service's name. */
  service: string;
  /** The Service's port, by name or number; default its only (or first unnamed) port. */
  port?: string | number | undefined;
  /** Request path, default "/". */
  path?: string | undefined;
}

/** Answers counted as served: 2xx and 3xx. */
export const servedStatus = (status: number): boolean => status >= 200 && status < 400;

/** The API server's proxy path to a Service's port. */
export function serviceProxyPath(t: ServiceHttpTarget): string {
  const path = t.path ?? '/';
  if (!path.startsWith('/')) throw new Error(`the probe path must start with "/", not ${JSON.stringify(path)}`);
  const port = t.port === undefined ? '' : `:${encodeURIComponent(String(t.port))}`;
  return `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/services/${encodeURIComponent(t.service)}${port}/proxy${path}`;
}

/** How often and when `httpThroughService` probes, and its name. */
export interface ServiceHttpOptions<P> {
  /** Default "fault". */
  during?: ObserveWindow;
  /** Default 1 s. */
  every?: Of<P, number>;
  /** Default 2 s. */
  timeout?: Of<P, number>;
  /** Default "http-<service>". */
  name?: string;
}

/**
 * A continuous HTTP GET through a Service, sent by the API server's service proxy (so it works
 * from anywhere the kubeconfig reaches, and goes to the Service's ready endpoints as its clients'
 * requests do). A 2xx or 3xx answer is served; any other status, or no answer in time, is not.
 * `target` returning undefined turns the probe off.
 */
export function httpThroughService<P, S>(target: Of<P, ServiceHttpTarget | undefined>, opts: ServiceHttpOptions<P> = {}): ContinuousProbe<P, S> {
  const every = opts.every ?? (() => 1000);
  const timeout = opts.timeout ?? (() => 2000);
  const port = resultKey<string | number>('http-probe:port');
  const where = (t: ServiceHttpTarget) => `Service ${t.namespace}/${t.service}${t.port === undefined ? '' : `:${t.port}`}${t.path ?? '/'}`;
  return continuousProbe<P, S>({
    name: opts.name ?? 'http-probe',
    during: opts.during ?? 'fault',
    every,
    timeout,
    enabled: (p) => target(p) !== undefined,
    permissions: (p) => [...(target(p)?.port === undefined ? [can('', 'services', 'get')] : []), can('', 'services/proxy', 'get')],
    describe: (p) => `GET ${where(target(p)!)} through the API server's service proxy (served: 2xx/3xx within ${formatDuration(timeout(p))})`,
    async prepare(ctx) {
      const t = target(ctx.params)!;
      ctx.results.set(port, t.port ?? (await onlyPort(ctx.cluster, t)));
    },
    async attempt(ctx, signal) {
      const r = await ctx.cluster.rest.getRaw(serviceProxyPath({ ...target(ctx.params)!, port: ctx.results.get(port) }), timeout(ctx.params), signal);
      const why = servedStatus(r.status) ? '' : `: ${firstLine(r.text)}`;
      return { ok: servedStatus(r.status), detail: `HTTP ${r.status}${why}` };
    },
  });
}

/** The API server's own refusals are Status objects: their message; a page's first line otherwise. */
const firstLine = (text: string) => {
  const line = statusMessageOf(text) ?? text.trim().split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
};

/** The Service's one port (the proxy needs a named port named); several are an error naming them. */
async function onlyPort(session: ClusterSession, t: ServiceHttpTarget): Promise<string | number> {
  let svc: { spec?: { ports?: { name?: string; port: number }[] } };
  try {
    svc = await session.rest.get(`/api/v1/namespaces/${encodeURIComponent(t.namespace)}/services/${encodeURIComponent(t.service)}`);
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) throw targetSelectionError(`Service ${t.namespace}/${t.service} to probe does not exist`);
    throw err;
  }
  const ports = svc.spec?.ports ?? [];
  if (ports.length !== 1) {
    throw targetSelectionError(`Service ${t.namespace}/${t.service} has ${ports.length === 0 ? 'no port' : `ports ${ports.map((p) => p.name || p.port).join(', ')}`}: name the one to probe`);
  }
  return ports[0]!.name || ports[0]!.port;
}
