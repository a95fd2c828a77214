// Each command loads only what it uses: which modules `list`, `validate`, `--help` and
// `--version` resolve, seen by a resolve hook in a real child process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildCatalog } from '../../../experiments/catalog.ts';

const MAIN = new URL('../../../harness/cli/main.ts', import.meta.url).href;

/** The URLs of every module `main(args)` resolved, in a fresh Node. */
async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ resolve(s, c, next) { const r = next(s, c); seen.push(r.url); return r; } });
    const { main } = await import(${JSON.stringify(MAIN)});
    const code = await main(${JSON.stringify(args)}, { stdout() {}, stderr() {}, isTTY: false });
    process.stdout.write(JSON.stringify({ code, seen }));
  `;
  const r = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
  const { code, seen } = JSON.parse(r.stdout) as { code: number; seen: string[] };
  assert.equal(code, 0, `shakedown ${args.join(' ')} exits 0`);
  return seen;
}

const has = (urls: string[], part: string) => urls.some((u) => u.includes(part));

describe('cli start-up', function () {
  this.timeout(60_000);

  it('list, --help and --version load neither zod, YAML, the Kubernetes client, the charts nor any step', async () => {
    for (const args of [['list'], ['list', '--json'], ['--help'], ['--version'], ['run', '--help']]) {
      const seen = await modulesLoadedBy(args);
      for (const heavy of ['/zod/', '/yaml/', '@kubernetes/client-node', '/vega', '/steps.ts', '/statefulset-identity/experiment.ts', '/hpa-cpu/experiment.ts', '/istio-mtls/experiment.ts']) {
        assert.ok(!has(seen, heavy), `shakedown ${args.join(' ')} loaded ${heavy}`);
      }
      assert.ok(has(seen, '/commander/'), 'the resolve hook sees bare imports');
    }
  });

  it('validate loads the schemas and manifests, but not the Kubernetes client, the charts or any step', async () => {
    const seen = await modulesLoadedBy(['validate']);
    assert.ok(has(seen, '/zod/') && has(seen, '/yaml/'));
    for (const heavy of ['@kubernetes/client-node', '/vega', '/steps.ts', '/statefulset-identity/experiment.ts', '/hpa-cpu/experiment.ts', '/istio-mtls/experiment.ts']) assert.ok(!has(seen, heavy), `validate loaded ${heavy}`);
  });

  it('run --dry-run loads the steps of the experiment it runs (for the plan), but not the others, the load drivers or the charts', async () => {
    const seen = await modulesLoadedBy(['run', 'statefulset-identity', '--dry-run']);
    assert.ok(has(seen, '/statefulset-identity/steps.ts'));
    assert.ok(!has(seen, '/vega'));
    // Only the experiment being run, and no load driver while load is off.
    for (const other of ['/istio-mtls/experiment.ts', '/istio-mtls/steps.ts', '/hpa-cpu/experiment.ts', '/hdr-histogram-js/', '/execa/']) assert.ok(!has(seen, other), `loaded ${other}`);
  });

  it('catalog.json, which list prints, matches the parameter schemas (npm run catalog rewrites it)', async () => {
    const shipped: unknown = JSON.parse(readFileSync(fileURLToPath(new URL('../../../experiments/catalog.json', import.meta.url)), 'utf8'));
    assert.deepEqual(shipped, JSON.parse(JSON.stringify(await buildCatalog())), 'experiments/catalog.json is stale: run `npm run catalog`');
  });
});
