import { describeError } from '../engine/errors.ts';
import { WATCH_BACKOFF, backoffDelay } from './backoff.ts';
import type { ClusterSession } from './session.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
  /** Arrival stamp, taken before anything else is done with the event. */
  receivedAt: string;
  receivedAtMs: number;
}

export interface WatchOptions<T> {
  labelSelector?: string;
  fieldSelector?: string;
  onEvent: (e: WatchEvent<T>) => void;
  /** Ask the server to close each watch stream after this long (it is then resumed). */
  timeoutSeconds?: number;
  /** Told when the watch had to relist (410 Gone) or reconnect, for the journal. */
  onNotice?: (text: string) => void;
}

/** What to watch: a resource type, in one namespace or across all. */
export interface WatchTarget {
  apiVersion: string;
  kind: string;
  /** Lower-case plural resource name, e.g. pods, statefulsets. */
  plural: string;
  namespace?: string | undefined;
}

export function watchPath(t: WatchTarget): string {
  const base = t.apiVersion.includes('/') ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  return `${base}${t.namespace ? `/namespaces/${t.namespace}` : ''}/${t.plural}`;
}

interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

/** A running watch; stop() ends it for good. */
export interface WatchHandle {
  stop(): void;
  /** Times the watch reconnected after the server closed it (its ~30 s timeouts, errors). */
  readonly reconnects: number;
  /** Times it had to relist because its resourceVersion was too old (410 Gone). */
  readonly relists: number;
}

type Obj = { metadata?: { uid?: string; resourceVersion?: string; name?: string; namespace?: string; labels?: Record<string, string> } };

/**
 * Lists, then watches from the list's resourceVersion, and keeps watching: client-node's watch
 * neither reconnects nor survives 410 Gone, so this resumes from the last resourceVersion seen
 * when the server closes the stream, and relists (emitting what changed meanwhile) on 410.
 * Objects present at the start are delivered as ADDED. When the API server goes away it retries
 * with capped exponential backoff and jitter, and tells onNotice once when the gap starts and
 * once when it ends.
 */
export async function watchResilient<T extends Obj>(session: ClusterSession, target: WatchTarget, opts: WatchOptions<T>): Promise<WatchHandle> {
  const w = new ResilientWatch<T>(session, watchPath(target), opts);
  await w.list();
  await w.start();
  return {
    stop: () => w.stop(),
    get reconnects() {
      return w.reconnects;
    },
    get relists() {
      return w.relists;
    },
  };
}

class ResilientWatch<T extends Obj> {
  reconnects = 0;
  relists = 0;
  private readonly session: ClusterSession;
  private readonly path: string;
  private readonly opts: WatchOptions<T>;
  private stopped = false;
  private current: { abort(): void } | undefined;
  private resourceVersion = '';
  /**
   * What is known to exist, by uid, to turn a relist into the events that were missed: only its
   * metadata (name, namespace, uid, resourceVersion), never the whole object, so what a watch
   * holds stays small however many objects it follows and however often they change.
   */
  private readonly known = new Map<string, T>();
  /** Consecutive failed tries, and when the current outage began: the gap is journaled once when it starts and once when it ends. */
  private failures = 0;
  private gapStartedAt: number | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(session: ClusterSession, path: string, opts: WatchOptions<T>) {
    this.session = session;
    this.path = path;
    this.opts = opts;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pauseTimer);
    this.wake?.();
    this.current?.abort();
  }

  private emit(type: WatchEventType, object: T): void {
    const now = Date.now();
    const uid = object.metadata?.uid;
    if (uid) {
      if (type === 'DELETED') this.known.delete(uid);
      else this.known.set(uid, skeleton(object));
    }
    this.opts.onEvent({ type, object, receivedAt: new Date(now).toISOString(), receivedAtMs: now });
  }

  /** Lists and emits what changed since what is known: everything at the start, what was missed after a 410. */
  async list(): Promise<void> {
    const res = await this.session.rest.get<ListResult<T>>(this.path, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    const seen = new Set<string>();
    for (const item of res.items) {
      const uid = item.metadata?.uid ?? '';
      seen.add(uid);
      const before = this.known.get(uid);
      if (!before) this.emit('ADDED', item);
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit('MODIFIED', item);
    }
    for (const [uid, obj] of [...this.known]) if (!seen.has(uid)) this.emit('DELETED', obj);
    this.resourceVersion = res.metadata?.resourceVersion ?? '';
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((r) => {
      this.wake = r;
      this.pauseTimer = setTimeout(r, ms);
    });
  }

  private connected(): void {
    if (this.gapStartedAt !== undefined) {
      const n = this.failures;
      this.opts.onNotice?.(`watch ${this.path}: reconnected after ${((Date.now() - this.gapStartedAt) / 1000).toFixed(1)} s and ${n} failed ${n === 1 ? 'try' : 'tries'}`);
    }
    this.failures = 0;
    this.gapStartedAt = undefined;
  }

  /** Starts the watch again: at once after a normal close, after a backoff after a failure, relisting first after 410 Gone. */
  private async restart(failed: unknown, relist: boolean): Promise<void> {
    if (this.stopped) return;
    if (failed !== undefined) {
      if (this.gapStartedAt === undefined) {
        this.gapStartedAt = Date.now();
        this.opts.onNotice?.(`watch ${this.path}: lost the API server (${describeError(failed)}); reconnecting with backoff (${WATCH_BACKOFF.baseMs / 1000} s to ${WATCH_BACKOFF.capMs / 1000} s)`);
      }
      await this.pause(backoffDelay(this.failures++));
      if (this.stopped) return;
    }
    try {
      if (relist) {
        this.relists++;
        this.opts.onNotice?.(`watch ${this.path}: resourceVersion too old (410 Gone); relisting`);
        await this.list();
      } else {
        this.reconnects++;
      }
      await this.start();
    } catch (e) {
      void this.restart(e, relist);
    }
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    let ended = false;
    const query = { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.opts.timeoutSeconds };
    this.current = await this.session.rest.watch(
      this.path,
      query,
      (phase, object) => {
        const obj = object as T & { code?: number };
        if (phase === 'BOOKMARK') {
          this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
          return;
        }
        if (phase === 'ERROR') {
          if (obj.code === 410) gone = true;
          this.current?.abort();
          return;
        }
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        this.emit(phase as WatchEventType, obj);
      },
      (err: unknown) => {
        ended = true;
        if (this.stopped) return;
        const tooOld = gone || /410|too old|Expired/i.test(err ? describeError(err) : '');
        // A 410 is not an outage: relist at once. Any other error backs off.
        void this.restart(err && !tooOld ? err : undefined, tooOld);
      },
    );
    // The done callback runs before watch() returns when the request failed outright.
    if (!ended) this.connected();
  }
}

/** An object reduced to the metadata a relist compares, and a DELETED it emits, carry. */
export function skeleton<T extends Obj>(object: T): T {
  const m = object.metadata;
  return { metadata: { name: m?.name, namespace: m?.namespace, uid: m?.uid, resourceVersion: m?.resourceVersion, labels: m?.labels } } as unknown as T;
}
