// Least privilege, proven on the real cluster, shared by the e2e and istio tiers: `shakedown rbac`
// → applied → a kubeconfig holding only that ServiceAccount's token → `shakedown run` passes as
// it, and every API request it made was declared; with one rule the experiment really uses taken
// away the access preflight stops it (exit 3) naming what is missing, before anything is touched.
// A test file calls leastPrivilege() with its cases.
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
import type { Verb } from '../../harness/engine/permission.ts';
import { LABEL_RUN_ID, newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { kubeconfigOrSkip, readRun, session, shakedown } from './helpers.ts';
import { clients } from '../clients.ts';

/** The rule a case takes away from the printed Role: verbs on a resource, in the run's namespace unless `namespace` says otherwise. */
export interface TakeAway {
  /** API group; '' (core) when unset. */
  group?: string;
  /** As RBAC names it, a subresource after a slash: `pods`, `pods/exec`. */
  resource: string;
  verbs: Verb[];
  namespace?: string;
}

export interface Case {
  experiment: string;
  /** Deploys the user's workload in `ns` (the test's own, labelled `labels`); returns the run's --set flags for it (--namespace is added). */
  workload(s: ClusterSession, ns: string, labels: Record<string, string>): Promise<string[]>;
  /** A rule the experiment really uses, whose loss must stop it. */
  takeAway: TakeAway;
  /** The line the refused run's stderr must hold under "may not:", for the run's namespace. */
  missingLine(ns: string): string;
  /**
   * What the experiment would have touched, read as the test's admin once the cluster is at rest
   * (compared before and after the refused run; must not be empty).
   */
  untouched(s: ClusterSession, ns: string): Promise<Record<string, unknown>>;
}

/**
 * The pods of `ns` by UID once none is terminating: a Deployment's replaced pods linger a few
 * seconds after the run that replaced them, and their going is not what the test is about. A
 * pod the refused run deleted would show as a new UID once its replacement came.
 */
export const podUids = (s: ClusterSession, ns: string, labelSelector?: string): Promise<string[]> =>
  waitFor(
    async () => {
      const pods = (await clients(s).core.listNamespacedPod({ namespace: ns, ...(labelSelector ? { labelSelector } : {}) })).items;
      const terminating = pods.filter((p) => p.metadata?.deletionTimestamp).map((p) => p.metadata?.name);
      return terminating.length === 0 ? done(pods.map((p) => `${p.metadata?.name}=${p.metadata?.uid}`).sort()) : notYet(`terminating: ${terminating.join(', ')}`);
    },
    { what: `no pod terminating in ${ns}`, timeoutMs: 120_000, intervalMs: 250 },
  );

/** A kubeconfig for the ServiceAccount: the test cluster's server and CA, a token from the TokenRequest API. */
async function kubeconfigFor(s: ClusterSession, dir: string, ns: string, sa: string): Promise<string> {
  const admin = parse(readFileSync(process.env['KUBECONFIG']!, 'utf8')) as { clusters: { name: string; cluster: Record<string, unknown> }[]; 'current-context': string; contexts: { name: string; context: { cluster: string } }[] };
  const ctx = admin.contexts.find((c) => c.name === admin['current-context'])!;
  const cluster = admin.clusters.find((c) => c.name === ctx.context.cluster)!;
  const review = await s.rest.request<{ status?: { token?: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  assert.ok(review.status?.token, 'a token for the ServiceAccount');
  const path = join(dir, `${sa}.kubeconfig`);
  // The same context name as the test cluster's, so the context rule treats it as the local test cluster.
  const config = { apiVersion: 'v1', kind: 'Config', clusters: [cluster], users: [{ name: sa, user: { token: review.status.token } }], contexts: [{ name: ctx.name, context: { cluster: cluster.name, user: sa } }], 'current-context': ctx.name };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** The printed Role of the rule's namespace with the verbs taken away (a rule left with none dropped); fails if it granted none of them. */
function withoutRule(objects: ManifestObject[], t: TakeAway, namespace: string): ManifestObject {
  const role = objects.find((o) => o.kind === 'Role' && o.metadata.namespace === namespace);
  assert.ok(role, `the printed RBAC has a Role in ${namespace}`);
  const rules = role['rules'] as PolicyRule[];
  const matches = (r: PolicyRule) => r.apiGroups.includes(t.group ?? '') && r.resources.includes(t.resource);
  const granted = rules.filter(matches).flatMap((r) => r.verbs);
  assert.deepEqual(t.verbs.filter((v) => !granted.includes(v)), [], `the printed Role grants ${t.verbs.join(', ')} on ${t.resource}: ${JSON.stringify(rules)}`);
  const left = rules.map((r) => (matches(r) ? { ...r, verbs: r.verbs.filter((v) => !(t.verbs as string[]).includes(v)) } : r)).filter((r) => r.verbs.length > 0);
  return { ...role, rules: left };
}

/** RBAC changes reach the authorizer through its informer: waits until every verb taken away is refused to the account. */
async function refusedToAccount(s: ClusterSession, user: string, t: TakeAway, namespace: string): Promise<void> {
  const [resource, subresource] = t.resource.split('/');
  for (const verb of t.verbs) {
    await waitFor(
      async () => {
        const resourceAttributes = { verb, group: t.group ?? '', resource, ...(subresource ? { subresource } : {}), namespace };
        const review = await s.rest.request<{ status?: { allowed?: boolean } }>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user, resourceAttributes } },
        });
        return review.status?.allowed === false ? done(undefined) : notYet(review.status);
      },
      { what: `${verb} on ${t.resource} refused to ${user}`, timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}

/** Defines the suite: per case, passes as the printed account, then is refused with the rule taken away, nothing touched. */
export function leastPrivilege(title: string, cases: Case[], opts: { needs?: (s: ClusterSession) => Promise<void> } = {}): void {
  describe(title, function () {
    this.timeout(900_000);
    const testId = newRunId();
    const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e' };
    let s: ClusterSession;
    let tmp: string;

    before(async function () {
      kubeconfigOrSkip(this);
      s = session();
      await opts.needs?.(s);
      tmp = mkdtempSync(join(tmpdir(), 'shakedown-e2e-rbac-'));
    });

    after(async function () {
      if (!s) return;
      // The test's namespaces, workloads and the applied RBAC (ClusterRoles included) carry its label.
      await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    for (const c of cases) {
      const t = c.takeAway;
      it(`${c.experiment}: passes as the ServiceAccount \`rbac\` printed; with ${t.verbs.join(', ')} on ${t.group ? `${t.group}/` : ''}${t.resource} taken away it stops with exit 3, nothing touched`, async () => {
        const ns = `sd-e2e-rbac-${c.experiment.slice(0, 8)}-${testId}`;
        const flags = [...(await c.workload(s, ns, labels)), '--namespace', ns];
        const sa = `gd-${testId}`;

        const printed = await shakedown(['rbac', c.experiment, ...flags, '--service-account', sa]);
        assert.equal(printed.exitCode, 0, printed.stderr);
        const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as ManifestObject);
        assert.ok(objects.some((o) => o.kind === 'Role' && o.metadata.namespace === ns), printed.stdout);
        await applyObjects(s, objects, labels);
        const kubeconfig = await kubeconfigFor(s, tmp, ns, sa);

        const t0 = Date.now();
        const r = await shakedown(['run', c.experiment, ...flags, '--report-dir', join(tmp, 'reports')], kubeconfig);
        console.log(`      run as ${sa}: exit ${r.exitCode} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.equal(r.exitCode, 0, r.stdout.slice(-3000) + r.stderr);
        const run = readRun(r.stdout);
        assert.equal(run.journal.verdict.kind, 'passed');
        const used = run.journal.tables.find((x) => x.title === 'API permissions used');
        assert.ok(used && used.rows.length > 0, 'the run journaled its API use');
        assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every request was declared');
        assert.doesNotMatch(r.stderr, /no part of .* declared/);

        // One rule taken away, in its namespace.
        const where = t.namespace ?? ns;
        await applyObjects(s, [withoutRule(objects, t, where)], labels);
        await refusedToAccount(s, `system:serviceaccount:${ns}:${sa}`, t, where);
        const before = await c.untouched(s, ns);
        assert.ok(Object.keys(before).length > 0 && Object.values(before).every((v) => v !== undefined && (!Array.isArray(v) || v.length > 0)), `something to compare: ${JSON.stringify(before)}`);
        const refused = await shakedown(['run', c.experiment, ...flags, '--report-dir', join(tmp, 'reports')], kubeconfig);
        assert.equal(refused.exitCode, 3, refused.stdout + refused.stderr);
        // Exactly what was taken away is named missing: the rest of the printed RBAC still grants all else.
        const missing = /may not:\n((?: {2}- .*\n)+)/.exec(refused.stderr)?.[1]?.trimEnd().split('\n');
        assert.deepEqual(missing, [`  - ${c.missingLine(ns)}`], refused.stderr);
        assert.doesNotMatch(refused.stdout, /run=r\w+ started/, 'no run started');
        assert.deepEqual(await c.untouched(s, ns), before, `${c.experiment}'s objects untouched`);
        const leases = (await listRunLeases(s)).filter((l) => (l.metadata?.annotations?.[ANNOTATION_TARGET] ?? '').includes(ns));
        assert.deepEqual(leases.map((l) => l.metadata?.name), [], 'no Lease taken');
        const labelled = (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: LABEL_RUN_ID })).items.filter((p) => p.metadata?.labels?.[LABEL_RUN_ID] !== testId);
        assert.deepEqual(labelled.map((p) => p.metadata?.name), [], 'nothing labelled by a run');
      });
    }
  });
}
