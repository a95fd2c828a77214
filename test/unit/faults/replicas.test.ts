// setReplicas against a StatefulSet whose controller writes it between our read and our write:
// the write's resourceVersion is stale (409 Conflict), so it reads again and writes again. The
// session here only records calls and answers as the API server would (a 409 with the real
// error's shape); the behaviour against a real server is in test/e2e (the rescale step).
import assert from 'node:assert/strict';
import type { ClusterSession } from '../../../harness/cluster/session.ts';
import { setReplicas } from '../../../harness/faults/replicas.ts';

/** An API error as harness/cluster/rest.ts and client-node raise it: a numeric code and a body. */
const apiError = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code, body: '{}' });

function session(failures: number[]) {
  const calls: string[] = [];
  let version = 1;
  const apps = {
    readNamespacedStatefulSetScale: () => {
      calls.push(`read v${version}`);
      return Promise.resolve({ metadata: { resourceVersion: String(version) }, spec: { replicas: 3 } });
    },
    replaceNamespacedStatefulSetScale: (a: { body: { metadata: { resourceVersion: string }; spec: { replicas: number } } }) => {
      calls.push(`write v${a.body.metadata.resourceVersion} replicas=${a.body.spec.replicas}`);
      const code = failures.shift();
      // The controller wrote status meanwhile: the object has moved on.
      if (code !== undefined) {
        version++;
        return Promise.reject(apiError(code));
      }
      return Promise.resolve({});
    },
  };
  return { cluster: { apps } as unknown as ClusterSession, calls };
}

const sts = { workload: 'StatefulSet' as const, namespace: 'ns', name: 'web' };

describe('faults/setReplicas', () => {
  it('reads again and retries a write refused with 409 Conflict, with the newer resourceVersion', async () => {
    const { cluster, calls } = session([409, 409]);
    await setReplicas(cluster, sts, 2);
    assert.deepEqual(calls, ['read v1', 'write v1 replicas=2', 'read v2', 'write v2 replicas=2', 'read v3', 'write v3 replicas=2']);
  });

  it('gives up after five conflicts in a row, with the API error', async () => {
    const { cluster, calls } = session([409, 409, 409, 409, 409, 409]);
    await assert.rejects(setReplicas(cluster, sts, 2), (err: { code?: number }) => err.code === 409);
    assert.equal(calls.filter((c) => c.startsWith('write')).length, 5);
  });

  it('does not retry any other error', async () => {
    const { cluster, calls } = session([403]);
    await assert.rejects(setReplicas(cluster, sts, 2), (err: { code?: number }) => err.code === 403);
    assert.deepEqual(calls, ['read v1', 'write v1 replicas=2']);
  });
});
