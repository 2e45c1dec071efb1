/**
 * The routing check a plan must pass before it is returned: simulate it, model the routing of
 * the result, and compare each route it touches with last known good.
 */
import { conditionsKey, type SnapshotPairing } from '../drift.ts';
import { detectConfigSkew, modelRouting } from '../routing.ts';
import { applyPlan, syntheticRuleArn } from '../simulate.ts';
import type {
  LbSnapshot,
  LeftAlone,
  PlanStep,
  RouteModel,
  RoutingModel,
  Target,
  TargetHealth,
} from '../types.ts';
import { targetKey } from '../types.ts';

/** Evidence lines for each route the plan touches that would still be skewed; empty when it fixes them. */
export function checkPlan(
  input: { readonly current: LbSnapshot; readonly health: readonly TargetHealth[] },
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
