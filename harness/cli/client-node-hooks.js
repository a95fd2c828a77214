// What `shakedown` loads of @kubernetes/client-node, trimmed to what it uses (about 60 MiB of a
// run's resident memory). The harness calls the API, and watches, through its own thin layer over
// node:https (harness/cluster/rest.ts) with the options client-node's KubeConfig derives from the
// kubeconfig, and execs through client-node's Exec (WebSocket). So:
// - config.js imports the index of the generated API, which loads ~900 model classes and every API
//   group, for two names: they come from the two small modules that define them;
// - config.js and the generated fetch library import undici for Agent, ProxyAgent and fetch, and
//   config.js imports socks for SOCKS proxies: these are loaded only when first used (a SOCKS
//   proxy, client-node's own Watch or generated clients), never in a run of the harness.
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

/** A module, as a data: URL, that re-exports each name from the module that defines it. */
export function reexports(urls, names) {
  const src = names.map((n) => `export { ${urls[n].export ?? 'default'} as ${n} } from ${JSON.stringify(urls[n].url)};`).join('\n');
  return dataModule(src);
}

/**
 * A module, as a data: URL, whose exports load the CommonJS package at `fileUrl` only when first
 * used: a class (`new X(...)` returns the real class's instance) or a function.
 */
export function lazyExports(fileUrl, kinds, names) {
  const lines = [`import { createRequire } from 'node:module';`, `let m; const load = () => (m ??= createRequire(${JSON.stringify(fileUrl)})(${JSON.stringify(fileURLToPath(fileUrl))}));`];
  for (const n of names) {
    lines.push(kinds[n] === 'class' ? `export class ${n} { constructor(...a) { return new (load().${n})(...a); } }` : `export function ${n}(...a) { return load().${n}(...a); }`);
  }
  return dataModule(lines.join('\n'));
}

const dataModule = (src) => `data:text/javascript,${encodeURIComponent(src)}`;

const REDIRECTS = {
  './gen/index.js': {
    files: ['config.js'],
    names: ['ServerConfiguration', 'createConfiguration'],
    to: (indexUrl, names) =>
      reexports(
        {
          createConfiguration: { url: new URL('./configuration.js', indexUrl).href, export: 'createConfiguration' },
          ServerConfiguration: { url: new URL('./servers.js', indexUrl).href, export: 'ServerConfiguration' },
        },
        names,
      ),
  },
  undici: {
    files: ['config.js', 'gen/http/isomorphic-fetch.js'],
    names: ['Agent', 'ProxyAgent', 'fetch'],
    to: (indexUrl, names) => lazyExports(indexUrl, { Agent: 'class', ProxyAgent: 'class', fetch: 'function' }, names),
  },
  'socks-proxy-agent': {
    files: ['config.js'],
    names: ['SocksProxyAgent'],
    to: (indexUrl, names) => lazyExports(indexUrl, { SocksProxyAgent: 'class' }, names),
  },
  socks: {
    files: ['config.js'],
    names: ['SocksClient'],
    // SocksClient is used for its static createConnection.
    to: (indexUrl) => {
      const src = `import { createRequire } from 'node:module';\nlet m; const load = () => (m ??= createRequire(${JSON.stringify(indexUrl)})(${JSON.stringify(fileURLToPath(indexUrl))}));\nexport const SocksClient = { createConnection: (...a) => load().SocksClient.createConnection(...a) };`;
      return dataModule(src);
    },
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
      // Only a file on disk can be loaded lazily (a package in node_modules always is).
      if (!full.url.startsWith('file:')) return full;
      return { url: redirect.to(full.url, names), shortCircuit: true };
    },
  });
}
