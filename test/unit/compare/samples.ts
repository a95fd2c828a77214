// Synthetic runs for the comparison tests: journals carrying metrics with known samples.
import { seededRandom } from '../../../harness/compare/stats.ts';
import type { Journal, MetricRecord } from '../../../harness/journal/schema.ts';
import { parseJournal } from '../../../harness/report/read-journal.ts';

/** n samples around `centre` with a spread of ±`spread` (deterministic). */
export function noisy(n: number, centre: number, spread: number, seed: number): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => Math.round(centre + (r() * 2 - 1) * spread));
}


export function journalWith(metrics: MetricRecord[], over: { runId?: string; parameters?: Record<string, unknown>; experiment?: string; startedAt?: string } = {}): Journal {
  return parseJournal({
    schema: 'shakedown.io/journal/v1',
    runId: over.runId ?? 'r1',
    experiment: { name: over.experiment ?? 'statefulset-identity', description: '' },
    parameters: over.parameters ?? { namespace: 'shop', statefulset: 'orders', recoveryWithin: '120s' },
    environment: { shakedownVersion: '0.1.0', node: 'v24', platform: 'linux', hostname: 'h' },
    startedAt: over.startedAt ?? '2026-12-01T00:00:00.000Z',
    endedAt: '2026-12-01T00:01:00.000Z',
    status: 'completed',
    phases: [], events: [], checks: [], series: [], windows: [], measurements: [], tables: [], rollbacks: [],
    metrics,
    verdict: { kind: 'passed', summary: 'all held' },
  });
}
