// What statefulset-identity learns and observes during a run; the checks judge only this.
import type { Claim, PodIdentity, PodLifecycle, PodRecovery, Token, Workload } from '../../harness/index.ts';

export const FIXTURE = 'shakedown-web';
export const FIXTURE_MOUNT = '/data';

/** The Service in front of the fixture's pods that the load goes through. */
export const clientService = (sts: string) => `${sts}-client`;

/** One deleted pod: what it was, how it came back, and what it was after. */
export interface PodOutcome {
  ordinal: number;
  before: PodIdentity;
  recovery?: PodRecovery;
  after?: PodIdentity;
  /** sha256 of the token read back after the pod returned. */
  tokenRead?: { sha256?: string; output: string };
  /** DNS answer for the pod's FQDN after it returned, and when it held the new IP. */
  dns?: { addresses: string[]; at?: number; stale?: string };
}

/** The scale-down-and-up of the highest ordinal, as observed. */
export interface RescaleOutcome {
  /** Why it was not run (rescale=false, or the claims would be deleted). */
  skipped?: string;
  /** Set when skipped because scaling down would have deleted claims (a finding). */
  dataLossRisk?: string[];
  pod: string;
  claimsBefore: Claim[];
  keptAfterScaleDown: Claim[];
  claimsAfter: Claim[];
  tokenRead?: { sha256?: string; output: string };
  readyAt?: number;
  /** Pods other than the highest ordinal that were replaced meanwhile. */
  othersReplaced: string[];
  /** Pods created before every lower ordinal was Ready. */
  outOfOrder: { name: string; waitingOn: string[] }[];
}

export interface State {
  fixture: boolean;
  sts: string;
  service: string;
  container: string;
  mountPath: string;
  replicas: number;
  ordinals: number[];
  selector: string;
  orderedReady: boolean;
  /** persistentVolumeClaimRetentionPolicy.whenScaled is Delete. */
  claimsDeletedOnScaleDown: boolean;
  tokens: Map<number, Token>;
  pods: Map<number, PodOutcome>;
  rescale?: RescaleOutcome;
  /** The StatefulSet as resolved in the steady state, for the pod watch (target.watchPods). */
  workload?: Workload;
  /** The pod watch, from target.watchPods. */
  lifecycle?: PodLifecycle;
}

export const initialState = (): State => ({
  fixture: true,
  sts: FIXTURE,
  service: `${FIXTURE}-headless`,
  container: 'web',
  mountPath: FIXTURE_MOUNT,
  replicas: 0,
  ordinals: [],
  selector: '',
  orderedReady: true,
  claimsDeletedOnScaleDown: false,
  tokens: new Map(),
  pods: new Map(),
});
