// Proves the local test cluster has a real node (test/cluster/node/up.sh):
// containers that really burn CPU (seen by the metrics API), StatefulSet pods
// that come back with their volume and data, cluster DNS for pod FQDNs, and
// an HPA that scales out under load. Traffic goes only to pods started here.
import './hooks.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { pinned } from '../cluster/versions.ts';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { waitFor } from './wait.ts';

const KUBECONFIG = process.env.SHAKEDOWN_TEST_KUBECONFIG;
const CONTEXT = 'shakedown-local';

/** The sample image the node imports (pinned in test/cluster/versions.env). */
const sampleImage = (): string => pinned('SAMPLE_IMAGE');

function isNotFound(err: unknown): boolean {
  return err instanceof k8s.ApiException && err.code === 404;
}

/** CPU quantity ("1002345678n", "998m", "1") in millicores. */
function cpuMillis(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([numk]?)$/.exec(q);
  if (!m) throw new Error(`unparsable CPU quantity ${q}`);
  const v = Number(m[1]);
  switch (m[2]) {
    case 'n': return v / 1e6;
    case 'u': return v / 1e3;
    case 'm': return v;
    case 'k': return v * 1e6;
    default: return v * 1000;
  }
}

/** The part of a metrics.k8s.io/v1beta1 PodMetrics these tests read. */
interface PodMetrics {
  containers?: { name: string; usage: { cpu: string } }[];
}

/** A shell loop that exits at once on SIGTERM (sh as PID 1 ignores it otherwise). */
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

describe('local node (test/cluster/node)', function () {
  this.timeout(180_000);
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const ns = `shakedown-it-node-${runId}`;
  const labels = { 'shakedown.io/run-id': runId };
  const image = sampleImage();

  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api | undefined;
  let apps: k8s.AppsV1Api;
  let autoscaling: k8s.AutoscalingV2Api;
  let custom: k8s.CustomObjectsApi;

  /** Runs `command` in a container; resolves with stdout, rejects on a non-zero exit. */
  async function exec(pod: string, command: string[], timeoutMs = 30_000): Promise<string> {
    let out = '';
    let err = '';
    const sink = (append: (s: string) => void) =>
      new Writable({ write(chunk, _enc, done) { append(String(chunk)); done(); } });
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`exec ${command.join(' ')} in ${pod}: no status within ${timeoutMs} ms`)), timeoutMs);
      new k8s.Exec(kc)
        .exec(ns, pod, 'main', command, sink((s) => (out += s)), sink((s) => (err += s)), null, false, (status) => {
          clearTimeout(timer);
          if (status.status === 'Success') resolve(out);
          else reject(new Error(`exec ${command.join(' ')} in ${pod}: ${status.message ?? status.reason}; stdout=${out} stderr=${err}`));
        })
        .catch((e: unknown) => { clearTimeout(timer); reject(e instanceof Error ? e : new Error(String(e))); });
    });
  }

  async function podReady(name: string): Promise<k8s.V1Pod | false> {
    const pod = await core!.readNamespacedPod({ name, namespace: ns });
    const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready && !pod.metadata?.deletionTimestamp ? pod : false;
  }

  function podSpec(extra: Partial<k8s.V1Container> = {}, cpuRequest?: string): k8s.V1PodSpec {
    return {
      terminationGracePeriodSeconds: 2,
      // up.sh may taint the node (SHAKEDOWN_NODE_TAINT) to keep other tests' pods off it.
      tolerations: [{ key: 'shakedown.io/isolated', operator: 'Exists' }],
      containers: [{
        name: 'main',
        image,
        imagePullPolicy: 'Never',
        command: IDLE,
        ...(cpuRequest ? { resources: { requests: { cpu: cpuRequest } } } : {}),
        ...extra,
      }],
    };
  }

  before(async function () {
    if (!KUBECONFIG) {
      console.warn('[integration] SHAKEDOWN_TEST_KUBECONFIG is not set; skipping (run test/cluster/node/up.sh)');
      this.skip();
    }
    kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG);
    assert.equal(kc.getCurrentContext(), CONTEXT, `kubeconfig ${KUBECONFIG} must select context ${CONTEXT}`);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const nodes = await api.listNode();
    if (nodes.items.length === 0) {
      console.warn('[integration] the cluster has no node; skipping node tests (run test/cluster/node/up.sh)');
      this.skip();
    }
    core = api;
    apps = kc.makeApiClient(k8s.AppsV1Api);
    autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await waitFor(
      async () => (await core!.listNode()).items.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')),
      { timeoutMs: 60_000, what: 'every node to be Ready' },
    );
    await core.createNamespace({ body: { metadata: { name: ns, labels } } });
    // The namespace's default ServiceAccount must exist before pods are admitted.
    await waitFor(async () => (await core!.readNamespacedServiceAccount({ name: 'default', namespace: ns })) !== undefined, {
      timeoutMs: 30_000,
      what: `ServiceAccount ${ns}/default`,
    });
  });

  after(async function () {
    const api = core;
    if (!api) return;
    this.timeout(180_000);
    await deleteNamespaceAndWait(api, ns, 150_000, `namespace ${ns} to be deleted (pods stopped, volumes released)`);
  });

  it('shows a pod burning one core as about 1000m in the metrics API', async function () {
    await core!.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'burn', labels },
        spec: { ...podSpec({ command: ['timeout', '60', 'sha256sum', '/dev/zero'] }), restartPolicy: 'Never' },
      },
    });
    await waitFor(async () => (await core!.readNamespacedPod({ name: 'burn', namespace: ns })).status?.phase === 'Running', {
      timeoutMs: 60_000,
      what: 'pod burn Running',
    });
    // metrics-server needs two scrapes (10 s resolution) before a rate exists.
    let last = '';
    const millis = await waitFor(
      async () => {
        let m: PodMetrics;
        try {
          m = (await custom.getNamespacedCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', namespace: ns, plural: 'pods', name: 'burn' })) as PodMetrics;
        } catch (err) {
          if (isNotFound(err)) return false; // no sample yet
          throw err;
        }
        const cpu = m.containers?.find((c) => c.name === 'main')?.usage.cpu;
        if (!cpu) return false;
        last = cpu;
        const v = cpuMillis(cpu);
        return v >= 800 ? v : false;
      },
      { timeoutMs: 55_000, intervalMs: 2_000, what: 'PodMetrics burn to show >= 800m CPU' },
    ).catch((e: Error) => { throw new Error(`${e.message} (last usage ${last || 'none'})`); });
    assert.ok(millis <= 1200, `one sha256sum cannot use more than one core: ${millis}m`);
    await core!.deleteNamespacedPod({ name: 'burn', namespace: ns, gracePeriodSeconds: 0 });
  });

  describe('StatefulSet with a volume and a headless Service', function () {
    const token = `token-${randomBytes(8).toString('hex')}`;
    let firstUid = '';
    let pvcUid = '';
    let pvName = '';

    before(async function () {
      await core!.createNamespacedService({
        namespace: ns,
        body: {
          metadata: { name: 'web', labels },
          spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
        },
      });
      await apps.createNamespacedStatefulSet({
        namespace: ns,
        body: {
          metadata: { name: 'web', labels },
          spec: {
            serviceName: 'web',
            replicas: 1,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web', ...labels } },
              spec: podSpec({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
            },
            volumeClaimTemplates: [{
              metadata: { name: 'data', labels },
              spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '16Mi' } } },
            }],
          },
        },
      });
      await core!.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'client', labels }, spec: podSpec() } });
      const pod = await waitFor(() => podReady('web-0'), { timeoutMs: 120_000, what: 'web-0 Ready (PVC provisioned by local-path)' });
      firstUid = pod.metadata!.uid!;
      const pvc = await core!.readNamespacedPersistentVolumeClaim({ name: 'data-web-0', namespace: ns });
      assert.equal(pvc.status?.phase, 'Bound');
      pvcUid = pvc.metadata!.uid!;
      pvName = pvc.spec!.volumeName!;
      await waitFor(() => podReady('client'), { timeoutMs: 60_000, what: 'client pod Ready' });
    });

    it('resolves a pod FQDN from another pod to the pod IP', async function () {
      const pod = await core!.readNamespacedPod({ name: 'web-0', namespace: ns });
      const fqdn = `web-0.web.${ns}.svc.cluster.local`;
      const answer = await waitFor(
        async () => {
          const out = await exec('client', ['nslookup', '-type=a', fqdn]).catch((e: Error) => e.message);
          const ip = /Name:\s+\S+\s+Address:\s+([\d.]+)/.exec(out)?.[1];
          return ip ?? false;
        },
        { timeoutMs: 30_000, intervalMs: 1_000, what: `${fqdn} to resolve` },
      );
      assert.equal(answer, pod.status?.podIP);
    });

    it('brings a deleted pod back with the same name, PVC and data', async function () {
      await exec('web-0', ['sh', '-c', `echo ${token} > /data/token && sync /data/token && sha256sum /data/token`]);
      await core!.deleteNamespacedPod({ name: 'web-0', namespace: ns });
      const pod = await waitFor(
        async () => {
          const p = await podReady('web-0').catch(() => false as const);
          return p && p.metadata?.uid !== firstUid ? p : false;
        },
        { timeoutMs: 90_000, what: 'web-0 recreated (new UID) and Ready' },
      );
      assert.equal(pod.metadata?.name, 'web-0');
      const claim = pod.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName;
      assert.equal(claim, 'data-web-0');
      const pvc = await core!.readNamespacedPersistentVolumeClaim({ name: 'data-web-0', namespace: ns });
      assert.equal(pvc.metadata?.uid, pvcUid, 'the same PVC object');
      assert.equal(pvc.spec?.volumeName, pvName, 'the same PV');
      const content = await exec('web-0', ['cat', '/data/token']);
      assert.equal(content.trim(), token);
    });
  });

  it('serves a NodePort on 127.0.0.1', async function () {
    await core!.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'http', labels: { app: 'http', ...labels } },
        spec: {
          ...podSpec({ command: ['httpd', '-f', '-p', '8080', '-h', '/www'], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }),
        },
      },
    });
    const svc = await core!.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: 'http', labels },
        spec: { type: 'NodePort', selector: { app: 'http' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const nodePort = svc.spec?.ports?.[0]?.nodePort;
    assert.ok(nodePort, 'a node port was allocated');
    await waitFor(() => podReady('http'), { timeoutMs: 60_000, what: 'pod http Ready' });
    const body = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${nodePort}/`, { signal: AbortSignal.timeout(2_000) });
        return res.ok ? await res.text() : false;
      },
      { timeoutMs: 30_000, what: `http://127.0.0.1:${nodePort}/ to answer` },
    );
    assert.match(body, /shakedown sample/);
  });

  it('scales a Deployment out with an HPA under CPU load', async function () {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'cpu', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cpu' } },
          template: { metadata: { labels: { app: 'cpu', ...labels } }, spec: podSpec({}, '200m') },
        },
      },
    });
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: {
        metadata: { name: 'cpu', labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cpu' },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
        },
      },
    });
    const first = await waitFor(
      async () => {
        const pods = await core!.listNamespacedPod({ namespace: ns, labelSelector: 'app=cpu' });
        const p = pods.items.find((x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return p?.metadata?.name ?? false;
      },
      { timeoutMs: 60_000, what: 'a Ready pod of Deployment cpu' },
    );
    // The load, bounded by timeout, in the background of the container.
    await exec(first, ['sh', '-c', 'timeout 90 sha256sum /dev/zero >/dev/null 2>&1 &']);
    const hpa = await waitFor(
      async () => {
        const h = await autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'cpu', namespace: ns });
        return (h.status?.desiredReplicas ?? 0) > 1 ? h : false;
      },
      { timeoutMs: 85_000, intervalMs: 2_000, what: 'HPA cpu to want more than 1 replica' },
    );
    const util = hpa.status?.currentMetrics?.[0]?.resource?.current.averageUtilization ?? 0;
    assert.ok(util > 50, `utilization above target: ${util}%`);
    await waitFor(
      async () => ((await apps.readNamespacedDeployment({ name: 'cpu', namespace: ns })).spec?.replicas ?? 0) > 1,
      { timeoutMs: 20_000, what: 'Deployment cpu scaled beyond 1 replica' },
    );
  });
});
