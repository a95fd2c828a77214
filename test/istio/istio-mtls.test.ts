// istio-mtls end to end on the local cluster with its Istio layer (istiod from source, upstream
// Envoy sidecars): passes at namespace, workload and mesh scope; a workload policy that leaves the
// probed port DISABLE is a finding naming it; a user's mesh-wide policy is restored identical; SIGINT
// while STRICT is applied puts the user's policy back; a namespace without injection stops the run in
// preflight with nothing touched. Traffic goes only to pods the tests start and to 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteByLabel } from '../../harness/cluster/cleanup.ts';
import type { ClusterSession } from '../../harness/cluster/session.ts';
import { newRunId } from '../../harness/engine/run-id.ts';
import { done, notYet, waitFor } from '../../harness/engine/wait.ts';
import { IMAGE, kubeconfigOrSkip, labelledLeft, readRun, session, shakedown, type RunOutput } from '../e2e/helpers.ts';
import { clients } from '../clients.ts';

const PA = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' } as const;
interface Pa {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

describe('istio: istio-mtls end to end', function () {
  this.timeout(600_000);
  const testId = newRunId();
  // Engineers sharing one cluster tell their namespaces apart by prefix (default sd).
  const prefix = process.env['SHAKEDOWN_TEST_NS_PREFIX'] ?? 'sd';
  const labels = { 'shakedown.io/run-id': testId, 'shakedown.io/experiment': 'e2e-istio' };
  let s: ClusterSession;
  let reports: string;
  let port = 32100;
  const userPolicies: { namespace: string; name: string }[] = [];

  before(async function () {
    kubeconfigOrSkip(this);
    s = session();
    const istiod = await clients(s).apps.readNamespacedDeployment({ name: 'istiod', namespace: 'istio-system' }).catch(() => undefined);
    if (!istiod?.status?.readyReplicas) throw new Error('istiod is not Ready in istio-system: this tier needs the Istio layer (npm run cluster:istio)');
    reports = mkdtempSync(join(tmpdir(), 'shakedown-istio-'));
  });

  after(async function () {
    if (!s) return;
    for (const p of userPolicies) await clients(s).custom.deleteNamespacedCustomObject({ ...PA, ...p }).catch(() => undefined);
    await deleteByLabel(s, { runId: testId, timeoutMs: 240_000 });
    // Each case checks its own run; this checks what the tests made (other runs may share the cluster).
    assert.deepEqual(await labelledLeft(s, testId), [], 'no object labelled by the tests is left');
    rmSync(reports, { recursive: true, force: true });
  });

  /** A fresh pair of namespaces and NodePort per case, so cases never share state (injectedNamespace(name) makes the same name). */
  function fixtureArgs(name: string): { ns: string; outside: string; args: string[] } {
    const ns = `${prefix}-istio-${name}-${testId}`;
    const outside = `${prefix}-plain-${name}-${testId}`;
    port += 1;
    return { ns, outside, args: ['--set', `image=${IMAGE}`, '--set', `namespace=${ns}`, '--set', `outsideNamespace=${outside}`, '--set', `nodePort=${port}`, '--report-dir', reports] };
  }

  /**
   * Every run, whatever its verdict: each API request it made was declared by one of its parts
   * (the rules `shakedown rbac` grants), read from the journal's table of what it used.
   */
  function assertDeclared(out: RunOutput): void {
    const used = out.journal.tables.find((t) => t.title === 'API permissions used');
    assert.ok(used && used.rows.length > 0, 'the run journals the API permissions it used');
    assert.deepEqual(used.rows.filter((row) => row[1] !== 'declared'), [], 'every API request was declared by a part');
    assert.ok(!out.journal.events.some((e) => e.type === 'undeclared-permission'));
    assert.ok(used.rows.some((row) => /^security\.istio\.io\/peerauthentications: /.test(String(row[0]))), 'the policy reads are among them');
  }

  async function run(args: string[]): Promise<{ exitCode: number | undefined; out: RunOutput; text: string }> {
    const r = await shakedown(['run', 'istio-mtls', ...args]);
    const out = readRun(r.stdout);
    assertDeclared(out);
    return { exitCode: r.exitCode, out, text: `${r.stdout.slice(-4000)}\n${r.stderr}` };
  }

  async function policies(namespace: string): Promise<Pa[]> {
    return ((await clients(s).custom.listNamespacedCustomObject({ ...PA, namespace })) as { items: Pa[] }).items;
  }

  async function runPolicies(runId: string): Promise<string[]> {
    const r = (await clients(s).custom.listClusterCustomObject({ ...PA, labelSelector: `shakedown.io/run-id=${runId}` })) as { items: Pa[] };
    return r.items.map((x) => `${x.metadata.namespace}/${x.metadata.name}`);
  }

  /** What "restored exactly" compares: spec, labels, annotations. */
  const shape = (p: Pa | undefined) => p && { spec: p.spec, labels: p.metadata.labels ?? {}, annotations: p.metadata.annotations ?? {} };

  async function userPolicy(namespace: string, name: string, spec: Record<string, unknown>, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Promise<Pa> {
    userPolicies.push({ namespace, name });
    return (await clients(s).custom.createNamespacedCustomObject({ ...PA, namespace, body: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, ...extra }, spec } })) as Pa;
  }

  async function injectedNamespace(name: string): Promise<string> {
    const ns = `${prefix}-istio-${name}-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels: { ...labels, 'istio-injection': 'enabled' } } } });
    return ns;
  }

  function assertPassed(r: { exitCode: number | undefined; out: RunOutput; text: string }, o: { host: boolean } = { host: true }) {
    assert.equal(r.out.journal.verdict.kind, 'passed', `${JSON.stringify(r.out.journal.verdict)}\n${r.out.failures.join('\n')}\n${r.text}`);
    assert.equal(r.exitCode, 0);
    const names = r.out.journal.checks.map((c) => `${c.name}:${c.status}`);
    assert.deepEqual(names, ['in-mesh-before:passed', 'strict-rejects-plaintext:passed', 'permissive-accepts-plaintext:passed', 'policies-restored:passed']);
    const m = Object.fromEntries(r.out.journal.measurements.map((x) => [x.name, x.value]));
    for (const k of ['strict-enforced', 'strict-enforced-out-of-mesh', 'permissive-enforced', 'permissive-enforced-out-of-mesh']) assert.ok(typeof m[k] === 'number', `measurement ${k}`);
    for (const k of ['strict-enforced-host', 'permissive-enforced-host']) assert.equal(typeof m[k] === 'number', o.host, `measurement ${k} ${o.host ? 'present' : 'absent'}`);
    console.log(`      STRICT enforced after ${m['strict-enforced']} ms (out-of-mesh ${m['strict-enforced-out-of-mesh']}, host ${m['strict-enforced-host'] ?? 'not probed'}); PERMISSIVE after ${m['permissive-enforced']} ms; ${m['probes']} probes`);
  }

  it('passes on the fixture at namespace scope, and leaves nothing behind', async () => {
    const f = fixtureArgs('ns');
    const r = await run(f.args);
    assertPassed(r);
    assert.deepEqual(await labelledLeft(s, r.out.journal.runId), []);
    assert.deepEqual(await runPolicies(r.out.journal.runId), []);
  });

  it('passes at workload scope (a selector policy of its own, deleted after)', async () => {
    const r = await run([...fixtureArgs('wl').args, '--set', 'scope=workload']);
    assertPassed(r);
    assert.deepEqual(await runPolicies(r.out.journal.runId), []);
  });

  it('passes at mesh scope (a root-namespace policy of its own, deleted after)', async () => {
    const before = await policies('istio-system');
    const r = await run([...fixtureArgs('mesh').args, '--set', 'scope=mesh']);
    assertPassed(r);
    assert.deepEqual((await policies('istio-system')).map(shape), before.map(shape));
  });

  it('with plaintext load from the host: turned away under STRICT, served again under PERMISSIVE (per-phase table, series, measurements)', async () => {
    const r = await run([...fixtureArgs('load').args, '--set', 'load=builtin', '--set', 'loadRate=25']);
    assert.equal(r.out.journal.verdict.kind, 'passed', `${JSON.stringify(r.out.journal.verdict)}\n${r.out.failures.join('\n')}\n${r.text}`);
    const names = r.out.journal.checks.map((c) => `${c.name}:${c.status}`);
    assert.deepEqual(names, ['in-mesh-before:passed', 'load-rejected-during-fault:passed', 'load-served-after-fault:passed', 'strict-rejects-plaintext:passed', 'permissive-accepts-plaintext:passed', 'policies-restored:passed']);
    const table = r.out.journal.tables.find((t) => t.title.startsWith('Load per phase'));
    assert.ok(table, 'the per-phase table');
    const rows = Object.fromEntries(table.rows.map((row) => [String(row[0]), row]));
    assert.deepEqual(Object.keys(rows), ['before', 'STRICT', 'PERMISSIVE']);
    // Columns: phase, seconds, offered, sent, errors, ...: plaintext was served before, turned away under STRICT.
    assert.equal(rows['before']![4], 0, 'no error before the change');
    assert.ok(Number(rows['STRICT']![4]) > 0, 'requests turned away under STRICT');
    const m = Object.fromEntries(r.out.journal.measurements.map((x) => [x.name, x.value]));
    assert.ok(typeof m['load-fault-served-for'] === 'number' && typeof m['load-served-again-after'] === 'number', JSON.stringify(m));
    const stopped = r.out.journal.events.find((e) => e.type === 'load-stopped');
    assert.match(stopped?.message ?? '', /reset/, 'STRICT resets plaintext connections');
    assert.ok(r.out.journal.series.some((x) => x.group === 'load: requests/s' && x.points.length >= 20), 'the per-second series');
    console.log(`      plaintext served for ${m['load-fault-served-for']} ms after STRICT, served again ${m['load-served-again-after']} ms after PERMISSIVE; ${stopped?.message}`);
    assert.deepEqual(await labelledLeft(s, r.out.journal.runId), []);
  });

  it('restores a user\'s mesh-wide PERMISSIVE policy, with its own labels and annotations, identical', async () => {
    const mine = await userPolicy('istio-system', 'default', { mtls: { mode: 'PERMISSIVE' } }, { labels: { team: 'platform', tier: 'mesh' }, annotations: { 'example.com/owner': 'sre' } });
    const r = await run([...fixtureArgs('meshuser').args, '--set', 'scope=mesh']);
    assertPassed(r);
    const after = (await policies('istio-system')).find((p) => p.metadata.name === 'default');
    assert.deepEqual(shape(after), shape(mine));
    const change = r.out.journal.changes;
    assert.equal(change.length, 1);
    const undo = change[0]!.undo;
    assert.equal(undo.kind, 'object');
    assert.deepEqual(shape((undo.kind === 'object' ? undo.before : null) as Pa | null ?? undefined), shape(mine), 'the journal holds the whole recorded policy');
    assert.equal(change[0]!.status, 'undone');
  });

  it('fails with a finding naming the workload policy that leaves the probed port DISABLE (portLevelMtls)', async () => {
    const ns = await injectedNamespace('port');
    const f = fixtureArgs('port');
    await userPolicy(ns, 'port-disable', { selector: { matchLabels: { 'app.kubernetes.io/name': 'shakedown-echo' } }, portLevelMtls: { '8080': { mode: 'DISABLE' } } });
    const before = await policies(ns);
    // With load: the plaintext the policy lets through under STRICT is a finding of the load too.
    const r = await run([...f.args, '--set', 'enforcedWithin=15s', '--set', 'load=builtin']);
    assert.equal(r.out.journal.verdict.kind, 'failed', `${JSON.stringify(r.out.journal.verdict)}\n${r.text}`);
    assert.equal(r.exitCode, 1);
    const findings = r.out.journal.verdict.findings ?? [];
    assert.deepEqual(findings, ['load-rejected-during-fault', 'strict-rejects-plaintext', `strict-overridden (PeerAuthentication ${ns}/port-disable sets port 8080 to DISABLE (portLevelMtls))`]);
    const leak = r.out.journal.checks.find((c) => c.name === 'load-rejected-during-fault');
    assert.match(leak?.observed ?? '', /still served at the end of the fault/);
    const status = Object.fromEntries(r.out.journal.checks.map((c) => [c.name, c.status]));
    assert.equal(status['permissive-accepts-plaintext'], 'passed');
    assert.equal(status['load-served-after-fault'], 'passed');
    assert.equal(status['policies-restored'], 'passed');
    // The user's policy is untouched; the run's own namespace-wide policy is gone.
    assert.deepEqual((await policies(ns)).map(shape), before.map(shape));
    assert.deepEqual(await labelledLeft(s, r.out.journal.runId), []);
  });

  it('fails with a finding naming a DestinationRule that sends plaintext to the service (in-mesh broken under STRICT)', async () => {
    const ns = await injectedNamespace('dr');
    const f = fixtureArgs('dr');
    await clients(s).custom.createNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      plural: 'destinationrules',
      namespace: ns,
      body: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'plain' }, spec: { host: 'shakedown-echo', trafficPolicy: { tls: { mode: 'DISABLE' } } } },
    });
    const r = await run([...f.args, '--set', 'enforcedWithin=15s']);
    assert.equal(r.out.journal.verdict.kind, 'failed', `${JSON.stringify(r.out.journal.verdict)}\n${r.text}`);
    const findings = r.out.journal.verdict.findings ?? [];
    // Only the DestinationRule is named: the run's own STRICT policy, read while applied, is not an override.
    assert.deepEqual(findings, ['strict-rejects-plaintext', `strict-overridden (DestinationRule ${ns}/plain sets client TLS for port 8080 to DISABLE)`]);
    const strict = r.out.journal.checks.find((c) => c.name === 'strict-rejects-plaintext');
    assert.match(strict?.observed ?? '', /in-mesh client → [^;]*: HTTP 503/);
  });

  it('on SIGINT while STRICT is applied: exit 130, the user\'s policy back as it was, nothing labelled left', async () => {
    const ns = await injectedNamespace('sigint');
    const f = fixtureArgs('sigint');
    const mine = await userPolicy(ns, 'default', { mtls: { mode: 'PERMISSIVE' } }, { labels: { owner: 'shop' } });
    // A long bound and more rounds keep the run in its STRICT stage while the signal is sent.
    const child = shakedown(['run', 'istio-mtls', ...f.args, '--set', 'consecutiveRounds=20']);
    await waitFor(
      async () => {
        const p = (await policies(ns)).find((x) => x.metadata.name === 'default');
        const mode = (p?.spec?.['mtls'] as { mode?: string } | undefined)?.mode;
        return mode === 'STRICT' ? done(undefined) : notYet(mode);
      },
      { what: 'the run to set STRICT on the user\'s policy', timeoutMs: 300_000, intervalMs: 200 },
    );
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 130, r.stdout.slice(-3000) + r.stderr);
    const out = readRun(r.stdout);
    assertDeclared(out);
    assert.equal(out.journal.verdict.reason, 'SIGINT');
    assert.ok(out.journal.rollbacks.every((x) => x.status === 'ok'), JSON.stringify(out.journal.rollbacks));
    assert.deepEqual(shape((await policies(ns)).find((x) => x.metadata.name === 'default')), shape(mine));
    assert.deepEqual(await labelledLeft(s, out.journal.runId), []);
    assert.deepEqual(await runPolicies(out.journal.runId), []);
  });

  /** A user's own workload: a Deployment behind a ClusterIP Service (port 80 → named port "web"), no NodePort. */
  async function userWorkload(ns: string, name: string): Promise<void> {
    await clients(s).apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name, ...labels } },
            spec: {
              terminationGracePeriodSeconds: 2,
              containers: [{ name: 'web', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'mkdir -p /tmp/w && echo shop > /tmp/w/index.html && exec httpd -f -p 8081 -h /tmp/w'], ports: [{ name: 'web', containerPort: 8081 }], readinessProbe: { tcpSocket: { port: 8081 }, periodSeconds: 2 } }],
            },
          },
        },
      },
    });
    await clients(s).core.createNamespacedService({ namespace: ns, body: { metadata: { name, labels }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 'web' }] } } });
    await waitFor(
      async () => {
        const pods = (await clients(s).core.listNamespacedPod({ namespace: ns, labelSelector: `app=${name}` })).items;
        return pods.length > 0 && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? done(undefined) : notYet(pods.map((p) => p.status?.phase));
      },
      { what: `${ns}/${name} Ready`, timeoutMs: 180_000, retryErrors: true },
    );
  }

  it('passes on an existing Service named with service= (named targetPort, no NodePort: two paths)', async () => {
    const ns = await injectedNamespace('user');
    await userWorkload(ns, 'shop-web');
    const f = fixtureArgs('user');
    const r = await run([...f.args, '--set', 'service=shop-web', '--set', 'port=80']);
    assertPassed(r, { host: false });
    // The user's workload is untouched; only the run's client pod was added and removed.
    assert.equal((await clients(s).apps.readNamespacedDeployment({ name: 'shop-web', namespace: ns })).status?.readyReplicas, 1);
    assert.deepEqual(await labelledLeft(s, r.out.journal.runId), []);
  });

  it('stops in preflight when the existing Service\'s pods carry no sidecar (namespace labelled after they started)', async () => {
    const ns = `${prefix}-istio-bare-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
    await userWorkload(ns, 'bare-web');
    await clients(s).core.patchNamespace({ name: ns, body: [{ op: 'add', path: '/metadata/labels/istio-injection', value: 'enabled' }] });
    const f = fixtureArgs('bare');
    const r = await run([...f.args, '--set', 'service=bare-web', '--set', 'port=80']);
    assert.equal(r.exitCode, 3, r.text);
    const v = r.out.journal.verdict as { kind: string; phase?: string; summary?: string };
    assert.deepEqual([v.kind, v.phase], ['error', 'preflight']);
    assert.match(v.summary ?? '', /carry no istio-proxy sidecar/);
    assert.deepEqual(await policies(ns), []);
    await assert.rejects(clients(s).core.readNamespace({ name: f.outside }), 'the out-of-mesh namespace was not created');
  });

  it('stops in preflight with an error when the target namespace is not injected, touching nothing', async () => {
    const ns = `${prefix}-istio-noinj-${testId}`;
    await clients(s).core.createNamespace({ body: { metadata: { name: ns, labels } } });
    const f = fixtureArgs('noinj');
    const r = await run(f.args);
    assert.equal(r.exitCode, 3, r.text);
    const v = r.out.journal.verdict as { kind: string; phase?: string; code?: string; summary?: string };
    assert.deepEqual([v.kind, v.phase, v.code], ['error', 'preflight', 'PREFLIGHT']);
    assert.match(v.summary ?? '', new RegExp(`namespace ${ns} is not injected`));
    assert.deepEqual(r.out.journal.rollbacks, []);
    assert.deepEqual(r.out.journal.changes, []);
    assert.deepEqual(await policies(ns), []);
    await assert.rejects(clients(s).core.readNamespace({ name: f.outside }), 'the out-of-mesh namespace was not created');
    assert.equal((await clients(s).core.readNamespace({ name: ns })).metadata?.labels?.['istio-injection'], undefined, 'the namespace was not labelled');
    assert.deepEqual(await labelledLeft(s, r.out.journal.runId), []);
  });
});
