// What `list` and `validate` need of statefulset-identity: its name, parameters and manifests.
// No step module (and so no Kubernetes client) is loaded from here; experiment.ts adds the steps.
import { fileURLToPath } from 'node:url';
import { params, type Params } from './params.ts';
import { FIXTURE, FIXTURE_MOUNT, clientService } from './state.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));

export const manifests = [manifest('headless-service.yaml'), manifest('statefulset.yaml'), manifest('client-service.yaml')];
export const manifestValues = (p: Params) => ({
  namespace: p.namespace,
  statefulset: p.statefulset ?? FIXTURE,
  service: `${p.statefulset ?? FIXTURE}-headless`,
  clientService: clientService(p.statefulset ?? FIXTURE),
  replicas: p.replicas,
  image: p.image,
  storageClass: p.storageClass,
  mountPath: p.mountPath ?? FIXTURE_MOUNT,
  podManagementPolicy: p.podManagementPolicy ?? 'OrderedReady',
});

export const meta = {
  name: 'statefulset-identity',
  description: 'Delete StatefulSet pods; prove each returns with the same name, hostname, DNS record, PVC and data',
  hypothesis:
    'A deleted StatefulSet pod is recreated with the same name and hostname, re-attached to the same PVC and PV with its data intact, and its DNS record follows its new IP, within the recovery bound.',
  params,
  manifests,
  manifestValues,
};
