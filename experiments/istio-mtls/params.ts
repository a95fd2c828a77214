// istio-mtls's parameters, built from the public entry's parameter schemas.
import { formatDuration, load, params as schemas, z } from '../../harness/index.ts';

const { duration, image: imageRef, labelName: k8sLabelName } = schemas;
export const params = z
  .strictObject({
    namespace: k8sLabelName().default('shakedown-mesh').describe('injected namespace of the target (created with istio-injection=enabled for the fixture)'),
    service: k8sLabelName()
      .optional()
      .describe('an existing Service to test (its pods must carry a sidecar); when unset the run deploys its own server "shakedown-echo"'),
    outsideNamespace: k8sLabelName().default('shakedown-plain').describe('namespace of the out-of-mesh client (must not be injected; created if absent)'),
    scope: z.enum(['mesh', 'namespace', 'workload']).default('namespace').describe('where STRICT is set: mesh (root namespace), namespace, or workload (selector)'),
    istioNamespace: k8sLabelName().default('istio-system').describe('Istio root namespace (mesh-wide policies live here) where istiod runs'),
    port: z.number().int().min(1).max(65535).default(8080).describe('the Service port to probe'),
    path: z.string().regex(/^\/[\x21-\x7e]*$/, 'must be an absolute URL path without spaces, like /healthz').default('/').describe('HTTP path requested by every probe'),
    nodePort: z.number().int().min(30000).max(32767).default(32000).describe('NodePort of the fixture, probed from the host on 127.0.0.1 (an existing Service is probed on its own NodePort, if it has one)'),
    image: imageRef().default('busybox:1.36').describe('image of the fixture server and clients (needs sh, httpd, wget, timeout: busybox)'),
    consecutiveRounds: z.number().int().min(1).max(20).default(3).describe('probe rounds in a row the whole matrix must hold for a policy to count as enforced'),
    enforcedWithin: duration('60s', { min: '5s', max: '30m' }).describe('bound on a policy change taking effect (and on the mesh answering before the change)'),
    probeEvery: duration('1s', { min: '500ms', max: '1m' }).describe('interval between probe rounds'),
    probeTimeout: duration('5s', { min: '1s', max: '1m' }).describe('bound on one probe (whole seconds for the pods\' `timeout`)'),
    readyWithin: duration('3m', { min: '10s', max: '30m' }).describe('bound on the fixture\'s pods (with their sidecars) becoming Ready'),
    // Plaintext load from the host through the NodePort: turned away under STRICT, served again under PERMISSIVE.
    ...load.rejectingParams(),
  })
  // Rounds start every probeEvery from the change: the last of consecutiveRounds must start within the bound.
  .superRefine((p, ctx) => {
    load.refine(p, ctx);
    const needs = (p.consecutiveRounds - 1) * p.probeEvery;
    if (needs >= p.enforcedWithin) {
      ctx.addIssue({ code: 'custom', path: ['enforcedWithin'], message: `${formatDuration(p.enforcedWithin)} is not longer than (consecutiveRounds − 1) × probeEvery = ${p.consecutiveRounds - 1} × ${formatDuration(p.probeEvery)}: ${p.consecutiveRounds} rounds in a row could never fit in it` });
    }
  })
  .refine((p) => p.outsideNamespace !== p.namespace, { message: 'must differ from namespace (the out-of-mesh client needs a namespace without injection)', path: ['outsideNamespace'] })
  .refine((p) => p.outsideNamespace !== p.istioNamespace, { message: 'must not be Istio\'s root namespace', path: ['outsideNamespace'] })
  // The clients are named and labelled "<service>-client-plain": a label value holds 63 characters.
  .refine((p) => (p.service ?? '').length <= 63 - '-client-plain'.length, { message: `must be at most ${63 - '-client-plain'.length} characters (the clients are named <service>-client-plain)`, path: ['service'] });
export type Params = z.output<typeof params>;

/** The fixture's server, when no `service` is given. */
export const FIXTURE = 'shakedown-echo';
export const targetName = (p: Params): string => p.service ?? FIXTURE;
