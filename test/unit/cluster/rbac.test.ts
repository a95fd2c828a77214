// The RBAC `shakedown rbac` prints and the access preflight checks, derived from declarations.
import assert from 'node:assert/strict';
import { parse, parseAllDocuments } from 'yaml';
import podDelete from '../../../experiments/pod-delete/experiment.ts';
import { HARNESS_PERMISSIONS, can, canClusterWide, experimentPermissions } from '../../../harness/cluster/permissions.ts';
import { missingText, rbacObjects, renderYaml, scopeRules } from '../../../harness/cluster/rbac.ts';
import { rbacYaml } from '../../../harness/cli/rbac.ts';
import { parseSetFlags, validateParams } from '../../../harness/engine/params.ts';

type Obj = { kind: string; metadata: { name: string; namespace?: string }; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[]; subjects?: unknown[]; roleRef?: { name: string } };

describe('rbac from declarations', () => {
  it('places each rule in its namespace, the run namespace, or cluster-wide, merged per scope', () => {
    const rules = scopeRules([can('', 'pods', 'list'), can('', 'pods', 'delete'), ...HARNESS_PERMISSIONS, canClusterWide('storage.k8s.io', 'storageclasses', 'get')], 'shop');
    assert.deepEqual(rules, [
      { group: '', resource: 'pods', verbs: ['list', 'delete'], namespace: 'shop' },
      { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'list', 'create', 'update', 'delete'], namespace: 'default' },
      { group: 'storage.k8s.io', resource: 'storageclasses', verbs: ['get'] },
    ]);
  });

  it('a Role and RoleBinding per namespace, a ClusterRole only for cluster-wide rules, all bound to the account', () => {
    const objs = rbacObjects({ name: 'gd', serviceAccount: 'gd', namespace: 'shop', rules: scopeRules([can('', 'pods', 'delete'), ...HARNESS_PERMISSIONS], 'shop') }) as Obj[];
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`), ['ServiceAccount/shop/gd', 'Role/default/gd-shop', 'RoleBinding/default/gd-shop', 'Role/shop/gd', 'RoleBinding/shop/gd']);
    assert.deepEqual(objs[3]!.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['delete'] }]);
    assert.equal(objs[2]!.roleRef?.name, 'gd-shop');
    for (const b of objs.filter((o) => o.kind.endsWith('Binding'))) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'gd', namespace: 'shop' }]);
    const withCluster = rbacObjects({ name: 'gd', serviceAccount: 'gd', namespace: 'shop', rules: scopeRules([canClusterWide('', 'namespaces', 'get')], 'shop') }) as Obj[];
    assert.deepEqual(withCluster.map((o) => `${o.kind}/${o.metadata.name}`), ['ServiceAccount/gd', 'ClusterRole/gd-shop', 'ClusterRoleBinding/gd-shop']);
  });

  it('renders one YAML document per object', () => {
    const objs = rbacObjects({ name: 'gd', serviceAccount: 'gd', namespace: 'shop', rules: scopeRules([can('', 'pods', 'delete')], 'shop') });
    const docs = parseAllDocuments(renderYaml(objs)).map((d) => d.toJS() as Obj);
    assert.equal(docs.length, 3);
    assert.deepEqual(docs, objs);
  });

  it("pod-delete on a user's Deployment: the YAML holds exactly its declared rules, nothing cluster-wide", async () => {
    const params = validateParams('pod-delete', podDelete.params, parseSetFlags(['workload=deployment/web', 'namespace=shop'], podDelete.params));
    const yaml = await rbacYaml([{ def: podDelete, params }], {});
    const docs = yaml.split(/^---$/m).map((d) => parse(d) as Obj);
    assert.ok(!docs.some((d) => d.kind.startsWith('Cluster')), 'no cluster-wide need');
    const granted = docs.flatMap((d) => (d.rules ?? []).flatMap((r) => r.verbs.map((v) => `${v} ${r.apiGroups[0] ? `${r.apiGroups[0]}/` : ''}${r.resources[0]} ${d.metadata.namespace}`)));
    const declared = scopeRules(experimentPermissions(podDelete, params), 'shop').flatMap((r) => r.verbs.map((v) => `${v} ${r.group ? `${r.group}/` : ''}${r.resource} ${r.namespace}`));
    assert.ok(declared.length > 5);
    assert.deepEqual(granted.sort(), declared.sort());
    assert.ok(granted.includes('delete pods shop') && granted.includes('create coordination.k8s.io/leases default'));
  });

  it('a bad ServiceAccount name is bad input', async () => {
    const params = validateParams('pod-delete', podDelete.params, parseSetFlags([], podDelete.params));
    await assert.rejects(rbacYaml([{ def: podDelete, params }], { serviceAccount: 'Game_Day' }), /--service-account "Game_Day" is not a valid name/);
  });

  it('the missing-access text names every verb, resource and namespace', () => {
    const text = missingText([{ group: '', resource: 'pods', verbs: ['list', 'delete'], namespace: 'shop' }, { group: 'storage.k8s.io', resource: 'storageclasses', verbs: ['get'] }], 'the account of context c');
    assert.equal(text, 'the account of context c may not:\n  - list, delete pods in namespace shop\n  - get storage.k8s.io/storageclasses cluster-wide');
  });
});
