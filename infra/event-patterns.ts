import type * as events from 'aws-cdk-lib/aws-events';
import { ENROLMENT_EVENT_NAMES, ROUTING_EVENT_NAMES } from '../lib/routing-events.ts';
import type { AccountRegionScope, LoadBalancerArnParts } from './arns.ts';

/**
 * ELBv2 API calls that change where a guarded load balancer sends traffic; each wakes inspect so
 * the diagnosis can name who changed what. The list is the one inspect's event schema accepts
 * (lib/routing-events.ts), so the rule never delivers an event inspect would reject.
 */
export const ROUTING_CHANGE_EVENT_NAMES: readonly string[] = ROUTING_EVENT_NAMES;

/** What a routing-change rule watches for one guarded load balancer. */
export interface RoutingChangeScope {
  readonly loadBalancer: LoadBalancerArnParts;
  /** Exact target group ARNs to watch; empty means every target group in the account and region. */
  readonly targetGroupArns: readonly string[];
}

/**
 * The EventBridge pattern for "AWS API Call via CloudTrail" events that touch a guarded load
 * balancer's listeners, rules or target groups. Failed calls (`errorCode` present) changed
 * nothing and are left out, and so are the calls of the roles in `ownRoleArns` (remediate's):
 * lbguard's own restore must not wake its change path as if someone had changed the routing.
 * A call made without an assumed-role session (a user, root) has no session issuer, so it still
 * matches.
 *
 * With `accountWide` (discovery mode) the pattern matches the whole account and region by ARN
 * prefix instead: a load balancer tagged `lbguard:guard` after the deployment must wake inspect
 * too, and the listed services' load balancers are in the same account and region.
 */
export function routingChangePattern(
  scopes: readonly RoutingChangeScope[],
  ownRoleArns: readonly string[] = [],
  accountWide?: AccountRegionScope,
): events.EventPattern {
  const alternatives =
    accountWide === undefined ? perLoadBalancerAlternatives(scopes) : accountWideAlternatives(accountWide);
  return {
    source: ['aws.elasticloadbalancing'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['elasticloadbalancing.amazonaws.com'],
      eventName: [...ROUTING_CHANGE_EVENT_NAMES],
      errorCode: [{ exists: false }],
      $or: alternatives,
      ...(ownRoleArns.length === 0
        ? {}
        : {
            userIdentity: {
              $or: [
                { sessionContext: { sessionIssuer: { arn: [{ 'anything-but': [...ownRoleArns] }] } } },
                { sessionContext: { sessionIssuer: { arn: [{ exists: false }] } } },
              ],
            },
          }),
    },
  };
}

function perLoadBalancerAlternatives(scopes: readonly RoutingChangeScope[]): Record<string, unknown>[] {
  return scopes.flatMap((scope) => {
    const lb = scope.loadBalancer;
    const targetGroups =
      scope.targetGroupArns.length > 0 ? [...scope.targetGroupArns] : [{ prefix: lb.targetGroupArnPrefix }];
    return [
      { requestParameters: { loadBalancerArn: [lb.arn] } },
      { requestParameters: { listenerArn: [{ prefix: lb.listenerArnPrefix }] } },
      { requestParameters: { ruleArn: [{ prefix: lb.listenerRuleArnPrefix }] } },
      // SetRulePriorities carries a list of {ruleArn, priority}; EventBridge matches any element.
      { requestParameters: { rulePriorities: { ruleArn: [{ prefix: lb.listenerRuleArnPrefix }] } } },
      { requestParameters: { targetGroupArn: targetGroups } },
    ];
  });
}

function accountWideAlternatives(scope: AccountRegionScope): Record<string, unknown>[] {
  return [
    { requestParameters: { loadBalancerArn: [{ prefix: scope.loadBalancerArnPrefix }] } },
    { requestParameters: { listenerArn: [{ prefix: scope.listenerArnPrefix }] } },
    { requestParameters: { ruleArn: [{ prefix: scope.listenerRuleArnPrefix }] } },
    { requestParameters: { rulePriorities: { ruleArn: [{ prefix: scope.listenerRuleArnPrefix }] } } },
    { requestParameters: { targetGroupArn: [{ prefix: scope.targetGroupArnPrefix }] } },
  ];
}

/**
 * The EventBridge pattern for the successful ELBv2 calls after which the set of tag-enrolled load
 * balancers may have changed (`ENROLMENT_EVENT_NAMES`): each wakes the enrol function for a sweep.
 * No resource filter: a load balancer created or tagged a moment ago is exactly the one not yet known.
 */
export function enrolmentPattern(): events.EventPattern {
  return {
    source: ['aws.elasticloadbalancing'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['elasticloadbalancing.amazonaws.com'],
      eventName: [...ENROLMENT_EVENT_NAMES],
      errorCode: [{ exists: false }],
    },
  };
}

/** The EventBridge pattern for guarded alarms entering `ALARM`, which wakes inspect at once. */
export function alarmStateChangePattern(alarmArns: readonly string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    resources: [...alarmArns],
    detail: { state: { value: ['ALARM'] } },
  };
}
