import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir, networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { UsageError } from '../engine/errors.ts';

/** The context of the project's own local test cluster (test/cluster/up.sh writes it). */
export const LOCAL_TEST_CONTEXT = 'shakedown-local';

/**
 * kind contexts and the local test cluster are targets by default, but only when their API
 * server is on this machine: a context named `kind-*` that points elsewhere is not trusted by
 * its name alone. Anything else must be named with --allow-context.
 */
export function isContextAllowed(context: string, allowed: readonly string[] = [], server?: string, interfaces?: LocalInterfaces): boolean {
  if (allowed.includes(context)) return true;
  if (!(context.startsWith('kind-') || context === LOCAL_TEST_CONTEXT)) return false;
  return server === undefined || isLocalServer(server, interfaces);
}

type LocalInterfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Interfaces whose subnet is a local container network (docker's bridge, kind's `br-*` network, CNI, podman). */
const CONTAINER_BRIDGE = /^(docker\d*|br-[0-9a-f]+|cni\d*|podman\d*|kind\w*)$/;

/**
 * Whether an API server URL is on this machine: loopback (127.0.0.0/8, ::1, localhost), an
 * address of a local interface, or an address inside the subnet of a local container bridge
 * (a kind node on docker's network). Host names other than localhost are not resolved: a name
 * could point anywhere, so it is not local.
 */
export function isLocalServer(server: string, interfaces: LocalInterfaces = networkInterfaces()): boolean {
  let host: string;
  try {
    host = new URL(server).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 0) return false;
  if (family === 4 && host.startsWith('127.')) return true;
  if (host === '::1' || host.startsWith('::ffff:127.')) return true;
  for (const [name, addrs] of Object.entries(interfaces)) {
    for (const a of addrs ?? []) {
      if (a.address.toLowerCase() === host) return true;
      if (family === 4 && a.family === 'IPv4' && CONTAINER_BRIDGE.test(name) && a.cidr && inCidr4(host, a.cidr)) return true;
    }
  }
  return false;
}

function ip4(addr: string): number {
  return addr.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

/** Whether an IPv4 address lies in a CIDR such as 172.18.0.1/16. */
export function inCidr4(addr: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!base || isIP(base) !== 4 || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ip4(addr) & mask) >>> 0) === ((ip4(base) & mask) >>> 0);
}

export interface ResolvedKubeConfig {
  kubeConfig: KubeConfig;
  context: string;
  /** API server URL; the only part of the kubeconfig a report may show. */
  server: string;
  /** The file(s) it was read from. */
  source: string;
}

/**
 * Loads the kubeconfig the way kubectl does (KUBECONFIG, else ~/.kube/config), selects the
 * context and applies the safety rule. Every problem is a UsageError: nothing is contacted here.
 */
export function loadKubeConfig(opts: { context?: string | undefined; allowContexts?: readonly string[] } = {}): ResolvedKubeConfig {
  const env = process.env['KUBECONFIG'];
  const files = env ? env.split(delimiter).filter(Boolean) : [join(homedir(), '.kube', 'config')];
  const present = files.filter((f) => existsSync(f));
  if (present.length === 0) {
    throw new UsageError(
      env
        ? `no kubeconfig: KUBECONFIG=${env} names no existing file`
        : `no kubeconfig: ${files[0]} does not exist (set KUBECONFIG, or run \`shakedown up\` for a kind cluster)`,
      { field: 'KUBECONFIG' },
    );
  }
  const kc = new KubeConfig();
  try {
    if (present.length === 1) kc.loadFromFile(present[0]!);
    else kc.loadFromDefault();
  } catch (err) {
    throw new UsageError(`kubeconfig ${present.join(delimiter)} cannot be read: ${(err as Error).message}`, { field: 'KUBECONFIG', cause: err });
  }
  const context = opts.context ?? kc.getCurrentContext();
  if (!context) throw new UsageError(`kubeconfig ${present.join(delimiter)} has no current context; pass --context`, { field: '--context' });
  const ctxObj = kc.getContextObject(context);
  if (!ctxObj) {
    const known = kc.getContexts().map((c) => c.name);
    throw new UsageError(`context "${context}" is not in the kubeconfig (it has: ${known.join(', ') || 'none'})`, { field: '--context' });
  }
  // A context whose cluster or user entry is missing would fail only at the first request (or,
  // without a user, go out with no credentials at all): bad input, named here.
  const cluster = kc.getCluster(ctxObj.cluster);
  if (!cluster) {
    throw new UsageError(`context "${context}" names cluster "${ctxObj.cluster}", which is not in the kubeconfig (it has: ${kc.getClusters().map((c) => c.name).join(', ') || 'none'})`, { field: '--context' });
  }
  if (!cluster.server) throw new UsageError(`context "${context}" names cluster "${ctxObj.cluster}", which has no server`, { field: '--context' });
  if (!ctxObj.user) throw new UsageError(`context "${context}" names no user, so shakedown would have no credentials`, { field: '--context' });
  if (!kc.getUser(ctxObj.user)) {
    throw new UsageError(`context "${context}" names user "${ctxObj.user}", which is not in the kubeconfig (it has: ${kc.getUsers().map((u) => u.name).join(', ') || 'none'})`, { field: '--context' });
  }
  if (!isContextAllowed(context, opts.allowContexts)) {
    throw new UsageError(
      `context "${context}" is not a kind or local test cluster (server ${cluster.server}); shakedown refuses it unless you pass --allow-context ${context}`,
      { field: '--context' },
    );
  }
  if (!isContextAllowed(context, opts.allowContexts, cluster.server)) {
    throw new UsageError(
      `context "${context}" looks like a kind or local test cluster, but its server ${cluster.server} is not on this machine; shakedown refuses it unless you pass --allow-context ${context}`,
      { field: '--context' },
    );
  }
  kc.setCurrentContext(context);
  return { kubeConfig: kc, context, server: cluster.server, source: present.join(delimiter) };
}
