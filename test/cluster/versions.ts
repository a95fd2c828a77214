// Reads a value pinned in test/cluster/versions.env, the one file that pins the test cluster.
import { readFileSync } from 'node:fs';

export function pinned(name: string): string {
  const env = readFileSync(new URL('./versions.env', import.meta.url), 'utf8');
  const m = new RegExp(`^${name}=(\\S+)`, 'm').exec(env);
  if (!m?.[1]) throw new Error(`${name} is not pinned in test/cluster/versions.env`);
  // Values may name other pins ($COREDNS_VERSION ...); the ones tests read do not.
  return m[1];
}
