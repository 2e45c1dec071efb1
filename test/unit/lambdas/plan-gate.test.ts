import { describe, expect, it } from 'vitest';
import type { ChangeSetPlan, PlanSources } from '../../../lambdas/adapters/cloudformation-plans.ts';
import type { LoadBalancerReader } from '../../../lambdas/adapters/elbv2/ports.ts';
import { gatePlan } from '../../../lambdas/flows/plan-gate.ts';
import type { StackResource } from '../../../lib/predict.ts';
import { forward, healthOf, LB_ARN, listener, snapshot, targetGroup } from '../fixtures/topologies.ts';

// The gate's flow with fakes: what it reads, and only when it needs it.

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const green = targetGroup('green', ['i-0c:80', 'i-0d:80']);
const shop = snapshot([listener(80, [forward([webA, 1])])], [webA]);

function fakes(stacks: Readonly<Record<string, readonly StackResource[]>> = {}) {
  const calls: string[] = [];
  const reader: LoadBalancerReader = {
    async readSnapshot(arn) {
      calls.push(`readSnapshot ${arn === LB_ARN}`);
      return { snapshot: shop, health: healthOf(shop), attachments: new Map() };
    },
    async describeTargetGroups(arns) {
      calls.push(`describeTargetGroups ${arns.join(',')}`);
      const groups = arns.includes(green.arn) ? [green] : [];
      return { groups, health: healthOf(snapshot([], groups)), attachments: new Map() };
    },
  };
  const sources: PlanSources = {
    async stackResources(name) {
      calls.push(`stackResources ${name}`);
      return stacks[name];
    },
    async changeSet(): Promise<ChangeSetPlan> {
      throw new Error('not asked');
    },
    async exports() {
      calls.push('exports');
      return new Map([['shop-listener', shop.listeners[0]?.arn ?? '']]);
    },
  };
  const groupArnsByName = async (names: readonly string[]) => {
    calls.push(`byName ${names.join(',')}`);
    return names.includes('green') ? [green.arn] : [];
  };
  return { calls, deps: { reader, sources, groupArnsByName } };
}

const switchToGreen = {
  Resources: {
    Green: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Name: 'green', Port: 80 } },
    Rule: {
      Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
      Properties: {
        ListenerArn: { 'Fn::ImportValue': 'shop-listener' },
        Priority: 1,
        Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Green' } }],
      },
    },
  },
};

describe('gatePlan', () => {
  it('reads exports only for a template that imports, and looks groups up by name before judging', async () => {
    const { calls, deps } = fakes();
    const result = await gatePlan(
      { name: 'shop', loadBalancerArn: LB_ARN },
      [{ label: 't', template: switchToGreen }],
      deps,
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual([
      'readSnapshot true',
      'exports',
      'byName green',
      `describeTargetGroups ${green.arn}`,
    ]);
    expect(result.stacks[0]).toMatchObject({
      label: 't',
      stackName: null,
      stackExists: null,
      verdict: { kind: 'predicted', ok: true },
    });
  });

  it('leaves out a stack that neither declares nor owns routing, and judges one that owns some', async () => {
    const owned = [
      { logicalId: 'Old', physicalId: 'arn:rule/old', type: 'AWS::ElasticLoadBalancingV2::ListenerRule' },
    ];
    const { calls, deps } = fakes({ edge: owned });
    const plain = { Resources: { Topic: { Type: 'AWS::SNS::Topic' } } };
    const result = await gatePlan(
      { name: 'shop', loadBalancerArn: LB_ARN },
      [
        { label: 'net', stackName: 'net', template: plain },
        { label: 'edge', stackName: 'edge', template: plain },
      ],
      deps,
    );
    expect(calls).toEqual(['readSnapshot true', 'stackResources net', 'stackResources edge']);
    expect(result.stacks.map((s) => [s.label, s.stackExists, s.verdict.kind])).toEqual([
      ['edge', true, 'predicted'],
    ]);
  });
});
