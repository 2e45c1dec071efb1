import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WrittenResources } from '../../../lib/owners.ts';
import {
  type AwsStandIn,
  cloudFormationError,
  codeDeployError,
  codeDeployOk,
  notInAStack,
  stackResources,
  stackStatus,
  startAwsStandIn,
} from '../../support/aws-stand-in.ts';
import { listenerArn, ruleArn, tgArn } from '../fixtures/topologies.ts';

// The owner lookup at the HTTP level: the real adapter signs and sends its CloudFormation (Query)
// and CodeDeploy (JSON 1.1) calls to a local server answering as AWS does. moto covers what it
// can (test/integration/deployment-owners-moto.test.ts, lambdas-owners.test.ts).

const LISTENER = listenerArn(443);
const written: WrittenResources = {
  listeners: [LISTENER],
  rules: [],
  targetGroups: [tgArn('web-a')],
  forwardedTo: [tgArn('web-b')],
};

let aws: AwsStandIn;
beforeAll(async () => {
  aws = await startAwsStandIn();
});
afterAll(() => aws.close());
beforeEach(() => {
  aws.reset();
  aws.on('DescribeStackResources', notInAStack());
  aws.on('ListApplications', codeDeployOk({ applications: [] }));
});

function groupBalancing(loadBalancerInfo: object): void {
  aws.on('ListApplications', codeDeployOk({ applications: ['shop'] }));
  aws.on('ListDeploymentGroups', codeDeployOk({ applicationName: 'shop', deploymentGroups: ['web'] }));
  aws.on('GetDeploymentGroup', codeDeployOk({ deploymentGroupInfo: { loadBalancerInfo } }));
}

describe('AwsDeploymentOwners, signed by hand, against answers shaped as AWS sends them', () => {
  it('finds no owner where no stack holds the resources and no application deploys', async () => {
    expect(await aws.owners().lookUp(written, {})).toEqual({ kind: 'looked', inFlight: [], stacks: [] });
    // One lookup per written resource, by its physical id, in the Query protocol, signed for CloudFormation.
    const asked = aws.callsOf('DescribeStackResources');
    expect(asked.map((c) => c.input)).toEqual([
      { Version: '2010-05-15', PhysicalResourceId: LISTENER },
      { Version: '2010-05-15', PhysicalResourceId: tgArn('web-a') },
    ]);
    expect(asked[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, /,
    );
    expect(asked[0]?.contentType).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(aws.callsOf('ListApplications')[0]).toMatchObject({
      service: 'codedeploy',
      target: 'CodeDeploy_20141006.ListApplications',
      contentType: 'application/x-amz-json-1.1',
      input: {},
    });
  });

  it('finds a stack in progress by the physical id of the listener it holds', async () => {
    aws.on('DescribeStackResources', stackResources('shop-edge', [LISTENER, 'sg-0123']), (c) =>
      Object.is(c.input.PhysicalResourceId, LISTENER),
    );
    aws.on('DescribeStacks', stackStatus('shop-edge', 'UPDATE_ROLLBACK_IN_PROGRESS'));
    const stack = { stackName: 'shop-edge', status: 'UPDATE_ROLLBACK_IN_PROGRESS', resources: [LISTENER] };
    expect(await aws.owners().lookUp(written, {})).toEqual({
      kind: 'looked',
      inFlight: [{ kind: 'stack', ...stack }],
      stacks: [stack],
    });
    expect(aws.callsOf('DescribeStacks').map((c) => c.input)).toEqual([
      { Version: '2010-05-15', StackName: 'shop-edge' },
    ]);
  });

  it('reports a settled stack as an owner (for the drift message) but not as in flight', async () => {
    aws.on('DescribeStackResources', stackResources('edge', [LISTENER]), (c) =>
      Object.is(c.input.PhysicalResourceId, LISTENER),
    );
    aws.on('DescribeStacks', stackStatus('edge', 'UPDATE_COMPLETE'));
    expect(await aws.owners().lookUp(written, {})).toEqual({
      kind: 'looked',
      inFlight: [],
      stacks: [{ stackName: 'edge', status: 'UPDATE_COMPLETE', resources: [LISTENER] }],
    });
  });

  it('finds a deployment in flight on a named application whose group balances a written target group', async () => {
    aws.on('ListDeploymentGroups', codeDeployOk({ deploymentGroups: ['web', 'batch'] }));
    aws.on('GetDeploymentGroup', codeDeployOk({ deploymentGroupInfo: { deploymentGroupName: 'batch' } }));
    aws.on(
      'GetDeploymentGroup',
      codeDeployOk({
        deploymentGroupInfo: { loadBalancerInfo: { targetGroupInfoList: [{ name: 'web-a' }] } },
      }),
      (c) => c.input.deploymentGroupName === 'web',
    );
    aws.on('ListDeployments', codeDeployOk({ deployments: ['d-WEB1'] }));
    const found = await aws.owners().lookUp(written, { codeDeployApplications: ['shop-web'] });
    expect(found).toEqual({
      kind: 'looked',
      stacks: [],
      inFlight: [
        {
          kind: 'codedeploy',
          deploymentId: 'd-WEB1',
          application: 'shop-web',
          deploymentGroup: 'web',
          status: 'in progress',
          targetGroups: [tgArn('web-a')],
        },
      ],
    });
    // The config names the applications: never ListApplications.
    expect(aws.callsOf('ListApplications')).toEqual([]);
    expect(aws.callsOf('ListDeploymentGroups').map((c) => c.input)).toEqual([
      { applicationName: 'shop-web' },
    ]);
    // Only the group that balances a written target group has its deployments listed.
    expect(aws.callsOf('ListDeployments').map((c) => c.input)).toEqual([
      {
        applicationName: 'shop-web',
        deploymentGroupName: 'web',
        includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'],
      },
    ]);
  });

  it('finds a blue/green deployment by the listener of its traffic route', async () => {
    groupBalancing({
      targetGroupPairInfoList: [
        {
          targetGroups: [{ name: 'blue' }, { name: 'green' }],
          prodTrafficRoute: { listenerArns: [LISTENER] },
          testTrafficRoute: { listenerArns: [] },
        },
      ],
    });
    aws.on('ListDeployments', codeDeployOk({ deployments: ['d-BLUEGREEN'] }));
    const found = await aws.owners().lookUp({ ...written, targetGroups: [], forwardedTo: [] }, {});
    expect(found).toMatchObject({
      kind: 'looked',
      inFlight: [{ kind: 'codedeploy', deploymentId: 'd-BLUEGREEN', application: 'shop', targetGroups: [] }],
    });
  });

  it('pages deployment groups, and lists a page of deployments after an empty one', async () => {
    aws.on('ListApplications', codeDeployOk({ applications: ['shop'] }));
    aws.on('ListDeploymentGroups', codeDeployOk({ deploymentGroups: ['one'], nextToken: 'p2' }));
    aws.on(
      'ListDeploymentGroups',
      codeDeployOk({ deploymentGroups: ['two'], nextToken: '' }),
      (c) => c.input.nextToken === 'p2',
    );
    aws.on(
      'GetDeploymentGroup',
      codeDeployOk({
        deploymentGroupInfo: { loadBalancerInfo: { targetGroupInfoList: [{ name: 'web-b' }] } },
      }),
    );
    aws.on('ListDeployments', codeDeployOk({ deployments: [], nextToken: 'd2' }));
    aws.on('ListDeployments', codeDeployOk({ deployments: ['d-LATE'] }), (c) => c.input.nextToken === 'd2');
    const found = await aws.owners().lookUp(written, {});
    expect(found).toMatchObject({
      kind: 'looked',
      inFlight: [
        { deploymentId: 'd-LATE', deploymentGroup: 'one' },
        { deploymentId: 'd-LATE', deploymentGroup: 'two' },
      ],
    });
    expect(aws.callsOf('GetDeploymentGroup').map((c) => c.input.deploymentGroupName)).toEqual(['one', 'two']);
  });

  it('fails, naming the setting to fix, beyond one page of applications or 50 deployment groups', async () => {
    aws.on('ListApplications', codeDeployOk({ applications: ['a'], nextToken: 'more' }));
    expect(await aws.owners().lookUp(written, {})).toEqual({
      kind: 'failed',
      error: expect.stringMatching(
        /more than one page of CodeDeploy applications.*remediation\.codeDeployApplications/,
      ),
      permanent: true,
    });
    aws.on('ListApplications', codeDeployOk({ applications: ['a'] }));
    const page = Array.from({ length: 30 }, (_, i) => `g${i}`);
    aws.on('ListDeploymentGroups', codeDeployOk({ deploymentGroups: page, nextToken: 'next' }));
    expect(await aws.owners().lookUp(written, {})).toEqual({
      kind: 'failed',
      error: expect.stringMatching(/60 CodeDeploy deployment groups to read, more than 50/),
      permanent: true,
    });
    // It stops paging once past the bound: two pages, not forever.
    expect(aws.callsOf('ListDeploymentGroups')).toHaveLength(2);
    expect(aws.callsOf('GetDeploymentGroup')).toEqual([]);
  });

  it('asks CodeDeploy nothing when the plan only reorders rules', async () => {
    await aws
      .owners()
      .lookUp({ listeners: [], rules: [ruleArn(443, 10)], targetGroups: [], forwardedTo: [] }, {});
    expect(aws.calls.filter((c) => c.service === 'codedeploy')).toEqual([]);
  });

  it.each([
    [
      'CloudFormation access denied',
      'DescribeStackResources',
      cloudFormationError('AccessDenied', 'not authorized', 403),
      true,
    ],
    [
      'CodeDeploy access denied',
      'ListApplications',
      codeDeployError('AccessDeniedException', 'not authorized to perform: codedeploy:ListApplications'),
      true,
    ],
    [
      'CloudFormation throttling',
      'DescribeStackResources',
      cloudFormationError('Throttling', 'Rate exceeded'),
      false,
    ],
    [
      'CodeDeploy throttling',
      'ListApplications',
      codeDeployError('ThrottlingException', 'Rate exceeded'),
      false,
    ],
    ['a server error', 'ListApplications', { status: 503, body: 'Service Unavailable' }, false],
  ])(
    'fails the lookup on %s, never "no owner" (permanent: %4$s)',
    async (_what, operation, answer, permanent) => {
      aws.on(operation, answer);
      expect(await aws.owners().lookUp(written, {})).toEqual({
        kind: 'failed',
        error: expect.stringContaining(`AWS ${operation} failed`),
        permanent,
      });
    },
  );

  it('keeps the service error code: throttling is retried within the attempts, then looked up', async () => {
    let throttled = 0;
    aws.on('DescribeStackResources', () =>
      throttled++ === 0 ? cloudFormationError('Throttling', 'Rate exceeded') : notInAStack(),
    );
    expect(await aws.owners(2).lookUp({ ...written, targetGroups: [] }, {})).toEqual({
      kind: 'looked',
      inFlight: [],
      stacks: [],
    });
    expect(aws.callsOf('DescribeStackResources')).toHaveLength(2);
  });

  it.each([
    [
      'a stack without a status',
      'DescribeStacks',
      stackStatus('edge', '').body.replace(/<StackStatus>.*<\/StackStatus>/, ''),
      /DescribeStacks.*StackStatus/,
    ],
    [
      'a deployment group answer without deploymentGroupInfo',
      'GetDeploymentGroup',
      '{}',
      /GetDeploymentGroup.*deploymentGroupInfo/,
    ],
    ['JSON that is not JSON', 'ListDeployments', '<html>', /ListDeployments.*unexpected shape/],
  ])('fails, naming the operation and field, on %s', async (_what, operation, body, error) => {
    aws.on('DescribeStackResources', stackResources('edge', [LISTENER]));
    groupBalancing({ targetGroupInfoList: [{ name: 'web-a' }] });
    aws.on('DescribeStacks', stackStatus('edge', 'UPDATE_COMPLETE'));
    aws.on('ListDeployments', codeDeployOk({ deployments: [] }));
    aws.on(operation, { body });
    expect(await aws.owners().lookUp(written, {})).toEqual({
      kind: 'failed',
      error: expect.stringMatching(error),
      permanent: true,
    });
  });
});
