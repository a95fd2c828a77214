import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Journal } from './schema.ts';

/**
 * Keeps journal.json on disk in step with the run, so a crash leaves a readable partial journal.
 * Each write goes to a temporary file that is renamed over the old one: a reader never sees half
 * a file. Bursts of events are coalesced into one write per `intervalMs`, or more seldom when
 * the journal is large: the next write waits at least 20 times as long as the last one took, so
 * rewriting a large journal never takes more than about 5% of the run's time (and the garbage it
 * leaves grows no faster). It is written compact; the reports rewrite it indented at the end.
 */
export class JournalWriter {
  readonly path: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly journal: Journal;
  private lastWriteMs = 0;
  private readonly listeners = new Set<() => void>();

  /** With no directory the journal lives in memory only (dry runs, tests). */
  constructor(journal: Journal, dir: string | undefined, intervalMs = 250) {
    this.journal = journal;
    this.intervalMs = intervalMs;
    if (dir !== undefined) {
      mkdirSync(dir, { recursive: true });
      this.path = join(dir, 'journal.json');
      this.flush();
    }
  }

  /** Calls `fn` after every change of the journal (a live view follows the run through it); returns how to stop. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Asks for a write soon; cheap to call on every event. */
  touch(): void {
    this.changed();
    if (this.path === undefined || this.timer) return;
    this.timer = setTimeout(() => this.flush(), Math.max(this.intervalMs, 20 * this.lastWriteMs));
    this.timer.unref();
  }

  /** Writes now. Called at every phase boundary and at the end. */
  flush(): void {
    this.changed();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.path === undefined) return;
    const started = performance.now();
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.journal) + '\n');
    renameSync(tmp, this.path);
    this.lastWriteMs = performance.now() - started;
  }
}
