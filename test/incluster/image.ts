// The harness image for the in-cluster tier: built once per test process by test/image/build.sh
// (the Dockerfile FROM a Node base assembled here, imported into the local test node).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../image/build.sh', import.meta.url));
let built: string | undefined;

/** Builds (once) and returns the image reference, present in the local test node's containerd. */
export function harnessImage(): string {
  if (built) return built;
  const t0 = Date.now();
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  built = out.trim().split('\n').pop();
  if (!built) throw new Error('test/image/build.sh printed no image reference');
  console.log(`      harness image ${built} built and imported in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return built;
}
