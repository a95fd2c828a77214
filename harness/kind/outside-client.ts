// A client outside the cluster: a throwaway container on kind's Docker network, which is how
// traffic from outside the cluster really reaches a kind node (a NodePort on the node's address),
// started and always removed through testcontainers-node.
//
// testcontainers' reaper (Ryuk) is an image this machine cannot pull, and its Go module is refused
// by the module proxy (403), so it is off unless the user turns it on
// (TESTCONTAINERS_RYUK_DISABLED=false): removal is the harness's own — every container is labelled,
// removed in a `finally`, and `removeOutsideClients` sweeps what a killed process left.
import { execa } from 'execa';

export const OUTSIDE_CLIENT_LABEL = 'shakedown.io/outside-client';

export interface OutsideProbe {
  /** http://<node address>:<NodePort>/... */
  url: string;
  /** An image with busybox's `wget` and `timeout` (the sample image, or busybox). */
  image: string;
  /** The Docker network the kind nodes are on (default `kind`). */
  network?: string;
  /** Bound on the request, in seconds (default 5). */
  timeoutSeconds?: number;
  /** Labels for the container besides the outside-client label (a run id, say). */
  labels?: Record<string, string>;
}

export interface OutsideResult {
  /** wget's exit code: 0 served, anything else turned away or unreachable. */
  exitCode: number;
  output: string;
  containerId: string;
}

/** One plaintext GET from a container on kind's network; the container is removed afterwards. */
export async function probeFromOutside(probe: OutsideProbe): Promise<OutsideResult> {
  process.env['TESTCONTAINERS_RYUK_DISABLED'] ??= 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const t = probe.timeoutSeconds ?? 5;
  // busybox wget's -T crashes on Debian's busybox-static; `timeout` bounds it instead.
  const container = await new GenericContainer(probe.image)
    .withNetworkMode(probe.network ?? 'kind')
    .withLabels({ [OUTSIDE_CLIENT_LABEL]: 'true', ...probe.labels })
    .withEntrypoint(['/bin/sh', '-c'])
    .withCommand([`timeout ${t} wget -q -O - "$0" 2>&1; echo "exit=$?"`, probe.url])
    .withWaitStrategy(Wait.forOneShotStartup())
    .withStartupTimeout((t + 30) * 1000)
    .start();
  const id = container.getId();
  try {
    const stream = await container.logs();
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      stream.on('data', (d: Buffer | string) => (text += d.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });
    const m = /exit=(\d+)\s*$/.exec(output);
    return { exitCode: m ? Number(m[1]) : -1, output: output.replace(/exit=\d+\s*$/, '').trim(), containerId: id };
  } finally {
    await container.stop({ remove: true, removeVolumes: true, timeout: 0 }).catch(() => undefined);
  }
}

/** Removes every outside-client container left behind (a killed process's), through docker. */
export async function removeOutsideClients(): Promise<number> {
  const ls = await execa('docker', ['ps', '-aq', '--filter', `label=${OUTSIDE_CLIENT_LABEL}=true`], { reject: false });
  const ids = String(ls.stdout ?? '').split('\n').filter(Boolean);
  if (ids.length) await execa('docker', ['rm', '-f', '-v', ...ids], { reject: false });
  return ids.length;
}
