import type { RunContext, Step } from '../engine/experiment.ts';
import type { ClusterSession } from './session.ts';

/** The step context of an experiment that runs against a cluster: `ctx.cluster` is typed. */
export type ClusterContext<P, S> = RunContext<P, S, ClusterSession>;

/** A step of such an experiment. */
export type ClusterStep<P, S> = Step<P, S, ClusterSession>;
