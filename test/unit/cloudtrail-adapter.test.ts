import { describe, expect, it } from 'vitest';
import {
  type CloudTrailEventDetail,
  type CloudTrailUserIdentity,
  describePrincipal,
  translateCloudTrailEvent,
} from '../../lambdas/adapters/cloudtrail.ts';

const LISTENER =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const RULE2 =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/1111b2d02a6cabee';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/73e2d6bc24d8a067';
const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';

const pipeline: CloudTrailUserIdentity = {
  type: 'AssumedRole',
  arn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/codebuild-4711',
  sessionContext: {
    sessionIssuer: {
      type: 'Role',
      userName: 'deploy-pipeline',
      arn: 'arn:aws:iam::123456789012:role/deploy-pipeline',
    },
  },
};

function event(overrides: Partial<CloudTrailEventDetail>): CloudTrailEventDetail {
  return {
    eventSource: 'elasticloadbalancing.amazonaws.com',
    eventName: 'ModifyListener',
    eventTime: '2026-11-02T14:02:11Z',
    userIdentity: pipeline,
    sourceIPAddress: '203.0.113.7',
    requestParameters: { listenerArn: LISTENER },
    responseElements: null,
    ...overrides,
  };
}

describe('describePrincipal', () => {
  it.each<[string, CloudTrailUserIdentity | undefined, string]>([
    ['an assumed role by its role name', pipeline, 'role deploy-pipeline'],
    [
      'an assumed role without session context from its ARN',
      { type: 'AssumedRole', arn: 'arn:aws:sts::123:assumed-role/ops/alice' },
      'role ops',
    ],
    [
      'an Identity Center role by the person in the session',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123:assumed-role/AWSReservedSSO_AdministratorAccess_0123abcd/alice@example.com',
      },
      'user alice@example.com (SSO AdministratorAccess)',
    ],
    [
      'an IAM user by name',
      { type: 'IAMUser', userName: 'alice', arn: 'arn:aws:iam::123:user/alice' },
      'user alice',
    ],
    [
      'an IAM user without userName from its ARN',
      { type: 'IAMUser', arn: 'arn:aws:iam::123:user/ops/bob' },
      'user bob',
    ],
    ['the root user', { type: 'Root', arn: 'arn:aws:iam::123:root' }, 'root'],
    [
      'an AWS service such as auto scaling',
      { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
      'service autoscaling.amazonaws.com',
    ],
    [
      'a federated user',
      { type: 'FederatedUser', arn: 'arn:aws:sts::123:federated-user/carol' },
      'federated user carol',
    ],
    ['an unknown type by its ARN', { type: 'WebIdentityUser', arn: 'arn:aws:x::1:y' }, 'arn:aws:x::1:y'],
    ['an unknown type without ARN by its type', { type: 'SAMLUser' }, 'SAMLUser'],
    ['a missing identity', undefined, 'unknown principal'],
  ])('names %s', (_what, identity, expected) => {
    expect(describePrincipal(identity)).toBe(expected);
  });
});

describe('translateCloudTrailEvent', () => {
  it('records who changed which listener, when and from where', () => {
    expect(translateCloudTrailEvent(event({}))).toEqual({
      kind: 'change',
      change: {
        eventName: 'ModifyListener',
        principal: 'role deploy-pipeline',
        principalArn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/codebuild-4711',
        sourceIp: '203.0.113.7',
        sessionIssuerArn: 'arn:aws:iam::123456789012:role/deploy-pipeline',
        at: '2026-11-02T14:02:11.000Z',
        resources: [LISTENER],
      },
    });
  });

  it('keeps what tells a deployment service from a person: invokedBy, user agent, session issuer', () => {
    const out = translateCloudTrailEvent(
      event({
        userIdentity: { ...pipeline, invokedBy: 'cloudformation.amazonaws.com' },
        sourceIPAddress: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
      }),
    );
    expect(out).toMatchObject({
      kind: 'change',
      change: {
        invokedBy: 'cloudformation.amazonaws.com',
        userAgent: 'cloudformation.amazonaws.com',
        sourceIp: 'cloudformation.amazonaws.com',
        sessionIssuerArn: 'arn:aws:iam::123456789012:role/deploy-pipeline',
      },
    });
  });

  it.each<[string, Partial<CloudTrailEventDetail>, string[]]>([
    [
      'DeregisterTargets by target group',
      { eventName: 'DeregisterTargets', requestParameters: { targetGroupArn: TG } },
      [TG],
    ],
    ['ModifyRule by rule', { eventName: 'ModifyRule', requestParameters: { ruleArn: RULE } }, [RULE]],
    [
      'SetRulePriorities by every rule it moved',
      {
        eventName: 'SetRulePriorities',
        requestParameters: {
          rulePriorities: [{ ruleArn: RULE, priority: 5 }, { ruleArn: RULE2, priority: 6 }, null],
        },
      },
      [RULE, RULE2],
    ],
    [
      'AddTags by resource list',
      { eventName: 'AddTags', requestParameters: { resourceArns: [LB, TG, 'not-an-arn'] } },
      [LB, TG],
    ],
    [
      'CreateRule by its listener and the rule it returned',
      {
        eventName: 'CreateRule',
        requestParameters: { listenerArn: LISTENER, priority: 7 },
        responseElements: { rules: [{ ruleArn: RULE }] },
      },
      [LISTENER, RULE],
    ],
    ['a call without parameters by nothing', { eventName: 'SetSecurityGroups', requestParameters: null }, []],
  ])('lists the resources of %s', (_what, overrides, resources) => {
    const out = translateCloudTrailEvent(event(overrides));
    expect(out.kind === 'change' ? out.change.resources : out.reason).toEqual(resources);
  });

  it('leaves out principal ARN and source IP when the event has none', () => {
    const { sourceIPAddress: _ip, ...withoutIp } = event({
      userIdentity: { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' },
    });
    const out = translateCloudTrailEvent(withoutIp);
    expect(out).toEqual({
      kind: 'change',
      change: {
        eventName: 'ModifyListener',
        principal: 'service autoscaling.amazonaws.com',
        invokedBy: 'autoscaling.amazonaws.com',
        at: '2026-11-02T14:02:11.000Z',
        resources: [LISTENER],
      },
    });
  });

  it.each<[string, Partial<CloudTrailEventDetail>, string]>([
    ['another service', { eventSource: 'ec2.amazonaws.com' }, 'event from ec2.amazonaws.com, not ELBv2'],
    ['a read-only call', { eventName: 'DescribeRules' }, 'DescribeRules changes nothing'],
    ['a failed call', { errorCode: 'AccessDenied' }, 'ModifyListener failed with AccessDenied'],
    ['an unreadable time', { eventTime: 'yesterday' }, 'eventTime yesterday is not a time'],
  ])('ignores %s and says why', (_what, overrides, reason) => {
    expect(translateCloudTrailEvent(event(overrides))).toEqual({ kind: 'ignored', reason });
  });
});
