import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import { AwsDeploymentOwners } from '../../lambdas/adapters/deployment-owners.ts';
import { CloudFormationApi, CodeDeployApi } from '../../lambdas/adapters/owner-apis.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';

// The owner lookup's hand-signed CloudFormation calls (Query protocol, XML answers) against moto's
// real answers. moto 5.2.1 completes a stack at once (no *_IN_PROGRESS) and cannot find a stack
// by a resource's physical id ("Stack with id None does not exist"), so what is checked here is
// what it can answer: DescribeStacks and DescribeStackResources by stack name, parsed through the
// same code, and its refusal by physical id read as AWS's "no stack holds it". The in-flight and
// by-physical-id paths are checked against answers shaped as AWS sends them
// (test/unit/lambdas/deployment-owners.test.ts).

const TEMPLATE = {
  Resources: {
    Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.9.0.0/16' } },
    Web: {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { Name: 'stack-web', Port: 80, Protocol: 'HTTP', VpcId: { Ref: 'Vpc' } },
    },
  },
};
const ONE_RESOURCE = { Resources: { Vpc: TEMPLATE.Resources.Vpc } };

let cfn: CloudFormationApi;
let owners: AwsDeploymentOwners;
let targetGroupArn: string;

beforeAll(async () => {
  await resetMoto();
  // The stacks are the test's, made with the SDK client (a devDependency); lbguard reads them
  // with its own signed calls, built from an ELBv2 client's parts as remediate builds them.
  const admin = new CloudFormationClient(motoClientConfig());
  await admin.send(
    new CreateStackCommand({ StackName: 'shop-edge', TemplateBody: JSON.stringify(TEMPLATE) }),
  );
  await admin.send(
    new CreateStackCommand({ StackName: 'shop-net', TemplateBody: JSON.stringify(ONE_RESOURCE) }),
  );
  admin.destroy();
  const { config } = createElbv2Client(motoClientConfig());
  cfn = new CloudFormationApi(config);
  owners = new AwsDeploymentOwners(cfn, new CodeDeployApi(config));
  const resources = await cfn.describeStackResources({ StackName: 'shop-edge' });
  targetGroupArn = resources.find((r) => r.PhysicalResourceId?.includes(':targetgroup/stack-web/'))
    ?.PhysicalResourceId as string;
});

afterAll(() => resetMoto());

describe("the owner lookup's CloudFormation calls against moto", () => {
  it("reads a stack's name and status from moto's DescribeStacks XML", async () => {
    expect(await cfn.describeStack('shop-edge')).toEqual({
      StackName: 'shop-edge',
      StackStatus: 'CREATE_COMPLETE',
    });
  });

  it("reads every resource of a stack from moto's DescribeStackResources XML, one member or several", async () => {
    const resources = await cfn.describeStackResources({ StackName: 'shop-edge' });
    expect(resources).toHaveLength(2);
    expect(resources.every((r) => r.StackName === 'shop-edge')).toBe(true);
    expect(targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup\/stack-web\//);
    expect(await cfn.describeStackResources({ StackName: 'shop-net' })).toEqual([
      { StackName: 'shop-net', PhysicalResourceId: expect.stringMatching(/^vpc-/) },
    ]);
  });

  it("keeps CloudFormation's error code: a stack that does not exist is a ValidationError", async () => {
    const error = await cfn.describeStack('no-such-stack').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect((error as AwsApiError).message).toMatch(/^AWS DescribeStacks failed: ValidationError: /);
  });

  it('takes moto\'s refusal to look up by physical id for "no stack holds it", as AWS words that answer', async () => {
    const error = await cfn
      .describeStackResources({ PhysicalResourceId: targetGroupArn })
      .catch((e: unknown) => e);
    expect(((error as AwsApiError).cause as Error).name).toBe('ValidationError');
    expect(String((error as AwsApiError).cause)).toMatch(/does not exist/);
    expect(
      await owners.lookUp({ listeners: [], rules: [], targetGroups: [targetGroupArn], forwardedTo: [] }, {}),
    ).toEqual({ kind: 'looked', inFlight: [], stacks: [] });
  });
});
