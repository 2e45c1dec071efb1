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
 * returned it is simulated and checked against the routing model.
 */
import { conditionsKey, diffSnapshots, pairSnapshots, type RulePair, type SnapshotPairing } from './drift.ts';
import { detectConfigSkew, modelRouting } from './routing.ts';
import { applyPlan, syntheticRuleArn } from './simulate.ts';
import {
  canonicalJson,
  describeActions,
  describeConditions,
  describeRule,
  describeTargets,
  groupName,
  sha256,
} from './snapshot.ts';
import type {
  Action,
  Drift,
  DriftKind,
  LbSnapshot,
  Plan,
  PlanStep,
  RemediationPolicy,
  RouteModel,
  RoutingModel,
  Target,
  TargetHealth,
} from './types.ts';
import { targetKey } from './types.ts';

export type PlanOutcome =
  | { readonly kind: 'plan'; readonly plan: Plan }
  | { readonly kind: 'nothing-to-do'; readonly leftAlone: Plan['leftAlone'] }
  | {
      readonly kind: 'rejected';
      readonly reason: 'exceeds-max-steps' | 'would-not-fix';
      readonly detail: string;
      readonly plan: Plan;
    };

export interface PlanInput {
  readonly current: LbSnapshot;
  readonly lastGood: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /** Target ids known to still exist (e.g. running instances, IPs in the VPC); when given, targets not in it are never re-registered. */
  readonly existingTargetIds?: ReadonlySet<string>;
  readonly policy: RemediationPolicy;
}

type LeftAlone = Plan['leftAlone'][number];

/** Why a drift that no plan may restore is left alone. */
const NOT_REMEDIABLE: Partial<Record<DriftKind, string>> = {
  'listener-added': 'lbguard never deletes listeners; remove it by hand if it should not be there',
  'listener-removed':
    'lbguard does not recreate listeners (certificates, security policy and ports are for people to decide)',
  'rule-added': 'lbguard never deletes rules; remove it by hand if it should not be there',
  'targets-registered': 'more targets are benign, and lbguard never deregisters',
  'target-group-removed': 'lbguard does not create target groups',
  'health-check-changed': 'reported for people to judge; plans do not change target-group settings',
};

const RULE_CONTENT_KINDS: ReadonlySet<DriftKind> = new Set([
  'weights-changed',
  'rule-actions-changed',
  'rule-conditions-changed',
]);
const DEFAULT_ACTION_KINDS: ReadonlySet<DriftKind> = new Set(['weights-changed', 'default-action-changed']);

/** ALB's highest rule priority; temporary moves go down from here. */
const MAX_PRIORITY = 50_000;

/**
 * Plan the ELBv2 calls that restore last known good for what drifted and may be restored.
 *
 * - `nothing-to-do` when nothing remediable drifted (what was left alone, and why, is attached);
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

  for (const drift of drifts) {
    if (!drift.remediable) leave([drift], NOT_REMEDIABLE[drift.kind] ?? 'not something a plan restores');
  }
  const remediable = drifts.filter((d) => d.remediable);

  const targets = planTargets(p, remediable, input.existingTargetIds);
  fixes.push(...targets.fixes);
  leftAlone.push(...targets.leftAlone);
  const guard = actionGuard(p, targets.registered);

  const modifyRules: PlanStep[] = [];
  for (const pair of p.rules) {
    const related = remediable.filter(
      (d) => d.ruleArn === pair.current.arn && RULE_CONTENT_KINDS.has(d.kind),
    );
    if (related.length === 0) continue;
    const blocked = guard(pair.lastGood.actions);
    if (blocked !== undefined) {
      leave(related, blocked);
      continue;
    }
    modifyRules.push({
      op: 'ModifyRule',
      ruleArn: pair.current.arn,
      conditions: pair.lastGood.conditions,
      actions: pair.lastGood.actions,
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
    const blocked = guard(pair.lastGood.defaultActions);
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
      : guard(rule.actions);
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
    });
    fixes.push(...related);
  }

  const steps = [...targets.steps, ...modifyRules, ...priorities.steps, ...modifyListeners, ...createRules];
  if (steps.length === 0) return { kind: 'nothing-to-do', leftAlone };
  const plan: Plan = { hash: planHash(steps), steps, fixes, leftAlone };
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

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

interface TargetsPart {
  readonly steps: PlanStep[];
  readonly fixes: Drift[];
  readonly leftAlone: LeftAlone[];
  /** Target group ARN → targets the plan registers. */
  readonly registered: ReadonlyMap<string, readonly Target[]>;
  /** Target group ARN → last-known-good targets that no longer exist. */
  readonly vanished: ReadonlyMap<string, readonly Target[]>;
}

function planTargets(
  p: SnapshotPairing,
  remediable: readonly Drift[],
  existing: ReadonlySet<string> | undefined,
): TargetsPart {
  const steps: PlanStep[] = [];
  const fixes: Drift[] = [];
  const leftAlone: LeftAlone[] = [];
  const registered = new Map<string, readonly Target[]>();
  const vanished = new Map<string, readonly Target[]>();
  for (const { current, lastGood } of p.targetGroups) {
    const present = new Set(current.targets.map(targetKey));
    const gone = lastGood.targets.filter((t) => !present.has(targetKey(t)));
    if (gone.length === 0) continue;
    const related = remediable.filter(
      (d) => d.kind === 'targets-deregistered' && d.targetGroupArn === current.arn,
    );
    const restorable = gone.filter((t) => existing === undefined || existing.has(t.id));
    const lost = gone.filter((t) => !restorable.includes(t));
    if (restorable.length > 0) {
      steps.push({ op: 'RegisterTargets', targetGroupArn: current.arn, targets: restorable });
      registered.set(current.arn, restorable);
      fixes.push(...related.map((d) => narrowTargets(d, current.name, restorable, gone)));
    }
    if (lost.length > 0) {
      vanished.set(current.arn, lost);
      leftAlone.push(
        ...related.map((d) => ({
          drift: narrowTargets(d, current.name, lost, gone),
          why: `${describeTargets(lost)} no longer exist (not among the targets known to exist); lbguard re-registers only targets that still exist`,
        })),
      );
    }
  }
  return { steps, fixes, leftAlone, registered, vanished };
}

/** The part of a `targets-deregistered` drift about `some` of the targets gone. */
function narrowTargets(drift: Drift, name: string, some: readonly Target[], gone: readonly Target[]): Drift {
  if (some.length === gone.length) return drift;
  return {
    ...drift,
    summary: `target group ${name}: ${describeTargets(some)} deregistered (${some.length} of ${gone.length} targets gone since last known good)`,
    before: some,
  };
}

/**
 * Refuses to restore actions that ELBv2 would reject or that would make things worse: a forward
 * to a group no longer attached, or traffic sent to a group that will have no registered
 * target after the plan although last known good had some (its targets are gone: 503s).
 */
function actionGuard(
  p: SnapshotPairing,
  registered: ReadonlyMap<string, readonly Target[]>,
): (actions: readonly Action[]) => string | undefined {
  const current = new Map(p.current.targetGroups.map((g) => [g.arn, g]));
  const hadTargets = new Set(p.lastGood.targetGroups.filter((g) => g.targets.length > 0).map((g) => g.arn));
  return (actions) => {
    for (const action of actions) {
      if (action.type !== 'forward') continue;
      for (const { targetGroupArn, weight } of action.targetGroups) {
        const group = current.get(targetGroupArn);
        if (group === undefined) {
          return `forwards to target group ${p.name(targetGroupArn)}, which is no longer attached to the load balancer (deleted, or nothing forwards to it)`;
        }
        const after = group.targets.length + (registered.get(targetGroupArn)?.length ?? 0);
        if (weight > 0 && after === 0 && hadTargets.has(targetGroupArn)) {
          return `target group ${group.name} would have no registered target (its last-known-good targets no longer exist), so restoring would send traffic to an empty group that answers 503`;
        }
      }
    }
    return undefined;
  };
}

// ---------------------------------------------------------------------------------------------
// Priorities
// ---------------------------------------------------------------------------------------------

interface Move {
  readonly pair: RulePair;
  from: number;
  readonly to: number;
}

interface PrioritiesPart {
  readonly steps: PlanStep[];
  readonly fixes: Drift[];
  readonly leftAlone: LeftAlone[];
  /** `listenerArn|priority` for every priority held once the plan has run. */
  readonly taken: Set<string>;
}

function planPriorities(p: SnapshotPairing, remediable: readonly Drift[]): PrioritiesPart {
  const part: PrioritiesPart = { steps: [], fixes: [], leftAlone: [], taken: new Set() };
  for (const listener of p.listeners) {
    const related = (pair: RulePair) =>
      remediable.filter((d) => d.kind === 'rule-priority-changed' && d.ruleArn === pair.current.arn);
    let moves: Move[] = p.rules
      .filter((r) => r.listener === listener && r.current.priority !== r.lastGood.priority)
      .map((pair) => ({ pair, from: pair.current.priority, to: pair.lastGood.priority }));

    // A rule lbguard does not move (one added since last known good, or one whose own move was
    // given up) may sit on a wanted priority; the move waiting for it is given up in turn.
    const finalPriority = (arn: string, priority: number) =>
      moves.find((m) => m.pair.current.arn === arn)?.to ?? priority;
    for (;;) {
      const blocked = moves.find((m) =>
        listener.current.rules.some(
          (r) => r.arn !== m.pair.current.arn && finalPriority(r.arn, r.priority) === m.to,
        ),
      );
      if (blocked === undefined) break;
      const holder = listener.current.rules.filter(
        (r) => r.arn !== blocked.pair.current.arn && finalPriority(r.arn, r.priority) === blocked.to,
      );
      moves = moves.filter((m) => m !== blocked);
      part.leftAlone.push(
        ...related(blocked.pair).map((drift) => ({
          drift,
          why: `priority ${blocked.to} is held by ${holder.map(describeRule).join(', ')}, which lbguard does not move or delete`,
        })),
      );
    }
    for (const r of listener.current.rules)
      part.taken.add(`${listener.current.arn}|${finalPriority(r.arn, r.priority)}`);
    for (const m of moves) part.fixes.push(...related(m.pair));
    part.steps.push(
      ...sequenceMoves(
        listener.current.rules.map((r) => r.priority),
        moves,
      ),
    );
  }
  return part;
}

/**
 * Calls that move rules to their priorities without ever asking for one in use: each call moves
 * every rule whose target is free; a cycle (a swap) is broken by parking one rule on a free
 * priority first.
 */
function sequenceMoves(priorities: readonly number[], moves: readonly Move[]): PlanStep[] {
  const occupied = new Set(priorities);
  const pending = moves.map((m) => ({ ...m }));
  const steps: PlanStep[] = [];
  for (;;) {
    const [first] = pending;
    if (first === undefined) return steps;
    const ready = pending.filter((m) => !occupied.has(m.to));
    const batch =
      ready.length > 0
        ? ready.map((m) => ({ move: m, priority: m.to }))
        : [{ move: first, priority: freePriority(occupied, pending) }];
    for (const { move, priority } of batch) {
      occupied.delete(move.from);
      occupied.add(priority);
      move.from = priority;
      if (priority === move.to) pending.splice(pending.indexOf(move), 1);
    }
    steps.push({
      op: 'SetRulePriorities',
      priorities: batch.map(({ move, priority }) => ({ ruleArn: move.pair.current.arn, priority })),
    });
  }
}

function freePriority(occupied: ReadonlySet<number>, pending: readonly Move[]): number {
  const wanted = new Set(pending.map((m) => m.to));
  let priority = MAX_PRIORITY;
  while (occupied.has(priority) || wanted.has(priority)) priority -= 1;
  return priority;
}

// ---------------------------------------------------------------------------------------------
// The routing check
// ---------------------------------------------------------------------------------------------

/** Evidence lines for each route the plan touches that would still be skewed; empty when it fixes them. */
function checkPlan(
  input: PlanInput,
  p: SnapshotPairing,
  steps: readonly PlanStep[],
  leftAlone: readonly LeftAlone[],
  vanished: ReadonlyMap<string, readonly Target[]>,
): string[] {
  const predicted = applyPlan(input.current, steps);
  const registered = steps.flatMap((s) => (s.op === 'RegisterTargets' ? [s] : []));
  const health = predictHealth(input.health, registered);
  const reachable: LbSnapshot = {
    ...p.lastGood,
    targetGroups: p.lastGood.targetGroups.map((g) => {
      const gone = new Set((vanished.get(g.arn) ?? []).map(targetKey));
      return { ...g, targets: g.targets.filter((t) => !gone.has(targetKey(t))) };
    }),
  };
  const predictedModel = modelRouting(predicted, health);
  const findings = detectConfigSkew(predictedModel, servedRoutes(modelRouting(reachable, health)));
  const touched = touchedRoutes(predicted, predictedModel, steps, leftAlone);
  return findings
    .filter((f) =>
      predictedModel.routes.some(
        (r) => r.listenerArn === f.listenerArn && r.ruleArn === f.ruleArn && touched.has(routeKey(r)),
      ),
    )
    .map((f) => f.evidence);
}

/**
 * Only the first of several rules with the same conditions ever sees a request; the others would
 * be compared with it as if they were it, so they are dropped from the model of last known good.
 */
function servedRoutes(model: RoutingModel): RoutingModel {
  const seen = new Set<string>();
  return {
    routes: model.routes.filter((r) => {
      const key = routeKey(r);
      const first = !seen.has(key);
      seen.add(key);
      return first;
    }),
  };
}

/** Routes are matched as routing.ts matches them: listener port and rule conditions, or default. */
function routeKey(route: Pick<RouteModel, 'listenerPort' | 'priority' | 'conditions'>): string {
  return `${route.listenerPort}|${route.priority === 'default' ? 'default' : conditionsKey(route)}`;
}

/**
 * Routes whose routing the plan restores: those of listeners and rules it changes, plus routes
 * reaching a group it registers targets in, unless that route's own drift is left alone (the plan
 * does not claim to fix it).
 */
function touchedRoutes(
  predicted: LbSnapshot,
  model: RoutingModel,
  steps: readonly PlanStep[],
  leftAlone: readonly LeftAlone[],
): Set<string> {
  const listeners = new Set<string>();
  const rules = new Set<string>();
  const groups = new Set<string>();
  for (const step of steps) {
    switch (step.op) {
      case 'RegisterTargets':
        groups.add(step.targetGroupArn);
        break;
      case 'ModifyListener':
        listeners.add(step.listenerArn);
        break;
      case 'ModifyRule':
        rules.add(step.ruleArn);
        break;
      case 'SetRulePriorities':
        for (const { ruleArn } of step.priorities) rules.add(ruleArn);
        break;
      case 'CreateRule':
        rules.add(syntheticRuleArn(step.listenerArn, step.priority));
        break;
    }
  }
  const untouchedListeners = new Set(
    leftAlone.filter((l) => l.drift.ruleArn === undefined).map((l) => l.drift.listenerArn),
  );
  const untouchedRules = new Set(leftAlone.map((l) => l.drift.ruleArn));
  const keys = new Set<string>();
  const excluded = new Set<string>();
  for (const listener of predicted.listeners) {
    const defaultKey = routeKey({ listenerPort: listener.port, priority: 'default', conditions: [] });
    if (listeners.has(listener.arn)) keys.add(defaultKey);
    if (untouchedListeners.has(listener.arn)) excluded.add(defaultKey);
    for (const rule of listener.rules) {
      const key = routeKey({
        listenerPort: listener.port,
        priority: rule.priority,
        conditions: rule.conditions,
      });
      if (rules.has(rule.arn)) keys.add(key);
      if (untouchedRules.has(rule.arn)) excluded.add(key);
    }
  }
  for (const route of model.routes) {
    const reachesRegistered = route.shares.some(
      ({ destination }) =>
        (destination.kind === 'target' || destination.kind === 'empty-group') &&
        groups.has(destination.targetGroupArn),
    );
    if (reachesRegistered && !excluded.has(routeKey(route))) keys.add(routeKey(route));
  }
  return keys;
}

/**
 * Health as it should be once re-registered targets pass their checks. A group with no health
 * records at all stays that way, so a config-only model keeps spreading over every target.
 */
function predictHealth(
  health: readonly TargetHealth[],
  registered: readonly Extract<PlanStep, { op: 'RegisterTargets' }>[],
): TargetHealth[] {
  const known = new Set(health.map((h) => h.targetGroupArn));
  const replaced = new Set(
    registered.flatMap((s) => s.targets.map((t) => `${s.targetGroupArn}|${targetKey(t)}`)),
  );
  const kept = health.filter((h) => !replaced.has(`${h.targetGroupArn}|${targetKey(h)}`));
  const added = registered
    .filter((s) => known.has(s.targetGroupArn))
    .flatMap((s) =>
      s.targets.map(
        (t): TargetHealth => ({
          targetGroupArn: s.targetGroupArn,
          targetId: t.id,
          ...(t.port === undefined ? {} : { port: t.port }),
          state: 'healthy',
        }),
      ),
    );
  return [...kept, ...added];
}

// ---------------------------------------------------------------------------------------------
// Hash and wording
// ---------------------------------------------------------------------------------------------

/** Content hash of a plan's steps: sha256 (hex) of their canonical JSON. */
export function planHash(steps: readonly PlanStep[]): string {
  return sha256(canonicalJson(steps));
}

/** One readable line per step: `RegisterTargets web-b: i-0b:80, i-0c:80`. */
export function describeStep(step: PlanStep, snapshot: LbSnapshot): string {
  const name = (arn: string) => groupName(snapshot, arn);
  switch (step.op) {
    case 'RegisterTargets':
      return `RegisterTargets ${name(step.targetGroupArn)}: ${describeTargets(step.targets)}`;
    case 'ModifyListener':
      return `ModifyListener ${listenerLabel(snapshot, step.listenerArn)} default action → ${describeActions(step.defaultActions, name)}`;
    case 'ModifyRule':
      return `ModifyRule ${ruleLabel(snapshot, step.ruleArn)} → ${describeConditions(step.conditions)}: ${describeActions(step.actions, name)}`;
    case 'SetRulePriorities':
      return `SetRulePriorities ${step.priorities.map((p) => `${ruleLabel(snapshot, p.ruleArn)} → ${p.priority}`).join(', ')}`;
    case 'CreateRule':
      return `CreateRule ${listenerLabel(snapshot, step.listenerArn)} ${describeRule(step)}: ${describeActions(step.actions, name)}`;
  }
}

function listenerLabel(snapshot: LbSnapshot, arn: string): string {
  const listener = snapshot.listeners.find((l) => l.arn === arn);
  return listener === undefined ? arn : `:${listener.port}`;
}

function ruleLabel(snapshot: LbSnapshot, arn: string): string {
  for (const l of snapshot.listeners) {
    for (const r of l.rules) if (r.arn === arn) return `:${l.port} ${describeRule(r)}`;
  }
  return arn;
}
