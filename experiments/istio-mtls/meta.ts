// What `list` and `validate` need of istio-mtls: its name, parameters and manifests. No step module
// (and so no Kubernetes client) is loaded from here; experiment.ts adds the steps.
import { fileURLToPath } from 'node:url';
import { params, targetName, type Params } from './params.ts';

const manifest = (f: string) => fileURLToPath(new URL(`./manifests/${f}`, import.meta.url));
export const manifestFiles = { namespaces: manifest('namespaces.yaml'), server: manifest('server.yaml'), clients: manifest('clients.yaml') };

export const manifestValues = (p: Params) => ({
  namespace: p.namespace,
  outsideNamespace: p.outsideNamespace,
  target: targetName(p),
  port: p.port,
  nodePort: p.nodePort,
  image: p.image,
});

export const meta = {
  name: 'istio-mtls',
  description: 'Toggle PeerAuthentication; prove STRICT rejects plaintext from outside the mesh and PERMISSIVE accepts it',
  hypothesis:
    'Under STRICT, plaintext from outside the mesh (a pod without a sidecar, the host through a NodePort) is rejected at the connection (reset or closed) while in-mesh traffic works; under PERMISSIVE plaintext works again; the original policies are restored exactly.',
  params,
  manifests: Object.values(manifestFiles),
  manifestValues,
};
