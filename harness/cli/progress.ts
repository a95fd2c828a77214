import type { CheckRecord, Phase, UndoRecord, StepRecord, Verdict } from '../journal/schema.ts';
import type { ProgressSink } from '../engine/progress.ts';
import { formatDuration } from '../engine/time.ts';

type Write = (line: string) => void;

const elapsed = (s: StepRecord) => (s.endedAt ? formatDuration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : '');

/** Live progress for a person at a terminal: symbols, colour, durations. */
export function ttyProgress(write: Write, color = true): ProgressSink {
  const c = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const mark: Record<string, string> = {
    ok: c(32, '✓'),
    failed: c(31, '✗'),
    error: c(31, '!'),
    aborted: c(33, '⊘'),
  };
  const verdictColor: Record<Verdict['kind'], number> = { passed: 32, failed: 31, error: 31, aborted: 33 };
  return {
    runStarted: ({ experiment, runId, journalPath }) =>
      write(`${c(1, experiment)}  run ${runId}${journalPath ? c(90, `  journal ${journalPath}`) : ''}`),
    phaseStarted: (phase: Phase) => write(c(36, `▸ ${phase}`)),
    phaseEnded: () => {},
    stepStarted: (_p, s) => write(c(90, `  … ${s.name}: ${s.description}`)),
    stepEnded: (_p, s) =>
      write(`  ${mark[s.status ?? 'ok'] ?? '?'} ${s.name} ${c(90, elapsed(s))}${s.message ? `  ${c(31, s.message)}` : ''}`),
    message: (text) => write(c(90, `    · ${text}`)),
    check: (ch: CheckRecord) =>
      write(
        `    ${ch.status === 'passed' ? mark['ok'] : mark['failed']} ${ch.name}${ch.target ? ` (${ch.target})` : ''}` +
          (ch.status === 'passed' ? '' : `\n        expected: ${ch.expected}\n        observed: ${ch.observed}`),
      ),
    rollback: (r: UndoRecord) => write(`  ${r.status === 'ok' ? mark['ok'] : mark['failed']} undo ${r.name}${r.error ? `  ${c(31, r.error)}` : ''}`),
    runEnded: ({ experiment, verdict }) =>
      write(`${c(1, experiment)}: ${c(verdictColor[verdict.kind], verdict.kind.toUpperCase())}  ${verdict.summary}`),
  };
}

/** One timestamped line per event, for CI logs. */
export function plainProgress(write: Write): ProgressSink {
  const t = () => new Date().toISOString();
  let exp = '';
  return {
    runStarted: ({ experiment, runId, journalPath }) => {
      exp = experiment;
      write(`${t()} ${exp} run=${runId} started${journalPath ? ` journal=${journalPath}` : ''}`);
    },
    phaseStarted: (phase) => write(`${t()} ${exp} phase=${phase} started`),
    phaseEnded: (phase, status) => write(`${t()} ${exp} phase=${phase} ${status}`),
    stepStarted: (phase, s) => write(`${t()} ${exp} phase=${phase} step=${s.name} started: ${s.description}`),
    stepEnded: (phase, s) => write(`${t()} ${exp} phase=${phase} step=${s.name} ${s.status} ${elapsed(s)}${s.message ? `: ${s.message}` : ''}`),
    message: (text) => write(`${t()} ${exp} ${text}`),
    check: (ch) =>
      write(`${t()} ${exp} check=${ch.name}${ch.target ? `[${ch.target}]` : ''} ${ch.status}${ch.status === 'passed' ? '' : ` expected="${ch.expected}" observed="${ch.observed}"`}`),
    rollback: (r) => write(`${t()} ${exp} rollback=${r.name} ${r.status}${r.error ? `: ${r.error}` : ''}`),
    runEnded: ({ verdict }) => write(`${t()} ${exp} verdict=${verdict.kind} ${verdict.summary}`),
  };
}

/** Newline-delimited JSON for machines (`--json`). */
export function jsonProgress(write: Write): ProgressSink {
  const emit = (event: string, data: object) => write(JSON.stringify({ at: new Date().toISOString(), event, ...data }));
  return {
    runStarted: (info) => emit('run-started', info),
    phaseStarted: (phase) => emit('phase-started', { phase }),
    phaseEnded: (phase, status) => emit('phase-ended', { phase, status }),
    stepStarted: (phase, step) => emit('step-started', { phase, step }),
    stepEnded: (phase, step) => emit('step-ended', { phase, step }),
    message: (text) => emit('message', { text }),
    check: (check) => emit('check', { check }),
    rollback: (rollback) => emit('rollback', { rollback }),
    runEnded: (info) => emit('run-ended', info),
  };
}
