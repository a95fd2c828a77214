// Every experiment's name, parameters and manifests, without its steps: what `validate` (and
// `run`'s checks before anything starts) need. Loads zod and the parameter schemas, never the
// Kubernetes client. `list` needs less still: catalog.json (see catalog.ts).
import type { AnyExperiment } from '../harness/engine/experiment.ts';
import type { ParamsSchema } from '../harness/engine/params.ts';
import { meta as hpaCpu } from './hpa-cpu/meta.ts';
import { meta as istioMtls } from './istio-mtls/meta.ts';
import { meta as podDelete } from './pod-delete/meta.ts';
import { meta as statefulsetIdentity } from './statefulset-identity/meta.ts';

/** What an experiment is without its steps. */
export interface ExperimentMeta {
  name: string;
  description: string;
  hypothesis: string;
  params: ParamsSchema;
  manifests?: string[] | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  manifestValues?(params: any): Record<string, unknown>;
}

/** In the order `list` and `run --all` use (the same as experiments/index.ts). */
export const metas: readonly ExperimentMeta[] = [statefulsetIdentity, hpaCpu, istioMtls, podDelete] as ExperimentMeta[];

const steps: Record<string, () => Promise<{ default: unknown }>> = {
  'statefulset-identity': () => import('./statefulset-identity/experiment.ts'),
  'hpa-cpu': () => import('./hpa-cpu/experiment.ts'),
  'istio-mtls': () => import('./istio-mtls/experiment.ts'),
  'pod-delete': () => import('./pod-delete/experiment.ts'),
};

/**
 * The whole experiment (its steps, and with them the Kubernetes client), loaded for `run`: only
 * the experiments being run, so a statefulset-identity run does not carry istio-mtls' modules.
 */
export async function loadExperiment(name: string): Promise<AnyExperiment> {
  const load = steps[name];
  if (!load) throw new Error(`no experiment "${name}"`);
  return (await load()).default as AnyExperiment;
}
