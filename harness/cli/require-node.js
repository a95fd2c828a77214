// The one check of the Node.js version, against package.json's "engines.node" (">=22.19"):
// the TypeScript sources need Node's type stripping and the dependencies need Node 22, so an
// older Node would die later on a SyntaxError. Plain JavaScript, so any Node can parse it.
//
//   import { requireNode } from './require-node.js'   stop with one line (exit 2) if too old
//   node harness/cli/require-node.js [--quiet]        the same as a command (./with-node, npm test)
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The minimum [major, minor, patch] from package.json's "engines.node", which must read ">=X.Y[.Z]". */
export function minimumNode() {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(pkg.engines?.node ?? '');
  if (!m) throw new Error(`package.json "engines.node" is "${pkg.engines?.node}"; require-node.js reads only ">=X.Y"`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** True when `version` ("22.19.0", as in process.versions.node) is at least the minimum. */
export function supports(version, min = minimumNode()) {
  const v = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i];
  }
  return true;
}

/** Exits 2 with one line on stderr unless this Node is supported. */
export function requireNode(hint) {
  const min = minimumNode();
  if (supports(process.versions.node, min)) return;
  process.stderr.write(`shakedown needs Node.js >= ${min.slice(0, 2).join('.')} (this is ${process.version})${hint ? `; ${hint}` : ''}\n`);
  process.exit(2);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  if (process.argv.includes('--quiet')) process.exit(supports(process.versions.node) ? 0 : 1);
  requireNode('run it through ./with-node (see the README)');
}
