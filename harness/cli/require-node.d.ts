// Types of require-node.js, which stays plain JavaScript so that any Node can parse it.

/** The minimum [major, minor, patch] from package.json's "engines.node". */
export function minimumNode(): [number, number, number];
/** True when `version` ("22.19.0", as in process.versions.node) is at least `min`. */
export function supports(version: string, min?: readonly [number, number, number]): boolean;
/** Exits 2 with one line on stderr unless this Node is supported. */
export function requireNode(hint?: string): void;
