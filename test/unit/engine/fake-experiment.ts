// An experiment made of in-memory steps, to drive the engine without a cluster. It decides
// nothing about any cluster: it only records the order in which the engine called it.
import { z } from 'zod';
import { defineExperiment, step, type Step } from '../../../harness/engine/experiment.ts';

export type CheckScript = boolean | 'error' | 'none';

export interface Script {
  calls: string[];
  /** Each check step records: true (the default) held, false deviated, 'error' could not evaluate, 'none' records nothing. */
  preflightCheck?: CheckScript;
  steadyCheck?: CheckScript;
  verifyCheck?: CheckScript;
  /** A second verify check step (verify-2-check), when set. */
  verifyAlso?: CheckScript;
  injectThrows?: Error;
  /** The fault waits this long without looking at the signal (to prove the engine abandons it). */
  injectHangsMs?: number;
  failingRollback?: boolean;
  onInject?: () => void | Promise<void>;
  /** The fault "changes the cluster" this long after it starts, whether or not the run was aborted (an API call in flight). */
  injectLateChangeMs?: number;
}

export function scripted(s: Script) {
  const log = (what: string) => () => {
    s.calls.push(what);
    return Promise.resolve();
  };
  const checkStep = (phase: string, held: CheckScript = true): Step<unknown, unknown> =>
    step('check', `${phase}-check`, `a ${phase} check`, (ctx) => {
      s.calls.push(`${phase}-check`);
      const observed = held === 'error' ? 'probe broke' : held ? 'held' : 'deviated';
      if (held !== 'none') ctx.record.check({ name: `${phase}-check`, expected: 'held', observed, passed: held });
      return Promise.resolve();
    });
  return defineExperiment({
    name: 'scripted',
    description: 'engine test double',
    hypothesis: 'the engine keeps its phase order',
    params: z.strictObject({ n: z.number().default(1) }),
    manifests: [],
    manifestValues: () => ({}),
    initialState: () => ({}),
    preflight: [checkStep('preflight', s.preflightCheck)],
    setup: [
      step('fixture', 'deploy', 'deploy a fixture', (ctx) => {
        s.calls.push('setup');
        ctx.teardown('remove-fixture', log('cleanup:remove-fixture'));
        return Promise.resolve();
      }),
    ],
    steadyState: [checkStep('steady', s.steadyCheck)],
    method: [
      step('fault', 'fault-a', 'first fault', (ctx) => {
        s.calls.push('inject:a');
        ctx.rollback('undo-a', log('rollback:undo-a'));
        return Promise.resolve();
      }),
      step('fault', 'fault-b', 'second fault', async (ctx) => {
        s.calls.push('inject:b');
        ctx.rollback('undo-b', s.failingRollback ? () => Promise.reject(new Error('API said no')) : log('rollback:undo-b'));
        ctx.rollback('undo-c', log('rollback:undo-c'));
        await s.onInject?.();
        if (s.injectLateChangeMs) {
          await new Promise((r) => setTimeout(r, s.injectLateChangeMs).unref());
          s.calls.push('inject:late-change');
        }
        // unref: the abandoned step must not keep the test process alive.
        if (s.injectHangsMs) await new Promise((r) => setTimeout(r, s.injectHangsMs).unref());
        if (s.injectThrows) throw s.injectThrows;
      }),
    ],
    verify: [checkStep('verify', s.verifyCheck), ...(s.verifyAlso === undefined ? [] : [checkStep('verify-2', s.verifyAlso)])],
  });
}
