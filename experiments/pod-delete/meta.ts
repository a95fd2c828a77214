// What `list` and `validate` need of pod-delete: its name, parameters and manifests.
import { fileURLToPath } from 'node:url';
import { CLIENT_SERVICE, FIXTURE, params, type Params } from './params.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));

export const manifests = [manifest('deployment.yaml'), manifest('client-service.yaml')];
export const manifestValues = (p: Params) => ({ namespace: p.namespace, name: FIXTURE, replicas: p.replicas, image: p.image, clientService: CLIENT_SERVICE });

/** The fixture's manifests with these parameters: the client NodePort Service only when load goes through it. */
export const fixtureManifests = (p: Params) => (p.load === 'off' || p.loadUrl ? manifests.filter((m) => !m.endsWith('client-service.yaml')) : manifests);

export const meta = {
  name: 'pod-delete',
  description: "Delete a workload's pods one at a time or in batches; prove each is replaced and Ready within the bound and the workload and its Service come back whole",
  hypothesis:
    "Each deleted pod is replaced by its controller (a new name for a Deployment, ReplicaSet or DaemonSet, the same name for a StatefulSet) and the replacement is Ready within the bound; afterwards the workload has all its desired pods Ready and its Service as many ready endpoints as before.",
  params,
  manifests,
  manifestValues,
};
