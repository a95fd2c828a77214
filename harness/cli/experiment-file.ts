// A user's experiment file on the command line (`shakedown run ./checkout.ts`): loaded, and
// checked to be an experiment, before anything else happens; every failure is bad input naming
// the file and the cause.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, describeError } from '../engine/errors.ts';
import { OBSERVE_WINDOWS, type AnyExperiment } from '../engine/experiment.ts';

const EXTENSIONS = /\.(ts|mts|js|mjs)$/;

/** Whether a command-line argument names a file rather than a built-in experiment. */
export const isExperimentFile = (arg: string): boolean => arg.includes('/') || arg.includes('\\') || EXTENSIONS.test(arg);

/** Imports the file and returns its default export once it is an experiment; else a UsageError naming the file. */
export async function loadExperimentFile(arg: string): Promise<AnyExperiment> {
  const path = resolve(arg);
  const fail = (why: string, cause?: unknown) => new UsageError(`experiment file ${arg}: ${why}`, { field: arg, cause });
  if (!existsSync(path)) throw fail('no such file');
  if (!statSync(path).isFile()) throw fail('is not a file');
  if (!EXTENSIONS.test(path)) throw fail('must be .ts, .mts, .js or .mjs');
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw fail(`could not be loaded: ${describeError(err)}`, err);
  }
  if (mod.default === undefined) throw fail('has no default export (end it with `export default defineExperiment({ ... })`)');
  const problem = experimentProblem(mod.default);
  if (problem) throw fail(`its default export is not an experiment: ${problem}`);
  return mod.default as AnyExperiment;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PHASES = ['preflight', 'setup', 'steadyState', 'method', 'verify', 'teardown'] as const;

/** What is wrong with a value meant to be an experiment definition, or undefined. */
export function experimentProblem(def: unknown): string | undefined {
  if (typeof def !== 'object' || def === null) return `found ${def === null ? 'null' : typeof def}, not defineExperiment({ ... })`;
  const d = def as Record<string, unknown>;
  if (typeof d['name'] !== 'string' || !NAME.test(d['name']) || d['name'].length > 63) return '"name" must be a lowercase name like checkout-survives-pod-loss (a-z, 0-9, "-")';
  for (const k of ['description', 'hypothesis'] as const) if (typeof d[k] !== 'string' || d[k] === '') return `"${k}" must be a sentence`;
  const params = d['params'] as { safeParse?: unknown; shape?: unknown } | undefined;
  if (typeof params?.safeParse !== 'function' || typeof params.shape !== 'object') return '"params" must be a zod object schema (z.object({ ... }) from shakedown\'s `z`)';
  if (typeof d['initialState'] !== 'function') return '"initialState" must be a function returning the run\'s state';
  for (const phase of PHASES) {
    const steps = d[phase];
    if (steps === undefined && (phase === 'setup' || phase === 'teardown')) continue;
    if (!Array.isArray(steps)) return `"${phase}" must be a list of steps`;
    for (const [i, s] of steps.entries()) {
      const st = s as Record<string, unknown> | null;
      if (typeof st?.['name'] !== 'string' || typeof st['run'] !== 'function' || typeof st['describe'] !== 'function' || typeof st['kind'] !== 'string') {
        return `${phase}[${i}] is not a step (a name, a kind, describe() and run(); build it with step(...))`;
      }
    }
  }
  if (d['observe'] !== undefined && (!Array.isArray(d['observe']) || d['observe'].some((o: unknown) => typeof (o as { start?: unknown } | null)?.start !== 'function'))) {
    return '"observe" must be a list of observers (a name, describe() and start())';
  }
  for (const [i, o] of ((d['observe'] ?? []) as { during?: unknown }[]).entries()) {
    if (o.during !== undefined && !OBSERVE_WINDOWS.includes(o.during as never)) return `observe[${i}].during is ${JSON.stringify(o.during)}; it must be one of ${OBSERVE_WINDOWS.join(', ')}`;
  }
  const checks = [...(d['verify'] as unknown[]), ...(d['steadyState'] as unknown[])];
  if (checks.length === 0) return 'it has no steady-state or verify step, so it could never record a check';
  return undefined;
}
