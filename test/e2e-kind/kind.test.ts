// The kind tier: `shakedown up` from the top-level kind-config.yaml (one control plane, two
// workers) — with Istio (`--with istio`, the local test cluster's istioctl and images) when
// setup.sh found that build — statefulset-identity and hpa-cpu pass on it, an injected pod runs
// its sidecar, the harness image loaded into the nodes runs a scheduled pod-delete inside the
// cluster, and `shakedown down` leaves no
// container, network or kubeconfig entry behind. Runs where test/kind/setup.sh provisioned
// Docker, kind and the locally assembled node image (test/run-tiers.mjs reads its env file).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readRun } from '../e2e/helpers.ts';
import { clients } from '../clients.ts';
import type { ManifestObject } from '../../harness/manifests/load.ts';
import { harnessImage } from '../incluster/image.ts';
import { finished, readCronJob, startJob } from '../incluster/jobs.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'harness/cli/bin.js');
const NAME = 'shakedown-e2e';
const ISTIOCTL = process.env['SHAKEDOWN_KIND_ISTIOCTL'];

describe('kind: shakedown up, two experiments, shakedown down', function () {
  this.timeout(1_800_000);
  let work: string;
  let env: NodeJS.ProcessEnv;
  let up = false;
  const shakedown = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, env, cwd: ROOT, all: true, forceKillAfterDelay: false });
  const docker = (args: string[]) => execa('docker', args, { reject: false, env });

  before(function () {
    const image = process.env['SHAKEDOWN_KIND_IMAGE'];
    if (!image) this.skip();
    work = mkdtempSync(join(tmpdir(), 'shakedown-kind-'));
    // kind writes its context into this kubeconfig; `up` records into this cache.
    env = { ...process.env, KUBECONFIG: join(work, 'kubeconfig'), SHAKEDOWN_CACHE: join(work, 'cache'), CI: 'true' };
  });

  after(async function () {
    if (!work) return;
    // Whatever failed, the cluster goes.
    if (up) await shakedown(['down', '--name', NAME]);
    rmSync(work, { recursive: true, force: true });
  });

  it('shakedown up: nodes Ready, CoreDNS, StorageClass standard and the metrics API answer', async function () {
    const archives = [process.env['SHAKEDOWN_KIND_LOAD'], ISTIOCTL && process.env['SHAKEDOWN_KIND_ISTIO_LOAD']].filter(Boolean).join(':');
    const load = archives.split(':').filter(Boolean).flatMap((a) => ['--load', a]);
    // Istio from the local build: its images are loaded, never pulled, and upstream Envoy needs
    // the settings setup.sh read from test/cluster/istio/lib.sh.
    const istio = ISTIOCTL ? ['--with', 'istio', '--istioctl', ISTIOCTL, ...(process.env['SHAKEDOWN_KIND_ISTIO_SET'] ?? '').split(/\s+/).filter(Boolean).flatMap((x) => ['--istio-set', x])] : [];
    const t0 = Date.now();
    up = true;
    const r = await shakedown(['up', '--name', NAME, '--image', process.env['SHAKEDOWN_KIND_IMAGE']!, ...load, ...istio,
      ...(process.env['SHAKEDOWN_KIND_METRICS_SERVER_IMAGE'] ? ['--metrics-server-image', process.env['SHAKEDOWN_KIND_METRICS_SERVER_IMAGE']] : [])]);
    console.log(`      shakedown up${ISTIOCTL ? ' --with istio' : ''}: ${Math.round((Date.now() - t0) / 1000)} s`);
    assert.equal(r.exitCode, 0, String(r.all));
    for (const want of ['nodes: ready', 'CoreDNS: ready', 'StorageClass standard: ready', 'metrics API: ready', ...(ISTIOCTL ? ['istiod: ready', 'PeerAuthentication API: ready'] : [])]) assert.match(String(r.all), new RegExp(want));
    const stats = await docker(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}}']);
    console.log(`      node memory: ${String(stats.stdout).split('\n').join('; ')}`);
  });

  it('with Istio: istiod Ready, and a pod of an injected namespace runs istio-init and a Ready sidecar', async function () {
    if (!ISTIOCTL) this.skip();
    process.env['KUBECONFIG'] = env['KUBECONFIG'];
    const { loadKubeConfig } = await import('../../harness/cluster/kubeconfig.ts');
    const { ClusterSession } = await import('../../harness/cluster/session.ts');
    const s = new ClusterSession(loadKubeConfig({ context: `kind-${NAME}` }));
    const istiod = await clients(s).apps.readNamespacedDeployment({ namespace: 'istio-system', name: 'istiod' });
    assert.equal(istiod.status?.readyReplicas, 1);
    const ns = 'shakedown-mesh';
    const image = process.env['SHAKEDOWN_KIND_SAMPLE_IMAGE'] ?? 'shakedown.local/sample:1';
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels: { 'istio-injection': 'enabled' } } } });
    try {
      await clients(s).core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'web' }, spec: { containers: [{ name: 'web', image, imagePullPolicy: 'IfNotPresent', command: ['httpd', '-f', '-p', '8080', '-h', '/www'], ports: [{ containerPort: 8080, name: 'http' }] }] } } });
      const deadline = Date.now() + 120_000;
      let pod = await clients(s).core.readNamespacedPod({ namespace: ns, name: 'web' });
      // On Kubernetes 1.29+ istio-proxy is a native sidecar: an init container that keeps running.
      const proxy = () => [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((c) => c.name === 'istio-proxy');
      const ready = () => Boolean(proxy()?.ready) && (pod.status?.containerStatuses ?? []).some((c) => c.name === 'web' && c.ready);
      while (!ready() && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 2000));
        pod = await clients(s).core.readNamespacedPod({ namespace: ns, name: 'web' });
      }
      const statuses = () => JSON.stringify([...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].map((c) => ({ name: c.name, ready: c.ready, state: c.state })));
      assert.ok(ready(), `web and its istio-proxy sidecar not Ready: ${statuses()}`);
      const init = pod.status?.initContainerStatuses?.find((c) => c.name === 'istio-init');
      assert.equal(init?.state?.terminated?.exitCode, 0, `istio-init set up its iptables rules: ${statuses()}`);
      const log = await clients(s).core.readNamespacedPodLog({ namespace: ns, name: 'web', container: 'istio-proxy' });
      assert.doesNotMatch(String(log), /rejected|NACK/i, 'Envoy accepted every update from istiod');
      const m = (await clients(s).custom.listNamespacedCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', namespace: 'istio-system', plural: 'pods' }).catch(() => ({}))) as { items?: { metadata: { name: string }; containers: { usage: { memory: string; cpu: string } }[] }[] };
      for (const p of m.items ?? []) console.log(`      ${p.metadata.name}: memory ${p.containers.map((c) => c.usage.memory).join('+')}, cpu ${p.containers.map((c) => c.usage.cpu).join('+')}`);
    } finally {
      await clients(s).core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });

  it('statefulset-identity and hpa-cpu pass on it', async function () {
    const image = process.env['SHAKEDOWN_KIND_SAMPLE_IMAGE'] ?? 'shakedown.local/sample:1';
    for (const exp of ['statefulset-identity', 'hpa-cpu']) {
      const extra = exp === 'hpa-cpu' ? ['--set', 'sampleEvery=5s', '--set', 'loadFor=150s', '--set', 'scaleInWithin=180s'] : [];
      const r = await shakedown(['run', exp, '--context', `kind-${NAME}`, '--set', `image=${image}`, '--report-dir', join(work, 'reports'), ...extra]);
      assert.equal(r.exitCode, 0, `${exp}: exit ${r.exitCode}\n${String(r.all).split('\n').filter((l) => !/ sample /.test(l)).slice(-60).join('\n')}`);
      const run = readRun(String(r.stdout));
      assert.equal(run.journal.verdict.kind, 'passed');
    }
  });

  it('a run that ends in error keeps `kind export logs` in its report folder', async function () {
    const reports = join(work, 'reports-error');
    const r = await shakedown(['run', 'hpa-cpu', '--context', `kind-${NAME}`, '--set', 'target=shakedown-absent', '--report-dir', reports]);
    assert.equal(r.exitCode, 3, String(r.all));
    const dir = /reports: (\S+)/.exec(String(r.stdout))?.[1];
    assert.ok(dir, String(r.all));
    const logs = join(dir, 'kind-logs');
    assert.ok(existsSync(logs), `no ${logs}:\n${String(r.all).slice(-2000)}`);
    assert.ok(readdirSync(logs).some((f) => f.startsWith(`${NAME}-control-plane`)), readdirSync(logs).join(', '));
  });

  it('a client outside the cluster (a container on kind\'s network, through testcontainers) reaches a NodePort', async function () {
    process.env['KUBECONFIG'] = env['KUBECONFIG'];
    const { loadKubeConfig } = await import('../../harness/cluster/kubeconfig.ts');
    const { ClusterSession } = await import('../../harness/cluster/session.ts');
    const { probeFromOutside, OUTSIDE_CLIENT_LABEL } = await import('../../harness/kind/outside-client.ts');
    const s = new ClusterSession(loadKubeConfig({ context: `kind-${NAME}` }));
    const image = process.env['SHAKEDOWN_KIND_SAMPLE_IMAGE'] ?? 'shakedown.local/sample:1';
    const ns = 'default';
    const labels = { app: 'shakedown-outside' };
    await clients(s).apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'shakedown-outside', labels }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image, command: ['httpd', '-f', '-p', '8080', '-h', '/www'] }] } } } } });
    const svc = await clients(s).core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'shakedown-outside' }, spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080 }] } } });
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    const nodes = (await clients(s).core.listNode()).items;
    const nodeIp = nodes[0]!.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    try {
      const deadline = Date.now() + 120_000;
      let r = await probeFromOutside({ url: `http://${nodeIp}:${nodePort}/`, image, network: 'kind' });
      while (r.exitCode !== 0 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 3000));
        r = await probeFromOutside({ url: `http://${nodeIp}:${nodePort}/`, image, network: 'kind' });
      }
      assert.equal(r.exitCode, 0, r.output);
      assert.match(r.output, /shakedown sample/);
      const closed = await probeFromOutside({ url: `http://${nodeIp}:1/`, image, network: 'kind', timeoutSeconds: 3 });
      assert.notEqual(closed.exitCode, 0, 'a closed port is not served');
      const left = await docker(['ps', '-aq', '--filter', `label=${OUTSIDE_CLIENT_LABEL}=true`]);
      assert.equal(String(left.stdout).trim(), '', 'every outside client was removed');
    } finally {
      await clients(s).core.deleteNamespacedService({ namespace: ns, name: 'shakedown-outside' }).catch(() => undefined);
      await clients(s).apps.deleteNamespacedDeployment({ namespace: ns, name: 'shakedown-outside' }).catch(() => undefined);
    }
  });

  it('the harness image, loaded into the nodes, runs a Job of `shakedown schedule` in the cluster: pod-delete passes as its ServiceAccount', async function () {
    process.env['KUBECONFIG'] = env['KUBECONFIG'];
    const [{ loadKubeConfig }, { ClusterSession }, { applyObjects }, { parseAllDocuments }] = await Promise.all([import('../../harness/cluster/kubeconfig.ts'), import('../../harness/cluster/session.ts'), import('../../harness/cluster/apply.ts'), import('yaml')]);
    const s = new ClusterSession(loadKubeConfig({ context: `kind-${NAME}` }));
    // Built by the in-cluster tier already when it ran first (same sources), else here.
    const image = harnessImage();
    const t0 = Date.now();
    const loaded = await execa('kind', ['load', 'docker-image', image, '--name', NAME], { env, reject: false, all: true });
    assert.equal(loaded.exitCode, 0, String(loaded.all));
    console.log(`      harness image loaded into the kind nodes in ${Math.round((Date.now() - t0) / 1000)} s`);
    const ns = 'sd-kind-schedule';
    const labels = { app: 'web' };
    await clients(s).core.createNamespace({ body: { metadata: { name: ns } } });
    const sample = process.env['SHAKEDOWN_KIND_SAMPLE_IMAGE'] ?? 'shakedown.local/sample:1';
    const template = { metadata: { labels }, spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'web', image: sample, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] } };
    await clients(s).apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'web' }, spec: { replicas: 2, selector: { matchLabels: labels }, template } } });
    const printed = await shakedown(['schedule', 'pod-delete', '--cron', '@daily', '--set', 'workload=deployment/web', '--namespace', ns, '--image', image]);
    assert.equal(printed.exitCode, 0, String(printed.all));
    await applyObjects(s, parseAllDocuments(String(printed.stdout)).map((d) => d.toJS() as ManifestObject), {});
    const cronJob = await readCronJob(s, ns, 'shakedown-pod-delete');
    const job = await finished(s, ns, await startJob(s, cronJob, 'now'));
    assert.ok(job.succeeded, job.log.slice(-4000));
    const cm = await clients(s).core.readNamespacedConfigMap({ namespace: ns, name: 'shakedown-verdict-pod-delete' });
    assert.equal(cm.data?.['verdict'], 'passed', JSON.stringify(cm.data));
    // The cluster goes with `down`; the namespace is removed so the next case starts clean.
    await clients(s).core.deleteNamespace({ name: ns });
  });

  it('shakedown down leaves no container, network or kubeconfig entry', async function () {
    const r = await shakedown(['down', '--name', NAME]);
    assert.equal(r.exitCode, 0, String(r.all));
    up = false;
    const containers = await docker(['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${NAME}`]);
    assert.equal(String(containers.stdout).trim(), '', 'no container of the cluster');
    const net = await docker(['network', 'ls', '-q', '--filter', 'name=^kind$']);
    assert.equal(String(net.stdout).trim(), '', 'no kind network');
    const kc = join(work, 'kubeconfig');
    if (existsSync(kc)) assert.doesNotMatch(readFileSync(kc, 'utf8'), new RegExp(`kind-${NAME}`), 'no kubeconfig entry');
    const again = await shakedown(['down', '--name', NAME]);
    assert.equal(again.exitCode, 2, 'a second down refuses: the cluster is no longer one `up` made');
  });
});
