// How one plaintext probe of a service ended. The host probe (http-probe.ts) and the probe exec'd
// in a client pod (pod-http.ts) both end in one of these, so an experiment judges them alike.

/** How a connection failed without an HTTP response. */
export type ConnectionFailure = 'reset' | 'closed' | 'refused' | 'tls-error' | 'timeout' | 'dns-failure' | 'error';

/** How one HTTP probe ended: a response, or how its connection failed. */
export type ProbeOutcome =
  /** An HTTP response arrived: the connection was accepted. `server` is the Server header, when sent. */
  | { kind: 'http'; status: number; detail: string; server?: string | undefined }
  /** No HTTP response: how the connection failed. */
  | { kind: ConnectionFailure; detail: string };

/**
 * Connection-level rejection: reset, or closed without a response. This is what a STRICT sidecar
 * does to plaintext; nothing else counts as "rejected".
 */
export const isRejected = (o: ProbeOutcome): boolean => o.kind === 'reset' || o.kind === 'closed';

/**
 * The connection was accepted and served: an HTTP status below 500. A 5xx is not success: it is
 * what a client sidecar answers when it cannot reach the server (Envoy's 503 "upstream connect error").
 */
export const isServed = (o: ProbeOutcome): boolean => o.kind === 'http' && o.status < 500;

/**
 * The probe itself is broken and says nothing about the policy: it timed out, the name did not
 * resolve, nothing listened (refused), or the probe could not run. Never counted as a pass.
 */
export const isBroken = (o: ProbeOutcome): boolean => o.kind === 'timeout' || o.kind === 'dns-failure' || o.kind === 'refused' || o.kind === 'error';

/** A short label for charts and tables: the HTTP status, else the failure's kind. */
export const outcomeLabel = (o: ProbeOutcome): string => (o.kind === 'http' ? String(o.status) : o.kind);

/** One line for messages: "HTTP 200 (server: envoy)", "reset (Connection reset by peer)". */
export function describeOutcome(o: ProbeOutcome): string {
  if (o.kind === 'http') return `HTTP ${o.status}${o.server ? ` (server: ${o.server})` : ''}`;
  return `${o.kind}${o.detail ? ` (${o.detail})` : ''}`;
}
