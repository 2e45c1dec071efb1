/**
 * What the hub keeps of each accepted event (docs/fleet.md "Hub table"). Every record carries the
 * spoke's `at`, and the table keeps the newest by it: EventBridge delivers at least once and in
 * no particular order, so a late event must never overwrite a newer one.
 */
import type { FindingDetail, RefusedLoadBalancer, TransitionDetail } from './hub-events.ts';
import { HUB_DETAIL_TYPES } from './hub-events.ts';
import type { ReceivedHubEvent } from './hub-validation.ts';

/** Heartbeat records live a week: long enough to say "last seen 3 days ago", short enough to forget a deleted spoke. */
export const HUB_RECORD_TTL_SECONDS = 7 * 24 * 60 * 60;

/** One load balancer of a heartbeat (`LB#<account>#<region>` / `<arn>`). */
export interface LoadBalancerRecord {
  readonly account: string;
  readonly region: string;
  readonly loadBalancerArn: string;
  readonly service: string;
  readonly status: 'inspected' | 'failed';
  readonly diagnosis?: string;
  readonly incidentState?: string;
  readonly heartbeatAt: string;
  readonly expiresAt: number;
}

/** A spoke's newest heartbeat (`SPOKE` / `<account>#<region>`). */
export interface SpokeRecord {
  readonly account: string;
  readonly region: string;
  readonly lastHeartbeatAt: string;
  readonly lbguardVersion: string;
  readonly guarded: number;
  readonly refused: readonly RefusedLoadBalancer[];
  readonly expiresAt: number;
}

/** The latest finding or transition of one service (`SERVICE#<account>#<region>` / `<service>`). */
export type ServiceUpdate =
  | { readonly field: 'lastFinding'; readonly detail: FindingDetail }
  | { readonly field: 'lastTransition'; readonly detail: TransitionDetail };

export type HubWrite =
  | {
      readonly kind: 'heartbeat';
      readonly spoke: SpokeRecord;
      readonly loadBalancers: readonly LoadBalancerRecord[];
    }
  | {
      readonly kind: 'service';
      readonly account: string;
      readonly region: string;
      readonly service: string;
      readonly loadBalancerArn: string;
      readonly at: string;
      readonly update: ServiceUpdate;
    }
  /** Enrolments are history (the bus's log group keeps them); the next heartbeat is the state. */
  | { readonly kind: 'none' };

/** The table writes of one accepted event. `at` is already canonical (validateHubEvent). */
export function planHubWrite(received: ReceivedHubEvent): HubWrite {
  const { account, region, event } = received;
  switch (event.detailType) {
    case HUB_DETAIL_TYPES.heartbeat: {
      const d = event.detail;
      const expiresAt = Math.floor(Date.parse(d.at) / 1000) + HUB_RECORD_TTL_SECONDS;
      return {
        kind: 'heartbeat',
        spoke: {
          account,
          region,
          lastHeartbeatAt: d.at,
          lbguardVersion: d.lbguardVersion,
          guarded: d.loadBalancers.length,
          refused: d.refused,
          expiresAt,
        },
        loadBalancers: d.loadBalancers.map((lb) => ({
          account,
          region,
          loadBalancerArn: lb.loadBalancerArn,
          service: lb.service,
          status: lb.status,
          ...(lb.diagnosis === undefined ? {} : { diagnosis: lb.diagnosis }),
          ...(lb.incidentState === undefined ? {} : { incidentState: lb.incidentState }),
          heartbeatAt: d.at,
          expiresAt,
        })),
      };
    }
    case HUB_DETAIL_TYPES.finding:
    case HUB_DETAIL_TYPES.transition: {
      const d = event.detail;
      return {
        kind: 'service',
        account,
        region,
        service: d.service,
        loadBalancerArn: d.loadBalancerArn,
        at: d.at,
        update:
          event.detailType === HUB_DETAIL_TYPES.finding
            ? { field: 'lastFinding', detail: event.detail }
            : { field: 'lastTransition', detail: event.detail },
      };
    }
    case HUB_DETAIL_TYPES.enrolment:
      return { kind: 'none' };
  }
}
