// `shakedown cleanup`: undo crashed runs' recorded changes (from their Leases, else a journal),
// then delete what they labelled, found through API discovery; live runs are left alone.
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, describeError } from '../engine/errors.ts';
import { isRunId } from '../engine/run-id.ts';
import { EXIT } from '../engine/verdict.ts';
import type { ChangeRecord } from '../journal/schema.ts';
import type { ClusterSession } from '../cluster/session.ts';
import { SWEEP_SCOPE_EVENT, type Sweepable } from '../cluster/cleanup.ts';
import { reportDirFlag, timeoutFlag } from './flags.ts';

export interface CleanupOptions {
  context?: string | undefined;
  allowContext?: string[] | undefined;
  runId?: string | undefined;
  journal?: string | undefined;
  force?: boolean | undefined;
  reportDir: string;
  timeout: string;
  /** Modules that register undo kinds of users' own faults, trusted beside those the run's journal names. */
  undoModule?: string[] | undefined;
  /** Look through every kind the server serves (cluster-wide), not only those the run's journal names. */
  allKinds?: boolean | undefined;
}

/** Runs the cleanup and resolves to its exit code; bad input throws UsageError (exit 2). */
export async function cleanupCommand(opts: CleanupOptions, io: { stdout: (t: string) => void; stderr: (t: string) => void }): Promise<number> {
  const out = (line: string) => io.stdout(line + '\n');
  let exitCode: number = EXIT.passed;
  // Every flag, and the journal named, is checked before the kubeconfig is read.
  const timeoutMs = timeoutFlag(opts.timeout);
  if (opts.runId !== undefined && !isRunId(opts.runId)) {
    throw new UsageError(`--run-id "${opts.runId}" is not a run id: one is "r" and 9 lowercase letters or digits, as \`shakedown run\` prints it (run=r…)`, { field: '--run-id' });
  }
  if (opts.journal !== undefined && !opts.runId) throw new UsageError('--journal needs --run-id', { field: '--journal' });
  const reportDir = reportDirFlag(opts.reportDir, { write: false });
  const named = opts.runId && opts.journal !== undefined ? await readNamedJournal(opts.runId, opts.journal) : undefined;
  const given = (opts.undoModule ?? []).map(undoModuleFlag);
  const { loadKubeConfig } = await import('../cluster/kubeconfig.ts');
  const { ClusterSession } = await import('../cluster/session.ts');
  const { deleteByLabel } = await import('../cluster/cleanup.ts');
  const { LEASE_DURATION_SECONDS, changesOf, isLeaseLive, listRunLeases, runIdOf } = await import('../cluster/lease.ts');
  const kube = loadKubeConfig({ context: opts.context, allowContexts: opts.allowContext });
  const session = new ClusterSession(kube);
  const started = Date.now();
  try {
    const runLeases = await listRunLeases(session, opts.runId);
    const live = new Set(runLeases.filter((l) => isLeaseLive(l)).map((l) => runIdOf(l) ?? ''));
    if (opts.runId && live.has(opts.runId) && !opts.force) {
      io.stderr(`shakedown: cleanup: run ${opts.runId} is live (its Lease was renewed within ${LEASE_DURATION_SECONDS} s by ${runLeases[0]?.spec?.holderIdentity ?? 'unknown'}); pass --force if it is dead\n`);
      return EXIT.error;
    }
    // What to undo: each run's changes from its Lease; for --run-id without one, from its journal.
    const plans: Plan[] = [];
    for (const l of runLeases) {
      const id = runIdOf(l) ?? '';
      if (live.has(id) && !opts.force) continue;
      plans.push({ runId: id, source: `Lease default/${l.metadata?.name ?? ''}`, changes: changesOf(l) });
    }
    if (opts.runId && !plans.some((p) => p.changes.length > 0)) {
      const found = named ?? (await findJournal(opts.runId, reportDir));
      if (found) plans.splice(0, plans.length, { runId: opts.runId, source: found.path, changes: found.changes });
    }
    // Code a user's fault registered is loaded only from a module the journal on disk (or the
    // command line) names: anyone who can write Leases could name any file there.
    const onDisk = opts.runId ? (named ?? (await findJournal(opts.runId, reportDir))) : undefined;
    const trusted = new Set([...given, ...(onDisk?.changes ?? []).flatMap((c) => (c.undo.kind === 'custom' ? [c.undo.module] : []))]);
    const refusal = await loadUndoModules(plans.flatMap((p) => p.changes), trusted);
    const { outcomes, undoFailed, keepLeasesOf } = await undoPlans(session, plans, { timeoutMs, refusal, out });
    // A run whose undo failed keeps its Lease, so the next cleanup still knows what to undo.
    const skipRunIds = new Set([...(opts.force ? [] : live), ...keepLeasesOf]);
    const kinds = sweepKinds(opts, onDisk, out);
    const r = await deleteByLabel(session, { runId: opts.runId, kinds, skipRunIds, includeRunLeases: true, timeoutMs, onDelete: (ref) => out(`deleted ${ref}`) });
    for (const id of r.skippedRuns) out(live.has(id) && !opts.force ? `left run ${id} alone: it is live (pass --force to clean it anyway)` : `kept the objects of run ${id}: some of its changes could not be undone`);
    for (const g of r.unreachable) out(`warning: could not look in API group ${g} (its discovery failed)`);
    const undone = outcomes.done + outcomes.unchanged + outcomes.gone;
    const took = ((Date.now() - started) / 1000).toFixed(1);
    if (r.deleted.length === 0 && undone === 0 && undoFailed === 0) out(`cleanup: nothing labelled by shakedown and no recorded change to undo was found (${took} s)`);
    else out(`cleanup: ${outcomes.done} change(s) undone (${outcomes.unchanged} already as before, ${outcomes.gone} on targets gone), ${r.deleted.length} object(s) deleted${undoFailed ? `, ${undoFailed} undo(s) FAILED` : ', none left'} (${took} s)`);
    if (undoFailed) {
      exitCode = EXIT.error;
      io.stderr(`shakedown: cleanup: ${undoFailed} change(s) could not be undone (listed above); fix the cause and run cleanup again\n`);
    }
  } catch (err) {
    exitCode = EXIT.error;
    io.stderr(`shakedown: cleanup failed on context ${kube.context}: ${describeError(err)}\n`);
  }
  return exitCode;
}

type Plan = { runId: string; source: string; changes: ChangeRecord[] };
type FoundJournal = { path: string; changes: ChangeRecord[]; kinds: Sweepable[] };

/** The run's Lease, which cleanup removes too. */
const LEASE_SCOPE: Sweepable = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespaced: true, namespace: 'default' };

/**
 * Where to look for what a run labelled: the kinds and namespaces its journal recorded (its
 * fixtures' sweep scope) and its Lease; every kind the server serves, cluster-wide, without
 * --run-id, with --all-kinds, or when the run's journal is not at hand.
 */
function sweepKinds(opts: CleanupOptions, journal: FoundJournal | undefined, out: (line: string) => void): Sweepable[] | undefined {
  if (!opts.runId || opts.allKinds) return undefined;
  if (!journal) {
    out(`no journal of run ${opts.runId} found (under --report-dir, or --journal): looking through every kind the server serves`);
    return undefined;
  }
  return [...journal.kinds, LEASE_SCOPE];
}

/** The sweep scopes a journal recorded (each fixture's), merged. */
function kindsOf(events: readonly { type: string; data?: Record<string, unknown> | undefined }[]): Sweepable[] {
  const all = events.filter((e) => e.type === SWEEP_SCOPE_EVENT).flatMap((e) => (Array.isArray(e.data?.['kinds']) ? (e.data['kinds'] as Sweepable[]) : []));
  return [...new Map(all.map((k) => [`${k.apiVersion}/${k.kind}/${k.namespace ?? ''}`, k])).values()];
}

/** Undoes each run's pending changes, saying each outcome; counts them, and names the runs whose undo failed. */
async function undoPlans(
  session: ClusterSession,
  plans: readonly Plan[],
  o: { timeoutMs: number; refusal: ((c: ChangeRecord) => string | undefined) | undefined; out: (line: string) => void },
): Promise<{ outcomes: Record<'done' | 'unchanged' | 'gone', number>; undoFailed: number; keepLeasesOf: Set<string> }> {
  const { undoChanges } = await import('../undo/changes.ts');
  const outcomes = { done: 0, unchanged: 0, gone: 0 };
  const keepLeasesOf = new Set<string>();
  let undoFailed = 0;
  for (const plan of plans) {
    const pending = plan.changes.filter((c) => c.status !== 'undone');
    if (plan.changes.length === 0) continue;
    o.out(`run ${plan.runId}: ${plan.changes.length} recorded change(s) (from ${plan.source}), ${pending.length} to undo`);
    const results = await undoChanges(session, plan.changes, {
      runId: plan.runId,
      timeoutMs: Math.min(o.timeoutMs, 120_000),
      refuse: o.refusal,
      onResult: (r) => {
        if (r.status === 'skipped') o.out(`  skipped #${r.change.id} ${r.change.description}: undone by the run's rollback`);
        else if (r.status === 'ok') o.out(`  ${r.outcome?.result === 'done' ? 'undone' : r.outcome?.result === 'gone' ? 'target gone' : 'already as before'} #${r.change.id} ${r.change.description}: ${r.outcome?.detail ?? ''}`);
        else o.out(`  FAILED #${r.change.id} ${r.change.description}: ${r.error ?? ''}`);
      },
    });
    for (const x of results) if (x.outcome) outcomes[x.outcome.result]++;
    const failed = results.filter((r) => r.status === 'failed').length;
    if (failed) {
      undoFailed += failed;
      keepLeasesOf.add(plan.runId);
    }
  }
  return { outcomes, undoFailed, keepLeasesOf };
}

/** An --undo-module path as the file URL modules are named by in a journal; a missing file is bad input. */
function undoModuleFlag(path: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UsageError(`--undo-module ${path}: no such file`, { field: '--undo-module' });
  return pathToFileURL(abs).href;
}

/**
 * Loads the trusted modules that register the custom undo kinds among `changes`; returns why a
 * change cannot be undone here (its module untrusted or failing to load), for undoChanges.
 */
async function loadUndoModules(changes: readonly ChangeRecord[], trusted: ReadonlySet<string>): Promise<(c: ChangeRecord) => string | undefined> {
  const { undoKindOf } = await import('../undo/registry.ts');
  const problems = new Map<string, string>();
  for (const c of changes) {
    if (c.undo.kind !== 'custom' || c.status === 'undone' || undoKindOf(c.undo.type) || problems.has(c.undo.module)) continue;
    const m = c.undo.module;
    if (!trusted.has(m)) {
      problems.set(m, `its undo kind ${c.undo.type} is registered by ${m}, which is named only in the run's Lease; pass the run's journal (--journal, or --report-dir) or --undo-module <that file> to load it`);
      continue;
    }
    try {
      await import(m);
      if (!undoKindOf(c.undo.type)) problems.set(m, `${m} was loaded but registers no undo kind ${c.undo.type}`);
    } catch (err) {
      problems.set(m, `its undo module ${m} could not be loaded: ${describeError(err)}`);
    }
  }
  return (c) => (c.undo.kind === 'custom' && !undoKindOf(c.undo.type) ? problems.get(c.undo.module) : undefined);
}

/** The journal named with --journal: it must be readable and the journal of this run. */
async function readNamedJournal(runId: string, path: string): Promise<FoundJournal> {
  const { readJournal } = await import('../report/read-journal.ts');
  const j = await readJournal(path).catch((err: unknown) => {
    throw new UsageError(`--journal: ${describeError(err)}`, { field: '--journal', cause: err });
  });
  if (j.runId !== runId) throw new UsageError(`--journal ${path} is the journal of run ${j.runId}, not ${runId}`, { field: '--journal' });
  return { path, changes: j.changes, kinds: kindsOf(j.events) };
}

/** The journal under the report dir whose runId matches, if any. */
async function findJournal(runId: string, reportDir: string): Promise<FoundJournal | undefined> {
  const { readJournal } = await import('../report/read-journal.ts');
  if (!existsSync(reportDir)) return undefined;
  // Report dirs end with the run id: reports/<time>-<experiment>-<run id>/.
  for (const d of readdirSync(reportDir).filter((n) => n.endsWith(`-${runId}`))) {
    const p = join(reportDir, d, 'journal.json');
    if (!existsSync(p)) continue;
    const j = await readJournal(p).catch(() => undefined);
    if (j?.runId === runId) return { path: p, changes: j.changes, kinds: kindsOf(j.events) };
  }
  return undefined;
}
