/**
 * The ELBv2 API calls that change where a load balancer sends traffic. One list for everyone who
 * must agree on it: inspect's event schema accepts exactly these, the CloudTrail rule the stack
 * deploys delivers exactly these (so it never delivers an event inspect would reject into the
 * dead-letter queue), and the drill counts exactly these as writes.
 */
export const ROUTING_EVENT_NAMES = [
  'CreateListener',
  'DeleteListener',
  'ModifyListener',
  'CreateRule',
  'DeleteRule',
  'ModifyRule',
  'SetRulePriorities',
  'RegisterTargets',
  'DeregisterTargets',
  'ModifyTargetGroup',
  'ModifyTargetGroupAttributes',
  'DeleteTargetGroup',
] as const;

export type RoutingEventName = (typeof ROUTING_EVENT_NAMES)[number];

/** The routing events after which `DescribeTargetGroupAttributes` may answer differently. */
export const ATTRIBUTE_EVENT_NAMES: ReadonlySet<string> = new Set<RoutingEventName>([
  'ModifyTargetGroupAttributes',
  'ModifyTargetGroup',
]);

/**
 * The ELBv2 API calls after which the set of guarded load balancers may have changed: a load
 * balancer created, deleted or (un)tagged `lbguard:guard`, or a target group created (it may be
 * tagged for a load balancer that routes to it next). They wake the spoke's enrolment at once;
 * the periodic sweep catches anything an event missed.
 */
export const ENROLMENT_EVENT_NAMES = [
  'CreateLoadBalancer',
  'DeleteLoadBalancer',
  'AddTags',
  'RemoveTags',
  'CreateTargetGroup',
] as const;

export type EnrolmentEventName = (typeof ENROLMENT_EVENT_NAMES)[number];
