// Durations are given as "90s", "2m", "1h", "500ms" or a number of seconds, and kept as milliseconds.

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration into milliseconds, or returns undefined when it is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1000));
}

/** Human duration: 850ms, 12.3s, 4m 05s, 1h 02m. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) {
    const m = Math.floor(totalSeconds / 60);
    const s = totalSeconds % 60;
    return `${sign}${m}m ${String(s).padStart(2, '0')}s`;
  }
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  return `${sign}${h}h ${String(m).padStart(2, '0')}m`;
}

/** ISO 8601 with milliseconds; the one timestamp format of journals. */
export const nowIso = (): string => new Date().toISOString();

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as Go prints it and Kubernetes serialises metav1.Duration ("15s", "1m0.5s",
 * "10.004519ms"), in milliseconds; undefined when it is not one.
 */
export function parseGoDuration(input: string): number | undefined {
  if (input === '0') return 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let rest = input;
  let total = 0;
  if (rest.length === 0) return undefined;
  while (rest.length > 0) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
