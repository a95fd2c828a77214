// `shakedown up` and `shakedown down`: a kind cluster from kind-config.yaml with what kind lacks
// for the experiments (metrics-server; local images loaded), waited on until it answers.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { CliIo } from '../cli/io.ts';
import { UsageError, describeApiError, describeError } from '../engine/errors.ts';
import { parseDuration } from '../engine/time.ts';
import { EXIT } from '../engine/verdict.ts';
import { checkIstioSets, findIstioctl, installIstio } from './istio.ts';
import { clusters, findKind, kind, KindError, readRecord, recordFile, writeRecord } from './kind.ts';
import { METRICS_SERVER_MANIFEST } from './metrics-server.ts';

export const DEFAULT_METRICS_SERVER_IMAGE = 'registry.k8s.io/metrics-server/metrics-server:v0.8.0';
const KNOWN_ADDONS = ['istio'];

export interface UpOptions {
  name: string;
  config: string;
  image?: string;
  kind?: string;
  with?: string[];
  load?: string[];
  metricsServerImage?: string;
  istioctl?: string;
  istioSet?: string[];
  timeout: string;
}

export interface DownOptions {
  name: string;
  kind?: string;
}

/** One progress line, with the seconds since the command started. */
function progress(io: CliIo) {
  const t0 = Date.now();
  return (msg: string) => io.stdout(`[${Math.round((Date.now() - t0) / 1000)}s] ${msg}\n`);
}

export async function upCommand(opts: UpOptions, io: CliIo): Promise<number> {
  const say = progress(io);
  try {
    const { config, timeoutMs, istioctl } = checkUpOptions(opts);
    const bin = findKind(opts.kind);
    if (!(await ensureCluster(bin, config, opts, say, io))) return EXIT.error;
    for (const archive of opts.load ?? []) {
      say(`loading ${archive} into the nodes (kind load image-archive)`);
      await kind(bin, ['load', 'image-archive', archive, '--name', opts.name]);
    }
    await installAddons(opts, istioctl, timeoutMs, say);
    say(`kind cluster ${opts.name} is up: context kind-${opts.name}`);
    return EXIT.passed;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`shakedown: up: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`shakedown: up: ${describeApiError(err)}\n`);
    return EXIT.error;
  }
}

/** Every flag of `up` checked, and istioctl found, before any cluster is made. */
function checkUpOptions(opts: UpOptions): { config: string; timeoutMs: number; istioctl: string | undefined } {
  const config = resolve(opts.config);
  if (!existsSync(config)) throw new UsageError(`kind config ${opts.config} does not exist`, { field: '--config' });
  for (const a of opts.with ?? []) {
    if (!KNOWN_ADDONS.includes(a)) throw new UsageError(`unknown add-on '${a}' (known: ${KNOWN_ADDONS.join(', ')})`, { field: '--with' });
  }
  for (const a of opts.load ?? []) {
    if (!existsSync(a)) throw new UsageError(`image archive ${a} does not exist`, { field: '--load' });
  }
  const timeoutMs = parseDuration(opts.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout ${opts.timeout} is not a duration such as 10m`, { field: '--timeout' });
  const withIstio = opts.with?.includes('istio') ?? false;
  if (!withIstio && (opts.istioSet?.length || opts.istioctl)) throw new UsageError('--istio-set and --istioctl need --with istio', { field: '--istio-set' });
  checkIstioSets(opts.istioSet ?? []);
  // Like kind's own check: a missing istioctl is said before any cluster is made.
  return { config, timeoutMs, istioctl: withIstio ? findIstioctl(opts.istioctl) : undefined };
}

/** Creates the cluster, or finds the one `up` made before; false when a cluster of that name is someone else's. */
async function ensureCluster(bin: string, config: string, opts: UpOptions, say: (msg: string) => void, io: CliIo): Promise<boolean> {
  const record = readRecord();
  if ((await clusters(bin)).includes(opts.name)) {
    if (!record.some((c) => c.name === opts.name)) {
      io.stderr(`shakedown: up: a kind cluster named ${opts.name} exists and \`shakedown up\` did not make it; it is left alone (pass --name for another)\n`);
      return false;
    }
    say(`kind cluster ${opts.name} exists (made by shakedown up): checking its add-ons`);
    return true;
  }
  say(`creating kind cluster ${opts.name} from ${opts.config}${opts.image ? ` with node image ${opts.image}` : ''}`);
  // kind leaves its Docker network behind on delete; `down` removes it if `up` made it.
  const networkCreated = !(await kindNetworkExists());
  const args = ['create', 'cluster', '--name', opts.name, '--config', config];
  if (opts.image) args.push('--image', opts.image);
  await kind(bin, args, { onLine: (l) => say(`kind: ${l}`) });
  writeRecord([...record.filter((c) => c.name !== opts.name), { name: opts.name, createdAt: new Date().toISOString(), networkCreated, ...(process.env['KUBECONFIG'] ? { kubeconfig: process.env['KUBECONFIG'] } : {}) }]);
  say(`created; recorded in ${recordFile()} (\`shakedown down --name ${opts.name}\` deletes it)`);
  return true;
}

/** Polls `check` every 2 s until it returns undefined (ready) or the deadline passes, saying what changed. */
function readiness(deadline: number, timeout: string, say: (msg: string) => void) {
  return async (what: string, check: () => Promise<string | undefined>): Promise<void> => {
    let last = '';
    for (;;) {
      let why: string | undefined;
      try {
        why = await check();
      } catch (err) {
        // The server's own message (e.g. "HTTP 503: the server is currently unable to handle the request"), not the client's dump.
        why = describeApiError(err);
      }
      if (why === undefined) return say(`${what}: ready`);
      if (Date.now() > deadline) throw new KindError(`${what} not ready within ${timeout}: ${why}`);
      if (why !== last) say(`waiting for ${what}: ${why}`);
      last = why;
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
}

/** metrics-server (and Istio when asked), then waits for nodes, CoreDNS, the StorageClass and the metrics API. */
async function installAddons(opts: UpOptions, istioctl: string | undefined, timeoutMs: number, say: (msg: string) => void): Promise<void> {
  const { loadKubeConfig } = await import('../cluster/kubeconfig.ts');
  const { ClusterSession } = await import('../cluster/session.ts');
  const { applyObjects } = await import('../cluster/apply.ts');
  const { parseManifests } = await import('../manifests/load.ts');
  const session = new ClusterSession(loadKubeConfig({ context: `kind-${opts.name}` }));
  const image = opts.metricsServerImage ?? DEFAULT_METRICS_SERVER_IMAGE;
  say(`installing metrics-server (${image}, --kubelet-insecure-tls)`);
  await applyObjects(session, parseManifests(METRICS_SERVER_MANIFEST, 'metrics-server', { image }), { 'app.kubernetes.io/managed-by': 'shakedown' });
  const deadline = Date.now() + timeoutMs;
  const waitFor = readiness(deadline, opts.timeout, say);
  let nodeCount = 0;
  await waitFor('nodes', async () => {
    const nodes = (await session.core.listNode()).items;
    nodeCount = nodes.length;
    const notReady = nodes.filter((n) => !n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata?.name);
    return nodes.length === 0 ? 'no nodes yet' : notReady.length ? `${notReady.join(', ')} not Ready` : undefined;
  });
  await waitFor('CoreDNS', async () => {
    const d = await session.apps.readNamespacedDeployment({ namespace: 'kube-system', name: 'coredns' });
    return (d.status?.availableReplicas ?? 0) >= 1 ? undefined : `${d.status?.availableReplicas ?? 0} available`;
  });
  await waitFor('StorageClass standard', async () => {
    await session.storage.readStorageClass({ name: 'standard' });
    return undefined;
  });
  await waitFor('metrics API', async () => {
    const r = (await session.custom.listClusterCustomObject({ group: 'metrics.k8s.io', version: 'v1beta1', plural: 'nodes' })) as { items?: unknown[] };
    const n = r.items?.length ?? 0;
    return n >= nodeCount && n > 0 ? undefined : `metrics for ${n} of ${nodeCount} nodes`;
  });
  if (!istioctl) return;
  say(`installing Istio: ${istioctl} install --set profile=minimal${(opts.istioSet ?? []).map((x) => ` --set ${x}`).join('')}`);
  const left = Math.max(60, Math.round((deadline - Date.now()) / 1000));
  await installIstio(istioctl, `kind-${opts.name}`, opts.istioSet ?? [], `${left}s`, (l) => say(`istioctl: ${l}`));
  await waitFor('istiod', async () => {
    const d = await session.apps.readNamespacedDeployment({ namespace: 'istio-system', name: 'istiod' });
    const ok = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
    return ok ? undefined : `${d.status?.availableReplicas ?? 0} available`;
  });
  await waitFor('PeerAuthentication API', async () => {
    await session.custom.listClusterCustomObject({ group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' });
    return undefined;
  });
}

export async function downCommand(opts: DownOptions, io: CliIo): Promise<number> {
  const say = progress(io);
  try {
    const record = readRecord();
    if (!record.some((c) => c.name === opts.name)) {
      io.stderr(`shakedown: down: no kind cluster named ${opts.name} was made by \`shakedown up\` (${recordFile()}); shakedown deletes only its own\n`);
      return EXIT.usage;
    }
    const bin = findKind(opts.kind);
    if ((await clusters(bin)).includes(opts.name)) {
      say(`deleting kind cluster ${opts.name}`);
      await kind(bin, ['delete', 'cluster', '--name', opts.name], { onLine: (l) => say(`kind: ${l}`) });
    } else {
      say(`kind cluster ${opts.name} is already gone`);
    }
    const rest = record.filter((c) => c.name !== opts.name);
    if (record.find((c) => c.name === opts.name)?.networkCreated && !rest.length) {
      const net = await execa('docker', ['network', 'inspect', 'kind', '-f', '{{len .Containers}}'], { reject: false });
      if (net.exitCode === 0 && String(net.stdout).trim() === '0') {
        await execa('docker', ['network', 'rm', 'kind'], { reject: false });
        say('removed the Docker network kind (made by `shakedown up`)');
      }
    }
    writeRecord(rest);
    say(`deleted ${opts.name}`);
    return EXIT.passed;
  } catch (err) {
    io.stderr(`shakedown: down: ${describeError(err)}\n`);
    return EXIT.error;
  }
}

/** Whether kind's Docker network exists (only the docker provider is looked at). */
async function kindNetworkExists(): Promise<boolean> {
  if ((process.env['KIND_EXPERIMENTAL_PROVIDER'] ?? 'docker') !== 'docker') return true;
  return (await execa('docker', ['network', 'inspect', 'kind'], { reject: false })).exitCode === 0;
}

/**
 * After a run on a kind cluster ends failed or error: `kind export logs` into its report folder.
 * Best effort: says what it did, never changes the run's verdict.
 */
export async function exportKindLogs(context: string, reportDir: string, io: CliIo): Promise<void> {
  const { kindClusterOf } = await import('./kind.ts');
  const name = kindClusterOf(context);
  if (!name) return;
  try {
    const bin = findKind();
    const dir = resolve(reportDir, 'kind-logs');
    await kind(bin, ['export', 'logs', dir, '--name', name]);
    io.stderr(`shakedown: kind logs of ${name}: ${dir}\n`);
  } catch (err) {
    io.stderr(`shakedown: could not export kind logs of ${name}: ${describeError(err)}\n`);
  }
}
