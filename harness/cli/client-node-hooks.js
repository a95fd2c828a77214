// What `shakedown` loads of @kubernetes/client-node, trimmed to what it uses (about 55 MiB of a
// run's resident memory):
// - its KubeConfig (dist/config.js) imports the index of the generated API, which loads ~900 model
//   classes and every API group, for two names (createConfiguration, ServerConfiguration). The
//   harness calls the API through its own thin layer (harness/cluster/rest.ts) and never uses the
//   generated clients, so that import gets the two small modules that define those names;
// - config.js, watch.js and the generated fetch library import undici's index (its mock agents, cache, WebSocket, EventSource
//   and more) for Agent, ProxyAgent and fetch, so those imports get the three modules that define
//   them, from the same undici copy.
// Each redirect applies only while the importing file imports exactly the names expected (checked
// against the installed client-node's source the first time); any other version of client-node
// loads everything as before. Importing '@kubernetes/client-node' itself also loads everything.
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const CLIENT_DIST = '/@kubernetes/client-node/dist/';

/** The names a module's source imports from `from` (import { a, b as c } from 'from'), sorted; null without such an import. */
export function namesImportedFrom(source, from) {
  const escaped = from.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*['"]${escaped}['"]`).exec(source);
  if (!m) return null;
  return m[1]
    .split(',')
    .map((s) => s.trim().split(/\s+as\s+/)[0])
    .filter(Boolean)
    .sort();
}

/** A module, as a data: URL, that re-exports `names` from the modules at `urls` (name → absolute URL). */
export function reexports(urls, names) {
  const src = names.map((n) => `export { ${urls[n].export ?? 'default'} as ${n} } from ${JSON.stringify(urls[n].url)};`).join('\n');
  return `data:text/javascript,${encodeURIComponent(src)}`;
}

/** Where each name is defined, given the URL the import resolves to in full. */
const REDIRECTS = {
  './gen/index.js': {
    files: ['config.js'],
    names: ['ServerConfiguration', 'createConfiguration'],
    at: (indexUrl) => ({
      createConfiguration: { url: new URL('./configuration.js', indexUrl).href, export: 'createConfiguration' },
      ServerConfiguration: { url: new URL('./servers.js', indexUrl).href, export: 'ServerConfiguration' },
    }),
  },
  undici: {
    files: ['config.js', 'watch.js', 'gen/http/isomorphic-fetch.js'],
    names: ['Agent', 'ProxyAgent', 'fetch'],
    at: (indexUrl) => ({
      Agent: { url: new URL('./lib/dispatcher/agent.js', indexUrl).href },
      ProxyAgent: { url: new URL('./lib/dispatcher/proxy-agent.js', indexUrl).href },
      fetch: { url: new URL('./lib/web/fetch/index.js', indexUrl).href, export: 'fetch' },
    }),
  },
};

const checked = new Map();
/** The names `parent` imports from `specifier`, when every one of them is among `allowed`; else null. */
function importedNames(parent, specifier, allowed) {
  const key = `${parent} ${specifier}`;
  if (!checked.has(key)) {
    let names;
    try {
      names = namesImportedFrom(readFileSync(fileURLToPath(parent), 'utf8'), specifier);
    } catch {
      names = null;
    }
    checked.set(key, names && names.length > 0 && names.every((n) => allowed.includes(n)) ? names : null);
  }
  return checked.get(key);
}

export function slimKubernetesClient() {
  // registerHooks is Node >= 22.15; without it everything loads, which only costs memory.
  if (typeof module.registerHooks !== 'function' || process.env.SHAKEDOWN_FULL_CLIENT === '1') return;
  module.registerHooks({
    resolve(specifier, context, next) {
      const parent = context.parentURL;
      const redirect = Object.hasOwn(REDIRECTS, specifier) ? REDIRECTS[specifier] : undefined;
      if (!redirect || !parent || !redirect.files.some((f) => parent.endsWith(CLIENT_DIST + f))) return next(specifier, context);
      const names = importedNames(parent, specifier, redirect.names);
      if (!names) return next(specifier, context);
      const full = next(specifier, context);
      return { url: reexports(redirect.at(full.url), names), shortCircuit: true };
    },
  });
}
