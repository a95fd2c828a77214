// The tests check what is on the cluster with client-node's own generated clients, not with the
// harness's thin API layer (harness/cluster/session.ts) they are testing.
import * as k8s from '@kubernetes/client-node';
import type { ClusterSession } from '../harness/cluster/session.ts';

export interface Clients {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  autoscaling: k8s.AutoscalingV2Api;
  storage: k8s.StorageV1Api;
  custom: k8s.CustomObjectsApi;
  coordination: k8s.CoordinationV1Api;
  discovery: k8s.DiscoveryV1Api;
  objects: k8s.KubernetesObjectApi;
}

const made = new WeakMap<ClusterSession, Clients>();

/** client-node's clients for the session's kubeconfig and context, made once per session. */
export function clients(s: ClusterSession): Clients {
  let c = made.get(s);
  if (!c) {
    const kc = s.kubeConfig;
    c = {
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      autoscaling: kc.makeApiClient(k8s.AutoscalingV2Api),
      storage: kc.makeApiClient(k8s.StorageV1Api),
      custom: kc.makeApiClient(k8s.CustomObjectsApi),
      coordination: kc.makeApiClient(k8s.CoordinationV1Api),
      discovery: kc.makeApiClient(k8s.DiscoveryV1Api),
      objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    };
    made.set(s, c);
  }
  return c;
}
