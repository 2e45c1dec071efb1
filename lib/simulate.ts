/**
 * A pure model of what ELBv2 does with each call a plan may make, so a plan can be checked
 * against the routing model before it runs (DESIGN.md "Plan").
 *
 * It follows AWS, not moto: a call that AWS would refuse (unknown ARN, priority in use) throws
 * `SimulationError`, as the call would fail; `SetRulePriorities` may swap priorities in one call
 * (AWS allows it; moto does not, which is why the planner never relies on it).
 */
import { normaliseSnapshot } from './snapshot.ts';
import type { LbSnapshot, Listener, PlanStep, Rule, TargetGroup } from './types.ts';
import { targetKey } from './types.ts';

/** A step ELBv2 would refuse; its message reads like the API's error. */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

/**
 * The snapshot ELBv2 would hold after running `steps` in order on `snapshot` (normalised).
 * `RegisterTargets` is idempotent (id + port already registered: no change); `ModifyListener`
 * replaces the default actions; `ModifyRule` replaces conditions and actions, keeping either when
 * given empty (as the API keeps what it is not sent); `SetRulePriorities` moves rules;
 * `CreateRule` adds a rule with a synthetic ARN derived from the listener ARN and priority.
 */
export function applyPlan(snapshot: LbSnapshot, steps: readonly PlanStep[]): LbSnapshot {
  return normaliseSnapshot(steps.reduce(applyStep, snapshot));
}

function applyStep(s: LbSnapshot, step: PlanStep): LbSnapshot {
  switch (step.op) {
    case 'RegisterTargets':
      return updateGroup(s, step.targetGroupArn, (g) => {
        const present = new Set(g.targets.map(targetKey));
        const added = step.targets.filter((t) => {
          const fresh = !present.has(targetKey(t));
          present.add(targetKey(t));
          return fresh;
        });
        return { ...g, targets: [...g.targets, ...added] };
      });
    case 'ModifyListener':
      return updateListener(s, step.listenerArn, (l) => ({ ...l, defaultActions: step.defaultActions }));
    case 'ModifyRule':
      return updateRules(
        s,
        new Map([
          [
            step.ruleArn,
            (r: Rule): Rule => {
              const { transforms, ...rest } = r;
              const kept = step.transforms ?? transforms ?? [];
              return {
                ...rest,
                conditions: step.conditions.length === 0 ? r.conditions : step.conditions,
                actions: step.actions.length === 0 ? r.actions : step.actions,
                ...(kept.length === 0 ? {} : { transforms: kept }),
              };
            },
          ],
        ]),
      );
    case 'SetRulePriorities':
      return updateRules(
        s,
        new Map(step.priorities.map((p) => [p.ruleArn, (r: Rule): Rule => ({ ...r, priority: p.priority })])),
      );
    case 'CreateRule':
      return updateListener(s, step.listenerArn, (l) => {
        const rule: Rule = {
          arn: syntheticRuleArn(l.arn, step.priority),
          priority: step.priority,
          conditions: step.conditions,
          actions: step.actions,
          ...(step.transforms === undefined || step.transforms.length === 0
            ? {}
            : { transforms: step.transforms }),
        };
        return { ...l, rules: [...l.rules, rule] };
      });
  }
}

/** `…:listener/app/lb/1/2` + 10 → `…:listener-rule/app/lb/1/2/lbguard-p10`. */
export function syntheticRuleArn(listenerArn: string, priority: number): string {
  return `${listenerArn.replace(':listener/', ':listener-rule/')}/lbguard-p${priority}`;
}

function updateGroup(s: LbSnapshot, arn: string, change: (g: TargetGroup) => TargetGroup): LbSnapshot {
  if (!s.targetGroups.some((g) => g.arn === arn)) throw new SimulationError(`TargetGroupNotFound: ${arn}`);
  return { ...s, targetGroups: s.targetGroups.map((g) => (g.arn === arn ? change(g) : g)) };
}

function updateListener(s: LbSnapshot, arn: string, change: (l: Listener) => Listener): LbSnapshot {
  if (!s.listeners.some((l) => l.arn === arn)) throw new SimulationError(`ListenerNotFound: ${arn}`);
  return { ...s, listeners: s.listeners.map((l) => (l.arn === arn ? checkPriorities(change(l)) : l)) };
}

function updateRules(s: LbSnapshot, changes: ReadonlyMap<string, (r: Rule) => Rule>): LbSnapshot {
  const known = new Set(s.listeners.flatMap((l) => l.rules.map((r) => r.arn)));
  const unknown = [...changes.keys()].find((a) => !known.has(a));
  if (unknown !== undefined) throw new SimulationError(`RuleNotFound: ${unknown}`);
  return {
    ...s,
    listeners: s.listeners.map((l) => {
      let touched = false;
      const rules = l.rules.map((r) => {
        const change = changes.get(r.arn);
        if (change === undefined) return r;
        touched = true;
        return change(r);
      });
      return touched ? checkPriorities({ ...l, rules }) : l;
    }),
  };
}

/** A listener's rule priorities are unique; a call that would break that fails as a whole. */
function checkPriorities(l: Listener): Listener {
  const seen = new Set<number>();
  for (const r of l.rules) {
    if (seen.has(r.priority)) throw new SimulationError(`PriorityInUse: ${r.priority} on ${l.arn}`);
    seen.add(r.priority);
  }
  return l;
}
