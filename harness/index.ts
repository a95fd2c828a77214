/**
 * shakedown's public API: the parts the built-in experiments are made of, for experiments of
 * your own. An experiment file default-exports `defineExperiment({...})` and runs with
 * `shakedown run ./my-experiment.ts`; the engine owns the phase order, the journal, the bounds,
 * signals and rollback. See the README's "Writing an experiment".
 *
 * @packageDocumentation
 */
import { clusterReachable } from './probes/cluster.ts';
import { deployFixture, deployObjects, fixturePermissions, loadManifests } from './cluster/fixture.ts';
import { duration, imageRef, k8sLabelName, k8sName } from './engine/params.ts';
import { done, notYet, waitFor } from './engine/wait.ts';
import { endpointsRestored, readyEndpoints, readyReplicasRestored, recoveredInTime, replacementsReady, serviceEndpoints } from './checks/workload.ts';
import { recordChange } from './faults/change.ts';
import { deletePods } from './faults/delete-pods.ts';
import { recorded, selectWorkload, watchPods, workloadReady, workloadState } from './target/select.ts';
import { continuousProbe, httpThroughService } from './probes/continuous.ts';
import { judgeProbe, probeHeld } from './checks/probe.ts';
import { describeWorkload, parseWorkloadRef, readReadiness, resolveWorkload, workloadParam, workloadPods } from './target/workload.ts';
import { deletePodAndFollow } from './faults/pod-delete.ts';
import { countCpuLoad, cpuLoadPermissions, LOAD_COMM, LOAD_COMMAND_LINE, startCpuLoad, stopCpuLoad } from './faults/cpu-load.ts';
import { guardReplicas, setReplicas } from './faults/replicas.ts';
import { readPodIdentity } from './probes/pod-identity.ts';
import { waitForDns } from './probes/dns.ts';
import { placeToken, readTokenSha } from './probes/file-token.ts';
import { waitStatefulSetReady } from './probes/statefulset.ts';
import { aroundFault, loadDriverReady, loadOf, rejectingLoadOf, startLoad, type AttachedLoad, type RejectedLoad } from './load/attach.ts';
import { loadParams, refineLoadParams, rejectingLoadParams, type LoadParams } from './load/params.ts';
import { loadWorkerPermissions } from './load/workers/permissions.ts';
import type { RunResults } from './engine/experiment.ts';
import { changeObject, objectDiff, readObject, restoreChanged } from './faults/object-change.ts';
import { probeHttp } from './probes/http-probe.ts';
import { probeFromPod } from './probes/pod-http.ts';
import { describeOutcome, isBroken, isRejected, isServed, outcomeLabel } from './probes/outcome.ts';

export { z } from 'zod';
export { defineExperiment, resultKey, step } from './engine/experiment.ts';
export type { CheckInput, ExperimentDefinition, MetricOptions, ObserveWindow, Observer, Recorder, ResultKey, RunContext, RunResults, Step, StepKind } from './engine/experiment.ts';
export type { ContinuousProbe, ContinuousProbeSpec, ProbeSample, ServiceHttpOptions, ServiceHttpTarget } from './probes/continuous.ts';
export type { ClusterContext, ClusterStep } from './cluster/context.ts';
export type { ClusterSession } from './cluster/session.ts';
export type { Permission, Verb } from './engine/permission.ts';
export type { ManifestObject } from './manifests/load.ts';
export type { DeletePodsOptions } from './faults/delete-pods.ts';
export type { DeletePod, PodRecovery, Replacement } from './faults/pod-delete.ts';
export type { ReplicasTarget } from './faults/replicas.ts';
export type { CpuLoadTarget } from './faults/cpu-load.ts';
export type { Incarnation, PodLifecycle } from './observe/pod-lifecycle.ts';
export type { Claim, PodIdentity } from './probes/pod-identity.ts';
export type { DnsAnswer } from './probes/dns.ts';
export type { InPod, Token } from './probes/file-token.ts';
export type { StatefulSetReadiness, StatefulSetRef } from './probes/statefulset.ts';
export type { AttachedLoad, LoadStartOptions } from './load/attach.ts';
export type { LoadParams } from './load/params.ts';
export type { RejectedLoad } from './load/attach.ts';
export type { ChangeResult, ObjectChange, ObjectRef, RestoreAction } from './faults/object-change.ts';
export type { HttpProbe } from './probes/http-probe.ts';
export type { PodHttpProbe } from './probes/pod-http.ts';
export type { ConnectionFailure, ProbeOutcome } from './probes/outcome.ts';
export type { DeletedPod, WorkloadState } from './target/select.ts';
export type { Readiness, Workload, WorkloadKind, WorkloadRef } from './target/workload.ts';
export { RunError, UsageError } from './engine/errors.ts';
export { WaitTimeoutError } from './engine/wait.ts';
export { isNotFound } from './cluster/session.ts';
export { formatDuration, parseGoDuration } from './engine/time.ts';
export { describeApiError } from './engine/errors.ts';
export { defineUndo } from './undo/registry.ts';
export type { UndoFunction, UndoKind, UndoResult } from './undo/registry.ts';
export type { ChangeRecord } from './journal/schema.ts';

/** Parameter schemas with shakedown's parsing and bounds (zod), for an experiment's `params`. */
export const params = {
  /** "90s", "2m", "500ms" or seconds, parsed to milliseconds, between `min` (default 1s) and `max` (default 1h). */
  duration,
  /** A Kubernetes object name (RFC 1123 subdomain). */
  name: k8sName,
  /** An RFC 1123 label: namespaces, Services, StatefulSets. */
  labelName: k8sLabelName,
  /** A container image reference. */
  image: imageRef,
  /** A workload as `kind/name`: deployment, statefulset, daemonset or replicaset (kubectl's short names too). */
  workload: workloadParam,
};

/** Any workload as the run's target: resolved in preflight, its pods found through their owners, watched during the fault. */
export const target = {
  /** The state the workload steps record into: start an experiment's `initialState` from it. */
  state: workloadState,
  /** Preflight step: the workload exists and has pods. */
  select: selectWorkload,
  /** Steady-state step: every desired pod Ready (a finding, and no fault, when not within the bound). */
  ready: workloadReady,
  /** Observer: the target's pods on a watch, stamped on arrival. */
  watchPods,
  parse: parseWorkloadRef,
  describe: describeWorkload,
  resolve: resolveWorkload,
  pods: workloadPods,
  readiness: readReadiness,
  /** Waits until every replica of a StatefulSet is Ready as its pods show it, no extra pod is left, and its status agrees. */
  statefulSetReady: waitStatefulSetReady,
  /** The recorded value, or an error saying which step should have recorded it. */
  recorded,
};

/** Faults: each is a step of the method phase. */
export const faults = {
  /** Deletes the target's pods one at a time or in batches, following each replacement to Ready. */
  deletePods,
  /**
   * Journals a change of your own fault with its undo (a kind from `defineUndo`) before you make
   * it; rollback and `shakedown cleanup --run-id` after a crash run that same undo.
   */
  change: recordChange,
  /**
   * Deletes one pod (its UID as a precondition) and follows it on the pod watch until its
   * controller's replacement is Ready; one not back within `followForMs` is in the result, not thrown.
   */
  deletePod: deletePodAndFollow,
  /** Sets a StatefulSet's or Deployment's replicas through its scale subresource. */
  setReplicas,
  /** Journals a workload's replicas with their undo (set back, then wait) before the first change. */
  guardReplicas,
  /**
   * Writes a fresh token of this run to a file on a pod's volume (synced, read back); on a
   * volume the run does not own, its removal is journaled first (`journalRemoval`).
   */
  writeToken: placeToken,
  /**
   * CPU load inside pods: `timeout <seconds> sha256sum /dev/zero` started through exec, each
   * process ending by itself at its bound even if the harness dies.
   */
  cpuLoad: {
    /**
     * Starts `processes` load processes of at most `seconds` each in one pod. Their kill is
     * journaled as the change's undo before the first one starts, so rollback and
     * `shakedown cleanup --run-id` stop them, a partial start too.
     */
    start: startCpuLoad,
    /** Kills every load process in a pod; a pod that is gone, terminating or not running has none left (not an error). */
    stop: stopCpuLoad,
    /** The load processes running in a pod, read from its /proc; 0 for a pod that is gone or not running. */
    count: countCpuLoad,
    /** The load process' name as /proc/<pid>/comm shows it. */
    process: LOAD_COMM,
    /** The load process' command line, without its `timeout`. */
    commandLine: LOAD_COMMAND_LINE,
    /** The API permissions start, stop and count need (exec into the pod; the pod read). */
    permissions: cpuLoadPermissions,
  },
  /**
   * Sets any object to `desired` (replaced with the resourceVersion read now, or created with the
   * run's labels when `before` is null), its undo journaled before the first write: the object
   * put back exactly as `before` (spec, labels, annotations), or deleted if the run created it,
   * by rollback and by `shakedown cleanup --run-id` alike. Later changes of the same object in
   * the run go under that first undo.
   */
  changeObject,
  /** Puts an object this run changed (`changeObject`) back now, as its undo does; the rollback finds nothing left to do. Undefined when the run did not change it. */
  restoreObject: restoreChanged,
};

/** Probes: steps that look without changing anything. */
export const probes = {
  /** Preflight: the API server answers. */
  clusterReachable,
  /** Steady state: records a Service's ready endpoints. */
  serviceEndpoints,
  readyEndpoints,
  /**
   * Observer: a GET through a Service (by the API server's service proxy) at an interval while
   * its window runs (default: the fault); judge it with `checks.probeHeld`.
   */
  http: httpThroughService,
  /** Observer: any attempt of your own, repeated at an interval while its window runs. */
  continuous: continuousProbe,
  /** A condition with a deadline: `check` returns `done(value)` or `notYet(lastSeen)`. */
  waitFor,
  done,
  notYet,
  /** A pod's identity: name, UID, hostname (from inside), node, IP, claims and PVs, what backs a mount. */
  podIdentity: readPodIdentity,
  /** Asks from inside a pod until a name resolves to an IP, within the bound (WaitTimeoutError with the last answer). */
  waitForDns,
  /** The sha256 of a file in a pod (a token written by `faults.writeToken`), or the output saying why not. */
  readToken: readTokenSha,
  /** Any object by apiVersion, kind, namespace and name, or null when it does not exist. */
  readObject,
  /**
   * A GET from this host over a raw socket, never rejecting: how it ended (an HTTP status, or
   * reset, closed without a response, refused, a TLS answer, timeout ...), within `timeoutMs`.
   */
  httpFromHost: probeHttp,
  /**
   * A GET from inside a pod (busybox `wget`, bounded by `timeout`), never rejecting: how it ended,
   * in the same terms as `httpFromHost`. An exec that cannot run is `error`, never a rejection.
   */
  httpFromPod: probeFromPod,
  /** How to read a probe's outcome (`httpFromHost`, `httpFromPod`). */
  outcome: {
    /** Served: an HTTP status below 500 (a 5xx is what a proxy answers when it cannot reach the server). */
    served: isServed,
    /** Rejected at the connection: reset, or closed without a response. */
    rejected: isRejected,
    /** The probe itself broke (timeout, DNS, refused, could not run): says nothing about the target; never a pass. */
    broken: isBroken,
    /** A short label for tables and charts: the status, else the failure's kind. */
    label: outcomeLabel,
    /** One line for messages: "HTTP 200 (server: envoy)", "reset (Connection reset by peer)". */
    describe: describeOutcome,
  },
};

/** Checks: verify steps that record what was expected, what was seen, and whether it held. */
export const checks = {
  replacementsReady,
  readyReplicasRestored,
  endpointsRestored,
  /** The pure judgement behind replacementsReady, for one deleted pod. */
  recoveredInTime,
  /** A continuous probe's failed share during a window, against a limit (0–1). */
  probeHeld,
  /** The pure judgement behind probeHeld. */
  judgeProbe,
  /** What differs between an object's recorded copy and the live one (spec and other top-level fields, labels, annotations), one line each; empty when they match. */
  objectDiff,
};

/** Fixtures a run deploys for itself: labelled with the run id, removed in teardown whatever happens. */
export const fixtures = {
  /** Server-side applies objects built in code (and creates their namespace if missing). */
  deploy: deployObjects,
  /** The same for an experiment's manifest files with `${placeholders}`. */
  fromManifests: deployFixture,
  /** Manifest files read with their placeholders filled in (what fromManifests applies). */
  load: loadManifests,
  /** The API permissions deploying these objects needs (namespaces, each kind applied, the teardown's sweep by label): a fixture step's `permissions`. */
  permissions: fixturePermissions,
};

/**
 * Load beside the fault (built-in open-loop HTTP, or k6), judged per phase: spread `load.params()`
 * into your parameters, check the driver in preflight, start it at the end of the steady state
 * (rollback stops it, always), open its fault window around the faults (`load.aroundFault`) and finish
 * it in verify.
 */
export const load = {
  /** The load parameters (load, loadRate, loadUrl, loadWorkers, the limits ...), to spread into a z.strictObject. */
  params: loadParams,
  /**
   * Checks the load parameters together, in your parameters' `superRefine`: loadWorkers > 1 only
   * with load=builtin and an in-cluster loadUrl; loadWorkers = 1 with a loopback one.
   */
  refine: refineLoadParams,
  /**
   * What the load's worker pods need (loadWorkers > 1: the worker Job created and deleted, its pods
   * listed, their logs read), in `namespace` or the run's; nothing otherwise. Declare it on the step
   * that starts the load.
   */
  permissions: loadWorkerPermissions,
  /** Preflight: for load=k6, `k6 version` is k6 >= 1.0; the built-in driver needs nothing. */
  driverReady: loadDriverReady,
  /** Starts the load (nothing for load=off) and holds it for loadSteadyFor of steady state. */
  start: startLoad,
  /** The run's load, once started. */
  of: (ctx: { results: RunResults }): AttachedLoad | undefined => loadOf(ctx),
  /** Your method's fault steps, with the load's fault window opened before the first and closed after the last (spread them into `method`). */
  aroundFault,
  /** For a fault meant to turn the load away (a policy that rejects): the limits speak of being served again after the fault, and there is no p95 ratio. */
  rejectingParams: rejectingLoadParams,
  /** The run's load, once started, judged as one its fault turns away (started with `load.rejectingParams()`). */
  rejecting: (ctx: { results: RunResults; params: LoadParams }): RejectedLoad | undefined => rejectingLoadOf(ctx),
};
