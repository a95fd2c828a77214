// Why a StatefulSet's pods are not Ready, named from what the API shows of them.
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { podProblems } from '../../../harness/probes/statefulset.ts';

const pod = (name: string, status: V1Pod['status'], deleting = false): V1Pod => ({ metadata: { name, ...(deleting ? { deletionTimestamp: new Date() } : {}) }, status });
const waiting = (name: string, reason: string, message?: string) => ({ name, image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message ? { message } : {}) } } });

describe('podProblems', () => {
  it('names an image that cannot be pulled and a crash loop, with the message', () => {
    const got = podProblems([
      pod('web-0', { containerStatuses: [waiting('web', 'ImagePullBackOff', 'Back-off pulling image "busybox:1.36"')] }),
      pod('web-1', { containerStatuses: [waiting('web', 'CrashLoopBackOff')] }),
    ]);
    assert.deepEqual(got, ['web-0 web: ImagePullBackOff (Back-off pulling image "busybox:1.36")', 'web-1 web: CrashLoopBackOff']);
  });

  it('names an init container stuck, and a pod the scheduler refused', () => {
    const got = podProblems([
      pod('web-0', { initContainerStatuses: [waiting('init', 'CreateContainerConfigError', 'secret "s" not found')], containerStatuses: [waiting('web', 'PodInitializing')] }),
      pod('web-1', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: 1 Insufficient cpu.' }] }),
    ]);
    assert.deepEqual(got, ['web-0 init: CreateContainerConfigError (secret "s" not found)', 'web-1: not scheduled (0/1 nodes are available: 1 Insufficient cpu.)']);
  });

  it('says nothing of pods on their way up or being deleted, and caps the list', () => {
    assert.deepEqual(podProblems([pod('web-0', { containerStatuses: [waiting('web', 'ContainerCreating')] }), pod('web-1', { containerStatuses: [waiting('web', 'ErrImagePull')] }, true)]), []);
    const many = [0, 1, 2, 3, 4].map((i) => pod(`web-${i}`, { containerStatuses: [waiting('web', 'ErrImagePull')] }));
    assert.deepEqual(podProblems(many), ['web-0 web: ErrImagePull', 'web-1 web: ErrImagePull', 'web-2 web: ErrImagePull', 'and 2 more']);
  });
});
