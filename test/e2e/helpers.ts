// Shared by the e2e tier: run the real CLI against the local cluster and read what it wrote.
import type { V1StatefulSet } from '@kubernetes/client-node';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import type { Journal } from '../../harness/journal/schema.ts';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { execInPod } from '../../harness/cluster/exec.ts';
import { loadKubeConfig } from '../../harness/cluster/kubeconfig.ts';
import { ClusterSession } from '../../harness/cluster/session.ts';
import { LABEL_RUN_ID } from '../../harness/engine/run-id.ts';
import { pinned } from '../cluster/versions.ts';
import { clients } from '../clients.ts';

const BIN = fileURLToPath(new URL('../../harness/cli/bin.js', import.meta.url));

/** The image the local cluster's node holds (built from busybox-static, never pulled). */
export const IMAGE = process.env['SHAKEDOWN_TEST_IMAGE'] ?? pinned('SAMPLE_IMAGE');

export function kubeconfigOrSkip(ctx: Mocha.Context): string {
  const kc = process.env['SHAKEDOWN_TEST_KUBECONFIG'];
  if (!kc) ctx.skip();
  process.env['KUBECONFIG'] = kc;
  return kc;
}

export const session = (): ClusterSession => new ClusterSession(loadKubeConfig());

/** The CLI as a subprocess; `kubeconfig` runs it with another kubeconfig (a ServiceAccount's) than the test's. */
export function shakedown(args: string[], kubeconfig = process.env['KUBECONFIG']): ResultPromise<{ reject: false; forceKillAfterDelay: false }> {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    env: { KUBECONFIG: kubeconfig, CI: 'true' },
    // execa would SIGKILL 5 s after a SIGTERM; rollback is allowed to take longer.
    forceKillAfterDelay: false,
  });
}

export interface RunOutput {
  dir: string;
  /** The journal as written; the verdict loosely typed, as the tests read any of its kinds. */
  journal: Omit<Journal, 'verdict'> & { verdict: { kind: string; summary: string; reason?: string; code?: string; findings?: string[] } };
  junit: { testsuites: { testsuite: { testcase: JUnitCase | JUnitCase[] } } };
  failures: string[];
}

interface JUnitCase {
  '@_name': string;
  failure?: { '@_message': string };
  error?: { '@_message': string; '@_type': string };
}

/** Reads the reports of the (single) run a CLI invocation wrote. */
export function readRun(stdout: string): RunOutput {
  const dir = /reports: (\S+)/.exec(stdout)?.[1];
  assert.ok(dir, `no report dir in the output:\n${stdout.slice(-2000)}`);
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['journal.json', 'junit.xml', 'report.html', 'report.md']);
  const journal = JSON.parse(readFileSync(join(dir, 'journal.json'), 'utf8')) as RunOutput['journal'];
  const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(dir, 'junit.xml'), 'utf8')) as RunOutput['junit'];
  const cases = [junit.testsuites.testsuite.testcase].flat();
  const failures = cases.filter((c) => c.failure).map((c) => `${c['@_name']}: ${c.failure!['@_message']}`);
  return { dir, journal, junit, failures };
}

/** Every object shakedown labels, for the run (or for any run): none may be left after a test. */
export async function labelledLeft(s: ClusterSession, runId?: string): Promise<string[]> {
  const labelSelector = runId ? `${LABEL_RUN_ID}=${runId}` : LABEL_RUN_ID;
  const left: string[] = [];
  for (const n of (await clients(s).core.listNamespace({ labelSelector })).items) left.push(`Namespace/${n.metadata?.name}`);
  for (const p of (await clients(s).core.listPodForAllNamespaces({ labelSelector })).items) left.push(`Pod/${p.metadata?.namespace}/${p.metadata?.name}`);
  for (const p of (await clients(s).core.listPersistentVolumeClaimForAllNamespaces({ labelSelector })).items) left.push(`PVC/${p.metadata?.namespace}/${p.metadata?.name}`);
  for (const x of (await clients(s).apps.listStatefulSetForAllNamespaces({ labelSelector })).items) left.push(`StatefulSet/${x.metadata?.namespace}/${x.metadata?.name}`);
  for (const x of (await clients(s).apps.listDeploymentForAllNamespaces({ labelSelector })).items) left.push(`Deployment/${x.metadata?.namespace}/${x.metadata?.name}`);
  for (const x of (await clients(s).autoscaling.listHorizontalPodAutoscalerForAllNamespaces({ labelSelector })).items) left.push(`HPA/${x.metadata?.namespace}/${x.metadata?.name}`);
  return left;
}

/** Counts sha256sum processes in a pod from /proc (the image needs no pgrep). */
export async function loadProcesses(s: ClusterSession, namespace: string, pod: string): Promise<number> {
  const script = 'n=0; for f in /proc/[0-9]*/comm; do [ "$(cat "$f" 2>/dev/null)" = sha256sum ] && n=$((n+1)); done; echo $n';
  const r = await execInPod(s, { namespace, pod, command: ['sh', '-c', script], timeoutMs: 20_000 });
  return Number(r.stdout.trim());
}

/** The layouts of a user's StatefulSet the e2e tests run against. */
export type StatefulSetVariant = 'pvc' | 'pvc-deleted-on-scale-down' | 'emptydir' | 'sidecar-first';

/** Shape of a user's StatefulSet beyond its layout: replicas, and a readiness probe that waits before its first check (a real slowdown). */
export interface StatefulSetShape {
  replicas?: number;
  readyDelaySeconds?: number;
  /** Create the namespace and Service too (false when replacing the StatefulSet in place). */
  createNamespace?: boolean;
}

/**
 * A StatefulSet of the test's own (2 replicas, busybox httpd), in its own namespace: the
 * "existing workload" a game day would name. `labels` let the test's cleanup find it.
 */
export async function deployUserStatefulSet(s: ClusterSession, ns: string, name: string, variant: StatefulSetVariant, labels: Record<string, string>, shape: StatefulSetShape = {}): Promise<string> {
  const replicas = shape.replicas ?? 2;
  if (shape.createNamespace !== false) await createUserNamespace(s, ns, name, labels);
  await clients(s).apps.createNamespacedStatefulSet({ namespace: ns, body: userStatefulSet(name, variant, labels, replicas, shape.readyDelaySeconds) });
  await waitFor(
    async () => {
      const x = await clients(s).apps.readNamespacedStatefulSet({ name, namespace: ns });
      return x.status?.readyReplicas === replicas ? done(undefined) : notYet(x.status?.readyReplicas ?? 0);
    },
    { what: `${ns}/${name} Ready`, timeoutMs: 180_000, intervalMs: 1000 },
  );
  return ns;
}

async function createUserNamespace(s: ClusterSession, ns: string, name: string, labels: Record<string, string>): Promise<void> {
  await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
  await clients(s).core.createNamespacedService({ namespace: ns, body: { metadata: { name, labels }, spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } } });
}

function userStatefulSet(name: string, variant: StatefulSetVariant, labels: Record<string, string>, replicas: number, readyDelaySeconds: number | undefined): V1StatefulSet {
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        spec: {
          containers: [
            // A user's layout: a sidecar listed first, the claim mounted only in the second container, elsewhere than /data.
            ...(variant === 'sidecar-first' ? [{ name: 'metrics-sidecar', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; sleep 86400 & wait"] }] : []),
            {
              name: 'web',
              image: IMAGE,
              command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"],
              readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2, ...(readyDelaySeconds ? { initialDelaySeconds: readyDelaySeconds } : {}) },
              volumeMounts: [{ name: 'data', mountPath: variant === 'sidecar-first' ? '/var/lib/app' : '/data' }],
            },
          ],
          ...(variant === 'emptydir' ? { volumes: [{ name: 'data', emptyDir: {} }] } : {}),
        },
      },
      ...(variant === 'emptydir'
        ? {}
        : {
            volumeClaimTemplates: [{ metadata: { name: 'data', labels }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'standard', resources: { requests: { storage: '16Mi' } } } }],
          }),
      ...(variant === 'pvc-deleted-on-scale-down' ? { persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } } : {}),
    },
  };
}
