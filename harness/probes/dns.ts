import { execInPod } from '../cluster/exec.ts';
import { done, notYet, waitFor } from '../engine/wait.ts';
import type { ClusterSession } from '../cluster/session.ts';

/** What `nslookup` inside a pod answered. */
export interface DnsAnswer {
  /** IPv4/IPv6 addresses the name resolved to (empty when it did not resolve). */
  addresses: string[];
  /** nslookup's exit code. */
  exitCode: number;
  /** What nslookup printed, for the evidence. */
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

/**
 * Asks from inside a pod until `name` resolves to `ip`, within the bound: a record propagates
 * (CoreDNS picks up a new endpoint on its next sync), so one NXDOMAIN right after a pod turned
 * Ready is not a finding; only the bound running out is. Throws WaitTimeoutError with the last answer.
 */
export async function waitForDns(
  session: ClusterSession,
  where: { namespace: string; pod: string; container?: string | undefined },
  name: string,
  ip: string | undefined,
  opts: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<{ answer: DnsAnswer; at: number }> {
  return waitFor(
    async () => {
      const a = await resolveInPod(session, where, name);
      return ip !== undefined && a.addresses.includes(ip) ? done({ answer: a, at: Date.now() }) : notYet(a.addresses.join(',') || a.output.split('\n').slice(-2).join(' '));
    },
    { what: `${name} to resolve to ${ip ?? '(no IP)'}`, timeoutMs: opts.timeoutMs, intervalMs: 1000, retryErrors: true, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
}
