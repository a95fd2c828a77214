import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../engine/errors.ts';

/** The context of the project's own local test cluster (test/cluster/up.sh writes it). */
export const LOCAL_TEST_CONTEXT = 'shakedown-local';

/** kind contexts and the local test cluster are targets by default; anything else must be named. */
export function isContextAllowed(context: string, allowed: readonly string[] = []): boolean {
  return context.startsWith('kind-') || context === LOCAL_TEST_CONTEXT || allowed.includes(context);
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
  if (!isContextAllowed(context, opts.allowContexts)) {
    throw new UsageError(
      `context "${context}" is not a kind or local test cluster; shakedown refuses it unless you pass --allow-context ${context}`,
      { field: '--context' },
    );
  }
  kc.setCurrentContext(context);
  const cluster = kc.getCluster(ctxObj.cluster);
  if (!cluster?.server) throw new UsageError(`context "${context}" names cluster "${ctxObj.cluster}", which has no server`, { field: '--context' });
  return { kubeConfig: kc, context, server: cluster.server, source: present.join(delimiter) };
}
