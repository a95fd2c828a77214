// Failure diagnostics: tails of the local control plane's component logs.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

/** logs/ beside the kubeconfig (test/cluster/up.sh keeps both in one state dir). */
export function clusterLogDir(): string {
  const kubeconfig = process.env.SHAKEDOWN_TEST_KUBECONFIG;
  if (kubeconfig) return join(dirname(kubeconfig), 'logs');
  const cache = process.env.SHAKEDOWN_CACHE ?? join(homedir(), '.cache', 'shakedown');
  return join(cache, 'local-cluster', 'logs');
}

function tail(text: string, lines: number): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Last `lines` lines of each component log, as one printable block. */
export function componentLogTails(lines = 30): string {
  const dir = clusterLogDir();
  const parts: string[] = [];
  for (const c of COMPONENTS) {
    const file = join(dir, `${c}.log`);
    if (!existsSync(file)) {
      parts.push(`===== ${file}: missing =====`);
      continue;
    }
    parts.push(`===== tail -n ${lines} ${file} =====\n${tail(readFileSync(file, 'utf8'), lines)}`);
  }
  return parts.join('\n');
}
