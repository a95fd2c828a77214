// A live run is visible and exclusive: it holds a coordination.k8s.io/v1 Lease, renewed while
// it runs, labelled with its run id and annotated with its target and the changes it made (so
// `shakedown cleanup --run-id` can undo them from the cluster alone, without the journal file).
//
// The Lease lives in `default`, whatever the target: that namespace always exists (a run's
// target namespace may be created, and deleted, by the run's own fixture, which would take the
// Lease with it), and one place is where both a second run and cleanup look. Its name is derived
// from the target, so "one live run per target" is decided by the API server's create (409),
// not by a list-then-create race.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { V1Lease } from '@kubernetes/client-node';
import { z } from 'zod';
import { changeRecordSchema, type ChangeRecord } from '../journal/schema.ts';
import { LABEL_EXPERIMENT, LABEL_RUN_ID } from '../engine/run-id.ts';
import { apiStatus, isNotFound, type ClusterSession } from './session.ts';
import { objectRefText } from '../engine/params.ts';

export const LEASE_NAMESPACE = 'default';
export const LEASE_DURATION_SECONDS = 30;
export const LEASE_RENEW_MS = 10_000;
export const ANNOTATION_TARGET = 'shakedown.io/target';
export const ANNOTATION_CHANGES = 'shakedown.io/changes';
/** The phase the run is in, and at its end its verdict (kind and summary), for `shakedown attach` from another machine. */
export const ANNOTATION_PHASE = 'shakedown.io/phase';
export const ANNOTATION_VERDICT = 'shakedown.io/verdict';

/** What a run acts on; two runs on the same target may not overlap. */
export interface RunTarget {
  experiment: string;
  namespace: string;
  /** The workload or service the experiment acts on ('' when it deploys its own fixture only). */
  object: string;
}

/** Parameters that name an experiment's main target, in the order they are looked for. */
const TARGET_PARAMS = ['statefulset', 'target', 'workload', 'service', 'hpa'] as const;

/** The target of a run, from its validated parameters. */
export function targetOf(experiment: string, params: Readonly<Record<string, unknown>>): RunTarget {
  // A workload parameter is parsed into { kind, name }: it names the target as kubectl writes it.
  const text = (k: string) => (typeof params[k] === 'string' ? params[k] : objectRefText(params[k])) || undefined;
  const key = TARGET_PARAMS.find((k) => text(k) !== undefined);
  return { experiment, namespace: typeof params['namespace'] === 'string' ? params['namespace'] : '', object: key ? (text(key) ?? '') : '' };
}

export const describeTarget = (t: RunTarget): string => `${t.experiment} on ${t.namespace || '(no namespace)'}/${t.object || '(its fixture)'}`;

/** The Lease name for a target: a DNS-1123 name, the same for every run against it. */
export function leaseNameFor(t: RunTarget): string {
  const h = createHash('sha256').update(JSON.stringify([t.experiment, t.namespace, t.object])).digest('hex').slice(0, 16);
  return `shakedown-${t.experiment.slice(0, 30).replace(/[^a-z0-9-]/g, '-')}-${h}`;
}

/** Who holds a Lease: host and process, so a SIGKILLed holder on this host is known to be dead. */
export const holderIdentity = (runId: string, pid = process.pid, host = hostname()): string => `${runId}@${host}/pid-${pid}`;

/** Whether a Lease's holder still runs: renewed within its duration, and (when held on this host) its process alive. */
export function isLeaseLive(lease: V1Lease, now = Date.now(), alive: (pid: number) => boolean = pidAlive, host = hostname()): boolean {
  const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
  const duration = lease.spec?.leaseDurationSeconds ?? LEASE_DURATION_SECONDS;
  if (!renew) return false;
  if (new Date(renew).getTime() + duration * 1000 <= now) return false;
  const m = /@(.+)\/pid-(\d+)$/.exec(lease.spec?.holderIdentity ?? '');
  if (m && m[1] === host) return alive(Number(m[2]));
  return true;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The changes mirrored into a Lease's annotation; [] when there are none or they cannot be read. */
export function changesOf(lease: V1Lease): ChangeRecord[] {
  const text = lease.metadata?.annotations?.[ANNOTATION_CHANGES];
  if (!text) return [];
  const parsed = z.array(changeRecordSchema).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : [];
}

export const runIdOf = (lease: V1Lease): string | undefined => lease.metadata?.labels?.[LABEL_RUN_ID];

/**
 * A Lease time as the API server parses it (RFC 3339 with exactly six fractional digits). The
 * client would send a Date as toISOString()'s three digits, which the server rejects; a string
 * is passed through as it is.
 */
export function microTime(d: Date): Date {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') as unknown as Date;
}

/** A run refused before anything is touched (the CLI exits 3 with the message). */
export class RunRefusedError extends Error {
  override name = 'RunRefusedError';
}

/** A run against the same target is live: refused before anything is touched. */
export class TargetBusyError extends RunRefusedError {
  override name = 'TargetBusyError';
  readonly target: RunTarget;
  readonly holder: string;
  readonly runId: string | undefined;
  constructor(target: RunTarget, holder: string, runId: string | undefined) {
    super(
      `another run (${runId ?? 'unknown run id'}, held by ${holder}) is live against ${describeTarget(target)}; ` +
        `wait for it to end, or if it is dead, \`shakedown cleanup --run-id ${runId ?? '<id>'} --force\``,
    );
    this.target = target;
    this.holder = holder;
    this.runId = runId;
  }
}


/** The run's Lease, held from acquire() to release(). */
export class RunLease {
  readonly name: string;
  private lease: V1Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private changes: readonly ChangeRecord[] = [];
  private phase = '';
  private verdict: { kind: string; summary: string } | undefined;
  // Renewals and change updates go one at a time (each is a read-modify-write).
  private chain: Promise<void> = Promise.resolve();
  /** The last renewal error, if the latest renewal failed. */
  lastError: unknown;
  private acquired = false;

  private readonly session: ClusterSession;
  readonly runId: string;
  readonly target: RunTarget;

  constructor(session: ClusterSession, runId: string, target: RunTarget) {
    this.session = session;
    this.runId = runId;
    this.target = target;
    this.name = leaseNameFor(target);
  }

  private body(): V1Lease {
    const now = microTime(new Date());
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: LEASE_NAMESPACE,
        labels: { [LABEL_RUN_ID]: this.runId, [LABEL_EXPERIMENT]: this.target.experiment },
        annotations: {
          [ANNOTATION_TARGET]: JSON.stringify(this.target),
          [ANNOTATION_CHANGES]: JSON.stringify(this.changes),
          ...(this.phase ? { [ANNOTATION_PHASE]: this.phase } : {}),
          ...(this.verdict ? { [ANNOTATION_VERDICT]: JSON.stringify(this.verdict) } : {}),
        },
      },
      spec: { holderIdentity: holderIdentity(this.runId), leaseDurationSeconds: LEASE_DURATION_SECONDS, acquireTime: now, renewTime: now },
    };
  }

  /** Takes the target's Lease, or throws TargetBusyError when a live run holds it. An expired one is taken over. */
  async acquire(): Promise<void> {
    const api = this.session.coordination;
    try {
      this.lease = await api.createNamespacedLease({ namespace: LEASE_NAMESPACE, body: this.body() });
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      const held = await api.readNamespacedLease({ name: this.name, namespace: LEASE_NAMESPACE });
      if (isLeaseLive(held)) throw new TargetBusyError(this.target, held.spec?.holderIdentity ?? 'unknown', runIdOf(held));
      const dead = runIdOf(held);
      if (dead && changesOf(held).some((c) => c.status !== 'undone')) {
        throw new RunRefusedError(
          `an earlier run (${dead}) against ${describeTarget(this.target)} ended without undoing its changes; run \`shakedown cleanup --run-id ${dead}\` first`,
        );
      }
      // Replace with the read resourceVersion: if another run takes it over first, this fails (409).
      const body = this.body();
      body.metadata!.resourceVersion = held.metadata?.resourceVersion;
      this.lease = await api.replaceNamespacedLease({ name: this.name, namespace: LEASE_NAMESPACE, body });
    }
    this.acquired = true;
    this.timer = setInterval(() => void this.enqueue(() => this.write()).catch(() => {}), LEASE_RENEW_MS);
    this.timer.unref();
  }

  /** Mirrors the run's changes into the Lease; resolves once the API server has them. */
  setChanges(changes: readonly ChangeRecord[]): Promise<void> {
    // A change is made only once it is recorded in the cluster: without the Lease, it is not made.
    if (!this.acquired) return Promise.reject(new Error(`the run holds no Lease (default/${this.name}), so its changes could not be recorded in the cluster; not changing anything`));
    this.changes = structuredClone(changes);
    return this.enqueue(() => this.write());
  }

  /** Shows the run's phase in the Lease (best effort: a follower's view, nothing depends on it). */
  setPhase(phase: string): Promise<void> {
    if (!this.acquired) return Promise.resolve();
    this.phase = phase;
    return this.enqueue(() => this.write());
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  /** Renews the Lease with the current changes; re-reads once on a conflict. */
  private async write(): Promise<void> {
    const api = this.session.coordination;
    for (let attempt = 0; ; attempt++) {
      const body = this.body();
      const acquired = this.lease?.spec?.acquireTime;
      if (acquired) body.spec!.acquireTime = microTime(new Date(acquired));
      body.metadata!.resourceVersion = this.lease?.metadata?.resourceVersion;
      try {
        this.lease = await api.replaceNamespacedLease({ name: this.name, namespace: LEASE_NAMESPACE, body });
        this.lastError = undefined;
        return;
      } catch (err) {
        this.lastError = err;
        if (apiStatus(err) === 409 && attempt === 0) {
          const live = await api.readNamespacedLease({ name: this.name, namespace: LEASE_NAMESPACE });
          if (live.spec?.holderIdentity !== holderIdentity(this.runId)) throw new Error(`Lease ${LEASE_NAMESPACE}/${this.name} was taken over by ${live.spec?.holderIdentity ?? 'unknown'}`, { cause: err });
          this.lease = live;
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Stops renewing. When every change was undone the Lease is deleted; otherwise it is kept
   * (expiring on its own) so `shakedown cleanup --run-id` still finds what to undo. Returns
   * whether it was deleted.
   */
  async release(verdict?: { kind: string; summary: string }): Promise<boolean> {
    clearInterval(this.timer);
    if (!this.acquired) return true;
    await this.chain;
    // The verdict goes into the Lease before it is deleted: a follower sees it in the deletion.
    if (verdict) {
      this.verdict = { kind: verdict.kind, summary: verdict.summary };
      await this.enqueue(() => this.write()).catch(() => {});
    }
    if (this.changes.some((c) => c.status !== 'undone')) return false;
    try {
      await this.session.coordination.deleteNamespacedLease({ name: this.name, namespace: LEASE_NAMESPACE });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return true;
  }
}

/** Every run Lease in the cluster, optionally of one run. */
export async function listRunLeases(session: ClusterSession, runId?: string): Promise<V1Lease[]> {
  const labelSelector = runId ? `${LABEL_RUN_ID}=${runId}` : LABEL_RUN_ID;
  return (await session.coordination.listNamespacedLease({ namespace: LEASE_NAMESPACE, labelSelector })).items;
}
