// What `list` and `validate` need of hpa-cpu: its name, parameters and manifests. No step module
// (and so no Kubernetes client) is loaded from here; experiment.ts adds the steps.
import { fileURLToPath } from 'node:url';
import { params, type Params } from './params.ts';
import { FIXTURE } from './state.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));
const name = (p: Params) => p.target ?? FIXTURE;

export const manifests = [manifest('deployment.yaml'), manifest('hpa.yaml')];
export const manifestValues = (p: Params) => ({
  namespace: p.namespace,
  target: name(p),
  image: p.image,
  cpuRequest: p.cpuRequest,
  cpuLimit: p.cpuLimit,
  minReplicas: p.minReplicas,
  maxReplicas: p.maxReplicas,
  targetUtilization: p.targetUtilization,
  scaleDownWindowSeconds: p.scaleDownWindowSeconds,
});

export const meta = {
  name: 'hpa-cpu',
  description: 'Load pods with sha256sum; prove the HPA scales out as its formula predicts and back in after',
  hypothesis:
    'Under CPU load the HPA sets ceil(current × utilisation / target) replicas (clamped to min/max, within its 10% tolerance) within the bound, has room under maxReplicas for what the load needs, and returns to minReplicas once the load stops.',
  params,
  manifests,
  manifestValues,
};
