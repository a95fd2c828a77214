// How one request's ending is classified. The same classes are used for k6's samples (k6.ts).
import type { Outcome } from './types.ts';

export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return '2xx';
  if (status >= 300 && status < 400) return '3xx';
  if (status >= 400 && status < 500) return '4xx';
  if (status >= 500 && status < 600) return '5xx';
  return 'other';
}

/** The error a request timed out with (set by the driver, not by Node). */
export class RequestTimeout extends Error {
  override name = 'RequestTimeout';
  readonly code = 'ETIMEDOUT_SHAKEDOWN';
}

/** A Node socket or HTTP error as an outcome; `code` is kept for `other` as evidence. */
export function classifyError(err: unknown): { outcome: Outcome; code: string } {
  if (err instanceof RequestTimeout) return { outcome: 'timeout', code: 'timeout' };
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unknown';
  switch (code) {
    case 'ECONNRESET': // includes "socket hang up": the peer closed before answering
    case 'EPIPE':
      return { outcome: 'reset', code };
    case 'ECONNREFUSED':
      return { outcome: 'refused', code };
    case 'ETIMEDOUT':
      return { outcome: 'timeout', code };
    default:
      return { outcome: 'other', code };
  }
}
