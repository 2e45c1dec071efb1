// zod/mini, not `zod`: the chained classes of classic zod keep all of it in every bundle.
import * as z from 'zod/mini';
import '../../lib/config/zod-english.ts';
import { ROUTING_EVENT_NAMES } from '../../lib/routing-events.ts';

// Every event a function accepts has a schema here; anything else is rejected before any
// action is taken (DESIGN.md "Guardrails": a malformed event changes nothing).

/**
 * The EventBridge envelope, field for field as Powertools' `EventBridgeSchema` (parser 2.x),
 * which is written with `import { z } from 'zod'` and so would bundle all of zod into every
 * function; test/unit/lambdas/shared.test.ts holds the two to the same answers.
 */
export const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});

/** EventBridge schedule (`rate(...)`) tick. */
export const ScheduledEventSchema = z.extend(EventBridgeSchema, {
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
});

const UserIdentitySchema = z.object({
  type: z.string(),
  arn: z.optional(z.string()),
  principalId: z.optional(z.string()),
  userName: z.optional(z.string()),
  invokedBy: z.optional(z.string()),
  sessionContext: z.optional(
    z.partial(
      z.object({
        sessionIssuer: z.optional(
          z.partial(z.object({ arn: z.optional(z.string()), userName: z.optional(z.string()) })),
        ),
      }),
    ),
  ),
});

/** EventBridge "AWS API Call via CloudTrail" for an ELBv2 routing change. */
export const CloudTrailElbv2EventSchema = z.extend(EventBridgeSchema, {
  source: z.literal('aws.elasticloadbalancing'),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  detail: z.object({
    eventSource: z.literal('elasticloadbalancing.amazonaws.com'),
    eventName: z.enum(ROUTING_EVENT_NAMES),
    eventTime: z.iso.datetime(),
    userIdentity: UserIdentitySchema,
    sourceIPAddress: z.optional(z.string()),
    userAgent: z.optional(z.string()),
    requestParameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    // Create* calls name the resource they made only here.
    responseElements: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    errorCode: z.optional(z.string()),
  }),
});

/** CloudWatch "Alarm State Change": lets an alarm wake inspect. */
export const AlarmStateChangeEventSchema = z.extend(EventBridgeSchema, {
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.object({
    alarmName: z.string().check(z.minLength(1)),
    state: z.object({
      value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.optional(z.string()),
    }),
  }),
});

/** A direct request to run inspect's verification (post-deploy trigger, CLI). */
export const VerifyRequestSchema = z.strictObject({
  kind: z.literal('verify'),
  service: z.optional(z.string().check(z.minLength(1))),
  /** Throw when routing is wrong, so the caller's invocation fails (a deployment gate). */
  failOnFindings: z.optional(z.boolean()),
});

/**
 * The post-deployment trigger (CDK `triggers`) invokes inspect with `{}`: verify every service
 * and fail the invocation, and so the deployment, when routing is wrong.
 */
export const PostDeployVerifySchema = z.pipe(
  z.strictObject({}),
  z.transform(() => ({ kind: 'verify' as const, failOnFindings: true })),
);

export const InspectEventSchema = z.union([
  ScheduledEventSchema,
  CloudTrailElbv2EventSchema,
  AlarmStateChangeEventSchema,
  VerifyRequestSchema,
  PostDeployVerifySchema,
]);

export const ProbeEventSchema = z.union([
  ScheduledEventSchema,
  z.strictObject({
    kind: z.literal('probe'),
    service: z.optional(z.string().check(z.minLength(1))),
    loopSeconds: z.optional(z.number().check(z.minimum(0), z.maximum(890))),
  }),
]);

export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
export type CloudTrailElbv2Event = z.infer<typeof CloudTrailElbv2EventSchema>;
export type AlarmStateChangeEvent = z.infer<typeof AlarmStateChangeEventSchema>;
export type InspectEvent = z.output<typeof InspectEventSchema>;
export type VerifyRequest = z.output<typeof VerifyRequestSchema>;
export type ProbeEvent = z.infer<typeof ProbeEventSchema>;
// Remediate's own schemas live apart: zod/mini schemas are built at module scope, so every schema
// in this file is in every bundle that imports one of them. The types cost nothing.
export type { Handoff, RemediateEvent, RemediateRequest } from './remediate-events.ts';
