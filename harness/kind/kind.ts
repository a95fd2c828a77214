// The kind CLI, driven through execa: found on PATH or by --kind, and the record of the clusters
// `shakedown up` made (so `shakedown down` deletes only those).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';

/** kind is missing or broken: a missing prerequisite, exit 3. */
export class KindError extends Error {
  override name = 'KindError';
}

/**
 * A tool the user brings (kind, istioctl): the flag's path, else the first on PATH; missing is a
 * KindError (exit 3) that says how to get it.
 */
export function findTool(tool: { name: string; flag: string; neededBy?: string; install: string }, flagValue?: string, path = process.env['PATH'] ?? ''): string {
  if (flagValue) {
    if (!existsSync(flagValue)) throw new KindError(`${tool.name} not found at ${flagValue} (${tool.flag})`);
    return flagValue;
  }
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool.name);
    if (existsSync(candidate)) return candidate;
  }
  throw new KindError(`${tool.name} not found on PATH${tool.neededBy ? ` (needed by ${tool.neededBy})` : ''}; install it (${tool.install}) or pass ${tool.flag} <path>`);
}

/** The kind binary: the flag's path, else the first `kind` on PATH. */
export const findKind = (flag?: string, path?: string): string =>
  findTool({ name: 'kind', flag: '--kind', install: 'https://kind.sigs.k8s.io, or `go install sigs.k8s.io/kind@v0.33.0`' }, flag, path);

export interface KindRun {
  stdout: string;
  stderr: string;
}

/** Runs kind; its stderr lines (kind's own progress) go to `onLine` as they come. */
export async function kind(bin: string, args: readonly string[], opts: { onLine?: (line: string) => void; input?: string } = {}): Promise<KindRun> {
  const child = execa(bin, args, { reject: false, all: false, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  if (opts.onLine) {
    let rest = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split(/\r?\n/);
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) opts.onLine!(l.trim());
    });
  }
  const r = await child;
  if (r.exitCode !== 0) {
    const why = String(r.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new KindError(`kind ${args.join(' ')} failed (exit ${r.exitCode ?? r.signal}): ${why || String(r.stdout ?? '').trim()}`);
  }
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export async function clusters(bin: string): Promise<string[]> {
  const r = await kind(bin, ['get', 'clusters']);
  return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s && !s.startsWith('No kind clusters'));
}

// ---------------------------------------------------------------- the record of `up`

export interface Created {
  name: string;
  createdAt: string;
  kubeconfig?: string;
  /** `up` made kind's Docker network (it did not exist before), so `down` removes it once empty. */
  networkCreated?: boolean;
}

/** Where `up` records what it made: $SHAKEDOWN_CACHE, else ~/.cache/shakedown. */
export function recordFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env['SHAKEDOWN_CACHE'] ?? join(homedir(), '.cache', 'shakedown'), 'kind-clusters.json');
}

export function readRecord(file = recordFile()): Created[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { clusters?: Created[] };
    return Array.isArray(parsed.clusters) ? parsed.clusters : [];
  } catch {
    return [];
  }
}

export function writeRecord(list: readonly Created[], file = recordFile()): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ clusters: list }, null, 2) + '\n');
}

/** The kind cluster behind a kubeconfig context, if it is one (`kind-<name>`). */
export const kindClusterOf = (context: string): string | undefined => (context.startsWith('kind-') && context.length > 5 ? context.slice(5) : undefined);
