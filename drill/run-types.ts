import type { InspectOutcome } from '../lambdas/flows/inspect.ts';
import type { RemediateOutcome } from '../lambdas/flows/remediate.ts';
import type { InspectClients } from '../lambdas/inspect/deps.ts';
import type { ProbeClients } from '../lambdas/probe/deps.ts';
import type { RemediateClients } from '../lambdas/remediate/deps.ts';
import type { RemediateRequest } from '../lambdas/runtime/events.ts';
import type { Incident } from '../lib/incident.ts';
import type { RootCause } from '../lib/types.ts';
import type { MarkKind, ScenarioCheck } from './scenarios/types.ts';
import type { DataPlaneFollowing } from './world/data-plane-following.ts';
import type { SyncChange } from './world/haproxy-sync.ts';
import type { ResponseRecord } from './world/loadgen.ts';
import type { SigningCredentials } from './world/sigv4.ts';

// What one run of one scenario records, and how it is asked for: the runner fills these in, the
// analysis and the report read them. Types only, so every side can import them without a cycle.

export interface RunOptions {
  /** Attach to this moto_server (reset first) instead of starting one per run. */
  readonly motoUrl?: string;
  /** Invoke lbguard. False runs the same scenario with nobody watching. */
  readonly guarded: boolean;
  /** Customer requests per second unless the scenario says otherwise. Default 150. */
  readonly ratePerSecond?: number;
  /** Overrides the scenario's observation time after the fault, in drill ms. */
  readonly observeMs?: number;
  /** Drill ms of balanced traffic before the fault, after last known good. Default 2000. */
  readonly baselineMs?: number;
  /** Longest wait for the soak to promote last known good before promoting explicitly. Default 15 s. */
  readonly warmupTimeoutMs?: number;
  /**
   * Run on the honest clock (`REAL_TIME`: one drill second is one AWS second) instead of the
   * compressed one. Default false.
   */
  readonly realClock?: boolean;
  /** CloudTrail → EventBridge delivery delay in AWS seconds. Default 15 (30 on the real clock). */
  readonly cloudTrailDelayAwsSeconds?: number;
  /** Progress lines (`drill: …`). */
  readonly progress?: (line: string) => void;
  /** Reset the attached moto before building the world. Default true (the IAM proof resets it itself). */
  readonly resetMoto?: boolean;
  /** The world's and lbguard's set-up identity towards moto. Default moto's `testing`. */
  readonly credentials?: SigningCredentials;
  /** Each function's own SDK clients (the IAM proof's run under each role), built once per guarded run. */
  readonly functionClients?: () => FunctionClients;
  /** The scenario's remediation policy over the drill's (e.g. `allowCreateRule`). */
  readonly remediation?: { readonly allowCreateRule?: boolean };
}

/** The SDK clients of each function, as its wiring (`lambdas/<fn>/deps.ts`) takes them. */
export interface FunctionClients {
  readonly probe: ProbeClients;
  readonly inspect: InspectClients;
  readonly remediate: RemediateClients;
}

export interface Mark {
  /** Epoch ms (wall clock). */
  readonly at: number;
  readonly kind: MarkKind | 'load-start' | 'baseline' | 'last-good';
  readonly what: string;
}

export interface Elbv2Write {
  readonly at: number;
  readonly op: string;
  readonly detail: string;
}

export interface InspectionRecord {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly trigger: string;
  readonly kind: InspectOutcome['kind'] | 'error';
  readonly cause?: RootCause;
  readonly summary?: string;
  readonly evidence?: readonly string[];
  readonly incidentId?: string;
  readonly incidentState?: Incident['state'];
  readonly promoted?: boolean;
  readonly error?: string;
}

export interface RemediationRecord {
  readonly requestedAt: number;
  readonly endedAt: number;
  readonly request: RemediateRequest;
  readonly attempt: number;
  readonly outcome?: RemediateOutcome;
  readonly error?: string;
}

export interface NotificationRecord {
  readonly at: number;
  readonly subject: string;
  readonly severity: string;
  readonly state: string;
}

export interface LastGoodRecord {
  readonly at: number;
  readonly hash: string;
  readonly how: 'soak' | 'explicit';
  readonly reason: string;
}

/** The data plane of a scenario that makes it follow late or not at all (`Scenario.world.dataPlane`). */
export interface DataPlaneRecord {
  readonly following: DataPlaneFollowing;
  /** Epoch ms from which HAProxy followed moto that way (the fault had reached it). */
  readonly armedAt: number;
  /** Every change the sync applied to HAProxy during the run, in order. */
  readonly changes: readonly SyncChange[];
}

/** Everything one run of one scenario left behind. Times are wall-clock epoch ms. */
export interface ScenarioRun {
  readonly scenario: string;
  readonly guarded: boolean;
  readonly clock: { readonly factor: number; readonly realStartMs: number; readonly awsStartMs: number };
  readonly loadStartedAt: number;
  readonly faultAt: number;
  readonly endedAt: number;
  readonly ratePerSecond: number;
  readonly records: readonly ResponseRecord[];
  readonly marks: readonly Mark[];
  readonly writes: readonly Elbv2Write[];
  readonly inspections: readonly InspectionRecord[];
  readonly remediations: readonly RemediationRecord[];
  readonly notifications: readonly NotificationRecord[];
  readonly lastGood: readonly LastGoodRecord[];
  /** lbguard's incidents opened during the run, oldest first. */
  readonly incidents: readonly Incident[];
  readonly lastGoodHashBeforeFault?: string;
  readonly lastGoodHashAtEnd?: string;
  readonly liveHashAtEnd?: string;
  /** Instance id → target group name, for the chart's legend. */
  readonly targets: Readonly<Record<string, string>>;
  readonly fleetEvents: readonly {
    readonly at: number;
    readonly instanceId: string;
    readonly kind: string;
  }[];
  /** Handler errors (an invocation that threw); a healthy run has none. */
  readonly errors: readonly string[];
  /** The scenario's own end-of-run checks (`Scenario.verify`). */
  readonly scenarioChecks?: readonly ScenarioCheck[];
  readonly dataPlane?: DataPlaneRecord;
}
