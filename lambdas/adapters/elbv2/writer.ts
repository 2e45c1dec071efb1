import {
  CreateRuleCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsApiError } from '../../../lib/errors.ts';
import type { PlanStep, RuleTransform, Target } from '../../../lib/types.ts';
import { call, errorName } from '../aws-call.ts';
import { definedOnly } from './from-sdk.ts';
import type { AppliedStep, LoadBalancerWriter } from './ports.ts';
import { toSdkAction, toSdkCondition, toSdkTransform } from './to-sdk.ts';

/** Transforms as ModifyRule takes them: none sent keeps the rule's own, an empty list removes them. */
function transformsOf(transforms: readonly RuleTransform[] | undefined) {
  if (transforms === undefined) return {};
  return transforms.length === 0 ? { ResetTransforms: true } : { Transforms: transforms.map(toSdkTransform) };
}

function isInvalidTarget(err: unknown): boolean {
  const name = errorName(err);
  return name === 'InvalidTargetException' || name === 'InvalidTarget';
}

/**
 * Applies plan steps with the ELBv2 calls of the same name. Each is idempotent against ALB
 * except `CreateRule`, whose retry fails with `PriorityInUse`; the caller re-reads and re-plans
 * under its lock, which is why steps are applied one at a time rather than batched.
 */
export class Elbv2LoadBalancerWriter implements LoadBalancerWriter {
  readonly #client: ElasticLoadBalancingV2Client;

  constructor(client: ElasticLoadBalancingV2Client) {
    this.#client = client;
  }

  /**
   * One call for the whole group; only when ELBv2 refuses a target as invalid, one call per target
   * so the valid ones still get registered. Returns the targets refused.
   */
  async #registerTargets(targetGroupArn: string, targets: readonly Target[]): Promise<Target[]> {
    const send = (batch: readonly Target[]) =>
      this.#client.send(
        new RegisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: batch.map((t) => ({
            Id: t.id,
            ...definedOnly({ Port: t.port, AvailabilityZone: t.availabilityZone }),
          })),
        }),
      );
    try {
      await send(targets);
      return [];
    } catch (cause) {
      if (!isInvalidTarget(cause)) throw new AwsApiError('RegisterTargets', { cause });
    }
    const skipped: Target[] = [];
    for (const target of targets) {
      try {
        await send([target]);
      } catch (cause) {
        if (!isInvalidTarget(cause)) throw new AwsApiError('RegisterTargets', { cause });
        skipped.push(target);
      }
    }
    return skipped;
  }

  async apply(step: PlanStep): Promise<AppliedStep> {
    switch (step.op) {
      case 'RegisterTargets': {
        const skipped = await this.#registerTargets(step.targetGroupArn, step.targets);
        return skipped.length === 0 ? { op: step.op } : { op: step.op, skippedTargets: skipped };
      }
      case 'ModifyListener':
        await call(step.op, () =>
          this.#client.send(
            new ModifyListenerCommand({
              ListenerArn: step.listenerArn,
              DefaultActions: step.defaultActions.map(toSdkAction),
            }),
          ),
        );
        return { op: step.op };
      case 'ModifyRule':
        await call(step.op, () =>
          this.#client.send(
            new ModifyRuleCommand({
              RuleArn: step.ruleArn,
              Conditions: step.conditions.map(toSdkCondition),
              Actions: step.actions.map(toSdkAction),
              ...transformsOf(step.transforms),
            }),
          ),
        );
        return { op: step.op };
      case 'SetRulePriorities':
        await call(step.op, () =>
          this.#client.send(
            new SetRulePrioritiesCommand({
              RulePriorities: step.priorities.map((p) => ({ RuleArn: p.ruleArn, Priority: p.priority })),
            }),
          ),
        );
        return { op: step.op };
      case 'CreateRule': {
        const out = await call(step.op, () =>
          this.#client.send(
            new CreateRuleCommand({
              ListenerArn: step.listenerArn,
              Priority: step.priority,
              Conditions: step.conditions.map(toSdkCondition),
              Actions: step.actions.map(toSdkAction),
              ...(step.transforms === undefined || step.transforms.length === 0
                ? {}
                : { Transforms: step.transforms.map(toSdkTransform) }),
            }),
          ),
        );
        const ruleArn = out.Rules?.[0]?.RuleArn;
        return ruleArn === undefined ? { op: step.op } : { op: step.op, ruleArn };
      }
    }
  }
}
