import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  toAction,
  toCondition,
  toListener,
  toTargetGroup,
  toTargetHealth,
} from '../../lambdas/adapters/elbv2/from-sdk.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import { toSdkAction, toSdkCondition } from '../../lambdas/adapters/elbv2/to-sdk.ts';
import { LbGuardError } from '../../lib/errors.ts';
import { type Action, CONDITION_FIELDS, type Condition } from '../../lib/types.ts';

// Shapes the real ELBv2 API returns and moto does not: legacy condition values, authenticate
// actions, draining targets, lambda targets, attribute values like "off".

const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/73e2d6bc24d8a067';
const TG2 = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/83e2d6bc24d8a068';

describe('SDK to lib translation', () => {
  it('prefers ForwardConfig weights over the plain TargetGroupArn AWS also returns', () => {
    expect(
      toAction({
        Type: 'forward',
        TargetGroupArn: TG,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: TG }],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      }),
    ).toEqual({ type: 'forward', targetGroups: [{ targetGroupArn: TG, weight: 1 }] });
  });

  it('keeps enabled stickiness and the action order', () => {
    expect(
      toAction({
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: TG, Weight: 0 }],
          TargetGroupStickinessConfig: { Enabled: true },
        },
      }),
    ).toEqual({
      type: 'forward',
      order: 2,
      targetGroups: [{ targetGroupArn: TG, weight: 0 }],
      stickiness: { enabled: true },
    });
  });

  it('never carries an OIDC client secret into a snapshot, and asks ALB to keep its own on write', () => {
    const action = toAction({
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/auth',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'shop',
        ClientSecret: 's3cret',
        UseExistingClientSecret: false,
      },
    });
    expect(JSON.stringify(action)).not.toContain('s3cret');
    expect(action).toMatchObject({ type: 'authenticate-oidc', order: 1, config: { ClientId: 'shop' } });
    expect(toSdkAction(action as Action).AuthenticateOidcConfig).toMatchObject({
      ClientId: 'shop',
      UseExistingClientSecret: true,
    });
  });

  it('carries a Cognito action through unchanged', () => {
    const sdk = {
      Type: 'authenticate-cognito' as const,
      Order: 1,
      AuthenticateCognitoConfig: { UserPoolArn: 'arn:pool', UserPoolClientId: 'c', UserPoolDomain: 'd' },
    };
    expect(toSdkAction(toAction(sdk) as Action)).toEqual(sdk);
  });

  it('answers undefined for an action type added after this code, so the caller keeps it verbatim', () => {
    expect(toAction({ Type: 'geo-block' as 'forward' })).toBeUndefined();
  });

  it.each([
    [{ Type: 'forward' as const }, /missing TargetGroupArn/],
    [{ Type: 'fixed-response' as const }, /missing FixedResponseConfig.StatusCode/],
  ])('refuses an action it cannot represent faithfully: %j', (sdk, message) => {
    expect(() => toAction(sdk)).toThrow(message);
    expect(() => toAction(sdk)).toThrow(LbGuardError);
  });

  it.each<[string, Parameters<typeof toCondition>[0], Condition]>([
    [
      'legacy host Values',
      { Field: 'host-header', Values: ['a.example.com'] },
      { field: 'host-header', values: ['a.example.com'] },
    ],
    [
      'legacy path Values',
      { Field: 'path-pattern', Values: ['/api/*'] },
      { field: 'path-pattern', values: ['/api/*'] },
    ],
    [
      'a header config',
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['1'] } },
      { field: 'http-header', headerName: 'X-Canary', values: ['1'] },
    ],
    [
      'a method config',
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
      { field: 'http-request-method', values: ['POST'] },
    ],
    [
      'query pairs with and without key',
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '2' }, { Value: 'beta' }] } },
      { field: 'query-string', values: ['v=2', '=beta'] },
    ],
    ['an empty query config', { Field: 'query-string' }, { field: 'query-string', values: [] }],
    [
      'a source-ip config',
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
      { field: 'source-ip', values: ['10.0.0.0/8'] },
    ],
    ['a bare host field', { Field: 'host-header' }, { field: 'host-header', values: [] }],
  ])('reads %s', (_what, sdk, expected) => {
    expect(toCondition(sdk)).toEqual(expected);
  });

  it.each([
    [{ Field: 'user-agent', Values: ['curl'] }],
    [{ Values: ['x'] }],
    [{ Field: 'source-ip', SourceIpConfig: { Values: [] }, RegexValues: ['^10\\.'] }],
  ])('answers undefined for a condition it cannot represent, so the caller keeps it verbatim: %j', (sdk) => {
    expect(toCondition(sdk)).toBeUndefined();
  });

  it('reads regular expressions of a host condition beside its values', () => {
    expect(toCondition({ Field: 'host-header', HostHeaderConfig: { RegexValues: ['^shop\\.'] } })).toEqual({
      field: 'host-header',
      values: [],
      regexValues: ['^shop\\.'],
    });
  });

  it('round-trips every condition through the SDK shape', () => {
    const field = fc.constantFrom(...CONDITION_FIELDS);
    const value = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('='));
    fc.assert(
      fc.property(
        field,
        fc.array(value, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (f, values, keyed) => {
          const condition: Condition =
            f === 'http-header'
              ? { field: f, headerName: 'X-Test', values }
              : f === 'query-string'
                ? { field: f, values: values.map((v, i) => (keyed ? `k${i}=${v}` : `=${v}`)) }
                : { field: f, values };
          expect(toCondition(toSdkCondition(condition))).toEqual(condition);
        },
      ),
    );
  });

  it('writes a query value without "=" as a value-only pair', () => {
    expect(toSdkCondition({ field: 'query-string', values: ['beta'] })).toEqual({
      Field: 'query-string',
      QueryStringConfig: { Values: [{ Value: 'beta' }] },
    });
  });

  it('round-trips every action kind through the SDK shape', () => {
    const actions: Action[] = [
      {
        type: 'forward',
        targetGroups: [
          { targetGroupArn: TG, weight: 20 },
          { targetGroupArn: TG2, weight: 80 },
        ],
        stickiness: { enabled: true, durationSeconds: 3600 },
      },
      { type: 'fixed-response', order: 3, statusCode: '503', contentType: 'text/plain', messageBody: 'down' },
      { type: 'fixed-response', statusCode: '404' },
      {
        type: 'redirect',
        statusCode: 'HTTP_302',
        protocol: 'HTTPS',
        host: 'shop.example.com',
        port: '443',
        path: '/#{path}',
        query: 'a=1',
      },
    ];
    for (const a of actions) expect(toAction(toSdkAction(a))).toEqual(a);
  });

  it('takes the default rule as default actions and the listener actions when there is none', () => {
    const listener = {
      ListenerArn: 'arn:l',
      Port: 443,
      Protocol: 'HTTPS' as const,
      DefaultActions: [{ Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404' } }],
    };
    const fromRule = toListener(listener, [
      {
        RuleArn: 'arn:r0',
        Priority: 'default',
        IsDefault: true,
        Actions: [{ Type: 'forward', TargetGroupArn: TG }],
      },
      {
        RuleArn: 'arn:r1',
        Priority: '3',
        Conditions: [],
        Actions: [{ Type: 'forward', TargetGroupArn: TG2 }],
      },
    ]);
    expect(fromRule.defaultActions).toEqual([
      { type: 'forward', targetGroups: [{ targetGroupArn: TG, weight: 1 }] },
    ]);
    expect(fromRule.rules.map((r) => r.priority)).toEqual([3]);
    expect(toListener(listener, []).defaultActions).toEqual([{ type: 'fixed-response', statusCode: '404' }]);
    expect(() => toListener(listener, [{ RuleArn: 'arn:r2', Priority: 'high', Actions: [] }])).toThrow(
      /priority high/,
    );
  });

  it('counts only targets still registered, and reads guard attributes ALB writes as "off"', () => {
    const group = toTargetGroup(
      { TargetGroupArn: TG, TargetGroupName: 'web-a', TargetType: 'instance', Matcher: { GrpcCode: '0-99' } },
      [
        { Target: { Id: 'i-1', Port: 80 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: 'i-2', Port: 80 },
          TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' },
        },
        { Target: { Id: 'i-3', Port: 80 }, TargetHealth: { State: 'unhealthy.draining' } },
        {
          Target: { Id: 'i-4', Port: 80 },
          TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered' },
        },
        {
          Target: { Id: 'i-5', Port: 80, AvailabilityZone: 'us-east-1a' },
          TargetHealth: { State: 'unused', Reason: 'Target.InvalidState' },
        },
      ],
      new Map([
        ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', '1'],
        ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', 'off'],
      ]),
    );
    expect(group.targets).toEqual([
      { id: 'i-1', port: 80 },
      { id: 'i-5', port: 80, availabilityZone: 'us-east-1a' },
    ]);
    expect(group.unhealthyStateRouting).toEqual({ minimumHealthyTargetsCount: 1 });
    expect(group.healthCheck).toEqual({ matcher: '0-99' });
    expect(group.loadBalancingAlgorithm).toBeUndefined();
  });

  it('reads a lambda target group without ports and without attributes', () => {
    const group = toTargetGroup(
      { TargetGroupArn: TG, TargetGroupName: 'fn', TargetType: 'lambda' },
      [{ Target: { Id: 'arn:aws:lambda:us-east-1:1:function:f' }, TargetHealth: { State: 'unavailable' } }],
      new Map(),
    );
    expect(group).toEqual({
      arn: TG,
      name: 'fn',
      targetType: 'lambda',
      healthCheck: {},
      targets: [{ id: 'arn:aws:lambda:us-east-1:1:function:f' }],
    });
    expect(() =>
      toTargetGroup({ TargetGroupArn: TG, TargetGroupName: 'x', TargetType: 'gwlb' as 'ip' }, []),
    ).toThrow(/unsupported target type/);
  });

  it('maps unknown or missing health states to unavailable', () => {
    expect(toTargetHealth(TG, { Target: { Id: 'i-1' } })).toEqual({
      targetGroupArn: TG,
      targetId: 'i-1',
      state: 'unavailable',
    });
    expect(
      toTargetHealth(TG, { Target: { Id: 'i-1' }, TargetHealth: { State: 'weird' as 'healthy' } }).state,
    ).toBe('unavailable');
  });
});

describe('Elbv2LoadBalancerReader: which load balancers use each group', () => {
  const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
  const OTHER =
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/billing/7f3a9c1e0b2d4e6f';
  const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/1';
  const DETACHED = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/old/93e2d6bc24d8a069';
  const UNSAID = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/odd/a3e2d6bc24d8a06a';
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  afterEach(() => elbv2.reset());

  const sdkGroup = (arn: string, name: string, loadBalancerArns?: string[]) => ({
    TargetGroupArn: arn,
    TargetGroupName: name,
    TargetType: 'instance' as const,
    Protocol: 'HTTP' as const,
    Port: 80,
    ...(loadBalancerArns === undefined ? {} : { LoadBalancerArns: loadBalancerArns }),
  });

  function answer(): void {
    elbv2
      .on(DescribeListenersCommand)
      .resolves({
        Listeners: [
          {
            ListenerArn: LISTENER,
            Port: 80,
            Protocol: 'HTTP',
            DefaultActions: [
              {
                Type: 'forward',
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: TG, Weight: 1 },
                    { TargetGroupArn: TG2, Weight: 1 },
                    { TargetGroupArn: DETACHED, Weight: 0 },
                  ],
                },
              },
            ],
          },
        ],
      })
      .on(DescribeRulesCommand)
      .resolves({ Rules: [] })
      .on(DescribeTargetGroupsCommand, { LoadBalancerArn: LB })
      .resolves({ TargetGroups: [sdkGroup(TG, 'web-a', [LB, LB]), sdkGroup(TG2, 'web-b', [LB, OTHER])] })
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: [DETACHED] })
      .resolves({ TargetGroups: [sdkGroup(DETACHED, 'old', [])] })
      .on(DescribeTargetGroupsCommand, { TargetGroupArns: [UNSAID] })
      .resolves({ TargetGroups: [sdkGroup(UNSAID, 'odd')] })
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: [] })
      .on(DescribeTargetGroupAttributesCommand)
      .resolves({ Attributes: [] });
  }

  it('reports LoadBalancerArns beside the snapshot, each once, shared and detached groups included', async () => {
    answer();
    const state = await new Elbv2LoadBalancerReader(
      new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    ).readSnapshot(LB);
    expect(state.snapshot.targetGroups.map((g) => g.name)).toEqual(['old', 'web-a', 'web-b']);
    expect(state.attachments).toEqual(
      new Map([
        [TG, [LB]],
        [TG2, [LB, OTHER]],
        [DETACHED, []],
      ]),
    );
    // Beside the snapshot, never in it: stored hashes stay as they were.
    expect(JSON.stringify(state.snapshot)).not.toContain('billing');
  });

  // The listeners and the groups attached to the load balancer are read side by side; which of
  // two failures is reported must not depend on which call came back first.
  it.each([
    { slow: 'the listener read', listenersMs: 15, groupsMs: 0 },
    { slow: 'the group read', listenersMs: 0, groupsMs: 15 },
  ])(
    'names the listener read when it and the group read both fail, $slow answering last',
    async ({ listenersMs, groupsMs }) => {
      const failing = (ms: number, name: string) => () =>
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(Object.assign(new Error(`${name} refused`), { name })), ms),
        );
      elbv2
        .on(DescribeListenersCommand)
        .callsFake(failing(listenersMs, 'AccessDenied'))
        .on(DescribeTargetGroupsCommand)
        .callsFake(failing(groupsMs, 'ThrottlingException'));
      const reader = new Elbv2LoadBalancerReader(new ElasticLoadBalancingV2Client({ region: 'us-east-1' }));
      await expect(reader.readSnapshot(LB)).rejects.toMatchObject({
        name: 'AwsApiError',
        operation: 'DescribeListeners',
      });
    },
  );

  it('names the group read when only it fails, after the listeners were read', async () => {
    answer();
    elbv2
      .on(DescribeTargetGroupsCommand, { LoadBalancerArn: LB })
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const reader = new Elbv2LoadBalancerReader(new ElasticLoadBalancingV2Client({ region: 'us-east-1' }));
    await expect(reader.readSnapshot(LB)).rejects.toMatchObject({ operation: 'DescribeTargetGroups' });
    expect(elbv2.commandCalls(DescribeRulesCommand)).toHaveLength(1);
  });

  it('reports them for groups described by ARN, and leaves out a group ELBv2 said nothing about', async () => {
    answer();
    const described = await new Elbv2LoadBalancerReader(
      new ElasticLoadBalancingV2Client({ region: 'us-east-1' }),
    ).describeTargetGroups([DETACHED, UNSAID]);
    expect(described.groups.map((g) => g.name)).toEqual(['old', 'odd']);
    expect(described.attachments).toEqual(new Map([[DETACHED, []]]));
  });
});
