import type { AnyExperiment, Step } from '../engine/experiment.ts';
import { windowOf } from '../engine/observers.ts';
import { declaresPermissions, experimentPermissions, formatPermission } from '../cluster/permissions.ts';
import { displayParams } from '../engine/params.ts';
import { runLabels } from '../engine/run-id.ts';

export interface Plan {
  experiment: string;
  hypothesis: string;
  runId: string;
  parameters: Record<string, unknown>;
  labels: Record<string, string>;
  phases: { phase: string; steps: { kind: string; name: string; description: string }[] }[];
  rollback: string;
  /** The API permissions its parts declare (RBAC rules), or undefined when none of its parts declares any. */
  permissions?: string[];
}

/** What a run would do, from the definition alone: no cluster is contacted. */
export function planOf(def: AnyExperiment, params: Record<string, unknown>, runId: string): Plan {
  const steps = (list: readonly Step<unknown, unknown>[] | undefined) =>
    (list ?? []).map((s) => ({ kind: s.kind, name: s.name, description: s.describe(params) }));
  // Observers are listed where they start, saying until when they run.
  const observers = (phase: string) =>
    (def.observe ?? [])
      .filter((o) => windowOf(o).from === phase)
      .map((o) => ({ kind: 'observer', name: o.name, description: `${o.describe(params)} (${windowOf(o).from === windowOf(o).until ? `during ${phase}` : `until the end of ${windowOf(o).until}`})` }));
  const phases = [
    { phase: 'preflight', steps: steps(def.preflight) },
    { phase: 'setup', steps: steps(def.setup) },
    { phase: 'steady-state-before', steps: [...observers('steady-state-before'), ...steps(def.steadyState)] },
    { phase: 'inject', steps: [...observers('inject'), ...steps(def.method)] },
    { phase: 'verify', steps: [...observers('verify'), ...steps(def.verify)] },
    { phase: 'teardown', steps: steps(def.teardown) },
  ].filter((p) => p.steps.length > 0);
  const shown = displayParams(def.params, params);
  return {
    experiment: def.name,
    hypothesis: def.hypothesis,
    runId,
    parameters: shown,
    labels: runLabels(runId, def.name),
    phases,
    rollback: 'always, in reverse order: after a pass, a finding, an error, the deadline, SIGINT or SIGTERM',
    ...(declaresPermissions(def) ? { permissions: experimentPermissions(def, params).map(formatPermission) } : {}),
  };
}

export function renderPlan(plan: Plan): string {
  const lines = [
    `Plan for ${plan.experiment} (dry run: nothing is touched; run id would be ${plan.runId})`,
    `  hypothesis: ${plan.hypothesis}`,
    `  parameters: ${Object.entries(plan.parameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`,
    `  labels on every created object: ${Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`).join(', ')}`,
  ];
  plan.phases.forEach((p, i) => {
    lines.push(`  ${i + 1}. ${p.phase}`);
    for (const s of p.steps) lines.push(`     - [${s.kind}] ${s.name}: ${s.description}`);
  });
  lines.push(`  rollback: ${plan.rollback}`);
  if (plan.permissions) lines.push('  API permissions it needs (declared by its parts):', ...plan.permissions.map((p) => `     - ${p}`));
  return lines.join('\n') + '\n';
}
