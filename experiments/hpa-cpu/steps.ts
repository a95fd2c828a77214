// The steps of hpa-cpu that act on or wait for the cluster: the fixture, the baseline, CPU load
// (faults.cpuLoad), stopping it (proven inside each pod) and scale-in. Preflight is in target.ts,
// the sampler in sampler.ts, the scale-out checks in checks.ts.
import { faults, fixtures, formatDuration, probes, RunError, WaitTimeoutError } from '../../harness/index.ts';
import type { Params } from './params.ts';
import { readHpa, readyPods, utilizationOf } from './read.ts';
import { LOAD, loadOf, type Ctx, type LoadRun } from './state.ts';

const { waitFor, done, notYet } = probes;

// ---------------------------------------------------------------- setup

export async function deployFixture(ctx: Ctx, def: { manifests: string[]; manifestValues(p: Params): Record<string, unknown> }): Promise<void> {
  if (ctx.state.fixture) await fixtures.fromManifests(ctx, def);
}

// ---------------------------------------------------------------- steady state

/**
 * Baseline: the target at its minimum, Ready, and the HPA already reading a CPU metric (so the
 * metrics pipeline works end to end before any load).
 */
export async function baseline(ctx: Ctx): Promise<void> {
  const { state: s } = ctx;
  try {
    const h = await waitFor(
      async () => {
        const h = await readHpa(ctx);
        const ready = (await readyPods(ctx)).length;
        const u = utilizationOf(h);
        return u !== undefined && ready >= s.minReplicas && (h.status?.currentReplicas ?? 0) === ready ? done(h) : notYet(`${ready} Ready, HPA utilisation ${u ?? 'unknown'}`);
      },
      { what: `HPA ${s.hpa} reading CPU with its pods Ready`, timeoutMs: 240_000, intervalMs: 2000, signal: ctx.signal, retryErrors: true },
    );
    s.baselineReplicas = h.status?.currentReplicas ?? 0;
    ctx.record.check({ name: 'baseline', expected: `HPA ${s.hpa} reports CPU utilisation for Ready pods`, observed: `${s.baselineReplicas} replica(s), utilisation ${utilizationOf(h)}%`, passed: true, evidence: { status: h.status } });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: 'baseline', expected: `HPA ${s.hpa} reports CPU utilisation for Ready pods within 4m`, observed: String(err.lastObserved), passed: false });
  }
}

// ---------------------------------------------------------------- method

/** Waits (bounded by scaleInWithin) until the HPA has the target back at its baseline replicas; resolves to when. */
function backToBaseline(ctx: Ctx, what: string, signal: AbortSignal): Promise<number> {
  const { state: s } = ctx;
  return waitFor(
    async () => {
      const r = (await readHpa(ctx)).status?.currentReplicas ?? 0;
      return r <= s.baselineReplicas ? done(Date.now()) : notYet(`${r} replicas`);
    },
    { what, timeoutMs: ctx.params.scaleInWithin, intervalMs: 2000, signal },
  );
}

/** Starts `timeout <loadFor> sha256sum /dev/zero` in the chosen pods; each ends by itself even if the harness dies. */
export async function startLoad(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const pods = (await readyPods(ctx)).map((x) => x.metadata?.name ?? '').sort();
  const chosen = p.loadPods === 'all' ? pods : pods.slice(0, p.loadPods);
  if (chosen.length === 0) throw new RunError('INJECT', `no Ready pod of ${s.target} to load`);
  // No fault outlives the run: the load's own bound never passes the run's deadline.
  const seconds = Math.max(1, Math.floor(Math.min(p.loadFor, ctx.deadline - Date.now()) / 1000));
  const run: LoadRun = { pods: [], startedAt: Date.now(), closeWindow: ctx.record.window('cpu load') };
  ctx.results.set(LOAD, run);
  // Registered first, so it runs last: after every load process is killed, the HPA scales back
  // by itself; wait for it (bounded) so the run leaves the workload as it found it.
  const back = `${s.target} back to its baseline of ${s.baselineReplicas} replica(s)`;
  ctx.rollback(
    back,
    async (signal) => {
      run.closeWindow();
      await backToBaseline(ctx, back, signal);
    },
    { timeoutMs: p.scaleInWithin + 10_000 },
  );
  for (const pod of chosen) {
    await faults.cpuLoad.start(ctx, { namespace: p.namespace, pod, container: s.container }, p.processesPerPod, seconds);
    run.pods.push(pod);
    ctx.record.event({ source: 'fault', type: 'load-started', object: `Pod/${p.namespace}/${pod}`, message: `${p.processesPerPod} × timeout ${seconds} ${faults.cpuLoad.commandLine}` });
  }
  ctx.progress(`load running in ${run.pods.join(', ')} for at most ${formatDuration(seconds * 1000)}`);
}

// ---------------------------------------------------------------- verify

/** Stops the load and proves, inside each loaded pod, that no load process survives. */
export async function stopLoad(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const run = loadOf(ctx);
  const { process } = faults.cpuLoad;
  for (const pod of run.pods) await faults.cpuLoad.stop(ctx.cluster, { namespace: p.namespace, pod, container: s.container });
  run.stoppedAt = Date.now();
  run.closeWindow();
  const survivors: Record<string, number> = {};
  for (const pod of run.pods) {
    survivors[pod] = await waitFor(
      async () => {
        const n = await faults.cpuLoad.count(ctx.cluster, { namespace: p.namespace, pod, container: s.container });
        return n === 0 ? done(n) : notYet(n);
      },
      { what: `no ${process} left in ${pod}`, timeoutMs: 20_000, intervalMs: 1000, signal: ctx.signal },
    ).catch((err: unknown) => {
      if (err instanceof WaitTimeoutError) return Number(err.lastObserved);
      throw err;
    });
  }
  const left = Object.entries(survivors).filter(([, n]) => n > 0);
  ctx.record.check({
    name: 'load-stopped',
    expected: `no ${process} process left in ${run.pods.join(', ')}`,
    observed: left.length ? `still running: ${left.map(([pod, n]) => `${pod} ×${n}`).join(', ')}` : 'none left (checked in /proc of each pod)',
    passed: left.length === 0,
    evidence: { survivors },
  });
}

/** Scale-in: back to where it was before the load within the bound once the load stopped. */
export async function verifyScaleIn(ctx: Ctx): Promise<void> {
  const { params: p, state: s } = ctx;
  const from = ctx.results.get(LOAD)?.stoppedAt ?? Date.now();
  // Back to where it was before the load: minReplicas for the fixture; a user's workload may sit
  // above its minimum for load of its own, which the run did not add and cannot take away.
  const back = s.baselineReplicas;
  const expected = `back to ${back} replica(s) (before the load${back === s.minReplicas ? ', minReplicas' : `; minReplicas ${s.minReplicas}`}) or fewer within ${formatDuration(p.scaleInWithin)} of the load stopping`;
  let settled: number;
  try {
    settled = await backToBaseline(ctx, `${s.target} back to ${back} replica(s)`, ctx.signal);
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    ctx.record.check({ name: 'scale-in', expected, observed: `still ${String(err.lastObserved)}`, passed: false });
    return;
  }
  ctx.record.check({ name: 'scale-in', expected, observed: `at ${back} or fewer after ${formatDuration(settled - from)}`, passed: true });
  ctx.record.metric('scaleIn', 'ms', settled - from, { target: `${s.kind} ${p.namespace}/${s.target}`, description: 'load stopped → back at the replicas before the load' });
  ctx.record.measurement({ name: 'time to settle', value: Math.round((settled - from) / 100) / 10, unit: 's', description: 'load stopped → back at the replicas before the load' });
}
