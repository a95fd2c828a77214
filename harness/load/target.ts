// Load goes only to loopback: the host's own test servers and NodePorts on 127.0.0.1. A user
// who points load elsewhere gets a usage error before anything starts.
import { isIP } from 'node:net';
import { UsageError } from '../engine/errors.ts';

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

/**
 * An address inside the cluster, for load from worker pods (loadWorkers > 1): a Service's DNS
 * name (`name.namespace.svc`, optionally `.cluster.local` or another cluster domain after it)
 * or a private IPv4 address (a ClusterIP or a pod IP). Neither is reachable from outside the
 * cluster, which keeps the workers' load where the run's own loopback load may go.
 */
export function isInClusterHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h) === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (isIP(h) === 6) return /^f[cd]/.test(h);
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.svc(\.[a-z0-9.-]+)?$/.test(h);
}

/** Parses a load target URL for the worker pods: http:// and an in-cluster address (isInClusterHost). */
export function inClusterTarget(url: string, field = 'loadUrl'): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`parameter "${field}": "${url}" is not a URL (use e.g. http://web.shop.svc:8080/)`, { field });
  }
  if (u.protocol !== 'http:') throw new UsageError(`parameter "${field}": only http:// targets are supported, got ${u.protocol}`, { field });
  if (!isInClusterHost(u.hostname)) {
    throw new UsageError(`parameter "${field}": load workers only go to in-cluster addresses (a Service's DNS name like web.shop.svc, or a ClusterIP), not ${u.hostname}`, { field });
  }
  return u;
}

/** Parses a load target URL; `field` names the parameter in the error. */
export function loadTarget(url: string, field = 'loadUrl'): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`parameter "${field}": "${url}" is not a URL (use e.g. http://127.0.0.1:30080/)`, { field });
  }
  if (u.protocol !== 'http:') throw new UsageError(`parameter "${field}": only http:// targets are supported, got ${u.protocol}`, { field });
  if (!isLoopbackHost(u.hostname)) {
    throw new UsageError(`parameter "${field}": load only goes to loopback (127.0.0.0/8, ::1, localhost), not ${u.hostname}`, { field });
  }
  return u;
}

/** Checks rate, duration and timeout together; every load is bounded in count and time. */
export function checkBounds(o: { rate: number; duration: number; timeout: number }): void {
  if (!(o.rate > 0 && o.rate <= 5000)) throw new UsageError(`load rate must be in (0, 5000] requests/s, got ${o.rate}`, { field: 'loadRate' });
  if (!(o.duration > 0 && o.duration <= 6 * 3_600_000)) throw new UsageError(`load duration must be in (0, 6h], got ${o.duration}ms`, { field: 'loadDuration' });
  if (!(o.timeout > 0 && o.timeout <= 60_000)) throw new UsageError(`load timeout must be in (0, 60s], got ${o.timeout}ms`, { field: 'loadTimeout' });
}
