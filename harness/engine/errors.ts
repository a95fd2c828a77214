import type { AbortReason, ErrorCode } from '../journal/schema.ts';

/**
 * Bad input from the user: unknown experiment, invalid parameter, broken manifest, a context
 * that is not allowed. Always raised before the cluster is touched; the CLI exits 2.
 */
export class UsageError extends Error {
  /** Always `UsageError`, so it can be told apart after crossing a module copy. */
  override name = 'UsageError';
  /** The parameter, flag or file that is wrong, when there is one. */
  readonly field: string | undefined;
  constructor(message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.field = options?.field;
  }
}

/**
 * The run itself broke: a prerequisite is missing, a target cannot be selected, a fault could
 * not be injected or reverted, the API failed. The verdict becomes `error` with this code.
 */
export class RunError extends Error {
  /** Always `RunError`. */
  override name = 'RunError';
  /** The error verdict's code: which part of the run broke (PREFLIGHT, INJECT, REVERT, API...). */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

export const preflightError = (message: string, cause?: unknown): RunError =>
  new RunError('PREFLIGHT', message, { cause });
export const targetSelectionError = (message: string, cause?: unknown): RunError =>
  new RunError('TARGET_SELECTION', message, { cause });
export const injectError = (message: string, cause?: unknown): RunError =>
  new RunError('INJECT', message, { cause });
export const revertError = (message: string, cause?: unknown): RunError =>
  new RunError('REVERT', message, { cause });

/** Thrown inside a step when the run's signal fires (SIGINT, SIGTERM or the run's deadline). */
export class AbortedError extends Error {
  override name = 'AbortedError';
  readonly reason: AbortReason;
  constructor(reason: AbortReason) {
    super(`run aborted: ${reason === 'deadline' ? 'the run reached its deadline' : reason === 'output-closed' ? 'its output was closed' : `received ${reason}`}`);
    this.reason = reason;
  }
}

/** The abort reason carried by an AbortSignal the engine created, or undefined. */
export function abortReasonOf(signal: AbortSignal): AbortReason | undefined {
  if (!signal.aborted) return undefined;
  const r: unknown = signal.reason;
  if (r instanceof AbortedError) return r.reason;
  return 'SIGINT';
}

/** Throws the run's AbortedError when its signal has fired; call between units of work. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof AbortedError ? signal.reason : new AbortedError('SIGINT');
}

/** A one-line message for any thrown value, following `cause` chains. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let msg = err.message;
  let cause: unknown = err.cause;
  for (let depth = 0; cause !== undefined && depth < 4; depth++) {
    const text = cause instanceof Error ? cause.message : String(cause);
    if (text && !msg.includes(text)) msg += `: ${text}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return msg;
}

/** The `message` of a Kubernetes Status in an API response body (JSON text or parsed), if it has one. */
export function statusMessageOf(body: unknown): string | undefined {
  try {
    const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    if (parsed && typeof parsed === 'object' && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return undefined;
}

/** One line for an API error: the server's own message, not the client's dump of body and headers. */
export function describeApiError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && 'body' in err && typeof err.code === 'number') {
    const message = statusMessageOf(err.body);
    return message === undefined ? `HTTP ${err.code}` : `HTTP ${err.code}: ${message}`;
  }
  return describeError(err);
}
