// Judges a continuous probe's samples per window: the share of failed attempts sent in the
// window's phases against a limit. No sample in the window is not a pass: the check errors.
import type { ClusterContext, ClusterStep } from '../cluster/context.ts';
import { recorded } from '../target/select.ts';
import { step, type CheckInput, type ObserveWindow } from '../engine/experiment.ts';
import type { Phase } from '../journal/schema.ts';
import type { ContinuousProbe, ProbeSample } from '../probes/continuous.ts';

type Of<P, T> = (params: P) => T;

/** The phases each window covers. */
export const WINDOW_PHASES: Record<ObserveWindow, readonly Phase[]> = {
  steady: ['steady-state-before'],
  fault: ['inject'],
  recovery: ['verify'],
  always: ['steady-state-before', 'inject', 'verify'],
};

const pct = (x: number) => `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;

/** The pure judgement: samples of `window`, at most `maxFailureRatio` (0–1) of them failed. */
export function judgeProbe(name: string, samples: readonly ProbeSample[], window: ObserveWindow, maxFailureRatio: number): CheckInput {
  const inWindow = samples.filter((s) => WINDOW_PHASES[window].includes(s.phase));
  const failed = inWindow.filter((s) => !s.ok);
  const expected = maxFailureRatio === 0 ? `every attempt during ${window} served` : `at most ${pct(maxFailureRatio)} of attempts during ${window} failed`;
  const check = { name: `${name}-during-${window}`, expected };
  if (inWindow.length === 0) return { ...check, observed: `no attempt was sent during ${window} (${samples.length} in other phases)`, passed: 'error' };
  // The failures by what was seen, most frequent first: "HTTP 503: no endpoints available … ×3".
  const byDetail = new Map<string, number>();
  for (const s of failed) byDetail.set(s.detail, (byDetail.get(s.detail) ?? 0) + 1);
  const worst = [...byDetail].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([d, n]) => `${d} ×${n}`);
  const ratio = failed.length / inWindow.length;
  return {
    ...check,
    observed: `${inWindow.length - failed.length}/${inWindow.length} served (${pct(ratio)} failed)${worst.length ? `: ${worst.join('; ')}` : ''}`,
    passed: ratio <= maxFailureRatio,
    evidence: { attempts: inWindow.length, failed: failed.length, firstFailure: failed[0]?.at, lastFailure: failed.at(-1)?.at },
  };
}

/**
 * Verify step: judges `probe`'s samples of `window`. Samples of a window still running (recovery,
 * always) are those sent before this check: put it last in verify.
 */
export function probeHeld<P, S>(probe: ContinuousProbe<P, S>, window: ObserveWindow, maxFailureRatio: Of<P, number>): ClusterStep<P, S> {
  return step('check', `${probe.name}-during-${window}`, (p: P) => !probe.enabled(p) ? `skipped (${probe.name} is off)` : `${probe.name}: at most ${pct(maxFailureRatio(p))} of attempts during ${window} failed`, (ctx: ClusterContext<P, S>) => {
    if (!probe.enabled(ctx.params)) return Promise.resolve();
    const samples = recorded(ctx.results.get(probe.samples), `the samples of probe ${probe.name}`, `observer ${probe.name} (in "observe")`);
    ctx.record.check(judgeProbe(probe.name, samples, window, maxFailureRatio(ctx.params)));
    return Promise.resolve();
  }, () => []);
}
