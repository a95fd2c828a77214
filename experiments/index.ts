import type { AnyExperiment } from '../harness/engine/experiment.ts';
import hpaCpu from './hpa-cpu/experiment.ts';
import istioMtls from './istio-mtls/experiment.ts';
import podDelete from './pod-delete/experiment.ts';
import statefulsetIdentity from './statefulset-identity/experiment.ts';

/** Every experiment shakedown knows, in the order `list` and `run --all` use. */
export const experiments: readonly AnyExperiment[] = [statefulsetIdentity, hpaCpu, istioMtls, podDelete] as AnyExperiment[];

export function findExperiment(name: string): AnyExperiment | undefined {
  return experiments.find((e) => e.name === name);
}
