// The API permissions each part of statefulset-identity needs with the run's parameters (RBAC's
// verbs on resources): what a run may do, and what `shakedown rbac` grants it. The pod watch
// (target.watchPods) declares its own.
import { load, type Permission, type Verb } from '../../harness/index.ts';
import type { Params } from './params.ts';

const can = (group: string, resource: string, ...verbs: Verb[]): Permission => ({ group, resource, verbs });

/** Reading a pod's identity from the API and from inside it: the pod, its claims, `hostname` by exec. */
// Exec over WebSocket: `get` on pods/exec, and `create` where the API server authorizes the upgrade too.
const EXEC = can('', 'pods/exec', 'get', 'create');
const IDENTITY = [can('', 'pods', 'get'), can('', 'persistentvolumeclaims', 'get'), EXEC];
/** A StatefulSet and its pods read until every replica is Ready. */
const READY = [can('apps', 'statefulsets', 'get'), can('', 'pods', 'list')];
/** Replicas changed through the scale subresource. */
const SCALE = [can('apps', 'statefulsets/scale', 'get', 'update')];

export const needs = {
  /** A user's StatefulSet and its headless Service read, or the fixture's StorageClass. */
  selectTarget: (p: Params): Permission[] =>
    p.statefulset ? [can('apps', 'statefulsets', 'get'), can('', 'services', 'get')] : [{ ...can('storage.k8s.io', 'storageclasses', 'get'), cluster: true }],
  statefulSetReady: (): Permission[] => READY,
  /** Identity and DNS (nslookup by exec). */
  recordIdentity: (): Permission[] => IDENTITY,
  /** Tokens written, and removed on rollback, by exec. */
  writeTokens: (): Permission[] => [EXEC],
  /** The fixture's client Service read for its port (a loadUrl needs nothing); the load workers' Job with loadWorkers > 1. */
  startLoad: (p: Params): Permission[] => [...(p.load !== 'off' && !p.loadUrl ? [can('', 'services', 'get')] : []), ...load.permissions(p)],
  /** Pods deleted and read back; the replicas' undo sets them back and waits until Ready. */
  deletePods: (): Permission[] => [can('', 'pods', 'delete'), ...IDENTITY, ...SCALE, ...READY],
  /** Scaled down and up; the claims read in between; the pod read back. */
  rescale: (p: Params): Permission[] => (p.rescale ? [...SCALE, ...IDENTITY] : []),
};
