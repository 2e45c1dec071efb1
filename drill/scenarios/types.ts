import type { PlanGateResult } from '../../lambdas/flows/plan-gate.ts';
import type { CfnTemplate } from '../../lib/predict.ts';
import type { PlanStep, RootCause } from '../../lib/types.ts';
import type { ShopWorldSpec, WorldInstance } from '../world/aws-world.ts';
import type { BackendTuning } from '../world/backend.ts';
import type { DataPlaneFollowing } from '../world/data-plane-following.ts';
import type { ActionSpec, RuleSpec } from '../world/elbv2-spec.ts';
import type { PathMixEntry } from '../world/loadgen.ts';
import type { World } from '../world/world.ts';

// What a drill scenario is: a shop, an optional healthy-baseline change, a fault injected the way
// deployments and outages inject them, and what lbguard is expected to make of it. Scenarios only
// act through the world (ELBv2 API calls as the deployment pipeline, backend modes); the runner
// decides whether lbguard is watching.

/**
 * Something worth a line on the timeline and a marker on the chart. `settled`: an owner in
 * flight (a deployment, a stack update) has ended; `noWritesBefore` is judged against it.
 */
export type MarkKind = 'fault' | 'change' | 'note' | 'settled';

/** A scenario's own check of the world at the end of the run (e.g. a rewrite still in effect). */
export interface ScenarioCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * ELBv2 calls made as the deployment pipeline (role `deploy-pipeline`). Each call goes through
 * the API like a user's tooling, and the runner feeds lbguard the CloudTrail event it causes.
 */
export interface Deployment {
  /** `ModifyListener`: the shop listener's default action forwards by these weights (group name → weight). */
  forward(weights: Readonly<Record<string, number>>): Promise<void>;
  /** `ModifyListener` with any default action (fixed response, redirect, forward). */
  setDefaultAction(action: ActionSpec): Promise<void>;
  /** `DeregisterTargets` of instances from a group. */
  deregister(group: string, instanceIds: readonly string[]): Promise<void>;
  /** `RegisterTargets` of instances in a group (port 80). */
  register(group: string, instanceIds: readonly string[]): Promise<void>;
  /** `CreateRule` on the shop listener; returns its ARN. */
  createRule(rule: RuleSpec): Promise<string>;
  /** `ModifyRule`: new action for a rule made by `createRule` or the shop spec, conditions kept. */
  modifyRule(ruleName: string, action: ActionSpec): Promise<void>;
  /** `DeleteRule` of a rule made by `createRule` or the shop spec. */
  deleteRule(ruleName: string): Promise<void>;
}

/** Auto scaling acting on its own (CloudTrail principal `service autoscaling.amazonaws.com`). */
export interface AutoScaling {
  /** Scale-in: deregister the instance from its group, then terminate it. */
  scaleIn(group: string, instanceId: string): Promise<void>;
}

export interface ScenarioContext {
  readonly world: World;
  readonly deploy: Deployment;
  readonly autoscaling: AutoScaling;
  /** Instances of a target group, in launch order. */
  instances(group: string): readonly WorldInstance[];
  /** Records a moment for the timeline and the chart. */
  mark(kind: MarkKind, what: string): void;
  /** Waits on the drill's wall clock. */
  sleep(drillMs: number): Promise<void>;
  /** Changes the customers' arrival rate from now on. */
  setRate(ratePerSecond: number): void;
  /**
   * The predictive pre-deploy gate (`lbguard verify --plan`) on a template, as a pipeline runs it
   * before its deploy step. Only in the guarded arm: unguarded, nothing checks the deploy.
   */
  readonly planGate?: (template: CfnTemplate, label: string) => Promise<PlanGateResult>;
}

/** What lbguard must do (or not do) for the scenario to pass. */
export interface Expectations {
  /**
   * The incident lbguard should end with: `none` (nothing confirmed, nobody notified),
   * `resolved` (remediated and verified) or `escalated` (handed to a human); `any` when the
   * scenario judges lbguard by what it must not say or do (`neverCauses`, `writes`).
   */
  readonly incident: 'none' | 'resolved' | 'escalated' | 'any';
  /** Root-cause classes the confirmed diagnosis may have (any of). */
  readonly causes?: readonly RootCause[];
  /** ELBv2 writes lbguard may make: `none`, or only these operations. */
  readonly writes: 'none' | readonly PlanStep['op'][];
  /** ELBv2 writes lbguard must have made (each operation at least once). */
  readonly requiredWrites?: readonly PlanStep['op'][];
  /**
   * Customers' failure rate is back to the pre-fault baseline by the end of the run (`true`), or
   * still not (`false`); `'either'` when that depends on capacity rather than on lbguard.
   */
  readonly recovered: boolean | 'either';
  /** Last known good moves to the configuration the scenario deployed (an intended change). */
  readonly promotesNewConfig?: boolean;
  /** Causes lbguard must never confirm or page for after the fault. */
  readonly neverCauses?: readonly RootCause[];
  /** Customers' failure share after the fault is at most this (0–1). */
  readonly maxFailureRate?: number;
  /** No ELBv2 write by lbguard before the scenario marks `settled` (and the mark is made). */
  readonly noWritesBefore?: 'settled';
  /**
   * The data plane after lbguard's restore (drill/data-plane-checks.ts): `follows-late` — the lag
   * lbguard reports is the true one within a probe interval and the incident resolves only after
   * the data plane followed; `stuck` — never verified or resolved, escalated naming the data plane.
   */
  readonly dataPlane?: 'follows-late' | 'stuck';
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Two or three sentences: what happens and why it matters. */
  readonly story: string;
  readonly shop?: ShopWorldSpec;
  /** World settings this scenario needs (e.g. a crashed server that stays down longer). */
  readonly world?: {
    readonly restartDelayMs?: number;
    readonly backend?: Partial<BackendTuning>;
    /**
     * How the data plane follows the control plane once the fault has reached it (the runner
     * switches it right after `inject`): late by a delay, or not at all.
     */
    readonly dataPlane?: DataPlaneFollowing;
  };
  /** lbguard's remediation policy for this scenario over the drill's (drill/lbguard-config.ts). */
  readonly remediation?: { readonly allowCreateRule?: boolean };
  /** Customer requests per second. Default the runner's rate. */
  readonly ratePerSecond?: number;
  readonly pathMix?: readonly PathMixEntry[];
  /** Part of the healthy baseline, done before warm-up (and so before last known good). */
  prepare?(ctx: ScenarioContext): Promise<void>;
  /** The fault, or the intended change. */
  inject(ctx: ScenarioContext): Promise<void>;
  /** Drill ms the world keeps running after `inject` returns. */
  readonly observeMs: number;
  /** Checks the world at the end of the observation, customers still arriving. */
  verify?(ctx: ScenarioContext): Promise<readonly ScenarioCheck[]>;
  readonly expect: Expectations;
  /** Run it a second time without lbguard for comparison (`--compare-unguarded`). */
  readonly compareUnguardedByDefault?: boolean;
}
