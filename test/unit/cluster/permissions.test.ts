// API permissions: requests read into RBAC's terms, declarations merged and compared with what a
// run used, and pod-delete's declarations for the parameters that change what it touches.
import assert from 'node:assert/strict';
import { allows, apiUseOf, experimentPermissions, formatPermission, mergePermissions, permissionsUsed, undeclared, type ApiUse } from '../../../harness/cluster/permissions.ts';
import { parseSetFlags, validateParams } from '../../../harness/engine/params.ts';
import { fixturePermissions } from '../../../harness/cluster/fixture.ts';
import { RequestCounter } from '../../../harness/cluster/session.ts';
import podDelete from '../../../experiments/pod-delete/experiment.ts';
import hpaCpu from '../../../experiments/hpa-cpu/experiment.ts';

describe('API permissions', () => {
  it('reads a request path and method as RBAC verb, group, resource and scope', () => {
    const cases: [string, string, Record<string, unknown>, string | undefined][] = [
      ['GET', '/api/v1/namespaces/shop/pods', {}, 'pods: list (in namespace shop)'],
      ['GET', '/api/v1/namespaces/shop/pods', { watch: true }, 'pods: watch (in namespace shop)'],
      ['GET', '/api/v1/namespaces/shop/pods/web-0', {}, 'pods: get (in namespace shop)'],
      ['DELETE', '/api/v1/namespaces/shop/pods/web-0', {}, 'pods: delete (in namespace shop)'],
      ['DELETE', '/api/v1/namespaces/shop/pods', {}, 'pods: deletecollection (in namespace shop)'],
      ['GET', '/api/v1/namespaces/shop/pods/web-0/exec', {}, 'pods/exec: get (in namespace shop)'],
      ['POST', '/api/v1/namespaces/shop/pods/web-0/exec', {}, 'pods/exec: create (in namespace shop)'],
      ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout', {}, 'apps/deployments: patch (in namespace shop)'],
      ['PUT', '/apis/apps/v1/namespaces/shop/statefulsets/db/scale', {}, 'apps/statefulsets/scale: update (in namespace shop)'],
      ['GET', '/api/v1/namespaces/shop/services/checkout:http/proxy/healthz/deep', {}, 'services/proxy: get (in namespace shop)'],
      ['GET', '/api/v1/namespaces/shop', {}, 'namespaces: get (cluster-wide)'],
      ['POST', '/api/v1/namespaces', {}, 'namespaces: create (cluster-wide)'],
      ['GET', '/api/v1/pods', {}, 'pods: list (cluster-wide)'],
      ['GET', '/apis/storage.k8s.io/v1/storageclasses/standard', {}, 'storage.k8s.io/storageclasses: get (cluster-wide)'],
      ['GET', '/version', {}, undefined],
      ['GET', '/api/v1', {}, undefined],
      ['GET', '/apis/apps/v1', {}, undefined],
    ];
    for (const [method, path, query, want] of cases) {
      const u = apiUseOf(method, path, query);
      assert.equal(u && formatPermission(u), want, `${method} ${path}`);
    }
  });

  it('a rule allows its verbs on its resource, cluster-wide only when it says so, in its namespace only when it names one', () => {
    const list = apiUseOf('GET', '/api/v1/namespaces/shop/pods')!;
    const everywhere = apiUseOf('GET', '/api/v1/pods')!;
    assert.ok(allows({ group: '', resource: 'pods', verbs: ['list'] }, list));
    assert.ok(!allows({ group: '', resource: 'pods', verbs: ['get'] }, list));
    assert.ok(!allows({ group: 'apps', resource: 'pods', verbs: ['list'] }, list));
    assert.ok(!allows({ group: '', resource: 'pods', verbs: ['list'] }, everywhere), 'a namespaced rule does not list across namespaces');
    assert.ok(allows({ group: '', resource: 'pods', verbs: ['list'], cluster: true }, everywhere));
    assert.ok(allows({ group: '*', resource: '*', verbs: ['list'], cluster: true }, everywhere));
    assert.ok(!allows({ group: '', resource: 'pods', verbs: ['list'], namespace: 'default' }, list));
    assert.deepEqual(undeclared([list, everywhere], [{ group: '', resource: 'pods', verbs: ['list'] }]), [everywhere]);
  });

  it('merges rules per resource and scope, verbs in RBAC order', () => {
    const merged = mergePermissions([
      { group: '', resource: 'pods', verbs: ['watch', 'list'] },
      { group: '', resource: 'pods', verbs: ['delete', 'list'] },
      { group: '', resource: 'pods', verbs: ['list'], cluster: true },
    ]);
    assert.deepEqual(merged.map(formatPermission), ['pods: list, watch, delete', 'pods: list (cluster-wide)']);
  });

  const params = (flags: string[]) => validateParams('pod-delete', podDelete.params, parseSetFlags(flags, podDelete.params));

  it("pod-delete declares what its parameters make it touch: a user's Deployment, no fixture sweep; the probe's proxy only with a probe", () => {
    const user = experimentPermissions(podDelete, params(['workload=deployment/checkout', 'service=checkout'])).map(formatPermission);
    assert.ok(user.includes('apps/deployments: get'), user.join('\n'));
    assert.ok(user.includes('apps/replicasets: list'));
    assert.ok(user.includes('pods: list, watch, delete'), user.join('\n'));
    assert.ok(user.length > 0 && !user.some((p) => p.startsWith('namespaces') || p.includes('patch')), `no fixture, no sweep: ${user.join('; ')}`);
    assert.ok(!user.some((p) => p.startsWith('services/proxy')), 'no proxy without a probe');
    const sts = experimentPermissions(podDelete, params(['workload=sts/db'])).map(formatPermission);
    assert.ok(sts.includes('apps/statefulsets: get') && !sts.some((p) => p.includes('replicasets')), sts.join('\n'));
    const probed = experimentPermissions(podDelete, params(['probePath=/', 'probePort=http'])).map(formatPermission);
    assert.ok(probed.includes('services/proxy: get'));
    // The fixture's sweep lists and deletes the kinds it applied (and what their controllers make) in its namespace: no wildcard, no secrets.
    const ns = '(in namespace shakedown-pod-delete)';
    for (const rule of [`apps/deployments: list, create, patch, delete ${ns}`, `apps/replicasets: list, delete ${ns}`, `pods: list, delete ${ns}`, `services: list, create, patch, delete ${ns}`]) assert.ok(probed.includes(rule), `${rule} in ${probed.join('; ')}`);
    assert.ok(!probed.some((p) => p.includes('*') || p.startsWith('secrets')), probed.join('; '));
  });

  it("hpa-cpu declares its target's kind, the fixture only when it deploys one, and the metrics API and exec either way", () => {
    const hpa = (flags: string[]) => experimentPermissions(hpaCpu, validateParams('hpa-cpu', hpaCpu.params, parseSetFlags(flags, hpaCpu.params))).map(formatPermission);
    const user = hpa(['target=orders', 'targetKind=StatefulSet', 'scaleInWithin=6m']);
    assert.ok(user.includes('apps/statefulsets: get'), user.join('\n'));
    assert.ok(!user.some((p) => p.startsWith('apps/deployments')), user.join('\n'));
    assert.ok(user.includes('autoscaling/horizontalpodautoscalers: get, list'), user.join('\n'));
    assert.ok(!user.some((p) => p.startsWith('namespaces') || p.endsWith('(in namespace shakedown-hpa)')), `no fixture and no sweep of one:\n${user.join('\n')}`);
    const fixture = hpa([]);
    // Applied and swept by label in teardown, each kind in the fixture's namespace only.
    for (const p of ['apps/deployments: list, create, patch, delete (in namespace shakedown-hpa)', 'autoscaling/horizontalpodautoscalers: list, create, patch, delete (in namespace shakedown-hpa)', 'namespaces: get, list, create, delete (cluster-wide)']) assert.ok(fixture.includes(p), `${p} in\n${fixture.join('\n')}`);
    assert.ok(!fixture.some((p) => p.startsWith('*/*')), 'no sweep of every kind');
    for (const both of [user, fixture]) {
      for (const p of ['metrics.k8s.io/nodes: list (cluster-wide)', 'metrics.k8s.io/pods: list', 'pods/exec: get, create', 'pods: get, list']) assert.ok(both.includes(p), `${p} in\n${both.join('\n')}`);
    }
  });

  it('a server-side apply is counted as patch and create (the API server authorizes its creating an absent object as create), and a fixture declares both', () => {
    const counter = new RequestCounter();
    const path = '/apis/apps/v1/namespaces/shop/deployments/web';
    counter.request('PATCH', path, { fieldManager: 'shakedown', force: true }, 'application/apply-patch+yaml');
    counter.request('PATCH', '/api/v1/namespaces/shop/pods/web-0', {}, 'application/merge-patch+json');
    const uses = [...counter.uses.values()];
    assert.deepEqual(uses.map(formatPermission), ['apps/deployments: patch (in namespace shop)', 'apps/deployments: create (in namespace shop)', 'pods: patch (in namespace shop)']);
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } };
    assert.deepEqual(undeclared(uses.slice(0, 2), fixturePermissions([deployment])), []);
  });

  it('a use no part declared is reported, beside the declared ones', () => {
    const p = params(['workload=deployment/checkout']);
    const uses: ApiUse[] = [apiUseOf('DELETE', '/api/v1/namespaces/shop/pods/checkout-1')!, apiUseOf('GET', '/api/v1/namespaces/shop/secrets/token')!];
    const r = permissionsUsed(podDelete, p, uses);
    assert.deepEqual(r.missing.map(formatPermission), ['secrets: get (in namespace shop)']);
    assert.deepEqual(r.rows, [['pods: delete (in namespace shop)', 'declared'], ['secrets: get (in namespace shop)', 'NOT DECLARED']]);
  });
});
