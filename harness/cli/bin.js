#!/usr/bin/env node
// The `shakedown` command. In a checkout it runs the TypeScript sources directly through Node's
// type stripping; an installed package (under node_modules, where Node strips no types) runs the
// tsc build in dist/.

import module from 'node:module';
import { slimKubernetesClient } from './client-node-hooks.js';
import { requireNode } from './require-node.js';

const installed = new URL(import.meta.url).pathname.includes('/node_modules/');
requireNode(installed ? 'npx -y -p node@24 -- shakedown <args> runs it with Node 24 from the npm registry' : 'run it through ./with-node (see the README)');

// A run is long and touches the cluster: it restarts itself in place (same process, same pid)
// with V8's young generation capped at 2 MiB instead of Node's default of 16 (up to 48 MiB
// resident with its copies), which takes about 30 MiB off a run's resident peak at no measurable
// cost in time (bench/compare.mjs). SHAKEDOWN_NODE_DEFAULTS=1 keeps Node's defaults.
const quick = process.argv.some((a) => a === '--dry-run' || a === '--help' || a === '-h');
if (process.argv[2] === 'run' && !quick && typeof process.execve === 'function' && process.platform !== 'win32' && !process.env.SHAKEDOWN_NODE_DEFAULTS && !process.execArgv.some((a) => a.startsWith('--max-semi-space-size'))) {
  process.execve(process.execPath, [process.execPath, '--max-semi-space-size=2', ...process.execArgv, ...process.argv.slice(1)], process.env);
}

// A closed pipe (`shakedown list | head`) is not an error worth a stack trace. During a run the
// CLI listens too: it rolls back and ends with a verdict instead (see onOutputClosed in main.ts).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (stream.listenerCount('error') > 1) return;
    if (err.code === 'EPIPE' || err.code === 'EIO') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// Node's compile cache (in the OS's temporary directory; NODE_DISABLE_COMPILE_CACHE=1 turns it
// off) keeps the compiled code of every module loaded from here on, and in a checkout the
// TypeScript with its types stripped: a second `shakedown list` neither strips types again nor
// recompiles commander. It only changes how fast modules load, never what they do.
module.enableCompileCache?.();
slimKubernetesClient();

const { main } = await import(installed ? '../../dist/harness/cli/main.js' : './main.ts');
process.exitCode = await main(process.argv.slice(2));
// A run is over once main returns: a handle a step left open (a user's timer or socket) must
// not keep the process alive after its verdict, reports and rollback.
if (process.argv[2] === 'run') setTimeout(() => process.exit(), 2000).unref();
