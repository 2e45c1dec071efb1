/** Plan steps as people read them, in notifications, the CLI and the incident timeline. */
import {
  describeActions,
  describeConditions,
  describeRule,
  describeTargets,
  describeTransforms,
  groupName,
} from '../snapshot.ts';
import type { LbSnapshot, PlanStep } from '../types.ts';

/** One readable line per step: `RegisterTargets web-b: i-0b:80, i-0c:80`. */
export function describeStep(step: PlanStep, snapshot: LbSnapshot): string {
  const name = (arn: string) => groupName(snapshot, arn);
  switch (step.op) {
    case 'RegisterTargets':
      return `RegisterTargets ${name(step.targetGroupArn)}: ${describeTargets(step.targets)}`;
    case 'ModifyListener':
      return `ModifyListener ${listenerLabel(snapshot, step.listenerArn)} default action → ${describeActions(step.defaultActions, name)}`;
    case 'ModifyRule':
      return `ModifyRule ${ruleLabel(snapshot, step.ruleArn)} → ${describeConditions(step.conditions)}: ${describeActions(step.actions, name)}${step.transforms === undefined ? '' : `, transforms ${describeTransforms(step.transforms)}`}`;
    case 'SetRulePriorities':
      return `SetRulePriorities ${step.priorities.map((p) => `${ruleLabel(snapshot, p.ruleArn)} → ${p.priority}`).join(', ')}`;
    case 'CreateRule':
      return `CreateRule ${listenerLabel(snapshot, step.listenerArn)} ${describeRule(step)}: ${describeActions(step.actions, name)}${step.transforms === undefined ? '' : `, transforms ${describeTransforms(step.transforms)}`}`;
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
