// `shakedown attach <run-id>`: the command around harness/live/attach.ts. Read-only: it never
// writes to the cluster or the run's files, and Ctrl-C only stops following.
import { UsageError } from '../engine/errors.ts';
import { isRunId } from '../engine/run-id.ts';
import { EXIT } from '../engine/verdict.ts';
import { reportDirFlag, timeoutFlag } from './flags.ts';
import type { CliIo } from './io.ts';

export interface AttachOptions {
  reportDir: string;
  timeout: string;
  context?: string;
  allowContext?: string[];
}

/** The exit code of a verdict as attach reports it: 0 passed, 1 failed, 3 error or aborted. */
const exitOf = (kind: string | undefined): number => (kind === 'passed' ? EXIT.passed : kind === 'failed' ? EXIT.failed : EXIT.error);

export async function attachCommand(runId: string, opts: AttachOptions, io: CliIo): Promise<number> {
  const out = (line: string) => io.stdout(line + '\n');
  if (!isRunId(runId)) throw new UsageError(`"${runId}" is not a run id: one is "r" and 9 lowercase letters or digits, as \`shakedown run\` prints it (run=r…)`, { field: 'run-id' });
  const timeoutMs = timeoutFlag(opts.timeout);
  const reportDir = reportDirFlag(opts.reportDir, { write: false });
  const { findRunJournal, followJournal, followLease } = await import('../live/attach.ts');

  const stop = new AbortController();
  let detached = false;
  const onSignal = () => {
    detached = true;
    stop.abort();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) io.signals?.on(sig, onSignal);
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    const path = findRunJournal(runId, reportDir);
    if (path) {
      out(`following run ${runId} from its journal ${path} (read-only; Ctrl-C stops following, not the run)`);
      const verdict = await followJournal(path, out, stop.signal);
      if (!verdict) return ended(detached, timeoutMs, io);
      if (verdict === 'died') {
        io.stderr(`shakedown: attach: run ${runId} stopped without a verdict: the process writing its journal is gone (killed or crashed); \`shakedown cleanup --run-id ${runId}\` undoes what it left\n`);
        return EXIT.error;
      }
      out(`run ${runId}: ${verdict.kind.toUpperCase()}  ${verdict.summary}`);
      return exitOf(verdict.kind);
    }
    const { loadKubeConfig } = await import('../cluster/kubeconfig.ts');
    const { ClusterSession } = await import('../cluster/session.ts');
    const { isLeaseLive, listRunLeases } = await import('../cluster/lease.ts');
    const session = new ClusterSession(loadKubeConfig({ context: opts.context, allowContexts: opts.allowContext }));
    const leases = await listRunLeases(session, runId);
    if (leases.length === 0) {
      io.stderr(`shakedown: attach: no run ${runId}: no journal under ${reportDir} and no Lease of it in the cluster (it ended, or never ran here)\n`);
      return EXIT.error;
    }
    if (!leases.some((l) => isLeaseLive(l))) {
      io.stderr(`shakedown: attach: run ${runId} is not live: its Lease is no longer renewed (it ended without undoing every change, or died; see \`shakedown cleanup --run-id ${runId}\`)\n`);
      return EXIT.error;
    }
    out(`following run ${runId} from its Lease default/${leases[0]!.metadata?.name ?? ''} (phase and changes; read-only)`);
    const r = await followLease(session, runId, out, stop.signal);
    if (r.ended === 'detached') return ended(detached, timeoutMs, io);
    if (r.verdict) {
      out(`run ${runId}: ${r.verdict.kind.toUpperCase()}  ${r.verdict.summary}`);
      return exitOf(r.verdict.kind);
    }
    io.stderr(`shakedown: attach: run ${runId} ${r.ended === 'expired' ? 'stopped renewing its Lease (it died?)' : 'released its Lease without a verdict'}\n`);
    return EXIT.error;
  } finally {
    clearTimeout(timer);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) io.signals?.off(sig, onSignal);
  }
}

function ended(detached: boolean, timeoutMs: number, io: CliIo): number {
  if (detached) return EXIT.SIGINT;
  io.stderr(`shakedown: attach: the run did not end within --timeout ${Math.round(timeoutMs / 1000)}s\n`);
  return EXIT.error;
}
