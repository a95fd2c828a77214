// Running inside the cluster with the pod's ServiceAccount (a Job of `shakedown schedule`),
// guarded like the context rule: the run is allowed only as the account, and in the namespace,
// the CronJob was made for (`--in-cluster <namespace>/<serviceaccount>`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { UsageError } from '../engine/errors.ts';
import type { ResolvedKubeConfig } from './kubeconfig.ts';

/** Where Kubernetes mounts a pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The context name a run inside the cluster reports (journal, reports, Lease). */
export const IN_CLUSTER_CONTEXT = 'in-cluster';

/** A ServiceAccount: its namespace and name. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

// A namespace is a DNS label; a ServiceAccount's name a DNS subdomain.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Parses `--in-cluster <namespace>/<serviceaccount>`; a UsageError names what is wrong. */
export function parseInClusterFlag(value: string): ServiceAccountRef {
  const parts = value.split('/');
  const [namespace = '', name = ''] = parts;
  if (parts.length !== 2 || !DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name)) {
    throw new UsageError(`--in-cluster "${value}" must be <namespace>/<serviceaccount>, e.g. shop/shakedown-pod-delete (the account \`shakedown schedule\` made the CronJob for)`, { field: '--in-cluster' });
  }
  return { namespace, name };
}

/**
 * The account a ServiceAccount token stands for, from its claims (`sub` is
 * `system:serviceaccount:<namespace>:<name>`). Read locally: the API server checks the token itself.
 */
export function tokenAccount(token: string): ServiceAccountRef | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  let claims: { sub?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
  } catch {
    return undefined;
  }
  const m = typeof claims.sub === 'string' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub) : null;
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

/** Whether this process runs in a pod that has a ServiceAccount token mounted. */
export const inPod = (root = '', env: NodeJS.ProcessEnv = process.env): boolean => Boolean(env['KUBERNETES_SERVICE_HOST']) && existsSync(join(root + SERVICE_ACCOUNT_DIR, 'token'));

/**
 * The pod's own credentials, allowed only when they are the account `expected` names and every
 * run's namespace is that account's: a CronJob copied to another namespace or account, or edited
 * to aim elsewhere, is refused before anything is contacted (UsageError, exit 2). `root` prefixes
 * the token's directory (tests).
 */
export function loadInClusterConfig(expected: ServiceAccountRef, runNamespaces: readonly string[], root = ''): ResolvedKubeConfig {
  const dir = root + SERVICE_ACCOUNT_DIR;
  if (!inPod(root)) {
    throw new UsageError(`--in-cluster: this process does not run in a Kubernetes pod (no KUBERNETES_SERVICE_HOST or no token in ${dir}); outside the cluster use a kubeconfig`, { field: '--in-cluster' });
  }
  const account = tokenAccount(readFileSync(join(dir, 'token'), 'utf8').trim());
  if (!account) throw new UsageError(`--in-cluster: the token in ${dir} is not a ServiceAccount token`, { field: '--in-cluster' });
  const want = `${expected.namespace}/${expected.name}`;
  if (account.namespace !== expected.namespace || account.name !== expected.name) {
    throw new UsageError(`--in-cluster ${want}: this pod runs as ServiceAccount ${account.namespace}/${account.name}, not the one the CronJob was made for; refused`, { field: '--in-cluster' });
  }
  const elsewhere = [...new Set(runNamespaces.filter((ns) => ns !== expected.namespace))];
  if (elsewhere.length > 0) {
    throw new UsageError(`--in-cluster ${want}: the run's namespace is ${elsewhere.join(', ')}, not ${expected.namespace}, the one the CronJob was made for; refused`, { field: '--in-cluster' });
  }
  const kc = new KubeConfig();
  kc.loadFromCluster(root);
  const server = kc.getCurrentCluster()?.server ?? '';
  return { kubeConfig: kc, context: IN_CLUSTER_CONTEXT, server, source: `ServiceAccount ${want} (${dir})` };
}
