// The exact-restore comparison of faults.changeObject: what a recorded copy keeps, and what differs.
import assert from 'node:assert/strict';
import { objectDiff, restorable } from '../../../harness/faults/object-change.ts';

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
});
