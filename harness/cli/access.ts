// The access preflight of `shakedown run`: before any run touches anything (no Lease, no
// object), the API server is asked whether this account may do everything the runs' parts
// declare; a run that would be refused half-way is stopped here, naming what is missing.
import { describeError } from '../engine/errors.ts';
import type { AnyExperiment } from '../engine/experiment.ts';
import type { ResolvedKubeConfig } from '../cluster/kubeconfig.ts';
import type { Permission } from '../cluster/permissions.ts';
import type { CliIo } from './io.ts';
import { runNamespaceOf } from './rbac.ts';

/**
 * Checks every run's declared rules with SelfSubjectAccessReviews; says on stderr what each run
 * lacks. Resolves to whether the runs may start. Runs whose parts declare nothing are not
 * checked; an unreachable server is left to the run's preflight (an error verdict, with reports).
 */
export async function accessAllowed(prepared: readonly { def: AnyExperiment; params: Record<string, unknown> }[], kube: ResolvedKubeConfig, io: CliIo, extra: readonly Permission[] = []): Promise<boolean> {
  const [{ declaresPermissions, experimentPermissions }, { missingAccess, missingText, scopeRules }, { ClusterSession, apiStatus }] = await Promise.all([
    import('../cluster/permissions.ts'),
    import('../cluster/rbac.ts'),
    import('../cluster/session.ts'),
  ]);
  // A session of its own: the reviews are not the run's API use (compared with its declarations).
  const session = new ClusterSession(kube);
  let allowed = true;
  for (const { def, params } of prepared.filter((p) => declaresPermissions(p.def))) {
    let missing;
    try {
      missing = await missingAccess(session, scopeRules(experimentPermissions(def, params, extra), runNamespaceOf(params)));
    } catch (err) {
      if (apiStatus(err) === undefined) return allowed;
      io.stderr(`shakedown: ${def.name}: could not check this account's access (SelfSubjectAccessReview): ${describeError(err)}\n`);
      return false;
    }
    if (missing.length === 0) continue;
    allowed = false;
    io.stderr(`shakedown: ${def.name}: stopped before touching anything: ${missingText(missing, `the account of context ${kube.context}`)}\n`);
  }
  if (!allowed) io.stderr('shakedown: `shakedown rbac <experiment> [--namespace …] [--set …]` prints the Roles a run needs; no run was started\n');
  return allowed;
}
