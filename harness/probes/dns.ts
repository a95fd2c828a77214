import { execInPod } from '../cluster/exec.ts';
import type { ClusterSession } from '../cluster/session.ts';

export interface DnsAnswer {
  /** IPv4/IPv6 addresses the name resolved to (empty when it did not resolve). */
  addresses: string[];
  exitCode: number;
  output: string;
}

/**
 * Parses nslookup output (busybox and bind styles): the addresses listed after the "Name:" line,
 * so the resolver's own "Server/Address" lines are not taken for the answer.
 */
export function parseNslookup(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /^\s*Name:/i.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^\s*Address(?:\s+\d+)?:\s*([0-9a-fA-F:.]+)/.exec(line);
    if (m?.[1] && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

/** Resolves a name from inside a pod with its own resolver (cluster DNS), via `nslookup`. */
export async function resolveInPod(
  session: ClusterSession,
  where: { namespace: string; pod: string; container?: string | undefined },
  name: string,
  timeoutMs = 15_000,
): Promise<DnsAnswer> {
  const r = await execInPod(session, { ...where, command: ['nslookup', name], timeoutMs });
  const output = `${r.stdout}${r.stderr}`.trim();
  return { addresses: r.exitCode === 0 ? parseNslookup(r.stdout) : [], exitCode: r.exitCode, output };
}
