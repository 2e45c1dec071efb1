import type {
  LbSnapshot,
  PlanStep,
  Target,
  TargetGroup,
  TargetGroupAttachments,
  TargetHealth,
} from '../../../lib/types.ts';

// The ports the ELBv2 adapter implements: reading what decides routing, and applying plan steps.

/** Configuration plus target health of one load balancer, read in one cycle. */
export interface LoadBalancerState {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
  /**
   * Which load balancers use each group of the snapshot (`LoadBalancerArns`), for the plan's
   * guardrail against writing into another load balancer's group. Beside the snapshot, so that
   * its hash does not depend on who else uses a group.
   */
  readonly attachments: TargetGroupAttachments;
}

/** Reads what decides routing. */
export interface LoadBalancerReader {
  /** `listenerArns` narrows the snapshot to the listeners a service guards; default all. */
  readSnapshot(
    loadBalancerArn: string,
    listenerArns?: readonly string[],
    options?: ReadSnapshotOptions,
  ): Promise<LoadBalancerState>;
  /**
   * Target groups by ARN, whether or not a listener still forwards to them: last known good's
   * groups that a deployment detached. Groups since deleted are left out, not an error.
   */
  describeTargetGroups(targetGroupArns: readonly string[]): Promise<DescribedTargetGroups>;
}

/** Target groups described by ARN, with the health of their registered targets. */
export interface DescribedTargetGroups {
  readonly groups: readonly TargetGroup[];
  readonly health: readonly TargetHealth[];
  /** Which load balancers use each group described; `[]` for one none uses. */
  readonly attachments: TargetGroupAttachments;
}

/** What `DescribeTargetGroupAttributes` contributes to a target group. */
export type TargetGroupAttributes = Pick<TargetGroup, (typeof TARGET_GROUP_ATTRIBUTE_FIELDS)[number]>;

/** The fields of a target group that come from `DescribeTargetGroupAttributes`. */
export const TARGET_GROUP_ATTRIBUTE_FIELDS = [
  'unhealthyStateRouting',
  'dnsFailover',
  'loadBalancingAlgorithm',
  'anomalyMitigation',
  'slowStartSeconds',
  'stickiness',
] as const satisfies readonly (keyof TargetGroup)[];

/** The attribute fields of a group (or of known attributes), the absent ones left out. */
export function pickAttributes(g: TargetGroupAttributes): TargetGroupAttributes {
  const out: Record<string, unknown> = {};
  for (const field of TARGET_GROUP_ATTRIBUTE_FIELDS) if (g[field] !== undefined) out[field] = g[field];
  return out as TargetGroupAttributes;
}

export interface ReadSnapshotOptions {
  /**
   * Attributes already known, by target group ARN (from the latest stored snapshot). Groups in
   * the map are not asked for their attributes; groups missing from it are. Attributes change
   * rarely, and a `ModifyTargetGroupAttributes` wakes inspect to re-read them, so reading them
   * for every group every cycle would double the calls for nothing.
   */
  readonly knownAttributes?: ReadonlyMap<string, TargetGroupAttributes>;
}

export interface AppliedStep {
  readonly op: PlanStep['op'];
  /** ARN of the rule a `CreateRule` step created. */
  readonly ruleArn?: string;
  /**
   * RegisterTargets: targets ELBv2 refused as invalid (an instance terminated since last known
   * good). The others were registered: one dead target must not keep the live ones out.
   */
  readonly skippedTargets?: readonly Target[];
}

/** Applies one plan step. There is deliberately no way to deregister or delete anything. */
export interface LoadBalancerWriter {
  apply(step: PlanStep): Promise<AppliedStep>;
}
