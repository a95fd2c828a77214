// `shakedown up --with istio`: the user's istioctl installs Istio (profile minimal plus any
// `--istio-set key=value`) into the new kind cluster's context; istioctl pulls its own images.
import { execa } from 'execa';
import { UsageError } from '../engine/errors.ts';
import { KindError, findTool } from './kind.ts';

/** The istioctl binary: the flag's path, else the first `istioctl` on PATH. */
export const findIstioctl = (flag?: string, path?: string): string =>
  findTool({ name: 'istioctl', flag: '--istioctl', neededBy: '--with istio', install: 'https://istio.io/latest/docs/setup/getting-started/#download' }, flag, path);

/** `--istio-set` values: each must be key=value with a non-empty key. */
export function checkIstioSets(sets: readonly string[]): void {
  for (const s of sets) {
    if (s.indexOf('=') < 1) throw new UsageError(`--istio-set ${s} is not key=value (for example values.pilot.autoscaleEnabled=false)`, { field: '--istio-set' });
  }
}

/** The arguments of `istioctl install`: profile minimal first, so a later --istio-set profile=... wins. */
export function istioInstallArgs(context: string, sets: readonly string[], timeout: string): string[] {
  const args = ['install', '-y', '--context', context, '--set', 'profile=minimal'];
  for (const s of sets) args.push('--set', s);
  args.push('--readiness-timeout', timeout);
  return args;
}

/** Runs `istioctl install`; its output lines go to `onLine`; a failure carries the tail of its output (stdout and stderr). */
export async function installIstio(bin: string, context: string, sets: readonly string[], timeout: string, onLine: (line: string) => void): Promise<void> {
  const child = execa(bin, istioInstallArgs(context, sets, timeout), { reject: false, all: true });
  let rest = '';
  let last = '';
  const tail: string[] = [];
  child.all?.on('data', (chunk: Buffer) => {
    // istioctl redraws its progress with carriage returns and ANSI colours.
    const lines = (rest + chunk.toString()).split(/\r\n|\r|\n/);
    rest = lines.pop() ?? '';
    for (const raw of lines) {
      // eslint-disable-next-line no-control-regex
      const l = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim();
      // Its logo (lines without a letter) and repeated redraws are left out.
      if (!/[A-Za-z]/.test(l) || l === last) continue;
      last = l;
      onLine(l);
      tail.push(l);
      if (tail.length > 15) tail.shift();
    }
  });
  const r = await child;
  const end = rest.trim();
  if (end && /[A-Za-z]/.test(end)) tail.push(end);
  if (r.exitCode !== 0) {
    const why = r.failed && r.exitCode === undefined ? r.shortMessage : `exit ${r.exitCode}`;
    throw new KindError(`istioctl install failed (${why}):\n${tail.slice(-15).join('\n')}`);
  }
}
