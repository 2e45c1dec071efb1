import type * as events from 'aws-cdk-lib/aws-events';
import { ROUTING_EVENT_NAMES } from '../lib/routing-events.ts';
import type { LoadBalancerArnParts } from './arns.ts';

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
 */
export function routingChangePattern(
  scopes: readonly RoutingChangeScope[],
  ownRoleArns: readonly string[] = [],
): events.EventPattern {
  const alternatives = scopes.flatMap((scope) => {
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

/** The EventBridge pattern for guarded alarms entering `ALARM`, which wakes inspect at once. */
export function alarmStateChangePattern(alarmArns: readonly string[]): events.EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    resources: [...alarmArns],
    detail: { state: { value: ['ALARM'] } },
  };
}
