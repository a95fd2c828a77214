import type { V1Pod } from '@kubernetes/client-node';
import type { Recorder } from '../engine/experiment.ts';
import { done, notYet, waitFor } from '../engine/wait.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { watchResilient, type WatchEvent, type WatchHandle } from '../cluster/watch.ts';

/** One life of a pod name: a StatefulSet pod deleted and recreated has two, with different UIDs. */
export interface Incarnation {
  /** The pod's name. */
  name: string;
  /** This incarnation's UID. */
  uid: string;
  /** When the harness first saw this UID (watch arrival). */
  seenAt: number;
  /** The API's creationTimestamp of this incarnation. */
  creationTimestamp?: string | undefined;
  /** Arrival of the first event showing Ready=True, and the API's lastTransitionTime for it. */
  readyAt?: number;
  /** The API's lastTransitionTime of its Ready=True condition. */
  readyTransition?: string | undefined;
  /** Arrival of the first event carrying a deletionTimestamp, and the timestamp itself. */
  terminatingAt?: number;
  /** The API's deletionTimestamp. */
  deletionTimestamp?: string | undefined;
  /** Arrival of the DELETED event. */
  deletedAt?: number;
  /** The pod's IP, once it has one. */
  podIP?: string | undefined;
  /** The node it was scheduled to. */
  nodeName?: string | undefined;
  /** UID of the controller that owns it (a ReplicaSet, StatefulSet or DaemonSet). */
  ownerUid?: string | undefined;
  /** Ordinals of lower pods that were not Ready when this one was first seen (ordering evidence). */
  createdBeforeLowerReady?: string[];
  /** Watch events seen for this incarnation, and how many of them went into the journal. */
  events: number;
  /** How many of those events went into the journal. */
  journaled: number;
  /** What the last journaled event showed, to journal only events that change it. */
  shown?: string;
}

/**
 * At most this many watch events per incarnation go into the journal, plus its DELETED: a pod that flaps (a
 * readiness probe going up and down) is counted, not journaled without end.
 */
export const MAX_JOURNALED_PER_INCARNATION = 12;

/**
 * Whether a watch event goes into the journal: one that changes what the journal shows of the
 * pod (phase, readiness, IP, node, terminating) or ends it (DELETED), within the per-incarnation
 * bound. Events that change only what the journal does not show (resourceVersion, other
 * conditions, container statuses) are counted on the incarnation instead.
 */
export function journalWorthy(inc: Pick<Incarnation, 'journaled' | 'shown'>, type: string, shown: string): boolean {
  if (type === 'DELETED') return true;
  return inc.journaled < MAX_JOURNALED_PER_INCARNATION && inc.shown !== shown;
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const readyTransition = (p: V1Pod) => p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime;

/** The ordinal of a StatefulSet pod name, or undefined. */
export function ordinalOf(podName: string): number | undefined {
  const m = /-(\d+)$/.exec(podName);
  return m ? Number(m[1]) : undefined;
}

/**
 * Follows pods by watch events, stamped on arrival, and keeps every incarnation of every pod
 * name; each event also goes into the journal with the API's own timestamps beside the arrival.
 */
export class PodLifecycle {
  private readonly byName = new Map<string, Incarnation[]>();
  private handle: WatchHandle | undefined;
  private readonly session: ClusterSession;
  private readonly namespace: string;
  private readonly labelSelector: string;
  private readonly record: Recorder | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(session: ClusterSession, namespace: string, labelSelector: string, record?: Recorder) {
    this.session = session;
    this.namespace = namespace;
    this.labelSelector = labelSelector;
    this.record = record;
  }

  /** Starts the watch (list, then watch from its resourceVersion, resumed on errors); resolves once the first list is in. */
  async start(): Promise<void> {
    this.handle = await watchResilient<V1Pod>(
      this.session,
      { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespace: this.namespace },
      {
        labelSelector: this.labelSelector,
        onEvent: (e) => this.onEvent(e),
        onNotice: (text) => this.record?.event({ source: 'harness', type: 'watch-notice', message: text }),
      },
    );
  }

  /** Stops the watch; what was seen stays readable. */
  stop(): void {
    this.handle?.stop();
  }

  /** Called after every event; used by waits that follow the watch instead of polling the API. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Every incarnation of a pod name the watch saw, oldest first. */
  incarnations(name: string): Incarnation[] {
    return this.byName.get(name) ?? [];
  }

  /** The newest incarnation of a name that has not been deleted. */
  current(name: string): Incarnation | undefined {
    return this.incarnations(name).filter((i) => i.deletedAt === undefined).at(-1);
  }

  /** Every incarnation of every pod name the watch saw. */
  all(): Incarnation[] {
    return [...this.byName.values()].flat();
  }

  /** The incarnation of `name` that replaced the one with `oldUid`, once the watch has seen it. */
  replacement(name: string, oldUid: string): Incarnation | undefined {
    return this.incarnations(name).find((i) => i.uid !== oldUid && i.deletedAt === undefined);
  }

  /**
   * A pod its controller made in place of a deleted one under a new name (a ReplicaSet's or a
   * DaemonSet's): owned by one of `owners`, not among the UIDs `known` before the deletion, not
   * terminating, not `claimed` by another deletion of the same batch, and on `node` when given
   * (a DaemonSet replaces its pod on the same node).
   */
  newPodOf(owners: ReadonlySet<string>, known: ReadonlySet<string>, claimed: ReadonlySet<string>, node?: string): Incarnation | undefined {
    return this.all().find(
      (i) => owners.has(i.ownerUid ?? '') && !known.has(i.uid) && !claimed.has(i.uid) && i.deletedAt === undefined && i.terminatingAt === undefined && (node === undefined || i.nodeName === node),
    );
  }

  /** Every UID the watch has seen so far. */
  uids(): Set<string> {
    return new Set(this.all().map((i) => i.uid));
  }

  /** Waits on the watch's view (no API polling) until `pick` finds what it looks for. */
  until<T>(what: string, timeoutMs: number, pick: () => T | undefined, signal?: AbortSignal): Promise<T> {
    return waitFor(() => {
      const v = pick();
      return v === undefined ? notYet() : done(v);
    }, { what, timeoutMs, intervalMs: 100, ...(signal ? { signal } : {}) });
  }

  private onEvent(e: WatchEvent<V1Pod>): void {
    const pod = e.object;
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const list = this.byName.get(name) ?? [];
    this.byName.set(name, list);
    let inc = list.find((i) => i.uid === uid);
    if (!inc) {
      inc = { name, uid, seenAt: e.receivedAtMs, creationTimestamp: toIso(pod.metadata?.creationTimestamp), events: 0, journaled: 0 };
      // Which lower ordinals were not Ready when this pod appeared (OrderedReady forbids that).
      const ord = ordinalOf(name);
      if (ord !== undefined) {
        const prefix = name.slice(0, name.length - String(ord).length);
        const notReady: string[] = [];
        for (let o = 0; o < ord; o++) {
          const lower = this.current(`${prefix}${o}`);
          if (lower && lower.readyAt === undefined) notReady.push(`${prefix}${o}`);
        }
        inc.createdBeforeLowerReady = notReady;
      }
      list.push(inc);
    }
    inc.podIP = pod.status?.podIP ?? inc.podIP;
    inc.nodeName = pod.spec?.nodeName ?? inc.nodeName;
    inc.ownerUid = pod.metadata?.ownerReferences?.find((o) => o.controller)?.uid ?? inc.ownerUid;
    if (inc.readyAt === undefined && isReady(pod)) {
      inc.readyAt = e.receivedAtMs;
      inc.readyTransition = toIso(readyTransition(pod));
    }
    if (inc.terminatingAt === undefined && pod.metadata?.deletionTimestamp) {
      inc.terminatingAt = e.receivedAtMs;
      inc.deletionTimestamp = toIso(pod.metadata.deletionTimestamp);
    }
    if (e.type === 'DELETED') inc.deletedAt = e.receivedAtMs;
    inc.events++;

    // Only what changes the picture is journaled (the watch object itself never is).
    const shown = `phase=${pod.status?.phase ?? '?'} ready=${isReady(pod)}${pod.metadata?.deletionTimestamp ? ' terminating' : ''}${pod.status?.podIP ? ` ip=${pod.status.podIP}` : ''}`;
    if (!journalWorthy(inc, e.type, shown)) {
      for (const fn of this.listeners) fn();
      return;
    }
    inc.journaled++;
    inc.shown = shown;
    const apiTimes: Record<string, string> = {};
    if (inc.creationTimestamp) apiTimes['creationTimestamp'] = inc.creationTimestamp;
    if (inc.deletionTimestamp) apiTimes['deletionTimestamp'] = inc.deletionTimestamp;
    if (inc.readyTransition) apiTimes['readyTransition'] = inc.readyTransition;
    this.record?.event({
      at: e.receivedAt,
      source: 'watch',
      type: e.type,
      object: `Pod/${this.namespace}/${name}`,
      message: `${e.type} uid=${uid.slice(0, 8)} ${shown}${e.type === 'DELETED' && inc.events > inc.journaled ? ` (${inc.events} watch events, ${inc.events - inc.journaled} that changed none of this not journaled)` : ''}`,
      apiTimes,
      data: { uid, phase: pod.status?.phase, ready: isReady(pod), podIP: pod.status?.podIP, node: pod.spec?.nodeName },
    });
    for (const fn of this.listeners) fn();
  }
}

function toIso(t: Date | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  return t instanceof Date ? t.toISOString() : new Date(t).toISOString();
}
