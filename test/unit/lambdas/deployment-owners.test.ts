import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CodeDeployClient,
  GetDeploymentGroupCommand,
  ListApplicationsCommand,
  ListDeploymentGroupsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsDeploymentOwners } from '../../../lambdas/adapters/deployment-owners.ts';
import type { WrittenResources } from '../../../lib/owners.ts';
import { listenerArn, ruleArn, tgArn } from '../fixtures/topologies.ts';

const cfn = mockClient(CloudFormationClient);
const codedeploy = mockClient(CodeDeployClient);
const owners = () => new AwsDeploymentOwners(new CloudFormationClient({}), new CodeDeployClient({}));

const LISTENER = listenerArn(443);
const written: WrittenResources = {
  listeners: [LISTENER],
  rules: [],
  targetGroups: [tgArn('web-a')],
  forwardedTo: [tgArn('web-b')],
};

function sdkError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function noStacks() {
  cfn
    .on(DescribeStackResourcesCommand)
    .rejects(sdkError('ValidationError', 400, 'Stack for x does not exist'));
}

afterEach(() => {
  cfn.reset();
  codedeploy.reset();
});

describe('AwsDeploymentOwners', () => {
  it('finds no owner where no stack holds the resources and no application deploys', async () => {
    noStacks();
    codedeploy.on(ListApplicationsCommand).resolves({ applications: [] });
    expect(await owners().lookUp(written, {})).toEqual({ kind: 'looked', inFlight: [], stacks: [] });
    // One lookup per written resource, by its physical id.
    expect(
      cfn.commandCalls(DescribeStackResourcesCommand).map((c) => c.args[0].input.PhysicalResourceId),
    ).toEqual([LISTENER, tgArn('web-a')]);
  });

  it('reports a settled stack as an owner (for the drift message) but not as in flight', async () => {
    noStacks();
    cfn
      .on(DescribeStackResourcesCommand, { PhysicalResourceId: LISTENER })
      .resolves({ StackResources: [{ StackName: 'edge' } as never] });
    cfn
      .on(DescribeStacksCommand, { StackName: 'edge' })
      .resolves({ Stacks: [{ StackStatus: 'UPDATE_COMPLETE' } as never] });
    codedeploy.on(ListApplicationsCommand).resolves({ applications: [] });
    expect(await owners().lookUp(written, {})).toEqual({
      kind: 'looked',
      inFlight: [],
      stacks: [{ stackName: 'edge', status: 'UPDATE_COMPLETE', resources: [LISTENER] }],
    });
  });

  it('finds a blue/green deployment by the listener of its traffic route', async () => {
    noStacks();
    codedeploy.on(ListApplicationsCommand).resolves({ applications: ['shop'] });
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: ['ecs-web'] });
    codedeploy.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: {
        loadBalancerInfo: {
          targetGroupPairInfoList: [
            {
              targetGroups: [{ name: 'blue' }, { name: 'green' }],
              prodTrafficRoute: { listenerArns: [LISTENER] },
            },
          ],
        },
      },
    });
    codedeploy.on(ListDeploymentsCommand).resolves({ deployments: ['d-BLUEGREEN'] });
    const found = await owners().lookUp({ ...written, targetGroups: [], forwardedTo: [] }, {});
    expect(found).toMatchObject({
      kind: 'looked',
      inFlight: [{ kind: 'codedeploy', deploymentId: 'd-BLUEGREEN' }],
    });
  });

  it('reads only the applications the config names, never ListApplications', async () => {
    noStacks();
    codedeploy.on(ListDeploymentGroupsCommand).resolves({ deploymentGroups: [] });
    await owners().lookUp(written, { codeDeployApplications: ['shop-web'] });
    expect(codedeploy.commandCalls(ListApplicationsCommand)).toHaveLength(0);
    expect(codedeploy.commandCalls(ListDeploymentGroupsCommand)[0]?.args[0].input).toEqual({
      applicationName: 'shop-web',
    });
  });

  it('asks CodeDeploy nothing when the plan only reorders rules', async () => {
    noStacks();
    await owners().lookUp(
      { listeners: [], rules: [ruleArn(443, 10)], targetGroups: [], forwardedTo: [] },
      {},
    );
    expect(codedeploy.calls()).toHaveLength(0);
  });

  it.each([
    ['access denied, which no retry cures', sdkError('AccessDenied', 403), true],
    ['throttling, which a retry may cure', sdkError('Throttling', 400, 'Rate exceeded'), false],
  ])('fails the lookup on %s: never "no owner"', async (_what, error, permanent) => {
    cfn.on(DescribeStackResourcesCommand).rejects(error);
    codedeploy.on(ListApplicationsCommand).resolves({ applications: [] });
    expect(await owners().lookUp(written, {})).toEqual({
      kind: 'failed',
      error: expect.stringMatching(/DescribeStackResources/),
      permanent,
    });
  });

  it('fails, naming the setting to fix, when there are more applications than one page', async () => {
    noStacks();
    codedeploy.on(ListApplicationsCommand).resolves({ applications: ['a'], nextToken: 'more' });
    expect(await owners().lookUp(written, {})).toEqual({
      kind: 'failed',
      error: expect.stringMatching(/remediation\.codeDeployApplications/),
      permanent: true,
    });
  });
});
