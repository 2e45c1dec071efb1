/**
 * The plan: the ordered, minimal list of ELBv2 calls that puts last known good back for the
 * drifted, remediable parts (DESIGN.md "Plan").
 *
 * Order matters on a live load balancer:
 * 1. `RegisterTargets` first, one call per group, so traffic has somewhere to go before any
 *    listener or rule is pointed back at a group;
 * 2. `ModifyRule`, then `SetRulePriorities` (through a free priority when rules swap places:
 *    moto refuses a swap in one call, and a plan must run against moto in the drill);
 * 3. `ModifyListener` for default actions;
 * 4. `CreateRule`, only when the policy allows it.
 * There is no step type that deregisters or deletes anything, on purpose. Before a plan is
 * returned it is checked to stay within the guarded load balancer (lib/plan/reach.ts), then
 * simulated and checked against the routing model.
 */
import { diffSnapshots, pairSnapshots } from './drift.ts';
import { checkPlan } from './plan/check.ts';
import { knownExistingTargetIds } from './plan/existing-targets.ts';
import { planPriorities } from './plan/priorities.ts';
import { protectionGuard, refuseRegistration } from './plan/protect.ts';
import { checkReach, type ReachReason } from './plan/reach.ts';
import { readOnlyListeners, readOnlyWrites } from './plan/read-only.ts';
import { actionGuard, planTargets } from './plan/targets.ts';
import { readOnlyReason } from './read-only.ts';
import { canonicalJson, sha256 } from './snapshot.ts';
import type {
  Action,
  Drift,
  DriftKind,
  LbSnapshot,
  LeftAlone,
  Plan,
  PlanStep,
  RemediationPolicy,
  TargetGroupAttachments,
  TargetHealth,
  ZonalShift,
} from './types.ts';

export { describeStep } from './plan/describe-step.ts';
export { knownExistingTargetIds } from './plan/existing-targets.ts';
export type { ReachReason } from './plan/reach.ts';

export type PlanOutcome =
  | { readonly kind: 'plan'; readonly plan: Plan }
  | { readonly kind: 'nothing-to-do'; readonly leftAlone: Plan['leftAlone'] }
  | {
      readonly kind: 'rejected';
      readonly reason: 'exceeds-max-steps' | 'would-not-fix' | 'read-only-listener' | ReachReason;
      readonly detail: string;
      readonly plan: Plan;
    };

export interface PlanInput {
  readonly current: LbSnapshot;
  readonly lastGood: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /** Target ids known to still exist (e.g. running instances, IPs in the VPC); when given, targets not in it are never re-registered. */
  readonly existingTargetIds?: ReadonlySet<string>;
  /**
   * Which load balancers use each target group, read live beside `current` (the guarded load
   * balancer is `current.loadBalancerArn`). A plan touching a group missing from it is refused.
   */
  readonly attachments: TargetGroupAttachments;
  readonly policy: RemediationPolicy;
  /** Zonal shifts in effect for the load balancer: no step sends traffic back to their zones. */
  readonly zonalShifts?: readonly ZonalShift[];
}

/** Why a drift that no plan may restore is left alone. */
const NOT_REMEDIABLE: Partial<Record<DriftKind, string>> = {
  'listener-added': 'lbguard never deletes listeners; remove it by hand if it should not be there',
  'listener-removed':
    'lbguard does not recreate listeners (certificates, security policy and ports are for people to decide)',
  'rule-added': 'lbguard never deletes rules; remove it by hand if it should not be there',
  'targets-registered': 'more targets are benign, and lbguard never deregisters',
  'target-group-removed': 'lbguard does not create target groups',
  'health-check-changed': 'reported for people to judge; plans do not change target-group settings',
  'listener-settings-changed': 'lbguard does not write listener settings (mutual TLS); restore them by hand',
  'unrepresented-changed': 'lbguard cannot represent this element; review the change by hand',
};

const RULE_CONTENT_KINDS: ReadonlySet<DriftKind> = new Set([
  'weights-changed',
  'rule-actions-changed',
  'rule-conditions-changed',
  'rule-transforms-changed',
]);
const DEFAULT_ACTION_KINDS: ReadonlySet<DriftKind> = new Set(['weights-changed', 'default-action-changed']);

/**
 * Plan the ELBv2 calls that restore last known good for what drifted and may be restored.
 *
 * - `nothing-to-do` when nothing remediable drifted (what was left alone, and why, is attached);
 * - `rejected: foreign-target-group` when a step registers targets in or forwards to a target
 *   group another load balancer uses, or one whose load balancers are unknown;
 * - `rejected: new-redirect | new-fixed-response | new-action` when a step writes a redirect
 *   destination, a fixed response or another non-forward action (authentication) that its live
 *   listener or rule does not have: a tampered last known good must not send people elsewhere;
 * - `rejected: exceeds-max-steps` when the plan needs more calls than `policy.maxSteps`;
 * - `rejected: would-not-fix` when the routing model of the simulated result still concentrates
 *   traffic, on a route the plan touches, compared with last known good;
 * - `plan` otherwise.
 *
 * For the routing check, re-registered targets count as healthy: they start `initial` and the
 * plan's verification waits for them (healthy threshold × interval), so the question here is
 * whether routing is right once they pass. Targets that no longer exist are compared as absent
 * on both sides, so a plan is judged on what it can restore.
 */
export function planRemediation(input: PlanInput): PlanOutcome {
  const drifts = diffSnapshots(input.current, input.lastGood);
  const p = pairSnapshots(input.current, input.lastGood);
  const leftAlone: LeftAlone[] = [];
  const fixes: Drift[] = [];
  const leave = (related: readonly Drift[], why: string) => {
    for (const drift of related) leftAlone.push({ drift, why });
  };

  const readOnly = readOnlyListeners(p);
  const remediable: Drift[] = [];
  for (const drift of drifts) {
    const locked = drift.listenerArn === undefined ? undefined : readOnly.get(drift.listenerArn);
    if (!drift.remediable) leave([drift], NOT_REMEDIABLE[drift.kind] ?? 'not something a plan restores');
    else if (locked !== undefined) leave([drift], readOnlyReason(locked));
    else remediable.push(drift);
  }

  const protections = { health: input.health, zonalShifts: input.zonalShifts ?? [] };
  const targets = planTargets(p, remediable, input.existingTargetIds, refuseRegistration(protections));
  fixes.push(...targets.fixes);
  leftAlone.push(...targets.leftAlone);
  const guardTargets = actionGuard(p, targets.registered);
  const guardIntent = protectionGuard(input.current, protections);
  const guard = (before: readonly Action[], after: readonly Action[]) =>
    guardTargets(after) ?? guardIntent(before, after);

  const modifyRules: PlanStep[] = [];
  for (const pair of p.rules) {
    const related = remediable.filter(
      (d) => d.ruleArn === pair.current.arn && RULE_CONTENT_KINDS.has(d.kind),
    );
    if (related.length === 0) continue;
    const blocked = guard(pair.current.actions, pair.lastGood.actions);
    if (blocked !== undefined) {
      leave(related, blocked);
      continue;
    }
    const transforms = pair.lastGood.transforms ?? [];
    const transformsDrifted = canonicalJson(transforms) !== canonicalJson(pair.current.transforms ?? []);
    modifyRules.push({
      op: 'ModifyRule',
      ruleArn: pair.current.arn,
      conditions: pair.lastGood.conditions,
      actions: pair.lastGood.actions,
      // Only when they drifted: a ModifyRule without them leaves the rule's own in place.
      ...(transformsDrifted ? { transforms } : {}),
    });
    fixes.push(...related);
  }

  const priorities = planPriorities(p, remediable);
  fixes.push(...priorities.fixes);
  leftAlone.push(...priorities.leftAlone);

  const modifyListeners: PlanStep[] = [];
  for (const pair of p.listeners) {
    const related = remediable.filter(
      (d) =>
        d.listenerArn === pair.current.arn && d.ruleArn === undefined && DEFAULT_ACTION_KINDS.has(d.kind),
    );
    if (related.length === 0) continue;
    const blocked = guard(pair.current.defaultActions, pair.lastGood.defaultActions);
    if (blocked !== undefined) {
      leave(related, blocked);
      continue;
    }
    modifyListeners.push({
      op: 'ModifyListener',
      listenerArn: pair.current.arn,
      defaultActions: pair.lastGood.defaultActions,
    });
    fixes.push(...related);
  }

  const createRules: PlanStep[] = [];
  for (const { listener, rule } of p.removedRules) {
    const related = remediable.filter((d) => d.kind === 'rule-removed' && d.ruleArn === rule.arn);
    // Left alone already (its listener is read-only).
    if (related.length === 0) continue;
    if (!input.policy.allowCreateRule) {
      leave(
        related,
        'recreating a deleted rule is off in the remediation policy (allowCreateRule); recreate it by hand or allow it',
      );
      continue;
    }
    const slot = `${listener.current.arn}|${rule.priority}`;
    const blocked = priorities.taken.has(slot)
      ? `priority ${rule.priority} is now held by another rule, which lbguard does not move or delete`
      : guard([], rule.actions);
    if (blocked !== undefined) {
      leave(related, blocked);
      continue;
    }
    priorities.taken.add(slot);
    createRules.push({
      op: 'CreateRule',
      listenerArn: listener.current.arn,
      priority: rule.priority,
      conditions: rule.conditions,
      actions: rule.actions,
      ...(rule.transforms === undefined ? {} : { transforms: rule.transforms }),
    });
    fixes.push(...related);
  }

  const steps = [...targets.steps, ...modifyRules, ...priorities.steps, ...modifyListeners, ...createRules];
  if (steps.length === 0) return { kind: 'nothing-to-do', leftAlone };
  const plan: Plan = { hash: planHash(steps), steps, fixes, leftAlone };
  const locked = readOnlyWrites(p, steps, readOnly);
  if (locked !== undefined) return { kind: 'rejected', reason: 'read-only-listener', detail: locked, plan };
  const beyond = checkReach(p, steps, input.attachments);
  if (beyond !== undefined) return { kind: 'rejected', ...beyond, plan };
  if (steps.length > input.policy.maxSteps) {
    return {
      kind: 'rejected',
      reason: 'exceeds-max-steps',
      detail: `the plan needs ${steps.length} calls; the policy allows at most ${input.policy.maxSteps}`,
      plan,
    };
  }
  const unfixed = checkPlan(input, p, steps, leftAlone, targets.vanished);
  if (unfixed.length > 0) {
    return { kind: 'rejected', reason: 'would-not-fix', detail: unfixed.join('; '), plan };
  }
  return { kind: 'plan', plan };
}

/** What `planRestore` needs: the live state (with attachments), last known good, and the service's policy. */
export type RestoreInput = Omit<PlanInput, 'existingTargetIds'>;

/**
 * The plan restoring last known good, as inspect, remediate and `lbguard restore` all make it:
 * `planRemediation` re-registering only targets that may still exist, judged from the two
 * snapshots and target health (`knownExistingTargetIds`). One function, so the plan a dry run
 * shows is the plan remediate applies.
 */
export function planRestore(input: RestoreInput): PlanOutcome {
  const { current, lastGood, health } = input;
  return planRemediation({ ...input, existingTargetIds: knownExistingTargetIds(current, lastGood, health) });
}

/** Content hash of a plan's steps: sha256 (hex) of their canonical JSON. */
export function planHash(steps: readonly PlanStep[]): string {
  return sha256(canonicalJson(steps));
}
