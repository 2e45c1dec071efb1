/**
 * What the spoke's enrol function says: the SNS message people get for each enrolment transition
 * and the hub's `lbguard Enrolment` event. Pure: the flow decides when, this module what.
 */
import type { Notification } from '../messages.ts';
import type { EnrolmentTransition } from './diff.ts';
import { HUB_DETAIL_TYPES, HUB_EVENT_VERSION, type HubEvent } from './hub-events.ts';
import { TAGS } from './tags.ts';

/** What woke the sweep that found a transition: `sweep`, or the CloudTrail event's name. */
export type EnrolmentCause = string;

const ENROL_WHY = {
  listed: 'it is listed in services[] of the config',
  created: `it was created tagged ${TAGS.guard}`,
  tagged: `it was tagged ${TAGS.guard}`,
  fixed: 'its lbguard tags were fixed',
} as const;

const RELEASE_WHY = {
  deleted: 'it was deleted',
  unlisted: 'its services[] entry was removed',
  untagged: `its ${TAGS.guard} tag was removed`,
  'opted-out': `it is tagged ${TAGS.guard}=false`,
  'tag-error': 'its lbguard tags are unusable',
} as const;

/**
 * The message people get for one enrolment transition: names the load balancer, the service,
 * the reason and what woke the sweep (`cause`). A release is a warning: that load balancer is
 * no longer guarded.
 */
export function enrolmentNotification(t: EnrolmentTransition, cause: EnrolmentCause): Notification {
  const found = `Found by ${cause === 'sweep' ? 'the periodic sweep' : `the ${cause} event`}.`;
  switch (t.kind) {
    case 'enrol':
      return {
        service: t.service,
        severity: 'info',
        state: 'enrolled',
        subject: `lbguard ${t.service}: now guarded (${t.reason})`,
        lines: [
          `lbguard now guards ${t.loadBalancerArn} as service ${t.service}: ${ENROL_WHY[t.reason]}.`,
          found,
        ],
      };
    case 'release':
      return {
        service: t.service,
        severity: 'warning',
        state: 'released',
        subject: `lbguard ${t.service}: no longer guarded (${t.reason})`,
        lines: [
          `lbguard no longer guards ${t.loadBalancerArn} (service ${t.service}): ${RELEASE_WHY[t.reason]}.`,
          found,
        ],
        ...(t.error === undefined ? {} : { evidence: [`${t.error.code}: ${t.error.message}`] }),
      };
    case 'update':
      return {
        service: t.service,
        severity: 'info',
        state: 'enrolment-updated',
        subject: `lbguard ${t.service}: guard settings changed`,
        lines: [
          `lbguard guards ${t.loadBalancerArn} with new settings${t.previousService === t.service ? '' : ` (was service ${t.previousService})`}: its tags, its profile or the config changed.`,
          found,
        ],
      };
  }
}

/** The hub's `lbguard Enrolment` event for one transition. */
export function enrolmentEvent(t: EnrolmentTransition, at: string): HubEvent {
  return {
    detailType: HUB_DETAIL_TYPES.enrolment,
    detail: {
      version: HUB_EVENT_VERSION,
      at,
      loadBalancerArn: t.loadBalancerArn,
      service: t.service,
      transition: t.kind,
      ...(t.kind === 'update' ? {} : { reason: t.reason }),
    },
  };
}
