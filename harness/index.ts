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

export { z } from 'zod';
export { defineExperiment, resultKey, step } from './engine/experiment.ts';
export type { CheckInput, ExperimentDefinition, MetricOptions, ObserveWindow, Observer, Recorder, ResultKey, RunContext, RunResults, Step, StepKind } from './engine/experiment.ts';
export type { ContinuousProbe, ContinuousProbeSpec, ProbeSample, ServiceHttpOptions, ServiceHttpTarget } from './probes/continuous.ts';
export type { ClusterContext, ClusterStep } from './cluster/context.ts';
export type { ClusterSession } from './cluster/session.ts';
export type { Permission, Verb } from './engine/permission.ts';
export type { ManifestObject } from './manifests/load.ts';
export type { DeletePodsOptions } from './faults/delete-pods.ts';
export type { PodRecovery } from './faults/pod-delete.ts';
export type { DeletedPod, WorkloadState } from './target/select.ts';
export type { Readiness, Workload, WorkloadKind, WorkloadRef } from './target/workload.ts';
export { RunError, UsageError } from './engine/errors.ts';
export { WaitTimeoutError } from './engine/wait.ts';
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
