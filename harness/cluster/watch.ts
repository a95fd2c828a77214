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
  const path = watchPath(target);
  let stopped = false;
  let current: { abort(): void } | undefined;
  let resourceVersion = '';
  let reconnects = 0;
  let relists = 0;
  // What is known to exist, by uid, to turn a relist into the events that were missed: only its
  // metadata (name, namespace, uid, resourceVersion), never the whole object, so what a watch
  // holds stays small however many objects it follows and however often they change.
  const known = new Map<string, T>();
  const query = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };

  const emit = (type: WatchEventType, object: T) => {
    const now = Date.now();
    const uid = object.metadata?.uid;
    if (uid) {
      if (type === 'DELETED') known.delete(uid);
      else known.set(uid, skeleton(object));
    }
    opts.onEvent({ type, object, receivedAt: new Date(now).toISOString(), receivedAtMs: now });
  };

  async function list(): Promise<void> {
    const res = await session.rest.get<ListResult<T>>(path, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector });
    const seen = new Set<string>();
    for (const item of res.items) {
      const uid = item.metadata?.uid ?? '';
      seen.add(uid);
      const before = known.get(uid);
      if (!before) emit('ADDED', item);
      else if (before.metadata?.resourceVersion !== item.metadata?.resourceVersion) emit('MODIFIED', item);
    }
    for (const [uid, obj] of [...known]) if (!seen.has(uid)) emit('DELETED', obj);
    resourceVersion = res.metadata?.resourceVersion ?? '';
  }

  // Consecutive failed tries, and when the current outage began: the gap is journaled once
  // when it starts and once when it ends, not on every try.
  let failures = 0;
  let gapStartedAt: number | undefined;
  let pauseTimer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((r) => {
      wake = r;
      pauseTimer = setTimeout(r, ms);
    });

  function connected(): void {
    if (gapStartedAt !== undefined) {
      opts.onNotice?.(`watch ${path}: reconnected after ${((Date.now() - gapStartedAt) / 1000).toFixed(1)} s and ${failures} failed ${failures === 1 ? 'try' : 'tries'}`);
    }
    failures = 0;
    gapStartedAt = undefined;
  }

  /** Starts the watch again: at once after a normal close, after a backoff after a failure, relisting first after 410 Gone. */
  async function restart(failed: unknown, relist: boolean): Promise<void> {
    if (stopped) return;
    if (failed !== undefined) {
      if (gapStartedAt === undefined) {
        gapStartedAt = Date.now();
        opts.onNotice?.(`watch ${path}: lost the API server (${describeError(failed)}); reconnecting with backoff (${WATCH_BACKOFF.baseMs / 1000} s to ${WATCH_BACKOFF.capMs / 1000} s)`);
      }
      await pause(backoffDelay(failures++));
      if (stopped) return;
    }
    try {
      if (relist) {
        relists++;
        opts.onNotice?.(`watch ${path}: resourceVersion too old (410 Gone); relisting`);
        await list();
      } else {
        reconnects++;
      }
      await start();
    } catch (e) {
      void restart(e, relist);
    }
  }

  async function start(): Promise<void> {
    if (stopped) return;
    let gone = false;
    let ended = false;
    current = await session.rest.watch(
      path,
      { ...query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: opts.timeoutSeconds },
      (phase, object) => {
        const obj = object as T & { code?: number };
        if (phase === 'BOOKMARK') {
          resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
          return;
        }
        if (phase === 'ERROR') {
          if (obj.code === 410) gone = true;
          current?.abort();
          return;
        }
        resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
        emit(phase as WatchEventType, obj);
      },
      (err: unknown) => {
        ended = true;
        if (stopped) return;
        const tooOld = gone || /410|too old|Expired/i.test(err ? describeError(err) : '');
        // A 410 is not an outage: relist at once. Any other error backs off.
        void restart(err && !tooOld ? err : undefined, tooOld);
      },
    );
    // The done callback runs before watch() returns when the request failed outright.
    if (!ended) connected();
  }

  await list();
  await start();
  return {
    stop() {
      stopped = true;
      clearTimeout(pauseTimer);
      wake?.();
      current?.abort();
    },
    get reconnects() {
      return reconnects;
    },
    get relists() {
      return relists;
    },
  };
}

/** An object reduced to the metadata a relist compares, and a DELETED it emits, carry. */
export function skeleton<T extends Obj>(object: T): T {
  const m = object.metadata;
  return { metadata: { name: m?.name, namespace: m?.namespace, uid: m?.uid, resourceVersion: m?.resourceVersion, labels: m?.labels } } as unknown as T;
}
