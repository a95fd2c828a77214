// `run --baseline`: the baseline is read and matched to every selected experiment before the
// cluster is touched (bad input otherwise, naming what differs); after each run its metrics are
// compared and the comparison joins the verdict and the reports.
import type { CompareOptions } from '../compare/compare.ts';
import { describeError } from '../engine/errors.ts';
import type { ParamsSchema } from '../engine/params.ts';
import { decideVerdict } from '../engine/verdict.ts';
import type { Journal, Verdict } from '../journal/schema.ts';

export interface RunBaseline {
  /** Compares the finished run, adds the comparison to its journal, and returns its verdict with it. */
  apply(journal: Journal, source: string): Verdict | undefined;
}

export async function prepareBaseline(
  path: string,
  options: CompareOptions & { last?: number },
  checked: readonly { def: { name: string; params: ParamsSchema }; params: Record<string, unknown> }[],
  displayParams: (schema: ParamsSchema, params: Record<string, unknown>) => Record<string, unknown>,
): Promise<RunBaseline> {
  const [{ openBaseline, checkBaselineFor, compareWith }, { applyComparison }] = await Promise.all([import('../compare/inputs.ts'), import('../compare/baseline.ts')]);
  const baseline = await openBaseline(path);
  // JSON round trip: the parameters as the journal will hold them.
  for (const { def, params } of checked) checkBaselineFor(baseline, def.name, JSON.parse(JSON.stringify(displayParams(def.params, params))) as Record<string, unknown>, options.last);
  return {
    apply(journal, source) {
      try {
        return applyComparison(journal, compareWith(baseline, { source, journal }, options));
      } catch (err) {
        // Found only after the run (a metric about another target, in another unit): the run
        // keeps its reports, and the comparison it could not make is an error, never a pass.
        const at = journal.endedAt ?? new Date().toISOString();
        journal.checks.push({ name: 'baseline-comparison', phase: 'verify', status: 'error', expected: `the run compares with the baseline ${path}`, observed: describeError(err), evidence: {}, at });
        const v = journal.verdict;
        if (v && (v.kind === 'passed' || v.kind === 'failed')) journal.verdict = decideVerdict({ checks: journal.checks, rollbackFailures: [] });
        return journal.verdict;
      }
    },
  };
}
