// pod-delete's parameters, built from the public entry's parameter schemas.
import { load, params as p, z } from '../../harness/index.ts';

/** The fixture Deployment and Service, deployed when no workload is named. */
export const FIXTURE = 'shakedown-app';
/** The fixture's NodePort Service that load goes through (deployed only for load without a loadUrl). */
export const CLIENT_SERVICE = `${FIXTURE}-client`;

export const params = z
  .strictObject({
    namespace: p.labelName().default('shakedown-pod-delete').describe('namespace of the workload (created for the fixture)'),
    workload: p
      .workload()
      .optional()
      .describe(`the workload whose pods are deleted, as kind/name: deployment/…, statefulset/…, daemonset/… or replicaset/… (default: a fixture Deployment "${FIXTURE}")`),
    service: p.labelName().optional().describe(`a Service in front of the workload whose ready endpoints must come back (the fixture's own "${FIXTURE}" by default)`),
    count: z
      .union([z.literal('all'), z.number().int().min(1)], { error: 'must be "all" or a number of pods like 2' })
      .default('all')
      .describe('how many of its pods to delete, in name order: "all" or a number'),
    batch: z.number().int().min(1).max(100).default(1).describe('pods deleted at once (each batch followed back to Ready before the next)'),
    replicas: z.number().int().min(1).max(20).default(3).describe('replicas of the fixture Deployment'),
    image: p.image().default('busybox:1.36').describe('fixture image; needs sh and httpd (busybox)'),
    gracePeriodSeconds: z.number().int().min(0).max(600).default(30).describe('grace period of each pod deletion'),
    recoveryWithin: p.duration('60s', { min: '5s', max: '30m' }).describe("bound on deletion → the replacement Ready, per pod"),
    restoredWithin: p.duration('60s', { min: '5s', max: '30m' }).describe('bound on ready replicas and Service endpoints back after the last deletion'),
    probePath: z
      .string()
      .regex(/^\/[\x21-\x7e]*$/, { error: 'must be a URL path starting with "/" (no spaces), like /healthz' })
      .optional()
      .describe('GET this path through the Service during the fault (by the API server\'s service proxy); off when unset'),
    probePort: z.union([z.number().int().min(1).max(65535), p.labelName()]).optional().describe("the Service port to probe, by number or name (default: the Service's only port)"),
    probeEvery: p.duration('250ms', { min: '100ms', max: '1m' }).describe('interval between probe attempts'),
    probeTimeout: p.duration('2s', { min: '100ms', max: '1m' }).describe('bound on one probe attempt'),
    probeMaxFailures: z.number().min(0).max(1).default(0.1).describe('largest share of probe attempts during the fault that may fail (0–1)'),
    ...load.params(),
  })
  .superRefine((v, ctx) => {
    load.refine(v, ctx);
    if (v.workload !== undefined && v.replicas !== 3) ctx.addIssue({ code: 'custom', path: ['replicas'], message: `applies to the fixture only: ${v.workload.kind} ${v.workload.name} keeps its own` });
    if (typeof v.count === 'number' && v.workload === undefined && v.count > v.replicas) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: `is ${v.count}, but the fixture has ${v.replicas} replicas` });
    }
    if (v.probePath !== undefined && v.workload !== undefined && v.service === undefined) {
      ctx.addIssue({ code: 'custom', path: ['probePath'], message: `needs a Service to probe through: set service=<name> for ${v.workload.kind} ${v.workload.name}` });
    }
    if (v.probePath === undefined && v.probePort !== undefined) ctx.addIssue({ code: 'custom', path: ['probePort'], message: 'applies only with probePath' });
    if (v.probeTimeout > v.probeEvery * 10) ctx.addIssue({ code: 'custom', path: ['probeTimeout'], message: 'is more than ten probe intervals: the probe would send too few attempts to judge' });
    if (v.load !== 'off' && v.workload !== undefined && v.loadUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['loadUrl'], message: `is required with load on and a workload of yours: a URL that reaches ${v.workload.kind} ${v.workload.name} (e.g. a NodePort on 127.0.0.1)` });
    }
    if (typeof v.count === 'number' && v.batch > v.count) ctx.addIssue({ code: 'custom', path: ['batch'], message: `is ${v.batch}, more than the ${v.count} pods to delete` });
  });
export type Params = z.output<typeof params>;
