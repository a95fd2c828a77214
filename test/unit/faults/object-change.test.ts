// The exact-restore comparison of faults.changeObject: what a recorded copy keeps, and what differs.
import assert from 'node:assert/strict';
import { describeRef, objectDiff, restorable } from '../../../harness/faults/object-change.ts';

describe('faults/object-change comparison', () => {
  const live = {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name: 'default', namespace: 'istio-system', labels: { team: 'sre' }, annotations: { a: '1' }, resourceVersion: '42', uid: 'u', creationTimestamp: 't', generation: 3, managedFields: [{}] },
    spec: { mtls: { mode: 'PERMISSIVE' } },
    status: { x: 1 },
  };

  it('keeps what restores the object and drops what the server owns', () => {
    assert.deepEqual(restorable(live), {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'istio-system', labels: { team: 'sre' }, annotations: { a: '1' } },
      spec: { mtls: { mode: 'PERMISSIVE' } },
    });
  });

  it('sees spec, label and annotation differences, and existence; ignores server metadata and key order', () => {
    const before = restorable(live);
    assert.deepEqual(objectDiff(before, { ...live, metadata: { ...live.metadata, resourceVersion: '50' } }), []);
    assert.deepEqual(objectDiff(before, { ...live, spec: { mtls: { mode: 'STRICT' } } }), ['spec: was {"mtls":{"mode":"PERMISSIVE"}}, now {"mtls":{"mode":"STRICT"}}']);
    assert.equal(objectDiff(before, { ...live, metadata: { ...live.metadata, labels: { team: 'sre', x: 'y' } } }).length, 1);
    assert.equal(objectDiff(before, { ...live, metadata: { ...live.metadata, annotations: {} } }).length, 1);
    assert.deepEqual(objectDiff(null, live), ['exists now but did not before']);
    assert.deepEqual(objectDiff(before, null), ['existed before but is gone']);
    assert.deepEqual(objectDiff(null, null), []);
  });

  it('compares deeply: a list is not a map with the same entries, every key counts, a key set to undefined is absent', () => {
    const cm = (data: unknown) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    assert.deepEqual(objectDiff(cm(['x']), cm({ 0: 'x' })), ['data: was ["x"], now {"0":"x"}']);
    assert.deepEqual(objectDiff(cm({ a: '1', b: '2' }), cm({ a: '1', b: '3' })), ['data: was {"a":"1","b":"2"}, now {"a":"1","b":"3"}']);
    assert.deepEqual(objectDiff(cm({ a: '1', b: undefined }), cm({ a: '1' })), []);
    assert.deepEqual(objectDiff(cm({ a: '1' }), cm({ a: '1', b: undefined })), []);
  });

  it('names each differing top-level field in name order, never apiVersion, kind, metadata or status', () => {
    const before = { apiVersion: 'v1', kind: 'A', metadata: { name: 'x', uid: '1' }, status: { s: 1 }, spec: 1, data: 1 };
    const live = { apiVersion: 'v2', kind: 'B', metadata: { name: 'x', uid: '2' }, status: { s: 2 }, spec: 2, data: 2 };
    assert.deepEqual(objectDiff(before, live), ['data: was 1, now 2', 'spec: was 1, now 2']);
  });

  it('takes absent, null and empty labels and annotations as the same, and writes an absent map as {}', () => {
    const with_ = (metadata: Record<string, unknown>) => ({ metadata: { name: 'x', ...metadata }, spec: 1 });
    assert.deepEqual(objectDiff(with_({}), with_({ labels: {}, annotations: null })), []);
    assert.deepEqual(objectDiff(with_({ labels: null }), with_({})), []);
    assert.deepEqual(objectDiff(with_({}), with_({ labels: { a: 'b' } })), ['metadata.labels: was {}, now {"a":"b"}']);
    assert.deepEqual(objectDiff(with_({ annotations: { n: 'v' } }), with_({})), ['metadata.annotations: was {"n":"v"}, now {}']);
  });

  it('names an object by kind, namespace and name, a cluster-scoped one by kind and name', () => {
    assert.equal(describeRef({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'conf' }), 'ConfigMap/shop/conf');
    assert.equal(describeRef({ apiVersion: 'v1', kind: 'Namespace', name: 'shop' }), 'Namespace/shop');
  });
});
