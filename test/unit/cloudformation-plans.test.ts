import {
  CloudFormationClient,
  DescribeChangeSetCommand,
  GetTemplateCommand,
  ListExportsCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlannedStacks } from '../../cli/plan-input.ts';
import { CloudFormationPlanSources } from '../../lambdas/adapters/cloudformation-plans.ts';
import { checkChangeSetTemplate } from '../../lib/predict/change-set.ts';

// The change set path of `lbguard verify --plan` as AWS answers it (moto 5.2.1 ignores
// GetTemplate's ChangeSetName; test/integration/cli-verify-plan.test.ts shows that refused).

const cfn = mockClient(CloudFormationClient);
afterEach(() => cfn.reset());

const ARN = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/release-42/0a1b';
const PROPOSED = `Resources:
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: { LoadBalancerArn: !Ref Lb, Port: 80, DefaultActions: [{ Type: forward, TargetGroupArn: !Ref WebA }] }
`;

describe('CloudFormationPlanSources', () => {
  it("reads the change set's proposed template (Original stage) and parameters, and the stack's current one for an update", async () => {
    cfn.on(DescribeChangeSetCommand).resolves({
      StackName: 'shop-edge',
      ChangeSetName: 'release-42',
      Status: 'CREATE_COMPLETE',
      Parameters: [{ ParameterKey: 'Lb', ParameterValue: 'arn:lb' }],
      Changes: [
        {
          Type: 'Resource',
          ResourceChange: {
            Action: 'Modify',
            LogicalResourceId: 'Listener',
            ResourceType: 'AWS::ElasticLoadBalancingV2::Listener',
          },
        },
      ],
    });
    cfn
      .on(GetTemplateCommand, { StackName: 'shop-edge', ChangeSetName: ARN, TemplateStage: 'Original' })
      .resolves({ TemplateBody: PROPOSED });
    cfn.on(GetTemplateCommand, { StackName: 'shop-edge' }, true).resolves({ TemplateBody: 'Resources: {}' });
    const sources = new CloudFormationPlanSources(new CloudFormationClient({ region: 'eu-west-1' }));
    const plan = await sources.changeSet(ARN);
    expect(plan).toEqual({
      stackName: 'shop-edge',
      changeSetName: 'release-42',
      status: 'CREATE_COMPLETE',
      templateBody: PROPOSED,
      parameters: { Lb: 'arn:lb' },
      changes: [{ action: 'Modify', logicalId: 'Listener', type: 'AWS::ElasticLoadBalancingV2::Listener' }],
      currentTemplateBody: 'Resources: {}',
    });
    const [stack] = await loadPlannedStacks({ kind: 'change-set', arn: ARN }, sources);
    expect(stack).toMatchObject({
      label: 'change set release-42 (stack shop-edge, CREATE_COMPLETE)',
      stackName: 'shop-edge',
      parameters: { Lb: 'arn:lb' },
      template: { Resources: { Listener: { Properties: { LoadBalancerArn: { Ref: 'Lb' } } } } },
    });
  });

  it('reads a stack’s resources page by page, and a stack that does not exist as undefined', async () => {
    cfn.on(ListStackResourcesCommand, { StackName: 'shop-edge' }).resolves({
      StackResourceSummaries: [
        {
          LogicalResourceId: 'Rule',
          PhysicalResourceId: 'arn:rule',
          ResourceType: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          ResourceStatus: 'CREATE_COMPLETE',
          LastUpdatedTimestamp: new Date(0),
        },
      ],
    });
    cfn
      .on(ListStackResourcesCommand, { StackName: 'new-stack' })
      .rejects(
        Object.assign(new Error('Stack with id new-stack does not exist'), { name: 'ValidationError' }),
      );
    cfn.on(ListExportsCommand).resolves({ Exports: [{ Name: 'shared-lb', Value: 'arn:lb' }] });
    const sources = new CloudFormationPlanSources(new CloudFormationClient({ region: 'eu-west-1' }));
    expect(await sources.stackResources('shop-edge')).toEqual([
      { logicalId: 'Rule', physicalId: 'arn:rule', type: 'AWS::ElasticLoadBalancingV2::ListenerRule' },
    ]);
    expect(await sources.stackResources('new-stack')).toBeUndefined();
    expect(await sources.exports()).toEqual(new Map([['shared-lb', 'arn:lb']]));
  });
});

describe('checkChangeSetTemplate', () => {
  const L = 'AWS::ElasticLoadBalancingV2::Listener';
  const template = { Resources: { Listener: { Type: L } } };
  it.each([
    [[{ action: 'Modify', logicalId: 'Listener', type: L }], undefined, []],
    [
      [{ action: 'Add', logicalId: 'Rule', type: 'AWS::ElasticLoadBalancingV2::ListenerRule' }],
      undefined,
      ['the change set adds Rule, which the template read back does not declare'],
    ],
    [
      [{ action: 'Remove', logicalId: 'Listener', type: L }],
      undefined,
      ['the change set removes Listener, which the template read back still declares'],
    ],
    [
      [{ action: 'Modify', logicalId: 'Listener', type: L }],
      'same',
      ['the change set changes routing resources, yet the template read back is the stack’s current one'],
    ],
    [[{ action: 'Add', logicalId: 'Topic', type: 'AWS::SNS::Topic' }], 'same', []],
  ])('%j (current %s) → %j', (changes, current, problems) => {
    expect(checkChangeSetTemplate(template, changes, current, 'same')).toEqual(problems);
  });
});
