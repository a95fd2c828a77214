// The API permissions each part of istio-mtls needs with the run's parameters (RBAC's verbs on
// resources): what a run may do, and what `shakedown rbac` grants it. The fixture's own
// (namespaces, each applied kind, the teardown's sweep) come from fixtures.permissions.
import type { Permission, Verb } from '../../harness/index.ts';
import { DR_API, PA_API } from './mesh.ts';
import type { Params } from './params.ts';

const can = (group: string, resource: string, ...verbs: Verb[]): Permission => ({ group, resource, verbs });
const inNamespace = (namespace: string, p: Permission): Permission => ({ ...p, namespace });
const clusterWide = (p: Permission): Permission => ({ ...p, cluster: true });

/** Where the policy the run sets lives: Istio's root namespace for mesh scope, else the target's. */
const policyNamespace = (p: Params) => (p.scope === 'mesh' ? p.istioNamespace : p.namespace);

/** Every policy that decides the port, read whole: PeerAuthentications in the root and target namespaces, TLS DestinationRules anywhere. */
const READ_POLICIES = (p: Params): Permission[] => [
  inNamespace(p.istioNamespace, can(PA_API.group, PA_API.plural, 'list', 'get')),
  inNamespace(p.namespace, can(PA_API.group, PA_API.plural, 'list', 'get')),
  clusterWide(can(DR_API.group, DR_API.plural, 'list')),
  can(DR_API.group, DR_API.plural, 'get'),
];
/** The probes run `wget` in the two client pods. */
const PROBE = (p: Params): Permission[] => [inNamespace(p.namespace, can('', 'pods/exec', 'get', 'create')), inNamespace(p.outsideNamespace, can('', 'pods/exec', 'get', 'create'))];
/** The policy changed (replaced, or created) and its undo (put back, created again, or deleted). */
const CHANGE_POLICY = (p: Params): Permission[] => [inNamespace(policyNamespace(p), can(PA_API.group, PA_API.plural, 'get', 'create', 'update', 'delete'))];

export const needs = {
  /** The PeerAuthentication API served (listed across namespaces), istiod's Deployment read. */
  istioInstalled: (p: Params): Permission[] => [clusterWide(can(PA_API.group, PA_API.plural, 'list')), inNamespace(p.istioNamespace, can('apps', 'deployments', 'get'))],
  /** Both namespaces read; a user's Service and its pods read, or every Service listed for the fixture's NodePort. */
  selectTarget: (p: Params): Permission[] => [
    clusterWide(can('', 'namespaces', 'get')),
    ...(p.service === undefined ? [clusterWide(can('', 'services', 'list'))] : [inNamespace(p.namespace, can('', 'services', 'get')), inNamespace(p.namespace, can('', 'pods', 'list'))]),
  ],
  /** The clients' (and the fixture's) pods listed until Ready. */
  deploy: (p: Params): Permission[] => [inNamespace(p.namespace, can('', 'pods', 'list')), inNamespace(p.outsideNamespace, can('', 'pods', 'list'))],
  /** The fixture's pods listed for their labels, and the policies read. */
  recordPolicies: (p: Params): Permission[] => [inNamespace(p.namespace, can('', 'pods', 'list')), ...READ_POLICIES(p)],
  baseline: PROBE,
  /** The policy changed, the probes, and the policies read again when a mode does not hold. */
  applyMode: (p: Params): Permission[] => [...CHANGE_POLICY(p), ...PROBE(p), ...READ_POLICIES(p)],
  /** The policy put back now, and every recorded one read again to compare. */
  restoreAndCompare: (p: Params): Permission[] => [...CHANGE_POLICY(p), ...READ_POLICIES(p)],
};
