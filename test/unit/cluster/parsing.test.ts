import assert from 'node:assert/strict';
import { exitCodeOf } from '../../../harness/cluster/exec.ts';
import { isContextAllowed } from '../../../harness/cluster/kubeconfig.ts';
import { watchPath } from '../../../harness/cluster/watch.ts';
import { ordinalOf } from '../../../harness/observe/pod-lifecycle.ts';
import { parseNslookup } from '../../../harness/probes/dns.ts';

describe('cluster layer: pure parts', () => {
  it('reads the answer of busybox nslookup, not the resolver\'s own address', () => {
    const out = 'Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tweb-0.web.ns.svc.cluster.local\nAddress: 10.244.0.7\n\n';
    assert.deepEqual(parseNslookup(out), ['10.244.0.7']);
  });

  it('reads old busybox and bind styles, and no answer as empty', () => {
    assert.deepEqual(parseNslookup('Server: 10.96.0.10\nAddress 1: 10.96.0.10 kube-dns\n\nName: web-1\nAddress 1: 10.244.0.9 web-1.web\n'), ['10.244.0.9']);
    assert.deepEqual(parseNslookup("Server: 10.96.0.10\nAddress: 10.96.0.10#53\n\n** server can't find web-9: NXDOMAIN\n"), []);
  });

  it('turns an exec status into an exit code', () => {
    assert.equal(exitCodeOf({ status: 'Success' }), 0);
    assert.equal(exitCodeOf({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '124' }] } }), 124);
    assert.equal(exitCodeOf({ status: 'Failure', message: 'container not found' }), -1);
  });

  it('builds watch paths for core and group resources', () => {
    assert.equal(watchPath({ apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespace: 'ns' }), '/api/v1/namespaces/ns/pods');
    assert.equal(watchPath({ apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' }), '/apis/apps/v1/statefulsets');
  });

  it('reads StatefulSet ordinals from pod names', () => {
    assert.equal(ordinalOf('shakedown-web-12'), 12);
    assert.equal(ordinalOf('web'), undefined);
  });

  it('allows kind and the local test cluster, and other contexts only when named', () => {
    assert.ok(isContextAllowed('kind-shakedown'));
    assert.ok(isContextAllowed('shakedown-local'));
    assert.ok(!isContextAllowed('prod-eu-1'));
    assert.ok(isContextAllowed('prod-eu-1', ['prod-eu-1']));
  });
});
