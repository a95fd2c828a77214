// The built-in driver: runs builtin-worker.ts in a worker thread so that sending and timing
// requests never competes with the harness's own event loop (watches, timings).
import { Worker } from 'node:worker_threads';
import type { WorkerInput, WorkerMessage } from './builtin-worker.ts';
import { checkBounds, loadTarget } from './target.ts';
import { LoadDriverError, type LoadDriver, type LoadResult, type LoadStartOptions, type RunningLoad, type SecondBucket } from './types.ts';

// Run from source (.ts, Node's type stripping) or from the build (.js).
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './builtin-worker.ts' : './builtin-worker.js', import.meta.url);

/** Grace after duration + timeout before a worker that did not finish is ended by force. */
const HARD_STOP_GRACE_MS = 10_000;

export const builtinDriver: LoadDriver = {
  name: 'builtin',
  preflight: () => Promise.resolve(),
  start: startBuiltin,
};

/** Starts the load; rejects with a UsageError naming the field for a bad target or bound. */
export async function startBuiltin(options: LoadStartOptions): Promise<RunningLoad> {
  return startBuiltinAt(loadTarget(options.url), options);
}

/** The same for a URL already checked by the caller (a load worker pod's in-cluster target). */
export async function startBuiltinAt(target: URL, options: LoadStartOptions): Promise<RunningLoad> {
  checkBounds(options);
  return launch(target.href, options);
}

function launch(url: string, options: LoadStartOptions): Promise<RunningLoad> {
  const input: WorkerInput = { url, rate: options.rate, duration: options.duration, timeout: options.timeout };
  const worker = new Worker(workerUrl, { workerData: input });
  const seconds: SecondBucket[] = [];
  let startedAt = 0;
  let stopRequested = false;

  return new Promise<RunningLoad>((resolveStart, rejectStart) => {
    let settled = false;
    const { promise: done, resolve: resolveDone, reject: rejectDone } = Promise.withResolvers<LoadResult>();
    // The caller may only await stop(); an unobserved rejection must not crash the harness.
    done.catch(() => {});

    const hardStop = setTimeout(() => {
      fail(new LoadDriverError(`the built-in load did not stop within ${(options.duration + options.timeout + HARD_STOP_GRACE_MS) / 1000}s; its worker was ended`));
      void worker.terminate();
    }, options.duration + options.timeout + HARD_STOP_GRACE_MS + 1000);

    const onAbort = () => void stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    function finish() {
      settled = true;
      clearTimeout(hardStop);
      options.signal?.removeEventListener('abort', onAbort);
    }
    function fail(err: Error) {
      if (settled) return;
      finish();
      rejectStart(err);
      rejectDone(err);
    }
    function stop(): Promise<LoadResult> {
      if (!stopRequested && !settled) {
        stopRequested = true;
        worker.postMessage({ type: 'stop' });
      }
      return done;
    }

    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'started') {
        startedAt = m.at;
        resolveStart({ driver: 'builtin', startedAt, seconds: () => seconds.slice(), stop, done });
        if (options.signal?.aborted) void stop();
      } else if (m.type === 'second') {
        // The worker emits each second once; a second point for one would double its counts.
        if (seconds.some((s) => s.at === m.bucket.at)) {
          fail(new LoadDriverError(`the built-in load emitted the second ${new Date(m.bucket.at).toISOString()} twice`));
          void worker.terminate();
          return;
        }
        seconds.push(m.bucket);
        seconds.sort((a, b) => a.at - b.at);
        options.onSecond?.(m.bucket);
      } else {
        finish();
        resolveDone({
          driver: 'builtin',
          url,
          rate: options.rate,
          startedAt,
          endedAt: m.endedAt,
          seconds: seconds.slice(),
          totals: m.totals,
          otherCodes: m.otherCodes,
          exit: { kind: 'ok', message: stopRequested ? 'stopped by the harness' : 'ran its full duration' },
        });
      }
    });
    worker.on('error', (err: Error) => fail(new LoadDriverError(`the built-in load worker crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => {
      if (!settled) fail(new LoadDriverError(`the built-in load worker exited (code ${code}) before reporting its result`));
    });
  });
}
