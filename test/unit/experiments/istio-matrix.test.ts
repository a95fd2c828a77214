// The probe matrix's judgement (N rounds in a row, per-path times, bounded rounds, broken probes)
// and the parameters refused before the cluster is touched.
import assert from 'node:assert/strict';
import type { Recorder } from '../../../harness/engine/experiment.ts';
import type { EventRecord } from '../../../harness/journal/schema.ts';
import type { ProbeOutcome } from '../../../harness/probes/outcome.ts';
import { brokenPaths, outcomeCounts, probeRounds, type PathId, type ProbePath } from '../../../experiments/istio-mtls/matrix.ts';
import { params } from '../../../experiments/istio-mtls/params.ts';
import { UsageError } from '../../../harness/engine/errors.ts';
import { validateParams } from '../../../harness/engine/params.ts';

const ok: ProbeOutcome = { kind: 'http', status: 200, detail: 'HTTP/1.1 200 OK' };
const reset: ProbeOutcome = { kind: 'reset', detail: 'reset' };
const timeout: ProbeOutcome = { kind: 'timeout', detail: 'killed by timeout' };

/** A path that answers from a script, one outcome per round (the last repeats). */
function scripted(id: PathId, script: ProbeOutcome[]): ProbePath {
  let i = 0;
  return { id, client: id, target: 'svc', probe: () => Promise.resolve(script[Math.min(i++, script.length - 1)]!) };
}

function recorder(events: EventRecord[]): Recorder {
  const none = () => undefined;
  return {
    event: (e) => {
      const rec = { at: new Date().toISOString(), ...e };
      events.push(rec);
      return rec;
    },
    check: () => { throw new Error('no checks here'); },
    metric: none,
    point: none,
    window: () => none,
    measurement: none,
    table: none,
    environment: none,
  };
}

describe('istio-mtls probe matrix', () => {
  const opts = (events: EventRecord[], boundMs = 2_000) => ({ since: Date.now(), boundMs, everyMs: 5, consecutive: 3, signal: new AbortController().signal, record: recorder(events) });

  it('is enforced at the first of N rounds in a row where every path holds; each path is timed on its own', async () => {
    const events: EventRecord[] = [];
    const paths = [scripted('in-mesh', [ok]), scripted('out-of-mesh', [ok, reset]), scripted('host', [ok, ok, reset])];
    const r = await probeRounds(paths, { stage: 'STRICT', ...opts(events) });
    assert.equal(r.rounds.length, 5);
    assert.equal(r.enforcedAt, r.rounds[2]!.at);
    assert.equal(r.perPath['in-mesh'], r.rounds[0]!.at - r.since);
    assert.equal(r.perPath['out-of-mesh'], r.rounds[1]!.at - r.since);
    assert.equal(r.lastMiss['out-of-mesh'], r.rounds[0]!.at - r.since);
    assert.equal(r.perPath['host'], r.rounds[2]!.at - r.since);
    assert.equal(events.length, 15, 'one probe event per path and round');
    assert.deepEqual(events[0]!.data, { client: 'in-mesh', target: 'svc', outcome: '200', path: 'in-mesh', stage: 'STRICT', expected: 'served', detail: 'HTTP/1.1 200 OK' });
    assert.deepEqual(outcomeCounts([r], paths).find((row) => row[1] === 'host → svc' && row[2] === '200'), ['STRICT', 'host → svc', '200', 2]);
  });

  it('a streak broken by one round starts again', async () => {
    const r = await probeRounds([scripted('in-mesh', [ok]), scripted('out-of-mesh', [reset, reset, ok, reset])], { stage: 'STRICT', ...opts([]) });
    assert.equal(r.enforcedAt, r.rounds[3]!.at);
  });

  it('stops at its bound, not enforced, and names the broken paths of the last round', async () => {
    const t0 = Date.now();
    const paths = [scripted('in-mesh', [ok]), scripted('out-of-mesh', [timeout])];
    const r = await probeRounds(paths, { stage: 'STRICT', ...opts([], 100) });
    assert.equal(r.enforcedAt, undefined);
    assert.ok(Date.now() - t0 < 1_000, 'bounded in time');
    assert.ok(r.rounds.length >= 2 && r.rounds.length < 100, `bounded in rounds: ${r.rounds.length}`);
    assert.deepEqual(brokenPaths(paths, r), ['out-of-mesh → svc: timeout (killed by timeout)']);
  });

  it('a plaintext answer under STRICT is a deviation, not a broken probe', async () => {
    const paths = [scripted('in-mesh', [ok]), scripted('out-of-mesh', [ok])];
    const r = await probeRounds(paths, { stage: 'STRICT', ...opts([], 50) });
    assert.equal(r.enforcedAt, undefined);
    assert.deepEqual(brokenPaths(paths, r), []);
  });
});

describe('istio-mtls parameters', () => {
  const bad = (raw: Record<string, unknown>, field: RegExp) => assert.throws(() => validateParams('istio-mtls', params, raw), (e: Error) => e instanceof UsageError && field.test(e.message));

  it('refuses, naming the field, what would break the run after it touched the cluster', () => {
    bad({ outsideNamespace: 'shakedown-mesh' }, /"outsideNamespace": must differ from namespace/);
    bad({ outsideNamespace: 'istio-system' }, /"outsideNamespace": must not be Istio's root namespace/);
    bad({ service: 'a'.repeat(51) }, /"service": must be at most 50 characters/);
    bad({ path: '/a b' }, /"path": must be an absolute URL path/);
    bad({ scope: 'cluster' }, /"scope"/);
    bad({ consecutiveRounds: 0 }, /"consecutiveRounds"/);
  });

  it('defaults to the fixture at namespace scope', () => {
    const p = validateParams('istio-mtls', params, {});
    assert.deepEqual([p.service, p.scope, p.nodePort, p.probeEvery, p.enforcedWithin], [undefined, 'namespace', 32000, 1000, 60_000]);
  });
});
