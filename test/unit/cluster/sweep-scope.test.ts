// The teardown sweep of a fixture looks only where the fixture's objects (and what their
// controllers make from labelled templates) can be: never every kind cluster-wide.
import assert from 'node:assert/strict';
import { fixturePermissions, sweepScopeOf } from '../../../harness/cluster/fixture.ts';
import { formatPermission } from '../../../harness/cluster/permissions.ts';
import type { ManifestObject } from '../../../harness/manifests/load.ts';

const obj = (apiVersion: string, kind: string, name: string, namespace: string | undefined, spec?: Record<string, unknown>): ManifestObject =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...(spec ? { spec } : {}) });

describe('fixture sweep scope', () => {
  const objects = [
    obj('v1', 'Namespace', 'extra', undefined),
    obj('apps/v1', 'StatefulSet', 'db', 'shop', { template: {}, volumeClaimTemplates: [{}] }),
    obj('apps/v1', 'Deployment', 'web', 'shop', { template: {} }),
    obj('v1', 'Service', 'web', 'extra'),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', undefined),
  ];

  it('names each kind applied in its namespace, the kinds its controllers make, and namespaces', () => {
    const scope = sweepScopeOf(objects).map((k) => `${k.kind}@${k.namespace ?? '*'}`);
    assert.deepEqual(scope.sort(), ['ClusterRole@*', 'Deployment@shop', 'Namespace@*', 'PersistentVolumeClaim@shop', 'Pod@shop', 'ReplicaSet@shop', 'Service@extra', 'StatefulSet@shop']);
  });

  it('declares list and delete on exactly those kinds, where they are; nothing on secrets or any wildcard', () => {
    const rules = fixturePermissions(objects).map(formatPermission);
    assert.ok(rules.length > 0);
    for (const r of ['apps/statefulsets: list, delete (in namespace shop)', 'persistentvolumeclaims: list, delete (in namespace shop)', 'services: list, delete (in namespace extra)', 'rbac.authorization.k8s.io/clusterroles: list, delete (cluster-wide)', 'namespaces: list, delete (cluster-wide)']) {
      assert.ok(rules.includes(r), `${r} in ${rules.join('; ')}`);
    }
    assert.ok(!rules.some((r) => r.includes('*') || r.startsWith('secrets')), rules.join('; '));
  });
});
