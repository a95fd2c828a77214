// Proves the local test cluster (test/cluster/up.sh) is a real Kubernetes
// control plane: real apiserver semantics (SSA conflicts, watches) and real
// controllers (StatefulSet, ReplicaSet/Deployment, HPA, scheduler, namespace).
// Its pods are pinned to a node that does not exist, so they stay Pending whether or not the
// local cluster has a node (test/cluster/node): this file tests the control plane alone.
import './hooks.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { pinned } from '../cluster/versions.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { waitFor } from './wait.ts';

const KUBECONFIG = process.env.SHAKEDOWN_TEST_KUBECONFIG;
const CONTEXT = 'shakedown-local';
/** A nodeSelector no node matches. */
const NO_NODE = { 'shakedown.io/no-such-node': 'true' };

/** K8S_VERSION pinned in test/cluster/versions.env (what the build stamps). */
const pinnedK8sVersion = (): string => pinned('K8S_VERSION');

describe('local control plane (test/cluster)', function () {
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const ns = `shakedown-it-${runId}`;
  const labels = { 'shakedown.io/run-id': runId };

  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api | undefined;
  let apps: k8s.AppsV1Api;
  let autoscaling: k8s.AutoscalingV2Api;
  let objects: k8s.KubernetesObjectApi;

  before(async function () {
    if (!KUBECONFIG) {
      console.warn('[integration] SHAKEDOWN_TEST_KUBECONFIG is not set; skipping (run test/cluster/up.sh and set it to the output of test/cluster/kubeconfig.sh)');
      this.skip();
    }
    kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    // Refuse to run against anything but the throwaway local cluster.
    assert.equal(kc.getCurrentContext(), CONTEXT, `kubeconfig ${KUBECONFIG} must select context ${CONTEXT}`);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await core.createNamespace({ body: { metadata: { name: ns, labels } } });
  });

  after(async function () {
    const api = core;
    if (!api) return; // skipped before anything was created
    this.timeout(120_000);
    await deleteNamespaceAndWait(api, ns, 90_000);
  });

  it('serves the pinned Kubernetes version', async function () {
    const info = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(info.gitVersion, pinnedK8sVersion());
  });

  describe('StatefulSet with volumeClaimTemplates', function () {
    const name = 'web';
    const replicas = 3;
    const seenAdded = new Set<string>();
    let watchAbort: AbortController | undefined;
    let watchError: unknown;

    before(async function () {
      // Watch first, so the pods the controller creates arrive as ADDED events.
      watchAbort = await new k8s.Watch(kc).watch(
        `/api/v1/namespaces/${ns}/pods`,
        {},
        (phase, obj: k8s.V1Pod) => {
          if (phase === 'ADDED' && obj.metadata?.name) seenAdded.add(obj.metadata.name);
        },
        (err) => {
          if (err && !(err instanceof Error && err.name === 'AbortError')) watchError = err;
        },
      );
      await core!.createNamespacedService({
        namespace: ns,
        body: {
          metadata: { name, labels },
          spec: { clusterIP: 'None', selector: { app: name }, ports: [{ name: 'http', port: 80 }] },
        },
      });
      await apps.createNamespacedStatefulSet({
        namespace: ns,
        body: {
          metadata: { name, labels },
          spec: {
            serviceName: name,
            replicas,
            // Parallel: OrderedReady would stop at web-0, which never becomes
            // Ready (it is never scheduled).
            podManagementPolicy: 'Parallel',
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name, ...labels } },
              spec: {
                nodeSelector: NO_NODE,
                containers: [
                  {
                    name: 'app',
                    image: 'registry.k8s.io/pause:3.10', // never pulled: never scheduled
                    volumeMounts: [{ name: 'data', mountPath: '/data' }],
                  },
                ],
              },
            },
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } },
              },
            ],
          },
        },
      });
    });

    after(function () {
      watchAbort?.abort();
    });

    it('creates one PVC per replica (data-web-0/1/2)', async function () {
      const expected = Array.from({ length: replicas }, (_, i) => `data-${name}-${i}`);
      const names = await waitFor(
        async () => {
          const list = await core!.listNamespacedPersistentVolumeClaim({ namespace: ns });
          const have = list.items.map((p) => p.metadata?.name ?? '').sort();
          return expected.every((n) => have.includes(n)) ? have : false;
        },
        { timeoutMs: 60_000, what: `PVCs ${expected.join(', ')} in ${ns}` },
      );
      assert.deepEqual(names, expected);
    });

    it('delivers ADDED watch events for the pods it creates', async function () {
      const expected = Array.from({ length: replicas }, (_, i) => `${name}-${i}`);
      await waitFor(
        () => {
          if (watchError) throw new Error(`watch failed: ${String(watchError)}`);
          return expected.every((n) => seenAdded.has(n));
        },
        { timeoutMs: 60_000, what: `ADDED events for pods ${expected.join(', ')}` },
      );
      assert.equal(watchError, undefined);
    });

    it('leaves its pods Pending and unschedulable (no matching node)', async function () {
      // The scheduler marks the pod Unschedulable: proves it runs and filters nodes.
      const pod = await waitFor(
        async () => {
          const p = await core!.readNamespacedPod({ name: `${name}-0`, namespace: ns });
          const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
          return scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' ? p : false;
        },
        { timeoutMs: 60_000, what: `pod ${name}-0 to be marked Unschedulable by the scheduler` },
      );
      assert.equal(pod.status?.phase, 'Pending');
      assert.equal(pod.spec?.nodeName, undefined);
    });
  });

  it('records the field manager of a server-side apply and enforces ownership', async function () {
    const cm: k8s.V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa-probe', namespace: ns, labels },
      data: { owner: 'shakedown' },
    };
    await objects.patch(cm, undefined, undefined, 'shakedown', true, k8s.PatchStrategy.ServerSideApply);
    const read = await core!.readNamespacedConfigMap({ name: 'ssa-probe', namespace: ns });
    const entry = read.metadata?.managedFields?.find((f) => f.manager === 'shakedown');
    assert.ok(entry, `managedFields lacks manager "shakedown": ${JSON.stringify(read.metadata?.managedFields)}`);
    assert.equal(entry.operation, 'Apply');
    assert.equal(read.data?.owner, 'shakedown');

    // A second manager changing an owned field without force must conflict.
    await assert.rejects(
      objects.patch({ ...cm, data: { owner: 'intruder' } }, undefined, undefined, 'intruder', false, k8s.PatchStrategy.ServerSideApply),
      (err: unknown) => err instanceof k8s.ApiException && err.code === 409,
    );
  });

  it('runs the HPA controller against a Deployment (status written without metrics API)', async function () {
    const name = 'hpa-target';
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name, ...labels } },
            spec: {
              nodeSelector: NO_NODE,
              containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m' } } }],
            },
          },
        },
      },
    });
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      },
    });

    // Deployment -> ReplicaSet -> Pod proves those two controllers.
    await waitFor(
      async () => (await core!.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` })).items.length > 0,
      { timeoutMs: 60_000, what: `a pod of deployment ${name}` },
    );

    // HPA sync period is 15 s (up.sh); no metrics API, so ScalingActive=False.
    const hpa = await waitFor(
      async () => {
        const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: ns });
        const types = (h.status?.conditions ?? []).map((c) => c.type);
        return types.includes('AbleToScale') || types.includes('ScalingActive') ? h : false;
      },
      { timeoutMs: 60_000, what: `HPA ${name} status conditions from the HPA controller` },
    );
    const active = hpa.status?.conditions?.find((c) => c.type === 'ScalingActive');
    if (active) assert.equal(active.status, 'False', `ScalingActive should be False without metrics: ${JSON.stringify(active)}`);
  });
});
