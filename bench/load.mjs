#!/usr/bin/env node
// Benchmark of the built-in load driver (not a test: figures, no pass/fail). For each rate it
// offers load for a few seconds to a loopback HTTP server running in a child process, and
// prints offered vs achieved rate, latency, the driver's CPU and memory (this process holds
// only the driver), and what the load costs the harness's own thread: its event-loop delay,
// and how late it sees an outside event (an IPC message from the server process every 20 ms,
// standing in for a watch event), with and without load (ratio).
//
//   node bench/load.mjs [seconds=5] [rates=200,500,1000]
import { fork } from 'node:child_process';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { startBuiltin } from '../harness/load/builtin.ts';
import { merge, percentiles } from '../harness/load/histogram.ts';

if (process.argv[2] === '--server') {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.end('ok\n'));
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  // An outside event every 20 ms, stamped when sent: how late the harness's main thread sees it
  // stands in for its detection latency (a watch event arriving while load runs).
  setInterval(() => process.send({ tick: performance.timeOrigin + performance.now() }), 20);
} else {
  await main();
}

async function main() {
  const seconds = Number(process.argv[2] ?? 5);
  const rates = (process.argv[3] ?? '200,500,1000').split(',').map(Number);
  const server = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => server.once('message', resolve));
  let lateness = [];
  server.on('message', (m) => {
    if (m.tick) lateness.push(performance.timeOrigin + performance.now() - m.tick);
  });
  const detection = () => {
    const d = lateness.sort((a, b) => a - b);
    lateness = [];
    const q = (x) => Math.round((d[Math.min(d.length - 1, Math.floor(x * d.length))] ?? 0) * 100) / 100;
    return { p50: q(0.5), p99: q(0.99) };
  };
  const url = `http://127.0.0.1:${port}/`;

  console.log(`RSS before any load: ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MB`);
  // Warm up (the server process is starting), then measure as long as each load runs.
  await new Promise((r) => setTimeout(r, 1000));
  lateness = [];
  const idleLoop = await loopDelay(() => new Promise((r) => setTimeout(r, seconds * 1000)));
  const idleDetect = detection();
  const rows = [];
  for (const rate of rates) {
    let rssPeak = process.memoryUsage().rss;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let result;
    lateness = [];
    const loop = await loopDelay(async () => {
      const load = await startBuiltin({ url, rate, duration: seconds * 1000, timeout: 2000 });
      result = await load.done;
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const det = detection();
    clearInterval(sampler);
    const ok = result.totals.outcomes['2xx'];
    const lat = percentiles(merge(result.seconds.map((s) => s.histogram)));
    rows.push({
      'offered/s': rate,
      'sent/s': (result.totals.sent / seconds).toFixed(1),
      'ok/s': (ok / seconds).toFixed(1),
      errors: result.totals.sent - ok,
      'p50 ms': lat.p50,
      'p99 ms': lat.p99,
      'max lag ms': Math.max(...result.seconds.map((s) => s.maxSendLagMs)),
      'CPU %': (((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1),
      'RSS peak MB': (rssPeak / 2 ** 20).toFixed(1),
      'loop p99 ms': loop.p99,
      'detect p50/p99 ms': `${det.p50}/${det.p99}`,
      'detect p99 ratio': (det.p99 / Math.max(idleDetect.p99, 0.01)).toFixed(2),
    });
  }
  server.kill();
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log(`built-in load driver, ${seconds}s per rate, loopback target in a child process; CPU is this process (the driver's worker + an idle main thread) over the run's wall time`);
  console.log(`without load: harness event-loop delay p99 ${idleLoop.p99} ms; detection of an outside event p50/p99 ${idleDetect.p50}/${idleDetect.p99} ms`);
  console.table(rows);
}

/** The main thread's event-loop delay (p99, max in ms) while `fn` runs: what the harness would feel. */
async function loopDelay(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await fn();
  h.disable();
  return { p99: Math.round(h.percentile(99) / 1e4) / 100, max: Math.round(h.max / 1e4) / 100 };
}
