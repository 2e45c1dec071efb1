import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DeregisterTargetsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudFormationPlanSources } from '../lambdas/adapters/cloudformation-plans.ts';
import { targetGroupArnsByName } from '../lambdas/adapters/elbv2/target-group-names.ts';
import { gatePlan } from '../lambdas/flows/plan-gate.ts';
import { describeSdkAction, targetGroupName } from './describe.ts';
import type { Guard } from './guard.ts';
import { DRILL_SERVICE } from './lbguard-config.ts';
import type { Mark } from './run-types.ts';
import type { ScenarioContext } from './scenarios/types.ts';
import { toWorldSdkActions, toWorldSdkConditions, type WorldRuleSpec } from './world/aws-world.ts';
import type { LoadRun } from './world/loadgen.ts';
import { sleep } from './world/net.ts';
import type { World } from './world/world.ts';

/** The scenario's handle on the world: deployments through the API, fed to lbguard when guarded. */
export function scenarioContext(
  world: World,
  guard: Guard | undefined,
  marks: Mark[],
  load: () => LoadRun | undefined,
): ScenarioContext {
  const elbv2 = world.clients.elbv2;
  const control = world.control;
  const ruleArns: Record<string, string> = { ...control.ruleArns };
  const ruleSpecs = new Map<string, WorldRuleSpec>();
  const groupArn = (name: string): string => {
    const g = control.targetGroups[name];
    if (g === undefined) throw new Error(`the drill shop has no target group ${name}`);
    return g.arn;
  };
  const changed = (what: string): void => {
    marks.push({ at: Date.now(), kind: 'change', what });
  };
  return {
    world,
    instances: (group) => control.instances.filter((i) => i.groupName === group),
    mark: (kind, what) => marks.push({ at: Date.now(), kind, what }),
    sleep: (ms) => sleep(ms),
    setRate: (rate) => load()?.setRate(rate),
    ...(guard === undefined
      ? {}
      : {
          async planGate(template, label) {
            // The drill's templates name no stack and import nothing: CloudFormation is not asked.
            const cloudformation = new CloudFormationClient({ endpoint: world.awsUrl, region: 'us-east-1' });
            try {
              return await gatePlan(
                { name: DRILL_SERVICE, loadBalancerArn: control.loadBalancerArn },
                [{ label, template }],
                {
                  reader: guard.runtime.reader,
                  sources: new CloudFormationPlanSources(cloudformation),
                  groupArnsByName: (names) => targetGroupArnsByName(elbv2, names),
                },
              );
            } finally {
              cloudformation.destroy();
            }
          },
        }),
    deploy: {
      async forward(weights) {
        await this.setDefaultAction({ forward: weights });
      },
      async setDefaultAction(action) {
        const actions = toWorldSdkActions(action, control.targetGroups);
        await elbv2.send(
          new ModifyListenerCommand({ ListenerArn: control.listenerArn, DefaultActions: actions }),
        );
        changed(
          `ModifyListener: default action ${describeSdkAction(actions[0], (arn) => targetGroupName(world, arn))}`,
        );
        guard?.cloudTrail('ModifyListener', { listenerArn: control.listenerArn, defaultActions: actions });
      },
      async deregister(group, ids) {
        const arn = groupArn(group);
        const targets = ids.map((id) => ({ Id: id, Port: 80 }));
        await elbv2.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }));
        changed(`DeregisterTargets: ${group} − ${ids.join(', ')}`);
        guard?.cloudTrail('DeregisterTargets', {
          targetGroupArn: arn,
          targets: ids.map((id) => ({ id, port: 80 })),
        });
      },
      async register(group, ids) {
        const arn = groupArn(group);
        await elbv2.send(
          new RegisterTargetsCommand({
            TargetGroupArn: arn,
            Targets: ids.map((id) => ({ Id: id, Port: 80 })),
          }),
        );
        changed(`RegisterTargets: ${group} + ${ids.join(', ')}`);
        guard?.cloudTrail('RegisterTargets', {
          targetGroupArn: arn,
          targets: ids.map((id) => ({ id, port: 80 })),
        });
      },
      async createRule(rule) {
        const out = await elbv2.send(
          new CreateRuleCommand({
            ListenerArn: control.listenerArn,
            Priority: rule.priority,
            Conditions: toWorldSdkConditions(rule.conditions),
            Actions: toWorldSdkActions(rule.action, control.targetGroups),
          }),
        );
        const arn = out.Rules?.[0]?.RuleArn;
        if (arn === undefined) throw new Error(`CreateRule returned no ARN for ${rule.name}`);
        ruleArns[rule.name] = arn;
        ruleSpecs.set(rule.name, rule);
        changed(`CreateRule: ${rule.name} (priority ${rule.priority})`);
        guard?.cloudTrail(
          'CreateRule',
          { listenerArn: control.listenerArn, priority: rule.priority },
          { rules: [{ ruleArn: arn }] },
        );
        return arn;
      },
      async modifyRule(ruleName, action) {
        const arn = ruleArns[ruleName];
        if (arn === undefined) throw new Error(`the drill shop has no rule ${ruleName}`);
        const actions = toWorldSdkActions(action, control.targetGroups);
        await elbv2.send(new ModifyRuleCommand({ RuleArn: arn, Actions: actions }));
        changed(
          `ModifyRule: ${ruleName} → ${describeSdkAction(actions[0], (a) => targetGroupName(world, a))}`,
        );
        guard?.cloudTrail('ModifyRule', { ruleArn: arn, actions });
      },
      async deleteRule(ruleName) {
        const arn = ruleArns[ruleName];
        if (arn === undefined) throw new Error(`the drill shop has no rule ${ruleName}`);
        await elbv2.send(new DeleteRuleCommand({ RuleArn: arn }));
        delete ruleArns[ruleName];
        changed(`DeleteRule: ${ruleName}`);
        guard?.cloudTrail('DeleteRule', { ruleArn: arn });
      },
    },
    autoscaling: {
      async scaleIn(group, instanceId) {
        const arn = groupArn(group);
        await elbv2.send(
          new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId, Port: 80 }] }),
        );
        guard?.cloudTrail(
          'DeregisterTargets',
          { targetGroupArn: arn, targets: [{ id: instanceId, port: 80 }] },
          undefined,
          { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
        );
        await world.ec2.terminateInstances([instanceId]);
        changed(`auto scaling: ${instanceId} deregistered from ${group} and terminated`);
      },
    },
  };
}
