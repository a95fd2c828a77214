// The live view in a terminal: the usual progress lines scroll as before, and below them a
// compact block (current phase and step, the target's pods, the load's last second, checks and
// changes) is redrawn in place as the journal changes. Only on a TTY; CI logs keep plain lines.
import type { ProgressSink } from '../engine/progress.ts';
import { formatDuration } from '../engine/time.ts';
import type { Journal } from '../journal/schema.ts';
import { liveParts, type LiveParts } from './model.ts';
import { sinceDeletion, type PodRow } from './pods.ts';

type Write = (text: string) => void;

export interface TerminalView {
  progress: ProgressSink;
  /** Writes something else to the terminal (a message on stderr) above the block. */
  aside(fn: () => void): void;
  watch: { started(journal: Readonly<Journal>): void; changed(): void };
}

const since = (iso: string | undefined, now: number) => (iso ? formatDuration(Math.max(0, now - Date.parse(iso))) : '');

/** How one pod reads in the block: its state and, after a deletion, how long the latest step took. */
function podText(p: PodRow, now: number): string {
  const last = p.dnsAt ?? p.readyAt ?? p.recreatedAt ?? p.goneAt;
  const after = sinceDeletion(p, last);
  const when = p.deletedAt ? (after !== undefined ? ` +${formatDuration(after)}` : ` ${since(p.deletedAt, now)}`) : '';
  return `${p.pod} ${p.state}${when}`;
}

/** The block's lines, without colour codes or width limits (unit-tested). */
export function blockLines(v: LiveParts, now = Date.now()): string[] {
  const lines: string[] = [];
  const c = v.current;
  lines.push(c ? `▸ ${c.phase}${c.name === c.phase ? '' : ` › ${c.name}`}  ${since(c.startedAt, now)}   (run ${since(v.run.startedAt, now)})` : `▸ ${v.run.status}   (run ${since(v.run.startedAt, now)})`);
  if (v.pods.length > 0) {
    // The pods a fault touched first: deleted ones and their replacements.
    const touched = (p: PodRow) => p.deletedAt !== undefined || p.recreatedAt !== undefined;
    const shown = [...v.pods.filter(touched), ...v.pods.filter((p) => !touched(p))].slice(0, 6);
    lines.push(`  pods   ${shown.map((p) => podText(p, now)).join('  ·  ')}${v.pods.length > shown.length ? `  · +${v.pods.length - shown.length} more` : ''}`);
  }
  const load = v.load.at(-1);
  if (load) lines.push(`  load   ${load.sent} req/s  ${load.errors} errors  p95 ${load.p95 === undefined ? '–' : `${load.p95.toFixed(1)} ms`}`);
  for (const x of v.values.slice(0, 3)) lines.push(`  ${x.group}: ${x.series} ${x.value} ${x.unit}`);
  const undone = v.changes.filter((ch) => ch.status === 'undone').length;
  lines.push(`  changes ${v.changes.length} (${undone} undone)`);
  return lines;
}

/** `base` prints the lines as before; the block goes below them, redrawn at most every `everyMs`. */
export function terminalView(write: Write, base: ProgressSink, o: { columns: () => number; color?: boolean; everyMs?: number }): TerminalView {
  let journal: Readonly<Journal> | undefined;
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let checks = { passed: 0, failed: 0 };
  const dim = (t: string) => (o.color === false ? t : `\x1b[90m${t}\x1b[0m`);

  const clear = () => {
    if (drawn > 0) write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = () => {
    clearTimeout(timer);
    timer = undefined;
    clear();
    if (!journal || journal.status === 'completed') return;
    const width = Math.max(20, o.columns() - 1);
    const lines = blockLines(liveParts(journal));
    lines.push(`  checks ${checks.passed} passed, ${checks.failed} not`);
    // One terminal row per line: a wrapped line would leave part of the block behind on redraw.
    write(lines.map((l) => dim(l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n') + '\n');
    drawn = lines.length;
  };
  /** A progress line goes above the block: clear it, print, draw it again. */
  const above = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
    clear();
    fn(...a);
    draw();
  };

  const progress: ProgressSink = {
    runStarted: above((i) => base.runStarted(i)),
    phaseStarted: above((p) => base.phaseStarted(p)),
    phaseEnded: above((p, st) => base.phaseEnded(p, st)),
    stepStarted: above((p, st) => base.stepStarted(p, st)),
    stepEnded: above((p, st) => base.stepEnded(p, st)),
    message: above((t) => base.message(t)),
    check: above((ch) => {
      if (ch.status === 'passed') checks.passed++;
      else checks.failed++;
      base.check(ch);
    }),
    rollback: above((r) => base.rollback(r)),
    runEnded: (info) => {
      clearInterval(ticker);
      clearTimeout(timer);
      clear();
      journal = undefined;
      base.runEnded(info);
    },
  };
  return {
    progress,
    aside: above((fn: () => void) => fn()),
    watch: {
      started(j) {
        journal = j;
        checks = { passed: 0, failed: 0 };
        // Elapsed times move even when nothing is recorded.
        ticker = setInterval(draw, 1000).unref();
      },
      changed() {
        timer ??= setTimeout(draw, o.everyMs ?? 200).unref();
      },
    },
  };
}
