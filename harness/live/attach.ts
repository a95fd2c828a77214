// `shakedown attach <run-id>`: follows a live run, read-only, from another terminal. On the same
// machine it reads the run's journal as the run rewrites it (reports/<time>-<exp>-<id>/journal.json);
// elsewhere it watches the run's Lease (its phase and changes). It ends when the run ends, with
// the run's verdict.
import { existsSync, readFileSync, readdirSync, watch } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { V1Lease } from '@kubernetes/client-node';
import type { ClusterSession } from '../cluster/session.ts';
import type { Journal, Verdict } from '../journal/schema.ts';
import { podRows } from './pods.ts';

type Out = (line: string) => void;

/** The journal of `runId` under `reportDir`, when this machine has it. */
export function findRunJournal(runId: string, reportDir: string): string | undefined {
  if (!existsSync(reportDir)) return undefined;
  for (const d of readdirSync(reportDir).filter((n) => n.endsWith(`-${runId}`))) {
    const p = join(reportDir, d, 'journal.json');
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Prints what changed between two readings of a journal: phases, steps, checks, pods, changes, undo. */
export function journalPrinter(out: Out): (j: Journal) => void {
  const said = new Set<string>();
  const once = (key: string, line: string) => {
    if (said.has(key)) return;
    said.add(key);
    out(line);
  };
  return (j) => {
    const x = j.experiment.name;
    once('run', `${j.startedAt} ${x} run=${j.runId} followed (journal)`);
    for (const p of j.phases) {
      once(`p:${p.phase}`, `${p.startedAt} ${x} phase=${p.phase} started`);
      for (const s of p.steps) {
        once(`s:${p.phase}:${s.name}:${s.startedAt}`, `${s.startedAt} ${x} phase=${p.phase} step=${s.name} started: ${s.description}`);
        if (s.endedAt) once(`se:${p.phase}:${s.name}:${s.startedAt}`, `${s.endedAt} ${x} phase=${p.phase} step=${s.name} ${s.status ?? ''}${s.message ? `: ${s.message}` : ''}`);
      }
      if (p.endedAt) once(`pe:${p.phase}`, `${p.endedAt} ${x} phase=${p.phase} ${p.status ?? ''}`);
    }
    for (const r of podRows(j.events)) once(`pod:${r.pod}:${r.state}:${r.deletedAt ?? ''}`, `${new Date().toISOString()} ${x} pod=${r.pod} ${r.state}`);
    j.checks.forEach((c, i) => once(`c:${i}`, `${c.at} ${x} check=${c.name}${c.target ? `[${c.target}]` : ''} ${c.status}`));
    for (const c of j.changes) once(`ch:${c.id}:${c.status}`, `${c.at} ${x} change#${c.id} ${c.status}: ${c.description}`);
    for (const r of [...j.rollbacks, ...j.teardowns]) once(`u:${r.name}:${r.startedAt}`, `${r.endedAt ?? r.startedAt} ${x} rollback=${r.name} ${r.status}${r.error ? `: ${r.error}` : ''}`);
  };
}

/** Follows a journal file until its run completes; resolves to its verdict. */
/**
 * Whether the process that writes this journal is known to be gone: it ran on this host under a
 * pid that no longer exists. (Another host's process cannot be seen from here: not known.)
 */
export function writerGone(j: Pick<Journal, 'environment'>, host = hostname()): boolean {
  const { pid, hostname: writerHost } = j.environment;
  if (pid === undefined || writerHost !== host) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: a process of another user holds that pid now, which is alive.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Follows a journal until its run completes (its verdict), the process writing it is gone
 * without one ('died'), or the signal fires (undefined).
 */
export function followJournal(path: string, out: Out, signal: AbortSignal): Promise<Verdict | 'died' | undefined> {
  const print = journalPrinter(out);
  return new Promise((resolve) => {
    let last = '';
    let lastJournal: Journal | undefined;
    const read = () => {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return; // between the writer's rename and the next file: read at the next change
      }
      // An unchanged journal whose writer is gone will never change again.
      if (text === last) return void (lastJournal && writerGone(lastJournal) && finish('died'));
      last = text;
      let j: Journal;
      try {
        j = JSON.parse(text) as Journal;
      } catch {
        return;
      }
      print(j);
      lastJournal = j;
      if (j.status === 'completed') finish(j.verdict);
    };
    // The writer renames a new file over the old one: the directory sees each write. A slow
    // poll beside it covers file systems whose change events are unreliable.
    const watcher = watch(join(path, '..'), () => read());
    const poll = setInterval(read, 1000);
    const finish = (v: Verdict | 'died' | undefined) => {
      watcher.close();
      clearInterval(poll);
      resolve(v);
    };
    signal.addEventListener('abort', () => finish(undefined), { once: true });
    read();
  });
}

/** Follows a run's Lease (phase, changes) until it is deleted or expires; resolves to its verdict when the run left one. */
export async function followLease(session: ClusterSession, runId: string, out: Out, signal: AbortSignal): Promise<{ verdict?: { kind: string; summary: string }; ended: 'released' | 'expired' | 'detached' }> {
  const { ANNOTATION_PHASE, ANNOTATION_VERDICT, LEASE_NAMESPACE, LEASE_RENEW_MS, changesOf, isLeaseLive } = await import('../cluster/lease.ts');
  const { LABEL_RUN_ID } = await import('../engine/run-id.ts');
  const { watchResilient } = await import('../cluster/watch.ts');
  const said = new Set<string>();
  let seen: V1Lease | undefined;
  const verdictOf = (l: V1Lease) => {
    const text = l.metadata?.annotations?.[ANNOTATION_VERDICT];
    return text ? (JSON.parse(text) as { kind: string; summary: string }) : undefined;
  };
  return new Promise((resolve) => {
    let handle: { stop(): void } | undefined;
    const finish = (r: Awaited<ReturnType<typeof followLease>>) => {
      handle?.stop();
      clearInterval(timer);
      resolve(r);
    };
    const show = (l: V1Lease) => {
      seen = l;
      const phase = l.metadata?.annotations?.[ANNOTATION_PHASE];
      const now = new Date().toISOString();
      if (phase && !said.has(`p:${phase}`)) {
        said.add(`p:${phase}`);
        out(`${now} run=${runId} phase=${phase}`);
      }
      for (const c of changesOf(l)) {
        if (said.has(`c:${c.id}:${c.status}`)) continue;
        said.add(`c:${c.id}:${c.status}`);
        out(`${now} run=${runId} change#${c.id} ${c.status}: ${c.description}`);
      }
    };
    signal.addEventListener('abort', () => finish({ ended: 'detached' }), { once: true });
    // A holder that stops renewing (killed) never deletes its Lease: expiry ends the follow too.
    const timer = setInterval(() => {
      if (seen && !isLeaseLive(seen)) finish({ verdict: verdictOf(seen), ended: seen && verdictOf(seen) ? 'released' : 'expired' });
    }, LEASE_RENEW_MS / 2).unref();
    void watchResilient<V1Lease>(session, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespace: LEASE_NAMESPACE }, {
      labelSelector: `${LABEL_RUN_ID}=${runId}`,
      onEvent: (e) => {
        show(e.object);
        if (e.type === 'DELETED') finish({ verdict: verdictOf(e.object), ended: 'released' });
      },
    }).then((h) => {
      handle = h;
      if (signal.aborted) h.stop();
    });
  });
}
