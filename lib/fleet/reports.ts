/**
 * What inspect and remediate report to the hub (lib/fleet/hub-events.ts): heartbeats, findings and
 * incident transitions. Pure: flows decide when to speak, this module decides what is said. (The
 * enrol function's messages are in enrolment-messages.ts: no other bundle carries them.)
 */

import type { Incident } from '../types/incident.ts';
import type { Diagnosis } from '../types.ts';
import type { EnrolmentError } from './enrol.ts';
import {
  type GuardedLoadBalancer,
  HUB_DETAIL_TYPES,
  HUB_EVENT_VERSION,
  type HubEvent,
} from './hub-events.ts';

/** One guarded service as one scheduled inspection left it. */
export type InspectedService =
  | {
      readonly status: 'inspected';
      readonly service: string;
      readonly loadBalancerArn: string;
      readonly diagnosis: Diagnosis;
      readonly incidentId?: string;
      readonly incidentState: string;
    }
  | { readonly status: 'failed'; readonly service: string; readonly loadBalancerArn: string };

/**
 * What a scheduled inspection reports: one heartbeat listing every guarded load balancer
 * (inspected or failed) and every refused one, and one finding per diagnosis other than healthy.
 */
export function inspectionEvents(input: {
  readonly at: string;
  readonly lbguardVersion: string;
  readonly services: readonly InspectedService[];
  readonly refused: readonly EnrolmentError[];
}): HubEvent[] {
  const { at } = input;
  const version: typeof HUB_EVENT_VERSION = HUB_EVENT_VERSION;
  const events: HubEvent[] = [];
  const loadBalancers: GuardedLoadBalancer[] = [];
  for (const s of input.services) {
    const { service, loadBalancerArn } = s;
    if (s.status === 'failed') {
      loadBalancers.push({ loadBalancerArn, service, status: 'failed' });
      continue;
    }
    const { cause, summary, evidence } = s.diagnosis;
    loadBalancers.push({
      loadBalancerArn,
      service,
      status: 'inspected',
      diagnosis: cause,
      incidentState: s.incidentState,
    });
    if (cause === 'healthy') continue;
    const incident = s.incidentId === undefined ? {} : { incidentId: s.incidentId };
    events.push({
      detailType: HUB_DETAIL_TYPES.finding,
      detail: { version, at, service, loadBalancerArn, diagnosis: cause, summary, evidence, ...incident },
    });
  }
  const refused = input.refused.map(({ loadBalancerArn, error }) => ({
    loadBalancerArn,
    code: error.code,
    message: error.message,
  }));
  const heartbeat = { version, at, lbguardVersion: input.lbguardVersion, loadBalancers, refused };
  return [{ detailType: HUB_DETAIL_TYPES.heartbeat, detail: heartbeat }, ...events];
}

/**
 * The hub's `lbguard Incident Transition` event when `after` is in another state than `before`
 * (a new incident counts as coming from `ok`); undefined when the state did not move.
 */
export function transitionEvent(
  before: Incident | undefined,
  after: Incident,
  loadBalancerArn: string,
): HubEvent | undefined {
  const from = before?.state ?? 'ok';
  if (from === after.state) return undefined;
  const last = after.timeline.at(-1);
  return {
    detailType: HUB_DETAIL_TYPES.transition,
    detail: {
      version: HUB_EVENT_VERSION,
      at: after.updatedAt,
      service: after.service,
      loadBalancerArn,
      incidentId: after.id,
      from,
      to: after.state,
      summary: last?.what ?? after.diagnosis?.summary ?? after.state,
    },
  };
}
