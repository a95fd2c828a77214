// Starts and stops a run's observers at the edges of the phases their window covers, so a
// continuous probe of the steady state stops before the fault and one of the fault stops when
// the method ends. Whatever is still running is stopped before rollback.
import type { Phase } from '../journal/schema.ts';
import type { ObserveWindow, Observer } from './experiment.ts';

type AnyObserver = Observer<unknown, unknown, unknown>;

/** The phase an observer's window opens at, and the phase after which it closes. */
const WINDOWS: Record<ObserveWindow | 'default', { from: Phase; until: Phase }> = {
  steady: { from: 'steady-state-before', until: 'steady-state-before' },
  fault: { from: 'inject', until: 'inject' },
  recovery: { from: 'verify', until: 'verify' },
  always: { from: 'steady-state-before', until: 'verify' },
  default: { from: 'inject', until: 'verify' },
};

export const windowOf = (o: { during?: ObserveWindow | undefined }) => WINDOWS[o.during ?? 'default'];

export class ObserverSet {
  private readonly all: readonly AnyObserver[];
  private readonly running: { o: AnyObserver; stop: () => Promise<void> }[] = [];

  constructor(all: readonly AnyObserver[]) {
    this.all = all;
  }

  /** Starts the observers whose window opens at `phase`; the first that fails to start throws. */
  async startFor(phase: Phase, start: (o: AnyObserver) => Promise<() => Promise<void>>): Promise<void> {
    for (const o of this.all) {
      if (windowOf(o).from !== phase) continue;
      this.running.push({ o, stop: await start(o) });
    }
  }

  /** Stops those whose window closes after `phase` (every one still running when `phase` is undefined), last started first. */
  async stopAfter(phase: Phase | undefined, onError: (name: string, err: unknown) => void): Promise<void> {
    for (let i = this.running.length - 1; i >= 0; i--) {
      const r = this.running[i]!;
      if (phase !== undefined && windowOf(r.o).until !== phase) continue;
      this.running.splice(i, 1);
      try {
        await r.stop();
      } catch (err) {
        onError(r.o.name, err);
      }
    }
  }
}
