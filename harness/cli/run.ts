// `shakedown run`: each prepared experiment in turn against the cluster, under one set of signal
// handlers (SIGINT, SIGTERM, SIGHUP and a closed output all roll back), each holding its run's
// Lease, each ending in its reports.
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { AbortedError, UsageError, describeError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import { newRunId } from '../engine/run-id.ts';
import { EXIT, exitCodeFor } from '../engine/verdict.ts';
import type { Journal, Verdict } from '../journal/schema.ts';
import type { ResolvedKubeConfig } from '../cluster/kubeconfig.ts';
import type { ClusterSession } from '../cluster/session.ts';
import type { ProgressSink } from '../engine/progress.ts';
import type { RunBaseline } from './baseline.ts';
import type { CliIo } from './io.ts';
import { jsonProgress, plainProgress, ttyProgress } from './progress.ts';

export interface RunCommandOptions {
  context?: string | undefined;
  allowContext?: string[] | undefined;
  reportDir: string;
  json?: boolean | undefined;
  timeoutMs: number;
  /** `--baseline`: compares each finished run with it (see baseline.ts). */
  baseline?: RunBaseline | undefined;
  /** Serve the live view on loopback (`--live`), on this port (0: any free one), kept after the runs with `liveKeep`. */
  live?: { port: number; keep: boolean } | undefined;
  /** `--in-cluster`: the pod's own ServiceAccount, which must be this one, in the runs' namespace. */
  inCluster?: import('../cluster/in-cluster.ts').ServiceAccountRef | undefined;
  /** `--record-verdict`: each run's verdict in a ConfigMap and an Event (see verdict-record.ts). */
  recordVerdict?: boolean | undefined;
}

/** Runs the experiments and resolves to the exit code of their verdicts. */
export async function runExperiments(prepared: readonly { def: AnyExperiment; params: Record<string, unknown> }[], opts: RunCommandOptions, io: CliIo): Promise<number> {
  // Bad kubeconfig or a forbidden context is bad input: found before anything is contacted.
  // Loaded here, not at start-up: `list`, `validate` and `--help` need none of them.
  const kube = await resolveCluster(prepared, opts);
  const extra = opts.recordVerdict ? (await import('../cluster/verdict-record.ts')).RECORD_PERMISSIONS : [];
  // Every declared rule is checked before anything is touched: a missing one stops every run (exit 3).
  if (!(await (await import('./access.ts')).accessAllowed(prepared, kube, io, extra))) return EXIT.error;
  const write = (line: string) => io.stdout(line + '\n');
  let progress = opts.json ? jsonProgress(write) : io.isTTY ? ttyProgress(write) : plainProgress(write);
  // On a terminal that can redraw, a compact live block sits under the progress lines.
  const terminal = !opts.json && io.isTTY && io.columns ? (await import('../live/terminal.ts')).terminalView(io.stdout, progress, { columns: io.columns }) : undefined;
  if (terminal) progress = terminal.progress;

  // What the run says on stderr while it goes: above the terminal's live block, when there is one.
  const say = (text: string) => (terminal ? terminal.aside(() => io.stderr(text)) : io.stderr(text));
  const stop = interruptions(io, say);
  const live = opts.live ? await startLive(opts.live, io, write, opts.json, stop.fromLiveView).catch((err: unknown) => {
    stop.off();
    throw err;
  }) : undefined;
  // Losing the output must not kill the run mid-fault: it rolls back and ends with a verdict.
  const stopWatchingOutput = io.onOutputClosed?.(() => {
    if (!stop.signal.aborted) stop.abort(new AbortedError('output-closed'));
  });

  const verdicts: Verdict[] = [];
  const each: EachRun = { kube, opts, io, write, progress, signal: stop.signal, live, watch: watchers([live?.feed.watch, terminal?.watch]) };
  try {
    for (const { def, params } of prepared) {
      if (stop.signal.aborted) break;
      verdicts.push(await runOne(def, params, each));
    }
  } finally {
    stop.off();
    stopWatchingOutput?.();
    if (live) await live.finish(verdicts.length > 0);
  }
  return exitCodeFor(verdicts);
}

/** The kubeconfig's context (the context rule applied), or the pod's own account with --in-cluster (its guard applied). */
async function resolveCluster(prepared: readonly { params: Record<string, unknown> }[], opts: RunCommandOptions): Promise<ResolvedKubeConfig> {
  if (opts.inCluster) {
    if (opts.context !== undefined || opts.allowContext?.length) throw new UsageError('--in-cluster uses the pod\'s ServiceAccount, not a kubeconfig: drop --context and --allow-context', { field: '--in-cluster' });
    const [{ loadInClusterConfig }, { runNamespaceOf }] = await Promise.all([import('../cluster/in-cluster.ts'), import('./rbac.ts')]);
    return loadInClusterConfig(opts.inCluster, prepared.map((p) => runNamespaceOf(p.params)));
  }
  return (await import('../cluster/kubeconfig.ts')).loadKubeConfig({ context: opts.context, allowContexts: opts.allowContext });
}

/**
 * The signal handlers of the whole command: SIGINT, SIGTERM and SIGHUP (a dropped SSH session
 * during a game day is handled like SIGTERM) and the live view's Abort roll back; a second
 * SIGINT or SIGTERM exits at once.
 */
function interruptions(io: CliIo, say: (text: string) => void) {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM' | 'SIGHUP') => () => {
    interrupts++;
    if (interrupts > 1 && sig !== 'SIGHUP') {
      say(`shakedown: second ${sig}: exiting without finishing rollback; \`shakedown cleanup --run-id <id>\` undoes what is left\n`);
      process.exit(EXIT[sig]);
    }
    if (interrupts > 1) return; // a hang-up repeats itself; it never cuts the rollback short
    say(`shakedown: received ${sig}: rolling back (send it again to exit at once)\n`);
    controller.abort(new AbortedError(sig));
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM'), SIGHUP: onSignal('SIGHUP') };
  for (const [sig, h] of Object.entries(handlers)) io.signals?.on(sig, h);
  return {
    signal: controller.signal,
    abort: (reason: AbortedError) => controller.abort(reason),
    fromLiveView: () => {
      interrupts++;
      if (controller.signal.aborted) return;
      say('shakedown: abort requested from the live view: rolling back (as on SIGINT)\n');
      controller.abort(new AbortedError('SIGINT'));
    },
    off: () => {
      for (const [sig, h] of Object.entries(handlers)) io.signals?.off(sig, h);
    },
  };
}

/** What every run of the command shares. */
interface EachRun {
  kube: ResolvedKubeConfig;
  opts: RunCommandOptions;
  io: CliIo;
  write: (line: string) => void;
  progress: ProgressSink;
  signal: AbortSignal;
  live: Awaited<ReturnType<typeof startLive>> | undefined;
  watch: JournalWatch | undefined;
}

/** One experiment: its Lease, the run, the measurements around it, the comparison and its reports. */
async function runOne(def: AnyExperiment, params: Record<string, unknown>, { kube, opts, io, write, progress, signal, live, watch }: EachRun): Promise<Verdict> {
  const [{ runExperiment }, { reportDirName }, { ClusterSession }] = await Promise.all([import('../engine/runner.ts'), import('../report/dir-name.ts'), import('../cluster/session.ts')]);
  const runId = newRunId();
  // One session per run, so each run's request count is its own.
  const session = new ClusterSession(kube);
  const lease = await takeLease(def, params, session, runId, io);
  if ('kind' in lease) return lease;
  const dir = resolve(opts.reportDir, reportDirName({ startedAt: new Date().toISOString(), experiment: { name: def.name }, runId }));
  const memory = sampleMemory();
  const result = await runExperiment(def, params, {
    runId,
    journalDir: dir,
    timeoutMs: opts.timeoutMs,
    signal,
    cluster: session,
    environment: { context: kube.context, server: kube.server },
    // The Lease shows the phase too, for `shakedown attach` from another machine.
    progress: { ...progress, phaseStarted: (p) => { progress.phaseStarted(p); void lease.setPhase(p).catch(() => {}); } },
    watch,
    onChanges: (changes) => lease.setChanges(changes),
  });
  const released = await lease.release(result.verdict).catch((err: unknown) => {
    io.stderr(`shakedown: could not release Lease default/${lease.name}: ${describeError(err)}\n`);
    return false;
  });
  if (!released || result.verdict.kind === 'error' || result.verdict.kind === 'aborted') {
    io.stderr(`shakedown: if run ${runId} left anything behind, \`shakedown cleanup --run-id ${runId}\` undoes its recorded changes and removes its objects\n`);
  }
  const peak = memory.stop();
  result.journal.measurements.push(
    { name: 'harness rss peak', value: peak.rssMB, unit: 'MiB', description: 'resident memory of the shakedown process during the run, before its reports were written (sampled every 250 ms)' },
    { name: 'harness heap peak', value: peak.heapMB, unit: 'MiB', description: 'V8 heap in use by the shakedown process during the run, before its reports were written (sampled every 250 ms)' },
  );
  await comparePermissions(def, params, session, result.journal, io);
  result.journal.measurements.push({ name: 'api requests', value: session.requests.total, unit: 'requests', description: `requests the harness sent to the API server (${Object.entries(session.requests.byVerb).map(([k, v]) => `${k} ${v}`).join(', ')})` });
  if (opts.baseline) {
    // The progress already showed the run's own verdict: say what the comparison made of it.
    result.verdict = opts.baseline.apply(result.journal, dir) ?? result.verdict;
    const regressed = (result.journal.comparison?.metrics ?? []).filter((m) => m.verdict === 'regressed').map((m) => m.name);
    const said = `compared with the baseline: ${regressed.length ? `regressed: ${regressed.join(', ')}` : 'no regression'}; verdict ${result.verdict.kind}`;
    write(opts.json ? JSON.stringify({ event: 'baseline', experiment: def.name, runId, regressed, verdict: result.verdict }) : said);
  }
  const { writeReports } = await import('../report/index.ts');
  const files = await writeReports(result.journal, dir);
  // On kind, a run that ends failed or error keeps the cluster's logs beside its reports.
  if ((result.verdict.kind === 'failed' || result.verdict.kind === 'error') && kube.context.startsWith('kind-')) {
    await (await import('../kind/lifecycle.ts')).exportKindLogs(kube.context, dir, io);
  }
  if (opts.recordVerdict) await record(def, params, session, { runId, dir, verdict: result.verdict, startedAt: result.journal.startedAt }, io, write, opts.json);
  live?.feed.report(runId, result.verdict.kind, await readFile(files.html, 'utf8'));
  if (opts.json) write(JSON.stringify({ event: 'reports', experiment: def.name, runId, files }));
  else write(`reports: ${dir}`);
  return result.verdict;
}

/** `--record-verdict`: the ConfigMap and the Event; a failure to record is said, and the verdict stands. */
async function record(def: AnyExperiment, params: Record<string, unknown>, session: ClusterSession, r: { runId: string; dir: string; verdict: Verdict; startedAt: string }, io: CliIo, write: (line: string) => void, json: boolean | undefined): Promise<void> {
  const [{ recordVerdict }, { targetOf }, { runNamespaceOf }] = await Promise.all([import('../cluster/verdict-record.ts'), import('../cluster/lease.ts'), import('./rbac.ts')]);
  try {
    const where = await recordVerdict(session, { experiment: def.name, namespace: runNamespaceOf(params), runId: r.runId, verdict: r.verdict, startedAt: r.startedAt, endedAt: new Date().toISOString(), reportDir: r.dir, target: targetOf(def.name, params) });
    write(json ? JSON.stringify({ event: 'verdict-recorded', experiment: def.name, runId: r.runId, configMap: where.configMap, kubeEvent: where.event }) : `verdict recorded: configmap ${where.configMap}, event ${where.event}`);
  } catch (err) {
    io.stderr(`shakedown: ${def.name}: could not record the verdict (--record-verdict): ${describeError(err)}\n`);
  }
}

/**
 * The run's Lease: visible to others while it lives, and refused when another live run holds
 * the target (then the run's verdict is an error, returned instead of the Lease).
 */
async function takeLease(def: AnyExperiment, params: Record<string, unknown>, session: ClusterSession, runId: string, io: CliIo) {
  const [{ RunLease, RunRefusedError, targetOf }, { apiStatus }] = await Promise.all([import('../cluster/lease.ts'), import('../cluster/session.ts')]);
  const lease = new RunLease(session, runId, targetOf(def.name, params));
  try {
    await lease.acquire();
  } catch (err) {
    if (err instanceof RunRefusedError) {
      io.stderr(`shakedown: ${def.name}: refused: ${err.message}\n`);
      return { kind: 'error', summary: 'target busy', phase: 'preflight', code: 'PREFLIGHT', message: err.message } satisfies Verdict;
    }
    // An unreachable server is preflight's to report (as an error verdict, with reports);
    // any answer from the server that refuses the Lease stops the run here.
    if (apiStatus(err) !== undefined || !/fetch failed|ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|timed? ?out|abort/i.test(describeError(err))) {
      io.stderr(`shakedown: ${def.name}: could not take the run's Lease ${lease.name} in namespace default: ${describeError(err)}\n`);
      return { kind: 'error', summary: 'no lease', phase: 'preflight', code: 'PREFLIGHT', message: describeError(err) } satisfies Verdict;
    }
  }
  return lease;
}

/**
 * For an experiment whose parts declare their permissions: journals each API use of the run
 * beside whether a part declared it, and says so when one did not (a Role built from the
 * declarations would have refused that request).
 */
async function comparePermissions(def: AnyExperiment, params: Record<string, unknown>, session: ClusterSession, journal: Journal, io: CliIo): Promise<void> {
  const { declaresPermissions, formatPermission, permissionsUsed } = await import('../cluster/permissions.ts');
  if (!declaresPermissions(def)) return;
  const { rows, missing } = permissionsUsed(def, params, session.requests.uses.values());
  journal.tables.push({ title: 'API permissions used', columns: ['use', 'declared by a part'], rows });
  if (missing.length === 0) return;
  const message = `API requests no part of ${def.name} declared: ${missing.map(formatPermission).join('; ')}`;
  journal.events.push({ at: new Date().toISOString(), source: 'harness', type: 'undeclared-permission', message });
  io.stderr(`shakedown: ${message}\n`);
}

type JournalWatch = NonNullable<Parameters<typeof import('../engine/runner.ts').runExperiment>[2]['watch']>;

/** One watch over the run's journal for every live view that follows it. */
function watchers(list: (JournalWatch | undefined)[]): JournalWatch | undefined {
  const all = list.filter((w) => w !== undefined);
  if (all.length <= 1) return all[0];
  return { started: (j) => all.forEach((w) => w.started(j)), changed: () => all.forEach((w) => w.changed()) };
}

/** Starts the live view's server and prints its URL; `finish` ends its streams and stops it (after a signal, with --live-keep). */
async function startLive(o: { port: number; keep: boolean }, io: CliIo, write: (line: string) => void, json: boolean | undefined, onAbort: () => void) {
  const [{ LiveFeed }, { startLiveServer }] = await Promise.all([import('../live/feed.ts'), import('../live/server.ts')]);
  const feed = new LiveFeed();
  const server = await startLiveServer({ feed, port: o.port, onAbort }).catch((err: unknown) => {
    throw new UsageError(`--live-port ${o.port}: cannot listen on 127.0.0.1:${o.port}: ${describeError(err)}`, { field: 'live-port', cause: err });
  });
  write(json ? JSON.stringify({ event: 'live', url: server.url }) : `live view: ${server.url}`);
  return {
    feed,
    async finish(ran: boolean) {
      feed.done();
      if (o.keep && ran) {
        io.stderr(`shakedown: the live view stays at ${server.url} (--live-keep); Ctrl-C stops it\n`);
        await new Promise<void>((resolve) => {
          for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) io.signals?.once(sig, () => resolve());
        });
      }
      await server.close();
    },
  };
}

/** Samples this process' resident memory and V8 heap until stopped; resolves to their peaks in MiB. */
export function sampleMemory(everyMs = 250): { stop(): { rssMB: number; heapMB: number } } {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      // MiB (2^20 bytes), as /usr/bin/time and ps report resident memory.
      const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
      return { rssMB: mb(rss), heapMB: mb(heap) };
    },
  };
}
