// Stopping the CPU load in pods the HPA has scaled in: an exec that cannot reach a pod that is
// gone or going counts as "nothing left", one that cannot reach a running pod is an error.
import assert from 'node:assert/strict';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { RequestCounter, type ClusterSession } from '../../../harness/cluster/session.ts';
import { countCpuLoad, stopCpuLoad } from '../../../harness/faults/cpu-load.ts';

/** A session whose execs fail at once (nothing listens on port 1) and whose pod reads are scripted. */
function session(read: () => Promise<V1Pod>): ClusterSession {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kubeConfig, requests: new RequestCounter(), core: { readNamespacedPod: read } } as unknown as ClusterSession;
}

const target = { namespace: 'ns', pod: 'cpu-abc', container: 'app' };
const pod = (o: { running?: boolean; terminating?: boolean }): V1Pod => ({
  metadata: { name: 'cpu-abc', ...(o.terminating ? { deletionTimestamp: new Date() } : {}) },
  spec: { containers: [{ name: 'app' }] },
  status: { containerStatuses: [{ name: 'app', image: 'x', imageID: 'x', ready: false, restartCount: 0, state: o.running ? { running: {} } : { terminated: { exitCode: 0 } } }] },
});

describe('cpu load in pods that are gone', function () {
  this.timeout(20_000);

  it('a pod deleted by the scale-in (404) has nothing left to stop, and holds no load', async () => {
    const s = session(() => Promise.reject(Object.assign(new Error('pods "cpu-abc" not found'), { code: 404 })));
    await stopCpuLoad(s, target);
    assert.equal(await countCpuLoad(s, target), 0);
  });

  it('a terminating pod, or one whose container stopped, counts as stopped', async () => {
    await stopCpuLoad(session(() => Promise.resolve(pod({ running: true, terminating: true }))), target);
    await stopCpuLoad(session(() => Promise.resolve(pod({ running: false }))), target);
    assert.equal(await countCpuLoad(session(() => Promise.resolve(pod({ running: false }))), target), 0);
  });

  it('a running pod that cannot be reached is a rollback error, not a silent success', async () => {
    const s = session(() => Promise.resolve(pod({ running: true })));
    await assert.rejects(stopCpuLoad(s, target), /could not stop the load in cpu-abc/);
    await assert.rejects(countCpuLoad(s, target), /exec in ns\/cpu-abc/);
  });
});
