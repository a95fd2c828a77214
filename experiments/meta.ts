// Every experiment's name, parameters and manifests, without its steps: what `validate` (and
// `run`'s checks before anything starts) need. Loads zod and the parameter schemas, never the
// Kubernetes client. `list` needs less still: catalog.json (see catalog.ts).
import type { ParamsSchema } from '../harness/engine/params.ts';
import { meta as hpaCpu } from './hpa-cpu/meta.ts';
import { meta as istioMtls } from './istio-mtls/meta.ts';
import { meta as statefulsetIdentity } from './statefulset-identity/meta.ts';

/** What an experiment is without its steps. */
export interface ExperimentMeta {
  name: string;
  description: string;
  hypothesis: string;
  params: ParamsSchema;
  manifests: string[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  manifestValues(params: any): Record<string, unknown>;
}

/** In the order `list` and `run --all` use (the same as experiments/index.ts). */
export const metas: readonly ExperimentMeta[] = [statefulsetIdentity, hpaCpu, istioMtls] as ExperimentMeta[];
