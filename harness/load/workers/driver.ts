// The load spread over pods (loadWorkers > 1): an Indexed Job of the harness image, each pod
// running `shakedown load-worker` for its share of the rate; the harness follows every pod's
// log, merges the workers' seconds exactly (merge.ts) and hands the ordinary per-second series
// to the judge. The Job is journaled (its sweep scope) and its removal registered before it is
// made, deleted when the load stops (which is how the workers are told to stop: SIGTERM), and
// deleted again, whatever happened, by the rollback.
import type { V1Pod } from '@kubernetes/client-node';
import { SWEEP_SCOPE_EVENT, type Sweepable } from '../../cluster/cleanup.ts';
import { isNotFound, type ClusterSession } from '../../cluster/session.ts';
import type { Recorder } from '../../engine/experiment.ts';
import type { UndoFn, UndoOptions } from '../../engine/undo.ts';
import { done, notYet, waitFor } from '../../engine/wait.ts';
import { checkBounds, inClusterTarget } from '../target.ts';
import { LoadDriverError, type LoadDriver, type LoadResult, type LoadStartOptions, type LoadWorkerFigures, type RunningLoad, type SecondBucket } from '../types.ts';
import { zeroCounts } from '../types.ts';
import { gracePeriodSeconds, INDEX_LABEL, WORKER_COMPONENT, workerJob, workerJobName } from './job.ts';
import { WorkerMerge } from './merge.ts';
import { LineSplitter, parseLine } from './protocol.ts';
import { splitRate } from './schedule.ts';

/** What the worker driver needs from the run. */
export interface WorkerHost {
  session: ClusterSession;
  /** Where the Job runs (the experiment's namespace, unless it says otherwise). */
  namespace: string;
  runId: string;
  labels: Readonly<Record<string, string>>;
  image: string;
  workers: number;
  /** How long each worker waits for a 2xx before its schedule starts. */
  waitServedMs: number;
  record: Recorder;
  /** Registers the Job's removal with the run's rollback (done before the Job is made). */
  rollback(name: string, fn: UndoFn, options?: UndoOptions): void;
}

/** Waiting reasons of a container that will not start by waiting longer. */
const STUCK = new Set(['ErrImageNeverPull', 'ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);
/** Bound on the pods being scheduled and their containers started, beside the wait for the target. */
const START_MS = 120_000;
/** Times a log stream that broke while its pod still runs is read again (from the start; seen lines are skipped). */
const MAX_RECONNECTS = 5;

export function workerDriver(host: WorkerHost): LoadDriver {
  return { name: 'builtin', preflight: () => Promise.resolve(), start: (o) => new WorkerLoad(host, o).start() };
}

interface Follower {
  pod: string;
  node: string;
  abort?: () => void;
  reconnects: number;
  /** The last lines of the log that were not ours (a stack trace), for a worker that died. */
  noise: string[];
}

class WorkerLoad {
  private readonly merge: WorkerMerge;
  private readonly seconds: SecondBucket[] = [];
  private readonly followers = new Map<number, Follower>();
  private readonly job: string;
  private readonly selector: string;
  private readonly finished = Promise.withResolvers<LoadResult>();
  private startedAt = 0;
  private stopping = false;
  private settled = false;
  private removal?: Promise<void>;
  private readonly host: WorkerHost;
  private readonly o: LoadStartOptions;
  private readonly url: string;

  constructor(host: WorkerHost, o: LoadStartOptions) {
    this.host = host;
    this.o = o;
    this.url = inClusterTarget(o.url).href;
    checkBounds(o);
    this.merge = new WorkerMerge(host.workers);
    this.job = workerJobName(host.runId);
    this.selector = Object.entries({ ...host.labels, ...WORKER_COMPONENT }).map(([k, v]) => `${k}=${v}`).join(',');
    // The caller may only await stop(); an unobserved rejection must not crash the harness.
    this.finished.promise.catch(() => {});
  }

  async start(): Promise<RunningLoad> {
    const { host, o } = this;
    const rates = splitRate(o.rate, host.workers);
    const spec = workerJob({ name: this.job, namespace: host.namespace, image: host.image, url: this.url, rates, durationMs: o.duration, timeoutMs: o.timeout, waitServedMs: host.waitServedMs, labels: { ...host.labels } });
    // Journaled before the Job is made: `cleanup --run-id` looks for it (and its pods) after a crash.
    const kinds: Sweepable[] = [
      { apiVersion: 'batch/v1', kind: 'Job', namespaced: true, namespace: host.namespace },
      { apiVersion: 'v1', kind: 'Pod', namespaced: true, namespace: host.namespace },
    ];
    host.record.event({ source: 'load', type: SWEEP_SCOPE_EVENT, message: `the load workers' Job ${host.namespace}/${this.job} and its pods (swept by label)`, data: { kinds } });
    host.rollback('delete the load workers', (signal) => this.remove(signal), { timeoutMs: gracePeriodSeconds(o.timeout) * 1000 + 60_000 });
    await host.session.objects.create(spec);
    host.record.event({ source: 'load', type: 'load-workers-created', message: `Job ${host.namespace}/${this.job}: ${host.workers} workers of ${host.image} at ${rates.join(' + ')} req/s to ${this.url}`, data: { rates, image: host.image } });
    try {
      await this.awaitStarted();
    } catch (err) {
      this.fail(err as Error);
      await this.remove(AbortSignal.timeout(60_000)).catch(() => {});
      throw err;
    }
    this.startedAt = this.merge.allStartedAt()!;
    const onAbort = () => void this.stop();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) void this.stop();
    void this.finished.promise.finally(() => o.signal?.removeEventListener('abort', onAbort));
    return { driver: 'builtin', startedAt: this.startedAt, seconds: () => this.seconds.slice(), stop: () => this.stop(), done: this.finished.promise };
  }

  /** Polls the workers' pods until every worker printed its "started" line; follows each log as its pod runs. */
  private async awaitStarted(): Promise<void> {
    await waitFor(
      async () => {
        for (const pod of await this.pods()) {
          const index = Number(pod.metadata?.labels?.[INDEX_LABEL]);
          const name = pod.metadata?.name ?? '';
          const stuck = pod.status?.containerStatuses?.find((c) => c.state?.waiting?.reason && STUCK.has(c.state.waiting.reason))?.state?.waiting;
          if (stuck) throw new LoadDriverError(`load worker ${index} (pod ${name}) cannot start: ${stuck.reason}${stuck.message ? `: ${stuck.message}` : ''}`);
          const f = this.followers.get(index);
          if (pod.status?.phase === 'Failed' && !this.merge.hasStarted(index)) {
            const term = pod.status.containerStatuses?.[0]?.state?.terminated;
            throw new LoadDriverError(`load worker ${index} (pod ${name}) failed before it started${term ? ` (exit code ${term.exitCode})` : ''}${f?.noise.length ? `: ${f.noise.slice(-3).join(' | ')}` : ''}`);
          }
          if (!f && ['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) this.follow(index, name, pod.spec?.nodeName ?? '');
        }
        const n = this.merge.startedCount();
        return n === this.merge.size ? done(undefined) : notYet(`${n} of ${this.merge.size} workers started`);
      },
      { what: `${this.merge.size} load workers to start sending`, timeoutMs: START_MS + this.host.waitServedMs, intervalMs: 1000 },
    );
  }

  private async pods(): Promise<V1Pod[]> {
    return (await this.host.session.core.listNamespacedPod({ namespace: this.host.namespace, labelSelector: this.selector })).items;
  }

  /** Follows worker `index`'s log from its start, feeding every line of ours to the merge. */
  private follow(index: number, pod: string, node: string): void {
    const f: Follower = this.followers.get(index) ?? { pod, node, reconnects: 0, noise: [] };
    this.followers.set(index, f);
    const split = new LineSplitter();
    const take = (lines: string[]) => {
      for (const text of lines) {
        const line = parseLine(text);
        if (!line) f.noise = [...f.noise.slice(-9), text.slice(0, 300)];
        else if (this.merge.accept(index, line)) this.emitReady();
      }
    };
    const path = `/api/v1/namespaces/${encodeURIComponent(this.host.namespace)}/pods/${encodeURIComponent(pod)}/log`;
    // Idle bound: a worker prints a line a second, and drains for at most its timeout after SIGTERM.
    const idleMs = this.o.timeout + 30_000;
    this.host.session.rest
      .stream(path, { container: 'load-worker', follow: true }, idleMs, (chunk) => take(split.push(chunk)), (err) => {
        take(split.end());
        void this.logEnded(index, err);
      })
      .then((h) => (f.abort = () => h.abort()))
      .catch((err: unknown) => void this.logEnded(index, err));
  }

  /** A log stream ended: the worker is over (with its last line, or a gap), or the stream broke and is read again. */
  private async logEnded(index: number, err: unknown): Promise<void> {
    const f = this.followers.get(index)!;
    if (this.settled) return;
    if (this.merge.hasDone(index)) {
      if (this.merge.stoppedEarly(index)) {
        this.host.record.event({ source: 'load', type: 'load-worker-lost', message: `load worker ${index} (pod ${f.pod} on ${f.node || 'no node'}) was stopped before the harness stopped the load (its pod deleted or evicted)`, data: { index, pod: f.pod, node: f.node } });
      }
      return this.ended(index, 'done');
    }
    let pod: V1Pod | undefined;
    try {
      pod = (await this.pods()).find((p) => p.metadata?.name === f.pod);
    } catch {
      pod = undefined;
    }
    const term = pod?.status?.containerStatuses?.[0]?.state?.terminated;
    if (pod && !term && !pod.metadata?.deletionTimestamp && f.reconnects < MAX_RECONNECTS && !this.stopping) {
      f.reconnects++;
      return this.follow(index, f.pod, f.node);
    }
    const why = !pod
      ? `its pod ${f.pod} is gone`
      : term
        ? `its container ended (${term.reason ?? 'terminated'}, exit code ${term.exitCode})`
        : `its log stream ended${err ? `: ${(err as Error).message}` : ''}`;
    const tail = f.noise.length ? `; its last output: ${f.noise.slice(-3).join(' | ')}` : '';
    this.host.record.event({ source: 'load', type: 'load-worker-lost', message: `load worker ${index} (pod ${f.pod} on ${f.node || 'no node'}) ended without its last line: ${why}${tail}`, data: { index, pod: f.pod, node: f.node } });
    this.ended(index, `log ended without its last line: ${why}`);
  }

  private ended(index: number, why: string): void {
    this.merge.ended(index, why);
    this.emitReady();
    if (this.merge.allEnded()) this.finish();
  }

  private emitReady(): void {
    for (const b of this.merge.ready()) this.push(b);
  }

  private push(b: SecondBucket): void {
    this.seconds.push(b);
    this.o.onSecond?.(b);
  }

  /** Tells the workers to stop (the Job deleted: SIGTERM), and resolves once every log ended. Idempotent. */
  stop(): Promise<LoadResult> {
    if (!this.stopping && !this.settled) {
      this.stopping = true;
      this.merge.stopAt = Date.now();
      this.removal = this.remove(AbortSignal.timeout(gracePeriodSeconds(this.o.timeout) * 1000 + 60_000)).catch(() => {});
      // A log that never ends (a lost connection the server never closes) is given up on.
      const giveUp = setTimeout(() => {
        for (const [i, f] of this.followers) {
          f.abort?.();
          this.merge.ended(i, 'its log did not end within its grace period after the stop');
        }
        this.finish();
      }, gracePeriodSeconds(this.o.timeout) * 1000 + 30_000);
      giveUp.unref();
      void this.finished.promise.finally(() => clearTimeout(giveUp));
    }
    return this.finished.promise;
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    for (const b of this.merge.finish()) this.push(b);
    const totals = { offered: 0, sent: 0, outcomes: zeroCounts() };
    for (const s of this.seconds) {
      totals.offered += s.offered;
      totals.sent += s.sent;
      for (const [k, n] of Object.entries(s.outcomes)) totals.outcomes[k as keyof typeof totals.outcomes] += n;
    }
    const workers: LoadWorkerFigures[] = this.merge.figures().map((w) => ({ ...w, pod: this.followers.get(w.index)?.pod ?? '', node: this.followers.get(w.index)?.node ?? '' }));
    const lost = this.merge.died();
    this.finished.resolve({
      driver: 'builtin',
      url: this.url,
      rate: this.o.rate,
      startedAt: this.startedAt,
      endedAt: Date.now(),
      seconds: this.seconds.slice(),
      totals,
      otherCodes: this.merge.otherCodes(),
      exit: { kind: 'ok', message: `${this.host.workers} workers${this.stopping ? ', stopped by the harness' : ''}${lost.length ? `; worker(s) ${lost.join(', ')} ended without their last line` : ''}` },
      workers,
    });
    // Ended by itself (duration, every worker gone): the Job goes now, not only in the rollback.
    this.removal ??= this.remove(AbortSignal.timeout(60_000)).catch(() => {});
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    for (const f of this.followers.values()) f.abort?.();
    this.finished.reject(err);
  }

  /** Deletes the Job (its pods by the garbage collector, SIGTERM first) and waits until no worker pod is left. */
  private async remove(signal: AbortSignal): Promise<void> {
    try {
      await this.host.session.objects.delete({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: this.job, namespace: this.host.namespace } }, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await waitFor(
      async () => {
        const left = (await this.pods()).map((p) => p.metadata?.name);
        return left.length === 0 ? done(undefined) : notYet(left);
      },
      { what: `the load worker pods of Job ${this.host.namespace}/${this.job} gone`, timeoutMs: gracePeriodSeconds(this.o.timeout) * 1000 + 50_000, intervalMs: 1000, signal },
    );
  }
}
