// The API permissions each part of hpa-cpu needs with the run's parameters (RBAC's verbs on
// resources): what a run may do, and what `shakedown rbac` grants it.
import { faults, fixtures, type Permission, type Verb } from '../../harness/index.ts';
import { manifestValues, manifests } from './meta.ts';
import type { Params } from './params.ts';

const can = (group: string, resource: string, ...verbs: Verb[]): Permission => ({ group, resource, verbs });

/** The HPA read for its status. */
const HPA = can('autoscaling', 'horizontalpodautoscalers', 'get');
/** The target's pods listed by its selector. */
const PODS = can('', 'pods', 'list');

export const needs = {
  /** Nodes listed through the metrics API (cluster-scoped). */
  metricsApi: (): Permission[] => [{ ...can('metrics.k8s.io', 'nodes', 'list'), cluster: true }],
  /** A user's Deployment or StatefulSet read, and the HPAs of its namespace listed; the fixture needs nothing yet. */
  selectTarget: (p: Params): Permission[] =>
    p.target ? [can('apps', p.targetKind === 'Deployment' ? 'deployments' : 'statefulsets', 'get'), can('autoscaling', 'horizontalpodautoscalers', 'list')] : [],
  /** The fixture's Deployment and HPA applied, and swept by label in teardown. */
  deployFixture: (p: Params): Permission[] => (p.target ? [] : fixtures.permissions(fixtures.load(manifests, manifestValues(p)))),
  /** The HPA and the target's pods read until it reads CPU for Ready pods. */
  baseline: (): Permission[] => [HPA, PODS],
  /** At every sync: the HPA, the pods, and their metrics. */
  sampler: (): Permission[] => [HPA, PODS, can('metrics.k8s.io', 'pods', 'list')],
  /** Ready pods listed, load started by exec (its kill the undo); rollback waits on the HPA. */
  startLoad: (): Permission[] => [PODS, HPA, ...faults.cpuLoad.permissions()],
  /** Load killed and counted by exec. */
  stopLoad: (): Permission[] => faults.cpuLoad.permissions(),
  /** The HPA read until it is back. */
  scaleIn: (): Permission[] => [HPA],
};
