// The load shakedown runs with `--set load=k6` (k6 >= 1.0 runs TypeScript as it is). An open
// loop like the built-in driver: constant-arrival-rate starts iterations by the clock, not by
// completions. shakedown passes its parameters with -e and judges the run per phase itself
// from `--out json`; thresholds added here are the user's own and are recorded beside it.
import http from 'k6/http';
import type { Options } from 'k6/options';

const url = __ENV.SHAKEDOWN_URL ?? 'http://127.0.0.1:30080/';
const rate = Number(__ENV.SHAKEDOWN_RATE ?? '20');

export const options: Options = {
  scenarios: {
    load: {
      executor: 'constant-arrival-rate',
      rate,
      timeUnit: '1s',
      duration: __ENV.SHAKEDOWN_DURATION ?? '60s',
      // Enough VUs for every request to wait out its timeout; k6 counts what it cannot start as dropped_iterations.
      preAllocatedVUs: Math.max(2, Math.ceil(rate / 4)),
      maxVUs: Math.max(10, rate * 10),
      gracefulStop: '5s',
    },
  },
  discardResponseBodies: true,
  // Only loopback; never follow a redirect elsewhere.
  maxRedirects: 0,
};

export default function (): void {
  http.get(url, { timeout: __ENV.SHAKEDOWN_TIMEOUT ?? '2000ms', tags: { name: 'shakedown-target' } });
}
