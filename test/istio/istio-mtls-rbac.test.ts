// Least privilege of istio-mtls (the runner is test/e2e/rbac-cases.ts; here because it needs the
// mesh): it passes as the ServiceAccount `shakedown rbac` printed, changing a user's own
// PeerAuthentication and putting it back; with the writes on peerauthentications taken away it
// stops in the access preflight, the policy untouched and no new one created.
import { leastPrivilege, podUids } from '../e2e/rbac-cases.ts';
import { IMAGE } from '../e2e/helpers.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { clients } from '../clients.ts';

const PA = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' } as const;
/**
 * The out-of-mesh client's namespace. The test creates it, as a user applying the printed RBAC
 * must: the Role the run needs there can only be applied to a namespace that exists (an existing
 * one the run uses as it is).
 */
const outsideOf = (ns: string) => ns.replace('sd-e2e-rbac-', 'sd-e2e-rbac-out-');

/** What a run would leave in a namespace while it runs: pods (its clients, the fixture's server), Services. */
async function contents(s: ClusterSession, ns: string): Promise<string> {
  const pods = await podUids(s, ns);
  const services = (await clients(s).core.listNamespacedService({ namespace: ns })).items.map((x) => x.metadata?.name);
  return [...pods, ...services.map((x) => `Service ${x}`)].join(', ') || 'none';
}

leastPrivilege(
  'istio: least privilege of istio-mtls (shakedown rbac, the access preflight)',
  [
    {
      experiment: 'istio-mtls',
      // The policy change is the fault: without write on PeerAuthentications there is no experiment.
      takeAway: { group: PA.group, resource: PA.plural, verbs: ['create', 'update', 'delete'] },
      missingLine: (ns) => `create, update, delete security.istio.io/peerauthentications in namespace ${ns}`,
      async workload(s, ns, labels) {
        // An injected namespace with a policy of the user's own, PERMISSIVE: the run replaces it with STRICT and puts it back.
        await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels: { ...labels, 'istio-injection': 'enabled' } } } });
        await clients(s).custom.createNamespacedCustomObject({ ...PA, namespace: ns, body: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', labels: { owner: 'shop' } }, spec: { mtls: { mode: 'PERMISSIVE' } } } });
        await clients(s).core.createNamespace({ body: { metadata: { name: outsideOf(ns), labels: { ...labels, 'istio-injection': 'disabled' } } } });
        return ['--set', `image=${IMAGE}`, '--set', `outsideNamespace=${outsideOf(ns)}`, '--set', 'nodePort=32190'];
      },
      // The user's policy at its resourceVersion and no other; neither namespace holds anything of a run.
      async untouched(s, ns) {
        const items = ((await clients(s).custom.listNamespacedCustomObject({ ...PA, namespace: ns })) as { items: { metadata: { name: string; resourceVersion: string } }[] }).items;
        const policies = items.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`).sort();
        return { policies, [ns]: await contents(s, ns), [outsideOf(ns)]: await contents(s, outsideOf(ns)) };
      },
    },
  ],
  {
    async needs(s) {
      const istiod = await clients(s).apps.readNamespacedDeployment({ name: 'istiod', namespace: 'istio-system' }).catch(() => undefined);
      if (!istiod?.status?.readyReplicas) throw new Error('istiod is not Ready in istio-system: this tier needs the Istio layer (npm run cluster:istio)');
    },
  },
);
