// Least privilege of the built-ins that need no mesh (the runner is rbac-cases.ts; istio-mtls's
// case is in the istio tier): each passes as the ServiceAccount `shakedown rbac` printed, and
// with one rule it really uses taken away stops in the access preflight, touching nothing.
import { leastPrivilege, podUids, type Case } from './rbac-cases.ts';
import { IMAGE, deployUserStatefulSet, loadProcesses } from './helpers.ts';
import { clients } from '../clients.ts';

/** Delete on pods: the pod-killing experiments' fault. */
const DELETE_PODS = { takeAway: { resource: 'pods', verbs: ['delete' as const] }, missingLine: (ns: string) => `delete pods in namespace ${ns}` };

const CASES: Case[] = [
  {
    experiment: 'pod-delete',
    ...DELETE_PODS,
    async workload(s, ns, labels) {
      await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
      const template = {
        metadata: { labels: { app: 'web', ...labels } },
        spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'web', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
      };
      await clients(s).apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'web', labels }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } } });
      return ['--set', 'workload=deployment/web'];
    },
    untouched: async (s, ns) => ({ pods: await podUids(s, ns) }),
  },
  {
    experiment: 'statefulset-identity',
    ...DELETE_PODS,
    async workload(s, ns, labels) {
      await deployUserStatefulSet(s, ns, 'ledger', 'pvc', labels);
      return ['--set', 'statefulset=ledger', '--set', 'ordinals=[0]'];
    },
    untouched: async (s, ns) => ({ pods: await podUids(s, ns) }),
  },
  {
    // The load is started, killed and counted by exec: without it no load can run.
    experiment: 'hpa-cpu',
    takeAway: { resource: 'pods/exec', verbs: ['get', 'create'] },
    missingLine: (ns) => `get, create pods/exec in namespace ${ns}`,
    async workload(s, ns, labels) {
      // A user's Deployment at one replica with a CPU request, and its HPA (the smallest the experiment runs on).
      await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
      const container = { name: 'web', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '200m' } } };
      await clients(s).apps.createNamespacedDeployment({
        namespace: ns,
        body: { metadata: { name: 'cpu', labels }, spec: { replicas: 1, selector: { matchLabels: { app: 'cpu' } }, template: { metadata: { labels: { app: 'cpu', ...labels } }, spec: { terminationGracePeriodSeconds: 5, containers: [container] } } } },
      });
      await clients(s).autoscaling.createNamespacedHorizontalPodAutoscaler({
        namespace: ns,
        body: {
          metadata: { name: 'cpu', labels },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cpu' },
            minReplicas: 1,
            maxReplicas: 4,
            metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
            behavior: { scaleDown: { stabilizationWindowSeconds: 15 } },
          },
        },
      });
      // Bounds only (the run moves on as soon as each is met): the scale-in one at least the HPA's window + 60s.
      return ['--set', 'target=cpu', '--set', 'sampleEvery=5s', '--set', 'loadFor=150s', '--set', 'scaleInWithin=150s'];
    },
    // The target's pods keep their UIDs and run no load process; the HPA asks for what it did and
    // has not scaled since (a load that ran and stopped would leave the replicas as they were, not these).
    async untouched(s, ns) {
      const pods = await podUids(s, ns, 'app=cpu');
      const load = await Promise.all(pods.map(async (p) => `${p.split('=')[0]}: ${await loadProcesses(s, ns, p.split('=')[0]!)} sha256sum`));
      const hpa = await clients(s).autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'cpu', namespace: ns });
      const deployment = await clients(s).apps.readNamespacedDeployment({ name: 'cpu', namespace: ns });
      return { pods, load, desiredReplicas: hpa.status?.desiredReplicas, lastScaleTime: hpa.status?.lastScaleTime?.toISOString(), deploymentGeneration: deployment.metadata?.generation };
    },
  },
];

leastPrivilege('e2e: least privilege (shakedown rbac, the access preflight)', CASES);
