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
