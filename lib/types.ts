/**
 * The shared vocabulary of lbguard's pure core (see DESIGN.md "Concepts").
 *
 * Every module under `lib/` speaks these types; adapters in `lambdas/` translate AWS SDK
 * shapes to and from them. Nothing here performs I/O or reads the clock: times are ISO-8601
 * strings passed in by the caller.
 */

export * from './types/snapshot.ts';

import type {
  Action,
  Condition,
  LbSnapshot,
  RuleTransform,
  StoredSnapshot,
  Target,
} from './types/snapshot.ts';
// ---------------------------------------------------------------------------------------------
// Observed state
// ---------------------------------------------------------------------------------------------

export type TargetHealthState =
  | 'initial'
  | 'healthy'
  | 'unhealthy'
  | 'unhealthy.draining'
  | 'unused'
  | 'draining'
  | 'unavailable';

export interface TargetHealth {
  readonly targetGroupArn: string;
  readonly targetId: string;
  readonly port?: number;
  readonly state: TargetHealthState;
  /** ALB's reason code, e.g. `Target.FailedHealthChecks`, `Target.InvalidState`. */
  readonly reason?: string;
  readonly description?: string;
  /**
   * ALB's anomaly detection (`DescribeTargetHealth` `Include: AnomalyDetection`); absent when not
   * reported. With `mitigationInEffect`, ALB is sending this target less traffic on purpose.
   */
  readonly anomaly?: { readonly result: 'anomalous' | 'normal'; readonly mitigationInEffect: boolean };
}

/** A zonal shift or zonal autoshift in effect for a load balancer (ARC zonal shift). */
export interface ZonalShift {
  readonly id: string;
  readonly kind: 'zonal-shift' | 'autoshift';
  /** The zone traffic is shifted away from, by name (`eu-west-1a`) or id (`euw1-az1`) as ARC gives it. */
  readonly zone: string;
  readonly expiry?: string;
}

/** One step of a probe or journey, as the prober saw it. */
export interface ProbeStepResult {
  readonly name: string;
  readonly url: string;
  readonly method: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly latencyMs: number;
  /** Transport failure, e.g. `timeout after 5000 ms`, `ECONNREFUSED`, `tls: CERT_HAS_EXPIRED`. */
  readonly error?: string;
  /** Assertion failures, each a sentence: `status 503 not in [200]`. */
  readonly failures: readonly string[];
  /** Value of the service's served-by header, when present. */
  readonly servedBy?: string;
}

export interface ProbeResult {
  readonly service: string;
  readonly probe: string;
  readonly at: string;
  readonly ok: boolean;
  readonly steps: readonly ProbeStepResult[];
  readonly totalMs: number;
}

/** Requests counted per target identity (served-by value, or `id:port`) over a window. */
export interface ServedBySample {
  readonly service: string;
  readonly at: string;
  readonly counts: Readonly<Record<string, number>>;
}

/** ALB CloudWatch metrics (namespace `AWS/ApplicationELB`) summed over one window. */
export interface AlbMetrics {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly requestCount: number;
  readonly requestCountByTargetGroup: Readonly<Record<string, number>>;
  readonly requestCountByAvailabilityZone: Readonly<Record<string, number>>;
  readonly elb5xx: number;
  readonly elb503: number;
  readonly target5xx: number;
}

/** Who changed the configuration, from the CloudTrail event that woke inspect. */
export interface ConfigChange {
  /** `ModifyListener`, `DeregisterTargets`, … */
  readonly eventName: string;
  /** Readable principal: `role deploy-pipeline`, `user alice`. */
  readonly principal: string;
  readonly principalArn?: string;
  readonly sourceIp?: string;
  /** The AWS service that made the call on the principal's behalf (`cloudformation.amazonaws.com`). */
  readonly invokedBy?: string;
  readonly userAgent?: string;
  /** The role an assumed-role session was issued from (a service-linked role names its service). */
  readonly sessionIssuerArn?: string;
  readonly at: string;
  /** The ARNs the call touched (listener, rule or target group). */
  readonly resources: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Policy (the parsed config's `thresholds` and `remediation` are assignable to these)
// ---------------------------------------------------------------------------------------------

export interface SkewThresholds {
  /** Fewer observed requests than this → `insufficient-data`, never `skewed`. */
  readonly minSamples: number;
  /** Significance level of the statistical test, i.e. the tolerated false-positive rate. */
  readonly falsePositiveRate: number;
  /** Effect-size floor (total variation distance, 0–1) below which a difference is noise. */
  readonly minEffectSize: number;
}

/** Probe hysteresis (see lib/hysteresis.ts and docs/hysteresis.md). */
export interface HysteresisThresholds {
  readonly consecutiveFailures: number;
  readonly failuresInWindow: number;
  readonly windowSize: number;
  readonly consecutiveSuccesses: number;
  readonly maxChangesPerHour: number;
}

export interface Thresholds {
  readonly skew: SkewThresholds;
  /** Absent in hand-built policies: lib/hysteresis.ts's defaults apply. */
  readonly hysteresis?: HysteresisThresholds;
  /** ELB+target 5xx over requests above which a window is a breach (0–1). */
  readonly errorRate: number;
  /** Consecutive breaching observations before `suspected` becomes `confirmed`. */
  readonly consecutiveBreaches: number;
  /** Healthy seconds before a snapshot is promoted to last known good. */
  readonly soakSeconds: number;
}

export type RemediationMode = 'off' | 'dry-run' | 'approve' | 'auto';

/** Approve mode: how long a plan may wait for a person, and which step kinds need none. */
export interface ApprovalPolicy {
  readonly expiresAfterMinutes: number;
  readonly remindAfterMinutes: number;
  readonly escalateAfterMinutes: number;
  /** Step kinds applied without approval; the rest of a plan waits for `lbguard approve`. */
  readonly trustedSteps: readonly PlanStep['op'][];
}

export interface RemediationPolicy {
  readonly mode: RemediationMode;
  readonly cooldownSeconds: number;
  readonly maxPerHour: number;
  readonly maxSteps: number;
  /** Recreate a rule that was deleted. Off by default: creating rules is a bigger change. */
  readonly allowCreateRule: boolean;
  /** Seconds after apply by which config must have converged and probes be green. */
  readonly verifyDeadlineSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// Routing model
// ---------------------------------------------------------------------------------------------

export type Destination =
  | {
      readonly kind: 'target';
      readonly targetGroupArn: string;
      readonly targetId: string;
      readonly port?: number;
    }
  /** A forward to a target group with no registered targets: ALB answers 503. */
  | { readonly kind: 'empty-group'; readonly targetGroupArn: string }
  | { readonly kind: 'fixed-response'; readonly statusCode: string }
  | { readonly kind: 'redirect' };

export interface RouteShare {
  readonly destination: Destination;
  /** Fraction of this route's requests, 0–1; the shares of one route sum to 1. */
  readonly share: number;
}

export interface RouteModel {
  readonly listenerArn: string;
  readonly listenerPort: number;
  /** `default` for the listener's default action. */
  readonly ruleArn: string;
  readonly priority: number | 'default';
  readonly conditions: readonly Condition[];
  /** Target groups whose registered targets are all unhealthy, so ALB fails open to all of them. */
  readonly failOpen: readonly string[];
  readonly shares: readonly RouteShare[];
}

export interface RoutingModel {
  readonly routes: readonly RouteModel[];
}

// ---------------------------------------------------------------------------------------------
// Skew
// ---------------------------------------------------------------------------------------------

export type SkewResult =
  | {
      readonly kind: 'balanced';
      readonly samples: number;
      readonly pValue: number;
      readonly effectSize: number;
    }
  | {
      readonly kind: 'skewed';
      readonly samples: number;
      readonly pValue: number;
      readonly effectSize: number;
      /** The key whose observed share most exceeds its expected share. */
      readonly heaviest: {
        readonly key: string;
        readonly observedShare: number;
        readonly expectedShare: number;
      };
      readonly evidence: readonly string[];
    }
  | { readonly kind: 'insufficient-data'; readonly samples: number; readonly minSamples: number };

// ---------------------------------------------------------------------------------------------
// Drift
// ---------------------------------------------------------------------------------------------

export type DriftKind =
  | 'listener-added'
  | 'listener-removed'
  | 'default-action-changed'
  | 'weights-changed'
  | 'rule-added'
  | 'rule-removed'
  | 'rule-actions-changed'
  | 'rule-conditions-changed'
  | 'rule-priority-changed'
  | 'target-group-removed'
  | 'targets-deregistered'
  | 'targets-registered'
  | 'health-check-changed'
  | 'rule-transforms-changed'
  | 'listener-settings-changed'
  | 'unrepresented-changed';

/** One typed difference between the current snapshot and last known good. */
export interface Drift {
  /** Id of the drift rule that found it, e.g. `LBG-D3`. */
  readonly ruleId: string;
  readonly kind: DriftKind;
  readonly listenerArn?: string;
  readonly ruleArn?: string;
  readonly targetGroupArn?: string;
  /** Human-readable, one line: `listener :80 default action weights web-a/web-b 50/50 → 100/0`. */
  readonly summary: string;
  readonly before?: unknown;
  readonly after?: unknown;
  /** Whether restoring last known good for this part is something a plan may do. */
  readonly remediable: boolean;
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

export type PlanStep =
  | { readonly op: 'RegisterTargets'; readonly targetGroupArn: string; readonly targets: readonly Target[] }
  | {
      readonly op: 'ModifyListener';
      readonly listenerArn: string;
      readonly defaultActions: readonly Action[];
    }
  | {
      readonly op: 'ModifyRule';
      readonly ruleArn: string;
      readonly conditions: readonly Condition[];
      readonly actions: readonly Action[];
      /** Absent: the rule's transforms stay as they are; empty: all are removed. */
      readonly transforms?: readonly RuleTransform[];
    }
  | {
      readonly op: 'SetRulePriorities';
      readonly priorities: readonly { readonly ruleArn: string; readonly priority: number }[];
    }
  | {
      readonly op: 'CreateRule';
      readonly listenerArn: string;
      readonly priority: number;
      readonly conditions: readonly Condition[];
      readonly actions: readonly Action[];
      readonly transforms?: readonly RuleTransform[];
    };

export interface Plan {
  /** Content hash of the steps; with the incident id it keys idempotent apply. */
  readonly hash: string;
  readonly steps: readonly PlanStep[];
  /** Drifts this plan restores. */
  readonly fixes: readonly Drift[];
  /** Drifts it leaves alone, with why (not remediable, target gone, policy forbids). */
  readonly leftAlone: readonly LeftAlone[];
}

/** A drift a plan does not restore, and why. */
export interface LeftAlone {
  readonly drift: Drift;
  readonly why: string;
}

// ---------------------------------------------------------------------------------------------
// Diagnosis
// ---------------------------------------------------------------------------------------------

export type RootCause =
  | 'healthy'
  | 'routing-skew'
  | 'missing-targets'
  | 'listener-drift'
  | 'no-healthy-targets'
  | 'targets-unhealthy-balanced'
  | 'backend-errors-balanced'
  /** N−1 targets of a group fail health checks and the last takes all of its traffic; routing is not at fault. */
  | 'single-survivor'
  /**
   * What lbguard would build a plan from (last known good, the latest snapshot) failed its
   * integrity check in the state table: nothing is remediated until an operator re-promotes.
   */
  | 'state-integrity'
  /**
   * The load balancer sends a target or zone less traffic on purpose (anomaly mitigation, a zonal
   * shift): not a fault of its configuration, never remediated, and never sent traffic back.
   */
  | 'lb-protecting'
  /**
   * After an ELBv2 write, the observed per-target shares still depart from the shares the new
   * configuration models past the deadline (lib/convergence.ts): the API took the write, the
   * traffic did not move. Never remediated, never resolved until the traffic follows.
   */
  | 'data-plane-not-following'
  | 'unknown';

export type Severity = 'info' | 'warning' | 'critical';

export interface Diagnosis {
  readonly cause: RootCause;
  /** True only for causes in the load balancer's configuration. */
  readonly lbFault: boolean;
  /** True when a plan restoring last known good could fix it (requires `lbFault`). */
  readonly remediable: boolean;
  readonly severity: Severity;
  /** One sentence for a notification subject or a status line. */
  readonly summary: string;
  /** Lines a human can check, most telling first. */
  readonly evidence: readonly string[];
  readonly drift: readonly Drift[];
  /**
   * Why the configuration alone settles this load-balancer fault, when it does: it is then
   * confirmed on the first breach (lib/hysteresis.ts `breachesToConfirm`). Absent otherwise.
   */
  readonly decisive?: string;
  /**
   * The oldest CloudTrail call that explains a drift from last known good: where the outage
   * began, for the postmortem's duration. Absent when no event explains the drift.
   */
  readonly firstChange?: Pick<ConfigChange, 'at' | 'eventName' | 'principal'>;
}

/** Everything inspect knows at one moment; the input of `diagnose`. */
export interface Signals {
  readonly at: string;
  readonly service: string;
  readonly snapshot: LbSnapshot;
  readonly lastGood?: StoredSnapshot;
  readonly health: readonly TargetHealth[];
  readonly probes: readonly ProbeResult[];
  readonly metrics?: AlbMetrics;
  readonly servedBy?: ServedBySample;
  readonly lastChange?: ConfigChange;
  /**
   * Every ELBv2 change CloudTrail reported since last known good, oldest first (`lastChange`
   * included or not): a deployment is often several calls (ModifyListener, then DeregisterTargets).
   */
  readonly changes?: readonly ConfigChange[];
  /**
   * When the configuration was last seen as it is in last known good (the previous observation
   * whose hash equalled it): with no CloudTrail event, a drift happened between this and `at`.
   */
  readonly previousObservationAt?: string;
  /** Requests per instance from the application's own counters (see lib/instance-counters.ts). */
  readonly instanceCounts?: Readonly<Record<string, number>>;
  /**
   * Stored items that failed their integrity check (lib/state-integrity.ts) and were not used:
   * `lastGood` is then absent although one is stored.
   */
  readonly stateIntegrity?: readonly { readonly item: string; readonly problem: string }[];
  /** Zonal shifts and autoshifts in effect for the load balancer; absent when not read. */
  readonly zonalShifts?: readonly ZonalShift[];
  /**
   * Whether the data plane follows the newest write (lib/convergence.ts), judged by the caller
   * that knows the write's time and deadline; absent when no write is recent.
   */
  readonly dataPlane?: DataPlaneVerdict;
}

/** Convergence after a write, as diagnosis sees it: where it stands, and its evidence line. */
export interface DataPlaneVerdict {
  readonly kind: 'converged' | 'converging' | 'not-following' | 'unobserved';
  readonly line: string;
  /** What the newest judged look saw (per-target shares), when it saw anything. */
  readonly evidence: readonly string[];
}

/** Stable key of a target within its group: `id:port` (`id` alone for lambda targets). */
export function targetKey(t: {
  readonly id?: string;
  readonly targetId?: string;
  readonly port?: number;
}): string {
  const id = t.id ?? t.targetId ?? '';
  return t.port === undefined ? id : `${id}:${t.port}`;
}
