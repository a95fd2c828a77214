// Proves the local test cluster's Istio layer (test/cluster/istio) is a real mesh before any
// experiment relies on it: istiod Ready, sidecars injected and Ready, Envoy accepting every
// configuration istiod sends, mTLS between in-mesh pods with the peer's SPIFFE identity as
// evidence, and PeerAuthentication STRICT / PERMISSIVE enforced on plaintext from a pod outside
// the mesh and from this host through a NodePort. Traffic goes only to pods started here.
import '../integration/hooks.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type * as k8s from '@kubernetes/client-node';
import { execInPod, type ExecResult } from '../../harness/cluster/exec.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { pinned } from '../cluster/versions.ts';
import { kubeconfigOrSkip, session } from '../e2e/helpers.ts';
import { deleteNamespaceAndWait } from '../integration/namespace.ts';
import { clients } from '../clients.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ISTIO_NS = 'istio-system';
const PROXY_IMAGE = `${pinned('ISTIO_HUB')}/proxyv2:${pinned('ISTIO_TAG')}`;
const PILOT_IMAGE = `${pinned('ISTIO_HUB')}/pilot:${pinned('ISTIO_TAG')}`;
/** A shell loop that exits at once on SIGTERM (sh as PID 1 ignores it otherwise). */
const IDLE = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];
/** httpd whose CGI answers with its environment: request headers arrive as HTTP_* variables. */
const ECHO_SERVER = [
  'sh',
  '-c',
  "mkdir -p /tmp/www/cgi-bin && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nenv\\n' >/tmp/www/cgi-bin/env && chmod +x /tmp/www/cgi-bin/env && exec httpd -f -p 8080 -h /tmp/www",
];

/** How a plaintext HTTP request ended: a response, or how the connection failed. */
type Outcome = { kind: 'ok'; status: number; body: string } | { kind: 'reset' | 'closed' | 'refused' | 'timeout' | 'error'; detail: string };
const rejected = (o: Outcome) => o.kind === 'reset' || o.kind === 'closed';
const show = (o: Outcome) => (o.kind === 'ok' ? `HTTP ${o.status}` : `${o.kind} (${o.detail})`);

/** Plaintext HTTP/1.1 from this host over a raw socket, so a reset is told apart from a close. */
function hostHttp(port: number, path: string, timeoutMs = 3_000): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const end = (o: Outcome) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(o);
    };
    const sock = connect({ host: '127.0.0.1', port });
    sock.setTimeout(timeoutMs, () => end({ kind: 'timeout', detail: `no answer within ${timeoutMs} ms` }));
    sock.on('connect', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: server\r\nConnection: close\r\n\r\n`));
    sock.on('data', (b: Buffer) => (data += b.toString('utf8')));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') end({ kind: 'reset', detail: `${err.code} after ${data.length} bytes` });
      else if (err.code === 'ECONNREFUSED') end({ kind: 'refused', detail: err.code });
      else end({ kind: 'error', detail: err.message });
    });
    sock.on('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      end(status ? { kind: 'ok', status: Number(status[1]), body: data } : { kind: 'closed', detail: `closed after ${data.length} bytes, no HTTP response` });
    });
  });
}

/** The same from a pod, with busybox wget (bounded by `timeout`: busybox's `wget -T` crashes here). */
function podOutcome(r: ExecResult): Outcome {
  if (r.exitCode === 0) return { kind: 'ok', status: 200, body: r.stdout };
  const err = r.stderr.trim();
  if (/reset by peer/i.test(err)) return { kind: 'reset', detail: err };
  if (/refused/i.test(err)) return { kind: 'refused', detail: err };
  if (r.exitCode === 124 || r.exitCode === 143) return { kind: 'timeout', detail: `exit ${r.exitCode}` };
  if (/error getting response|short read|closed/i.test(err)) return { kind: 'closed', detail: err };
  return { kind: 'error', detail: `exit ${r.exitCode}: ${err}` };
}

describe('Istio on the local test cluster (test/cluster/istio)', function () {
  this.timeout(300_000);
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const mesh = `shakedown-it-mesh-${runId}`;
  const plain = `shakedown-it-plain-${runId}`;
  const labels = { 'shakedown.io/run-id': runId };
  const image = pinned('SAMPLE_IMAGE');
  const spiffe = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;

  let s: ClusterSession;
  let nodePort = 0;
  const created: string[] = [];

  const exec = (ns: string, pod: string, container: string, command: string[], timeoutMs = 20_000) =>
    execInPod(s, { namespace: ns, pod, container, command, timeoutMs });
  /** GET http://server.<mesh>/<path> from a pod, bounded by busybox `timeout`. */
  const podGet = async (ns: string, pod: string, path = '/cgi-bin/env') =>
    podOutcome(await exec(ns, pod, 'main', ['timeout', '5', 'wget', '-qO-', `http://server.${mesh}.svc.cluster.local${path}`]));

  /** The sidecar's Envoy counters matching `filter` (pilot-agent proxies Envoy's admin API). */
  async function envoyStats(pod: string, filter: string): Promise<Map<string, number>> {
    const r = await exec(mesh, pod, 'istio-proxy', ['pilot-agent', 'request', 'GET', `stats?filter=${filter}`]);
    assert.equal(r.exitCode, 0, `envoy stats of ${pod}: ${r.stderr}`);
    const m = new Map<string, number>();
    for (const line of r.stdout.split('\n')) {
      const kv = /^(\S+): (\d+)$/.exec(line.trim());
      if (kv) m.set(kv[1]!, Number(kv[2]));
    }
    return m;
  }

  /** Waits (bounded) for a pod to be Ready and returns it. */
  function podReady(ns: string, name: string, timeoutMs: number): Promise<k8s.V1Pod> {
    return waitFor(
      async () => {
        const pod = await clients(s).core.readNamespacedPod({ name, namespace: ns });
        return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? done(pod) : notYet(pod.status?.phase);
      },
      { what: `pod ${ns}/${name} Ready`, timeoutMs, retryErrors: true },
    );
  }

  function podBody(name: string, sa: string, command: string[], extra: Partial<k8s.V1Container> = {}): k8s.V1Pod {
    return {
      metadata: {
        name,
        labels: { app: name, ...labels },
        // Istio's bootstrap keeps only a few Envoy stats; these tests read TLS handshakes on the
        // listeners and every xDS update rejection (RDS's too).
        annotations: { 'proxy.istio.io/config': JSON.stringify({ proxyStatsMatcher: { inclusionSuffixes: ['ssl.handshake', 'update_rejected', 'update_success'] } }) },
      },
      spec: {
        serviceAccountName: sa,
        terminationGracePeriodSeconds: 2,
        containers: [{ name: 'main', image, imagePullPolicy: 'Never', command, ...extra }],
      },
    };
  }

  async function setMode(mode: 'STRICT' | 'PERMISSIVE'): Promise<number> {
    const body = {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: mesh, labels },
      spec: { mtls: { mode } },
    };
    const t0 = Date.now();
    try {
      await clients(s).custom.replaceNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: mesh, plural: 'peerauthentications', name: 'default', body: { ...body, metadata: { ...body.metadata, resourceVersion: await paVersion() } } });
    } catch {
      await clients(s).custom.createNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: mesh, plural: 'peerauthentications', body });
    }
    return t0;
  }
  async function paVersion(): Promise<string> {
    const pa = (await clients(s).custom.getNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: mesh, plural: 'peerauthentications', name: 'default' })) as { metadata: { resourceVersion: string } };
    return pa.metadata.resourceVersion;
  }

  /** When the server's Envoy last accepted listeners, relative to a policy change at `t0`. */
  async function ldsApplied(t0: number): Promise<string> {
    const at = (await envoyStats('server', 'listener_manager.lds.update_time')).get('listener_manager.lds.update_time');
    return at ? `server's Envoy applied listeners ${at - t0} ms after the change` : 'no LDS update time';
  }

  /** Polls `probe` until `holds`, returning how long it took and what was seen; bounded. */
  /** Also returns the trail: each probe that did not hold, with when it started (ms after `since`). */
  async function until(what: string, probe: () => Promise<Outcome>, holds: (o: Outcome) => boolean, since: number, timeoutMs = 30_000) {
    const trail: string[] = [];
    const o = await waitFor(
      async () => {
        const started = Date.now() - since;
        const seen = await probe();
        if (holds(seen)) return done(seen);
        trail.push(`${started} ms: ${show(seen)}`);
        return notYet(show(seen));
      },
      { what, timeoutMs, intervalMs: 100 },
    );
    return { outcome: o, ms: Date.now() - since, trail };
  }
  /** The probes during a policy change that were neither the old nor the new behaviour. */
  const oddOnes = (trail: string[]) => trail.filter((t) => !/HTTP 200|reset/.test(t));

  before(async function () {
    kubeconfigOrSkip(this);
    s = session();
    const d = await clients(s).apps.readNamespacedDeployment({ name: 'istiod', namespace: ISTIO_NS }).catch(() => undefined);
    if (!d) {
      console.warn(`[istio] no istiod in ${ISTIO_NS}; skipping (run npm run cluster:istio)`);
      this.skip();
    }
    await clients(s).core.createNamespace({ body: { metadata: { name: mesh, labels: { ...labels, 'istio-injection': 'enabled' } } } });
    created.push(mesh);
    await clients(s).core.createNamespace({ body: { metadata: { name: plain, labels } } });
    created.push(plain);
    for (const [ns, sa] of [[mesh, 'server'], [mesh, 'client'], [plain, 'outsider']] as const) {
      await waitFor(async () => ((await clients(s).core.readNamespacedServiceAccount({ name: 'default', namespace: ns })) ? done(true) : notYet()), { what: `ServiceAccount ${ns}/default`, timeoutMs: 30_000, retryErrors: true });
      await clients(s).core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa, labels } } });
    }
    await clients(s).core.createNamespacedPod({ namespace: mesh, body: podBody('server', 'server', ECHO_SERVER, { ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }) });
    await clients(s).core.createNamespacedPod({ namespace: mesh, body: podBody('client', 'client', IDLE) });
    await clients(s).core.createNamespacedPod({ namespace: plain, body: podBody('outsider', 'outsider', IDLE) });
    // Port name `http` declares the protocol, so the sidecars treat the traffic as HTTP.
    const svc = await clients(s).core.createNamespacedService({
      namespace: mesh,
      body: { metadata: { name: 'server', labels }, spec: { type: 'NodePort', selector: { app: 'server' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    nodePort = svc.spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(nodePort > 0, 'a node port was allocated');
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !s) return;
    // What the mesh said: istiod's and the server sidecar's last lines.
    const tails: string[] = [];
    const pods = await clients(s).core.listNamespacedPod({ namespace: ISTIO_NS, labelSelector: 'app=istiod' }).catch(() => undefined);
    for (const p of pods?.items ?? []) {
      tails.push(`===== istiod ${p.metadata?.name} =====\n${await clients(s).core.readNamespacedPodLog({ name: p.metadata!.name!, namespace: ISTIO_NS, tailLines: 40 }).catch((e: Error) => e.message)}`);
    }
    tails.push(`===== ${mesh}/server istio-proxy =====\n${await clients(s).core.readNamespacedPodLog({ name: 'server', namespace: mesh, container: 'istio-proxy', tailLines: 40 }).catch((e: Error) => e.message)}`);
    console.error(`\n[istio] "${this.currentTest.fullTitle()}" failed:\n${tails.join('\n')}\n`);
  });

  after(async function () {
    if (!s) return;
    this.timeout(240_000);
    for (const ns of created) await deleteNamespaceAndWait(clients(s).core, ns, 180_000);
  });

  it('runs istiod from the locally built pilot image, Ready, serving the PeerAuthentication API', async function () {
    const d = await clients(s).apps.readNamespacedDeployment({ name: 'istiod', namespace: ISTIO_NS });
    assert.ok((d.status?.readyReplicas ?? 0) >= 1, 'istiod has a Ready replica');
    assert.equal(d.spec?.template.spec?.containers[0]?.image, PILOT_IMAGE);
    await clients(s).custom.listNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace: mesh, plural: 'peerauthentications' });
  });

  it('injects the Envoy sidecar into a pod of a labelled namespace, and the pod becomes Ready', async function () {
    const server = await podReady(mesh, 'server', 120_000);
    await podReady(mesh, 'client', 120_000);
    const spec = server.spec!;
    const inits = spec.initContainers ?? [];
    assert.ok(inits.some((c) => c.name === 'istio-init' && c.image === PROXY_IMAGE), `istio-init from ${PROXY_IMAGE}: ${inits.map((c) => c.name).join(',')}`);
    // A sidecar is a second container, or a native sidecar (an init container that keeps running).
    const proxy = [...spec.containers, ...inits.filter((c) => c.restartPolicy === 'Always')].find((c) => c.name === 'istio-proxy');
    assert.equal(proxy?.image, PROXY_IMAGE, 'the istio-proxy sidecar runs the locally built proxyv2');
    const running = [...spec.containers, ...inits.filter((c) => c.restartPolicy === 'Always')].map((c) => c.name).sort();
    assert.deepEqual(running, ['istio-proxy', 'main']);
    const statuses = [...(server.status?.containerStatuses ?? []), ...(server.status?.initContainerStatuses ?? [])];
    assert.ok(statuses.find((c) => c.name === 'istio-proxy')?.ready, 'istio-proxy is ready');
    assert.equal(statuses.find((c) => c.name === 'istio-init')?.state?.terminated?.exitCode, 0, 'istio-init set up the redirection and exited 0');
    // A pod outside the labelled namespace is left alone.
    const outsider = await podReady(plain, 'outsider', 60_000);
    assert.deepEqual([...(outsider.spec?.containers ?? []), ...(outsider.spec?.initContainers ?? [])].map((c) => c.name), ['main']);
  });

  /** Both views of a NACK: Envoy's rejection counters, and istiod's per-type status (ERROR). */
  async function xdsHealth(pod: string): Promise<{ rejected: [string, number][]; accepted: boolean; istiod: Record<string, string> }> {
    const m = await envoyStats(pod, 'update_(rejected|success)');
    const rejected = [...m].filter(([k, v]) => k.endsWith('update_rejected') && v > 0);
    const accepted = (m.get('listener_manager.lds.update_success') ?? 0) > 0 && (m.get('cluster_manager.cds.update_success') ?? 0) > 0;
    // A NACK shows as ERROR, an unacknowledged push as STALE (`proxy-status <pod>` would diff configs instead).
    const ps = spawnSync('bash', ['-c', '. test/cluster/istio/lib.sh && "$ISTIOCTL" --kubeconfig "$1" proxy-status -n "$2" -o json', 'ps', process.env['SHAKEDOWN_TEST_KUBECONFIG']!, mesh], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    assert.equal(ps.status, 0, `istioctl proxy-status: ${ps.stderr}`);
    const status = JSON.parse(ps.stdout) as { resources?: { node: { id: string }; genericXdsConfigs?: { typeUrl: string; configStatus: string }[] }[] };
    const xds = status.resources?.find((r) => r.node.id === `${pod}.${mesh}`)?.genericXdsConfigs ?? [];
    const istiod: Record<string, string> = Object.fromEntries(xds.map((x) => [x.typeUrl.split('.').pop() ?? x.typeUrl, x.configStatus]));
    return { rejected, accepted, istiod };
  }
  const allSynced = (istiod: Record<string, string>) => ['Cluster', 'Listener', 'ClusterLoadAssignment', 'RouteConfiguration'].every((t) => istiod[t] === 'SYNCED');

  it('has Envoy accept every configuration istiod sends (no NACK in Envoy or istioctl proxy-status)', async function () {
    for (const pod of ['server', 'client']) {
      const h = await waitFor(async () => {
        const x = await xdsHealth(pod);
        return x.accepted && allSynced(x.istiod) ? done(x) : notYet(x);
      }, { what: `${pod}'s Envoy to accept listeners and clusters`, timeoutMs: 30_000, retryErrors: true });
      assert.deepEqual(h.rejected, [], `${pod}'s Envoy rejected configuration`);
    }
  });

  it('carries in-mesh traffic over mTLS: the server sees the client\'s SPIFFE identity', async function () {
    const before = await envoyStats('server', 'ssl.handshake');
    const o = await until('client -> server through the sidecars', () => podGet(mesh, 'client'), (x) => x.kind === 'ok', Date.now());
    assert.equal(o.outcome.kind, 'ok');
    const body = o.outcome.kind === 'ok' ? o.outcome.body : '';
    const xfcc = /^HTTP_X_FORWARDED_CLIENT_CERT=(.*)$/m.exec(body)?.[1] ?? '';
    assert.ok(xfcc.includes(`URI=${spiffe(mesh, 'client')}`), `x-forwarded-client-cert names the client's identity: "${xfcc}"`);
    assert.ok(xfcc.includes(`By=${spiffe(mesh, 'server')}`), `x-forwarded-client-cert names the server's identity: "${xfcc}"`);
    const after = await envoyStats('server', 'ssl.handshake');
    const sum = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith('listener.') && k.endsWith('ssl.handshake')).reduce((a, [, v]) => a + v, 0);
    assert.ok(sum(after) > sum(before), `the server's inbound listener completed TLS handshakes (${sum(before)} -> ${sum(after)})`);
  });

  describe('PeerAuthentication', function () {
    it('STRICT: plaintext from outside the mesh is reset, from a pod and from the host to a NodePort', async function () {
      // Plaintext works before: no policy means PERMISSIVE.
      const base = await until('host -> NodePort plaintext before any policy', () => hostHttp(nodePort, '/cgi-bin/env'), (x) => x.kind === 'ok', Date.now());
      assert.equal(base.outcome.kind, 'ok');
      const t0 = await setMode('STRICT');
      const host = await until(`host -> 127.0.0.1:${nodePort} rejected under STRICT`, () => hostHttp(nodePort, '/cgi-bin/env'), rejected, t0);
      const pod = await until('outsider pod -> server rejected under STRICT', () => podGet(plain, 'outsider'), rejected, t0);
      console.log(`      STRICT enforced: host NodePort ${show(host.outcome)} after ${host.ms} ms; outsider pod ${show(pod.outcome)} after ${pod.ms} ms; ${await ldsApplied(t0)}; in between: ${JSON.stringify(oddOnes([...host.trail, ...pod.trail]))}`);
      // Once enforced it stays enforced, and mTLS from inside the mesh still passes.
      assert.ok(rejected(await hostHttp(nodePort, '/cgi-bin/env')), 'still rejected');
      const inMesh = await podGet(mesh, 'client');
      assert.equal(inMesh.kind, 'ok', `in-mesh client under STRICT: ${show(inMesh)}`);
      assert.match(inMesh.kind === 'ok' ? inMesh.body : '', new RegExp(`URI=${spiffe(mesh, 'client')}`));
    });

    it('PERMISSIVE: plaintext is accepted again', async function () {
      const t0 = await setMode('PERMISSIVE');
      const host = await until(`host -> 127.0.0.1:${nodePort} accepted under PERMISSIVE`, () => hostHttp(nodePort, '/cgi-bin/env'), (x) => x.kind === 'ok', t0);
      const pod = await until('outsider pod -> server accepted under PERMISSIVE', () => podGet(plain, 'outsider'), (x) => x.kind === 'ok', t0);
      console.log(`      PERMISSIVE enforced: host NodePort ${show(host.outcome)} after ${host.ms} ms; outsider pod after ${pod.ms} ms; ${await ldsApplied(t0)}; in between: ${JSON.stringify(oddOnes([...host.trail, ...pod.trail]))}`);
      assert.equal(host.outcome.kind === 'ok' ? host.outcome.status : 0, 200);
      // Plaintext from outside carries no client identity.
      assert.doesNotMatch(pod.outcome.kind === 'ok' ? pod.outcome.body : '', /URI=spiffe:/);
    });
  });

  it('keeps istio-init\'s iptables rules in the pod\'s network namespace, none in the host\'s', function () {
    if (process.getuid?.() !== 0) this.skip(); // reading the host's rules needs root
    // The node's tools live in sbin, which a shell started without a login may lack in PATH.
    const env = { ...process.env, PATH: `${process.env['PATH'] ?? ''}:/usr/local/sbin:/usr/sbin:/sbin` };
    const read: string[] = [];
    for (const save of ['iptables-nft-save', 'iptables-legacy-save']) {
      const r = spawnSync(save, [], { encoding: 'utf8', timeout: 10_000, env });
      if (r.error && 'code' in r.error && r.error.code === 'ENOENT') continue; // that variant is not installed on this host
      assert.ok(!r.error && r.status === 0, `${save} failed: ${r.error?.message ?? `exit ${r.status}`} ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /ISTIO_/, `${save} shows Istio chains in the host's network namespace`);
      read.push(r.stdout);
    }
    // Without either tool nothing was looked at: that is a failure, not a pass.
    assert.ok(read.length > 0, 'neither iptables-nft-save nor iptables-legacy-save is installed: the host\'s rules could not be read');
    // And what was read is the host's real rules: kube-proxy (iptables mode) keeps its chains there.
    assert.ok(read.some((out) => /^:KUBE-SERVICES /m.test(out)), "no KUBE-SERVICES chain in the host's rules: the tools did not read the host's network namespace");
  });

  // Last (mocha runs a suite's own tests before its child suites, child suites in order): it
  // breaks one pod's configuration on purpose, away from the PeerAuthentication timings.
  describe('a configuration Envoy rejects', function () {
    it('makes a configuration Envoy rejects visible: Istio\'s ALPN filter, which upstream Envoy lacks', async function () {
      // What PILOT_ENABLE_ALPN_FILTER=false keeps out, put back into one pod's listeners.
      await clients(s).core.createNamespacedPod({ namespace: mesh, body: podBody('nacked', 'default', IDLE) });
      await podReady(mesh, 'nacked', 120_000);
      const filter = {
        apiVersion: 'networking.istio.io/v1alpha3',
        kind: 'EnvoyFilter',
        metadata: { name: 'istio-alpn', namespace: mesh, labels },
        spec: {
          workloadSelector: { labels: { app: 'nacked' } },
          configPatches: [{
            applyTo: 'HTTP_FILTER',
            match: { context: 'SIDECAR_OUTBOUND', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager', subFilter: { name: 'envoy.filters.http.router' } } } } },
            patch: {
              operation: 'INSERT_BEFORE',
              value: { name: 'istio.alpn', typed_config: { '@type': 'type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig', alpn_override: [{ upstream_protocol: 'HTTP11', alpn_override: ['istio-http/1.1', 'istio'] }] } },
            },
          }],
        },
      };
      const ef = { group: 'networking.istio.io', version: 'v1alpha3', namespace: mesh, plural: 'envoyfilters' };
      await clients(s).custom.createNamespacedCustomObject({ ...ef, body: filter });
      const nack = await waitFor(async () => {
        const x = await xdsHealth('nacked');
        return x.rejected.some(([k]) => k === 'listener_manager.lds.update_rejected') && x.istiod['Listener'] === 'ERROR' ? done(x) : notYet(x);
      }, { what: 'the NACK in Envoy\'s counters and in istioctl proxy-status', timeoutMs: 30_000, retryErrors: true });
      assert.ok(nack.rejected.length > 0);
      const log = await clients(s).core.readNamespacedPodLog({ name: 'nacked', namespace: mesh, container: 'istio-proxy', tailLines: 200 });
      assert.match(log, /Didn't find a registered implementation for 'istio\.alpn'/);
      // Without the filter the next push is accepted again.
      await clients(s).custom.deleteNamespacedCustomObject({ ...ef, name: 'istio-alpn' });
      await waitFor(async () => {
        const x = await xdsHealth('nacked');
        return allSynced(x.istiod) ? done(x) : notYet(x);
      }, { what: 'the listeners to be accepted again once the EnvoyFilter is gone', timeoutMs: 30_000, retryErrors: true });
    });
  });
});
