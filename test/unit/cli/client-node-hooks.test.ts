// bin.js trims what client-node loads (harness/cli/client-node-hooks.js): checked in a real child
// process with the installed client-node, and the parsing that leaves another version alone.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { namesImportedFrom, reexports } from '../../../harness/cli/client-node-hooks.js';

const HOOKS = new URL('../../../harness/cli/client-node-hooks.js', import.meta.url).href;

/** Loads KubeConfig and Exec in a fresh Node (trimmed unless `full`), authenticates a request; returns the modules loaded. */
async function load(full: boolean): Promise<{ seen: string[]; headers: Record<string, string>; hasAgent: boolean; dispatches: boolean; afterWatchAuth: string[] }> {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, c, next) { seen.push(url); return next(url, c); } });
    const { slimKubernetesClient } = await import(${JSON.stringify(HOOKS)});
    if (!${full}) slimKubernetesClient();
    const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
    await import('@kubernetes/client-node/dist/exec.js');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
      users: [{ name: 'u', token: 'abc' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const opts = {};
    await kc.applyToHTTPSOptions(opts);
    const before = [...seen];
    // What client-node's own Watch and generated clients do: undici loads then, and works.
    let dispatcher;
    await kc.applySecurityAuthentication({ setHeaderParam() {}, setDispatcher(d) { dispatcher = d; } });
    const { Agent } = await import('undici');
    process.stdout.write(JSON.stringify({ seen: before, headers: opts.headers, hasAgent: !!opts.agent, dispatches: dispatcher instanceof Agent, afterWatchAuth: seen }));
  `;
  const r = await execa(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, env: { SHAKEDOWN_FULL_CLIENT: '' } });
  return JSON.parse(r.stdout) as { seen: string[]; headers: Record<string, string>; hasAgent: boolean; dispatches: boolean; afterWatchAuth: string[] };
}

const has = (urls: string[], part: string) => urls.some((u) => u.includes(part));

describe('client-node trimming', function () {
  this.timeout(60_000);

  it('KubeConfig and Exec load without the generated models and APIs, undici or socks, and still authenticate', async () => {
    const slim = await load(false);
    assert.ok(!has(slim.seen, '/gen/models/'), 'the generated models were loaded');
    assert.ok(!has(slim.seen, '/gen/apis/'), 'the generated API classes were loaded');
    for (const pkg of ['/undici/', '/socks/', '/socks-proxy-agent/']) assert.ok(!has(slim.seen, pkg), `${pkg} was loaded`);
    assert.equal(slim.headers['Authorization'], 'Bearer abc');
    assert.ok(slim.hasAgent, 'client-node made its https agent');
    // Used after all (client-node's own Watch): undici loads then and its Agent is the real one.
    assert.ok(slim.afterWatchAuth.some((u) => u.endsWith('/undici/index.js')));
    assert.ok(slim.dispatches, "the dispatcher is undici's Agent");
  });

  it('without the hooks everything loads (what the trimming saves)', async () => {
    const full = await load(true);
    assert.ok(has(full.seen, '/gen/models/'));
    assert.ok(full.seen.some((u) => u.endsWith('/undici/index.js')));
  });

  it('reads the names a module imports, with aliases and a trailing comma', () => {
    const src = "import fs from 'node:fs';\nimport { Agent as UndiciAgent, ProxyAgent as UndiciProxyAgent, } from 'undici';\nimport { createConfiguration, ServerConfiguration, } from './gen/index.js';";
    assert.deepEqual(namesImportedFrom(src, 'undici'), ['Agent', 'ProxyAgent']);
    assert.deepEqual(namesImportedFrom(src, './gen/index.js'), ['ServerConfiguration', 'createConfiguration']);
    assert.equal(namesImportedFrom(src, './gen/other.js'), null);
    // `import * as x` is not a list of names: not redirected.
    assert.equal(namesImportedFrom("import * as u from 'undici';", 'undici'), null);
  });

  it('re-exports each name from where it is defined', () => {
    const url = reexports({ fetch: { url: 'file:///x/fetch.js', export: 'fetch' }, Agent: { url: 'file:///x/agent.js' } }, ['Agent', 'fetch']);
    const src = decodeURIComponent(url.replace(/^data:text\/javascript,/, ''));
    assert.match(src, /export \{ default as Agent \} from "file:\/\/\/x\/agent\.js";/);
    assert.match(src, /export \{ fetch as fetch \} from "file:\/\/\/x\/fetch\.js";/);
  });
});
