/**
 * What a spoke tells the hub (docs/fleet.md "Hub"), as EventBridge events on the spoke's default
 * bus, which a rule forwards to the hub bus. Spokes act alone: reporting never blocks or fails an
 * inspection or a remediation. The hub trusts nothing in `detail` about *where* an event comes
 * from: EventBridge's own `account` and `region` fields decide, and a load balancer ARN of another
 * account or region is refused.
 */

/** `Source` of every event a spoke puts. */
export const HUB_EVENT_SOURCE = 'lbguard';

/** `DetailType` of each kind of event. */
export const HUB_DETAIL_TYPES = {
  heartbeat: 'lbguard Heartbeat',
  finding: 'lbguard Finding',
  transition: 'lbguard Incident Transition',
  enrolment: 'lbguard Enrolment',
} as const;

export type HubDetailType = (typeof HUB_DETAIL_TYPES)[keyof typeof HUB_DETAIL_TYPES];

/** The version of the detail shapes below; the hub refuses others. */
export const HUB_EVENT_VERSION = 1;

/** One load balancer a spoke guarded in one scheduled inspection. */
export interface GuardedLoadBalancer {
  readonly loadBalancerArn: string;
  readonly service: string;
  /** `failed`: its inspection threw; the guard is alive but blind to it. */
  readonly status: 'inspected' | 'failed';
  /** The diagnosis kind, when inspected. */
  readonly diagnosis?: string;
  /** The open incident's state, if any. */
  readonly incidentState?: string;
}

/** A tagged load balancer the spoke will not guard, and why (its tags are unusable). */
export interface RefusedLoadBalancer {
  readonly loadBalancerArn: string;
  readonly code: string;
  readonly message: string;
}

/** Sent by every scheduled inspection: the guard is alive, and guards these. */
export interface HeartbeatDetail {
  readonly version: typeof HUB_EVENT_VERSION;
  readonly at: string;
  readonly lbguardVersion: string;
  readonly loadBalancers: readonly GuardedLoadBalancer[];
  readonly refused: readonly RefusedLoadBalancer[];
}

/** A diagnosis other than healthy, with its evidence. */
export interface FindingDetail {
  readonly version: typeof HUB_EVENT_VERSION;
  readonly at: string;
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly diagnosis: string;
  readonly summary: string;
  readonly evidence: readonly string[];
  readonly incidentId?: string;
}

/** An incident changed state (inspect opens and confirms; remediate mitigates and verifies). */
export interface TransitionDetail {
  readonly version: typeof HUB_EVENT_VERSION;
  readonly at: string;
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly incidentId: string;
  readonly from: string;
  readonly to: string;
  readonly summary: string;
}

/** A load balancer enrolled, released or re-read (lib/fleet/diff.ts). */
export interface EnrolmentDetail {
  readonly version: typeof HUB_EVENT_VERSION;
  readonly at: string;
  readonly loadBalancerArn: string;
  readonly service?: string;
  readonly transition: 'enrol' | 'release' | 'update';
  readonly reason?: string;
}

export type HubEvent =
  | { readonly detailType: typeof HUB_DETAIL_TYPES.heartbeat; readonly detail: HeartbeatDetail }
  | { readonly detailType: typeof HUB_DETAIL_TYPES.finding; readonly detail: FindingDetail }
  | { readonly detailType: typeof HUB_DETAIL_TYPES.transition; readonly detail: TransitionDetail }
  | { readonly detailType: typeof HUB_DETAIL_TYPES.enrolment; readonly detail: EnrolmentDetail };
