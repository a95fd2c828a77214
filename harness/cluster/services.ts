import { RunError } from '../engine/errors.ts';
import type { RunContext } from '../engine/experiment.ts';
import type { ClusterSession } from './session.ts';

/** The cluster session the CLI put into the run's services. */
export function clusterOf(ctx: RunContext<unknown, unknown> | { services: Record<string, unknown> }): ClusterSession {
  const c = ctx.services['cluster'];
  if (!c) throw new RunError('INTERNAL', 'this step needs a cluster session, and the run has none');
  return c as ClusterSession;
}
