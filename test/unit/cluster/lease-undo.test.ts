// Pure parts of the run Lease, the offline undo executor and cleanup's discovery.
import assert from 'node:assert/strict';
import type { V1Lease } from '@kubernetes/client-node';
import { sweepOrder, sweepableOf } from '../../../harness/cluster/cleanup.ts';
import { changesOf, holderIdentity, isLeaseLive, leaseNameFor, microTime, targetOf } from '../../../harness/cluster/lease.ts';
import { describeApiError } from '../../../harness/undo/execute.ts';

const lease = (renewMsAgo: number, holder: string, now = 1_000_000_000_000): V1Lease => ({
  spec: { holderIdentity: holder, leaseDurationSeconds: 30, renewTime: new Date(now - renewMsAgo).toISOString() as unknown as Date },
});

describe('run lease', () => {
  const now = 1_000_000_000_000;
  it('is live while renewed within its duration and its holder runs', () => {
    const alive = () => true;
    assert.ok(isLeaseLive(lease(5_000, holderIdentity('r1', 42, 'other-host'), now), now, alive, 'this-host'));
    assert.ok(!isLeaseLive(lease(31_000, holderIdentity('r1', 42, 'other-host'), now), now, alive, 'this-host'), 'expired');
    assert.ok(!isLeaseLive({ spec: { holderIdentity: 'x' } }, now), 'never renewed');
  });

  it('held on this host by a dead process is not live, even before it expires (a SIGKILLed run)', () => {
    const h = holderIdentity('r1', 4242, 'this-host');
    assert.ok(!isLeaseLive(lease(1_000, h, now), now, () => false, 'this-host'));
    assert.ok(isLeaseLive(lease(1_000, h, now), now, (pid) => pid === 4242, 'this-host'));
    // On another host the process cannot be checked: only time decides.
    assert.ok(isLeaseLive(lease(1_000, holderIdentity('r1', 4242, 'elsewhere'), now), now, () => false, 'this-host'));
  });

  it('is named by its target alone, as a DNS-1123 name', () => {
    const a = leaseNameFor({ experiment: 'statefulset-identity', namespace: 'shop', object: 'orders' });
    assert.equal(a, leaseNameFor({ experiment: 'statefulset-identity', namespace: 'shop', object: 'orders' }));
    assert.notEqual(a, leaseNameFor({ experiment: 'statefulset-identity', namespace: 'shop', object: 'carts' }));
    assert.notEqual(a, leaseNameFor({ experiment: 'statefulset-identity', namespace: 'shop2', object: 'orders' }));
    assert.match(a, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    assert.ok(a.length <= 63);
  });

  it('finds the target in the parameters', () => {
    assert.deepEqual(targetOf('statefulset-identity', { namespace: 'shop', statefulset: 'orders', replicas: 3 }), { experiment: 'statefulset-identity', namespace: 'shop', object: 'orders' });
    assert.deepEqual(targetOf('hpa-cpu', { namespace: 'shop', target: 'web', hpa: 'web-hpa' }), { experiment: 'hpa-cpu', namespace: 'shop', object: 'web' });
    assert.deepEqual(targetOf('x', { namespace: 'n' }), { experiment: 'x', namespace: 'n', object: '' });
    // pod-delete's workload parameter is parsed into { kind, name }: the target names it as written.
    assert.deepEqual(targetOf('pod-delete', { namespace: 'shop', workload: { kind: 'Deployment', name: 'checkout' }, service: 'web' }), { experiment: 'pod-delete', namespace: 'shop', object: 'deployment/checkout' });
    assert.deepEqual(targetOf('pod-delete', { namespace: 'shop', service: 'web' }), { experiment: 'pod-delete', namespace: 'shop', object: 'web' });
  });

  it('writes times with six fractional digits (the API rejects three)', () => {
    assert.equal(String(microTime(new Date('2026-11-25T10:33:37.200Z'))), '2026-11-25T10:33:37.200000Z');
  });

  it('reads the changes mirrored into its annotation, and nothing from a bad one', () => {
    const changes = [{ id: 1, at: 't', description: 'scale', undo: { kind: 'replicas', workload: 'StatefulSet', namespace: 'n', name: 'w', replicas: 3 }, status: 'applied' }];
    assert.deepEqual(changesOf({ metadata: { annotations: { 'shakedown.io/changes': JSON.stringify(changes) } } }), changes);
    assert.deepEqual(changesOf({ metadata: { annotations: { 'shakedown.io/changes': '[{"id":"x"}]' } } }), []);
    assert.deepEqual(changesOf({ metadata: {} }), []);
  });
});

describe('offline undo', () => {
  it('names an API error by the server message, in one line', () => {
    const err = Object.assign(new Error('HTTP-Code: 404\nMessage: Unsuccessful\nBody: ...\nHeaders: ...'), { code: 404, body: '{"kind":"Status","message":"namespaces \\"x\\" not found"}' });
    assert.equal(describeApiError(err), 'HTTP 404: namespaces "x" not found');
    assert.equal(describeApiError(new Error('plain')), 'plain');
  });
});

describe('cleanup discovery', () => {
  it('keeps listable, deletable top-level resources only', () => {
    const kinds = sweepableOf('v1', [
      { name: 'pods', kind: 'Pod', namespaced: true, verbs: ['create', 'delete', 'get', 'list', 'watch'] },
      { name: 'pods/exec', kind: 'PodExecOptions', namespaced: true, verbs: ['create', 'get'] },
      { name: 'bindings', kind: 'Binding', namespaced: true, verbs: ['create'] },
      { name: 'componentstatuses', kind: 'ComponentStatus', namespaced: false, verbs: ['get', 'list'] },
      { name: 'namespaces', kind: 'Namespace', namespaced: false, verbs: ['delete', 'list'] },
    ]);
    assert.deepEqual(kinds.map((k) => k.kind), ['Pod', 'Namespace']);
  });

  it('sweeps controllers first and Leases and namespaces last', () => {
    const order = sweepOrder([
      { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
      { apiVersion: 'v1', kind: 'Pod', namespaced: true },
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespaced: true },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true },
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', namespaced: true },
      { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespaced: true },
    ]).map((k) => k.kind);
    assert.deepEqual(order.slice(0, 2), ['HorizontalPodAutoscaler', 'StatefulSet']);
    assert.deepEqual(order.slice(-2), ['Lease', 'Namespace']);
    assert.deepEqual(order.slice(2, 4).sort(), ['PeerAuthentication', 'Pod']);
  });
});
