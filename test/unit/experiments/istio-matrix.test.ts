// The probe matrix's judgement (N rounds in a row, per-path times, bounded rounds, broken probes)
// and the parameters refused before the cluster is touched.
import assert from 'node:assert/strict';
import type { Recorder } from '../../../harness/engine/experiment.ts';
import type { EventRecord } from '../../../harness/journal/schema.ts';
import type { ProbeOutcome } from '../../../harness/probes/outcome.ts';
import { brokenPaths, lastRound, outcomeCounts, probeRounds, type PathId, type ProbePath, type StageResult } from '../../../experiments/istio-mtls/matrix.ts';
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

/** A clock the test moves: a probe advances it, and a pause advances it by its length at once, so the pacing between rounds is exact and recorded. */
function fakeClock(start: number) {
  let now = start;
  const delays: number[] = [];
  return {
    delays,
    advance: (ms: number) => (now += ms),
    clock: {
      now: () => now,
      sleep: (ms: number) => {
        delays.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

describe('istio-mtls probe matrix: pacing, events and texts', () => {
  const base = (events: EventRecord[], signal = new AbortController().signal) => ({ consecutive: 3, signal, record: recorder(events) });
  const s503: ProbeOutcome = { kind: 'http', status: 503, detail: 'upstream connect error' };

  it('paces rounds every everyMs from their start, never past the bound, and stops when the bound is reached exactly', async () => {
    const clock = fakeClock(10_000);
    // Each round's probes take 100 ms; out-of-mesh answers plaintext under STRICT, so it never holds.
    const slow = (id: PathId, o: ProbeOutcome): ProbePath => ({ id, client: id, target: 'svc', probe: () => (clock.advance(100), Promise.resolve(o)) });
    const r = await probeRounds([slow('out-of-mesh', ok)], { stage: 'STRICT', since: 10_000, boundMs: 2_100, everyMs: 1_000, ...base([]), clock: clock.clock });
    assert.deepEqual(r.rounds.map((x) => x.at), [10_000, 11_000, 12_000]);
    assert.deepEqual(clock.delays, [900, 900]);
    // A bound that ends mid-interval cuts the last wait short.
    clock.delays.length = 0;
    const cut = await probeRounds([slow('out-of-mesh', ok)], { stage: 'STRICT', since: clock.clock.now(), boundMs: 1_500, everyMs: 1_000, ...base([]), clock: clock.clock });
    assert.equal(cut.rounds.length, 3);
    assert.deepEqual(clock.delays, [900, 400]);
  });

  it('times each path from the stage start: enforced, per path and last miss', async () => {
    const clock = fakeClock(50_000);
    const paths = [scripted('in-mesh', [ok]), scripted('out-of-mesh', [ok, reset])];
    const r = await probeRounds(paths, { stage: 'STRICT', since: 49_000, boundMs: 60_000, everyMs: 1_000, ...base([]), clock: clock.clock });
    assert.deepEqual(r.rounds.map((x) => x.at), [50_000, 51_000, 52_000, 53_000]);
    assert.equal(r.enforcedAt, 51_000);
    assert.deepEqual(r.perPath, { 'in-mesh': 1_000, 'out-of-mesh': 2_000 });
    assert.deepEqual(r.lastMiss, { 'out-of-mesh': 1_000 });
  });

  it('does not probe once aborted', async () => {
    let probes = 0;
    const ctl = new AbortController();
    ctl.abort();
    const path: ProbePath = { id: 'in-mesh', client: 'c', target: 't', probe: () => (probes++, Promise.resolve(ok)) };
    await assert.rejects(probeRounds([path], { stage: 'STRICT', since: Date.now(), boundMs: 200, everyMs: 5, ...base([], ctl.signal) }));
    assert.equal(probes, 0);
  });

  it('records each probe as as-expected, unexpected or broken against the stage, with its text', async () => {
    const events: EventRecord[] = [];
    // Baseline: plaintext may be served or rejected; a 503 is neither, a timeout says nothing.
    const paths = [scripted('in-mesh', [reset]), scripted('out-of-mesh', [ok]), scripted('host', [s503])];
    await probeRounds(paths, { stage: 'baseline', since: Date.now(), boundMs: 0, everyMs: 5, ...base(events) });
    const outOfMesh = [reset, timeout].map((o) => scripted('out-of-mesh', [o]));
    for (const p of outOfMesh) await probeRounds([p], { stage: 'baseline', since: Date.now(), boundMs: 0, everyMs: 5, ...base(events) });
    assert.deepEqual(events.map((e) => [e.source, e.type, e.message]), [
      ['probe', 'unexpected', 'baseline: in-mesh → svc: reset (reset) (expected served)'],
      ['probe', 'as-expected', 'baseline: out-of-mesh → svc: HTTP 200 (expected answers)'],
      ['probe', 'unexpected', 'baseline: host → svc: HTTP 503 (expected answers)'],
      ['probe', 'as-expected', 'baseline: out-of-mesh → svc: reset (reset) (expected answers)'],
      ['probe', 'broken', 'baseline: out-of-mesh → svc: timeout (killed by timeout) (expected answers)'],
    ]);
    // Under STRICT a reset holds, a 200 does not.
    const strict: EventRecord[] = [];
    await probeRounds([scripted('out-of-mesh', [reset]), scripted('host', [ok])], { stage: 'STRICT', since: Date.now(), boundMs: 0, everyMs: 5, ...base(strict) });
    assert.deepEqual(strict.map((e) => e.type), ['as-expected', 'unexpected']);
  });

  it('describes the last round, and says when none ran', () => {
    const paths = [scripted('in-mesh', [ok]), scripted('host', [ok])];
    const r: StageResult = {
      stage: 'STRICT', since: 0, perPath: {}, lastMiss: {},
      rounds: [{ at: 1, outcomes: { 'in-mesh': ok, host: timeout } }, { at: 2, outcomes: { 'in-mesh': s503, host: ok } }, { at: 3, outcomes: { 'in-mesh': ok, host: reset } }],
    };
    assert.equal(lastRound(paths, r), 'in-mesh → svc: HTTP 200 (expected served); host → svc: reset (reset) (expected rejected)');
    assert.deepEqual(brokenPaths(paths, r), []);
    const none = { ...r, rounds: [] };
    assert.equal(lastRound(paths, none), 'no probe round ran');
    assert.deepEqual(brokenPaths(paths, none), []);
  });

  it('counts outcomes per path in label order', () => {
    const paths = [scripted('host', [ok])];
    const r: StageResult = { stage: 'STRICT', since: 0, perPath: {}, lastMiss: {}, rounds: [reset, ok, reset].map((o, i) => ({ at: i, outcomes: { host: o } })) };
    assert.deepEqual(outcomeCounts([r], paths), [['STRICT', 'host → svc', '200', 1], ['STRICT', 'host → svc', 'reset', 2]]);
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
