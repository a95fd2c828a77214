// Least privilege, proven on the real cluster: `shakedown rbac` → applied → a kubeconfig holding
// only that ServiceAccount's token → `shakedown run` passes as it, and every API request it made
// was declared; with one rule taken away the access preflight stops it (exit 3) naming what is
// missing, before anything is touched. To cover another experiment, add a case.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify, parse } from 'yaml';
import { applyObjects } from '../../harness/cluster/apply.ts';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import { ANNOTATION_TARGET, listRunLeases } from '../../harness/cluster/lease.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import type { ManifestObject } from '../../harness/manifests/load.ts';
import { LABEL_RUN_ID, newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, deployUserStatefulSet, kubeconfigOrSkip, readRun, session, shakedown } from './helpers.ts';
import { clients } from '../clients.ts';

interface Case {
  experiment: string;
  /** Deploys the user's workload in `ns` (the test's own, labelled `labels`); returns the run's --set flags for it. */
  workload(s: ClusterSession, ns: string, labels: Record<string, string>): Promise<string[]>;
}

const CASES: Case[] = [
  {
    experiment: 'pod-delete',
    async workload(s, ns, labels) {
      await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
      const template = {
        metadata: { labels: { app: 'web', ...labels } },
        spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'web', image: IMAGE, command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 8080 & wait"], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
      };
      await clients(s).apps.createNamespacedDeployment({ namespace: ns, body: { metadata: { name: 'web', labels }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template } } });
      return ['--set', 'workload=deployment/web'];
    },
  },
  {
    experiment: 'statefulset-identity',
    async workload(s, ns, labels) {
      await deployUserStatefulSet(s, ns, 'ledger', 'pvc', labels);
      return ['--set', 'statefulset=ledger', '--set', 'ordinals=[0]'];
    },
  },
];

describe('e2e: least privilege (shakedown rbac, the access preflight)', function () {
  this.timeout(900_000);
  const testId = newRunId();
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
  let s: ClusterSession;
  let tmp: string;

  before(function () {
    kubeconfigOrSkip(this);
    s = session();
    tmp = mkdtempSync(join(tmpdir(), 'shakedown-e2e-rbac-'));
  });

  after(async function () {
    if (!s) return;
    // The test's namespaces, workloads and the applied RBAC (ClusterRoles included) carry its label.
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A kubeconfig for the ServiceAccount: the test cluster's server and CA, a token from the TokenRequest API. */
  async function kubeconfigFor(ns: string, sa: string): Promise<string> {
    const admin = parse(readFileSync(process.env['KUBECONFIG']!, 'utf8')) as { clusters: { name: string; cluster: Record<string, unknown> }[]; 'current-context': string; contexts: { name: string; context: { cluster: string } }[] };
    const ctx = admin.contexts.find((c) => c.name === admin['current-context'])!;
    const cluster = admin.clusters.find((c) => c.name === ctx.context.cluster)!;
    const review = await s.rest.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    assert.ok(review.status?.token, 'a token for the ServiceAccount');
    const path = join(tmp, `${sa}.kubeconfig`);
    // The same context name as the test cluster's, so the context rule treats it as the local test cluster.
    const config = { apiVersion: 'v1', kind: 'Config', clusters: [cluster], users: [{ name: sa, user: { token: review.status.token } }], contexts: [{ name: ctx.name, context: { cluster: cluster.name, user: sa } }], 'current-context': ctx.name };
    writeFileSync(path, stringify(config), { mode: 0o600 });
    return path;
  }

  /**
   * The pods of `ns` by UID once none is terminating: a Deployment's replaced pods linger a few
   * seconds after the run that replaced them, and their going is not what the test is about. A
   * pod the refused run deleted would show as a new UID once its replacement came.
   */
  const podUids = (ns: string) =>
    waitFor(
      async () => {
        const pods = (await clients(s).core.listNamespacedPod({ namespace: ns })).items;
        const terminating = pods.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
        return terminating.length === 0 ? done(pods.map((p) => `${p.metadata?.name}=${p.metadata?.uid}`).sort()) : notYet(`terminating: ${terminating.join(', ')}`);
      },
      { what: `no pod terminating in ${ns}`, timeoutMs: 120_000, intervalMs: 250 },
    );

  for (const c of CASES) {
    it(`${c.experiment}: passes as the ServiceAccount \`rbac\` printed; with delete on pods taken away it stops with exit 3, nothing touched`, async () => {
      const ns = `sd-e2e-rbac-${c.experiment.slice(0, 8)}-${testId}`;
      const flags = [...(await c.workload(s, ns, labels)), '--namespace', ns];
      const sa = `gd-${testId}`;

      const printed = await shakedown(['rbac', c.experiment, ...flags, '--service-account', sa]);
      assert.equal(printed.exitCode, 0, printed.stderr);
      const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as ManifestObject);
      assert.ok(objects.some((o) => o.kind === 'Role' && o.metadata.namespace === ns), printed.stdout);
      await applyObjects(s, objects, labels);
      const kubeconfig = await kubeconfigFor(ns, sa);

      const t0 = Date.now();
      const r = await shakedown(['run', c.experiment, ...flags, '--report-dir', join(tmp, 'reports')], kubeconfig);
      console.log(`      run as ${sa}: exit ${r.exitCode} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.equal(r.exitCode, 0, r.stdout.slice(-3000) + r.stderr);
      const run = readRun(r.stdout);
      assert.equal(run.journal.verdict.kind, 'passed');
      const used = run.journal.tables.find((t) => t.title === 'API permissions used');
      assert.ok(used && used.rows.length > 0, 'the run journaled its API use');
      assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every request was declared');
      assert.doesNotMatch(r.stderr, /no part of .* declared/);

      // One rule taken away: delete on pods, in the run's namespace.
      const role = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === ns)!;
      const rules = (role['rules'] as { resources: string[]; verbs: string[] }[]).map((rule) => (rule.resources.includes('pods') ? { ...rule, verbs: rule.verbs.filter((v) => v !== 'delete') } : rule));
      await applyObjects(s, [{ ...role, rules }], labels);
      // RBAC changes reach the authorizer through its informer: wait until the account is refused.
      await waitFor(
        async () => {
          const review = await s.rest.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
            body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: `system:serviceaccount:${ns}:${sa}`, resourceAttributes: { verb: 'delete', resource: 'pods', namespace: ns } } },
          });
          return review.status?.allowed === false ? done(undefined) : notYet(review.status);
        },
        { what: 'delete on pods refused to the account', timeoutMs: 30_000, intervalMs: 200 },
      );
      const before = await podUids(ns);
      assert.ok(before.length > 0);
      const refused = await shakedown(['run', c.experiment, ...flags, '--report-dir', join(tmp, 'reports')], kubeconfig);
      assert.equal(refused.exitCode, 3, refused.stdout + refused.stderr);
      assert.match(refused.stderr, new RegExp(`may not:\\n  - delete pods in namespace ${ns}\\n`), refused.stderr);
      assert.doesNotMatch(refused.stdout, /run=r\w+ started/, 'no run started');
      assert.deepEqual(await podUids(ns), before, 'every pod keeps its UID');
      const leases = (await listRunLeases(s)).filter((l) => (l.metadata?.annotations?.[ANNOTATION_TARGET] ?? '').includes(ns));
      assert.deepEqual(leases.map((l) => l.metadata?.name), [], 'no Lease taken');
      const labelled = (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: LABEL_RUN_ID })).items.filter((p) => p.metadata?.labels?.[LABEL_RUN_ID] !== testId);
      assert.deepEqual(labelled.map((p) => p.metadata?.name), [], 'nothing labelled by a run');
    });
  }
});
