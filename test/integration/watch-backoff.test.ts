// The watch when the API server goes away: reached through a TCP relay in front of the real API
// server, the relay is closed for ~6 s (connections reset, new ones refused) and opened again.
// The watch backs off (a handful of tries, not one every 0.5 s), journals the gap once when it
// starts and once when it ends, and then delivers what changed meanwhile.
import './hooks.ts';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { watchResilient, type WatchEvent } from '../../harness/cluster/watch.ts';
import { deleteNamespaceAndWait } from './namespace.ts';
import { waitFor } from './wait.ts';
import { clients } from '../clients.ts';

describe('watch backoff when the API server goes away', function () {
  this.timeout(120_000);
  const ns = `shakedown-it-backoff-${Date.now().toString(36)}`;
  let direct: ClusterSession;
  let relay: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;
  let upstream: URL;

  function openRelay(): Promise<void> {
    relay = createServer((client) => {
      const up = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
      sockets.add(client).add(up);
      client.pipe(up).pipe(client);
      const end = () => {
        client.destroy();
        up.destroy();
        sockets.delete(client);
        sockets.delete(up);
      };
      client.on('error', end).on('close', end);
      up.on('error', end).on('close', end);
    });
    return new Promise((r) => relay!.listen(port, '127.0.0.1', () => r()));
  }
  function closeRelay(): Promise<void> {
    for (const s of sockets) s.destroy();
    sockets.clear();
    return new Promise((r) => (relay ? relay.close(() => r()) : r()));
  }

  before(async function () {
    const kc = process.env['SHAKEDOWN_TEST_KUBECONFIG'];
    if (!kc) this.skip();
    process.env['KUBECONFIG'] = kc;
    direct = new ClusterSession(loadKubeConfig());
    upstream = new URL(direct.server);
    await clients(direct).core.createNamespace({ body: { metadata: { name: ns } } });
    await openRelay();
    port = (relay!.address() as { port: number }).port;
  });
  after(async () => {
    await closeRelay();
    if (direct) await deleteNamespaceAndWait(clients(direct).core, ns, 60_000);
  });

  it('backs off, journals the gap once at each end, and resumes with what changed meanwhile', async () => {
    // The same credentials, through the relay (the server certificate is for 127.0.0.1).
    const resolved = loadKubeConfig();
    const cluster = resolved.kubeConfig.getCurrentCluster()!;
    const server = `https://127.0.0.1:${port}`;
    resolved.kubeConfig.clusters = resolved.kubeConfig.clusters.map((c) => (c.name === cluster.name ? { ...c, server } : c));
    const viaRelay = new ClusterSession({ ...resolved, server });
    const events: WatchEvent<V1ConfigMap>[] = [];
    const notices: { at: number; text: string }[] = [];
    const handle = await watchResilient<V1ConfigMap>(viaRelay, { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespace: ns }, {
      onEvent: (e) => events.push(e),
      onNotice: (text) => notices.push({ at: Date.now(), text }),
    });
    try {
      await clients(direct).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' } } });
      await waitFor(() => events.some((e) => e.object.metadata?.name === 'before'), { what: 'the watch to see "before"', timeoutMs: 20_000 });
      const watchesBefore = viaRelay.requests.byVerb['WATCH'] ?? 0;

      await closeRelay();
      await clients(direct).core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'during' } } });
      await new Promise((r) => setTimeout(r, 6000));
      await openRelay();
      await waitFor(() => events.some((e) => e.object.metadata?.name === 'during'), { what: 'the watch to deliver what changed during the gap', timeoutMs: 30_000 });
      await waitFor(() => notices.some((n) => /reconnected after/.test(n.text)), { what: 'the end of the gap journaled', timeoutMs: 10_000 });

      const lost = notices.filter((n) => /lost the API server/.test(n.text));
      const back = notices.filter((n) => /reconnected after/.test(n.text));
      assert.equal(lost.length, 1, notices.map((n) => n.text).join('\n'));
      assert.equal(back.length, 1, notices.map((n) => n.text).join('\n'));
      assert.match(back[0]!.text, /reconnected after \d+\.\d s and \d+ failed tr(y|ies)/);
      const tries = (viaRelay.requests.byVerb['WATCH'] ?? 0) - watchesBefore;
      // ~6 s down at 0.5 s fixed retries would be 12+ tries; with backoff it is a handful.
      assert.ok(tries <= 8, `${tries} watch attempts during a 6 s outage`);
      console.log(`      6 s outage: ${tries} watch attempts; ${back[0]!.text}`);
    } finally {
      handle.stop();
    }
  });
});
