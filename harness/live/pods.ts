// Each target pod's story as the journal tells it: deleted → gone → recreated → Ready → DNS
// answered, from the fault's, the watch's and the probes' events. Shared by the live page, the
// terminal view and the report's recovery bars; pure, so it reads a journal as it is written.
import type { EventRecord } from '../journal/schema.ts';

export type PodState = 'running' | 'Ready' | 'deleting' | 'gone' | 'recreated' | 'Ready again' | 'DNS answered';

export interface PodRow {
  pod: string;
  state: PodState;
  /** The UID the row follows now (the replacement's once it is seen). */
  uid?: string | undefined;
  /** When the deletion was requested (the fault's own stamp). */
  deletedAt?: string | undefined;
  /** When the watch delivered the old pod's DELETED. */
  goneAt?: string | undefined;
  /** When the watch first saw the replacement (a new UID under the same name, or a new pod). */
  recreatedAt?: string | undefined;
  readyAt?: string | undefined;
  /** When the pod's DNS record answered with its new address. */
  dnsAt?: string | undefined;
  /** A new pod (a Deployment's replacement): the deleted pod it most likely stands in for. */
  replaces?: string | undefined;
}

const podName = (e: EventRecord): string | undefined => (e.object?.startsWith('Pod/') ? e.object.split('/').pop() : undefined);

/** Pods named by a target-selected event ("3 pods: a, b, c"). */
function selectedPods(e: EventRecord): string[] {
  const m = /pods?: (.+)$/.exec(e.message);
  return m ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** One row per pod name, in the order the journal first names them. */
export function podRows(events: readonly EventRecord[]): PodRow[] {
  const rows = new Map<string, PodRow & { oldUid?: string }>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r) {
      r = { pod: name, state: 'running' };
      rows.set(name, r);
    }
    return r;
  };
  let deletions = 0;
  for (const e of events) {
    if (e.type === 'target-selected') {
      for (const p of selectedPods(e)) row(p);
      continue;
    }
    const name = podName(e);
    if (!name) continue;
    const uid = typeof e.data?.['uid'] === 'string' ? e.data['uid'] : undefined;
    const known = rows.has(name);
    const r = row(name);
    if (e.source === 'fault' && /^pod-delete/.test(e.type)) {
      deletions++;
      Object.assign(r, { deletedAt: e.at, goneAt: undefined, recreatedAt: undefined, readyAt: undefined, dnsAt: undefined, state: 'deleting' as const });
      r.oldUid = uid ?? r.uid;
      continue;
    }
    if (e.type === 'identity-recorded' && uid) {
      r.uid = uid;
      if (r.state === 'running') r.state = 'Ready';
      continue;
    }
    if (e.type === 'dns-updated') {
      r.dnsAt ??= e.at;
      if (r.deletedAt) r.state = 'DNS answered';
      continue;
    }
    if (e.source !== 'watch') continue;
    if (!known && deletions > 0 && !r.deletedAt) {
      // A pod first seen after a deletion: a controller's replacement under a new name.
      r.recreatedAt = e.at;
      r.state = 'recreated';
      r.replaces = [...rows.values()].find((x) => x.deletedAt && !x.recreatedAt && x.pod !== name && ![...rows.values()].some((y) => y.replaces === x.pod))?.pod;
    }
    if (e.type === 'DELETED') {
      if (r.deletedAt && (uid === undefined || uid === r.oldUid)) {
        r.goneAt ??= e.at;
        if (!r.recreatedAt) r.state = 'gone';
      }
      continue;
    }
    if (r.deletedAt && uid !== undefined && uid !== r.oldUid && !r.recreatedAt) {
      r.recreatedAt = e.at;
      r.state = 'recreated';
    }
    if (uid !== undefined && (r.uid === undefined || r.recreatedAt !== undefined)) r.uid = r.recreatedAt && r.deletedAt && uid === r.oldUid ? r.uid : uid;
    const current = !r.deletedAt || (r.recreatedAt !== undefined && uid !== r.oldUid);
    if (e.data?.['ready'] === true && current) {
      if (r.recreatedAt) {
        r.readyAt ??= e.at;
        if (r.state === 'recreated') r.state = 'Ready again';
      } else if (r.state === 'running') {
        r.state = 'Ready';
      }
    }
  }
  return [...rows.values()].map(({ oldUid: _old, ...r }) => r);
}

/** Milliseconds from the deletion to `at`, when both are known. */
export function sinceDeletion(r: PodRow, at: string | undefined): number | undefined {
  if (!r.deletedAt || !at) return undefined;
  return Date.parse(at) - Date.parse(r.deletedAt);
}
