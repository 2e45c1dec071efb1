// zod/mini, not `zod`: the chained classes of classic zod keep all of it in every bundle.
import * as z from 'zod/mini';
import '../../lib/config/zod-english.ts';
import { ENROLMENT_EVENT_NAMES } from '../../lib/routing-events.ts';
import { EventBridgeSchema, ScheduledEventSchema } from './events.ts';

// The events the enrol function accepts (apart from events.ts, so no other bundle carries them):
// the sweep schedule's tick and the CloudTrail calls after which the guarded set may have changed.
// Either wakes one full sweep; the event only names the account and region, and the cause.

/** EventBridge "AWS API Call via CloudTrail" for a load balancer created, deleted or (un)tagged. */
export const CloudTrailEnrolmentEventSchema = z.extend(EventBridgeSchema, {
  source: z.literal('aws.elasticloadbalancing'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    eventSource: z.literal('elasticloadbalancing.amazonaws.com'),
    eventName: z.enum(ENROLMENT_EVENT_NAMES),
    eventTime: z.iso.datetime(),
    errorCode: z.optional(z.string()),
  }),
});

export const EnrolEventSchema = z.union([ScheduledEventSchema, CloudTrailEnrolmentEventSchema]);

export type EnrolEvent = z.infer<typeof EnrolEventSchema>;
