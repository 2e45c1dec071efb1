// zod/mini, not `zod`: the chained classes of classic zod keep all of it in every bundle.
import * as z from 'zod/mini';
import '../../lib/config/zod-english.ts';
import { LbGuardError } from '../../lib/errors.ts';

// The events remediate accepts, apart from events.ts so that inspect and probe, which only build
// or never see them, do not carry the schemas (zod/mini schemas are built at module scope, so
// esbuild keeps every one a bundle imports). As in events.ts, anything else is rejected before
// any action is taken.

/** Inspect → remediate, published to the remediation topic (`SnsRemediationInvoker`). */
export const RemediateRequestSchema = z.strictObject({
  kind: z.literal('remediate'),
  service: z.string().check(z.minLength(1)),
  incidentId: z.string().check(z.minLength(1)),
  planHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  requestedAt: z.iso.datetime(),
});

/**
 * One SNS notification as Lambda delivers it, field for field as Powertools' `SnsRecordSchema`
 * (parser 2.x, written with classic zod like its `EventBridgeSchema`); test/unit/lambdas/
 * footprint.test.ts holds the two to the same answers.
 */
export const SnsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  EventVersion: z.string(),
  EventSubscriptionArn: z.string(),
  Sns: z.object({
    Subject: z.nullish(z.string()),
    TopicArn: z.string(),
    UnsubscribeUrl: z.url(),
    UnsubscribeURL: z.optional(z.url()),
    SigningCertUrl: z.optional(z.url()),
    SigningCertURL: z.optional(z.url()),
    Type: z.literal('Notification'),
    MessageAttributes: z.optional(z.record(z.string(), z.object({ Type: z.string(), Value: z.string() }))),
    Message: z.string(),
    MessageId: z.string(),
    Signature: z.optional(z.string()),
    SignatureVersion: z.optional(z.string()),
    Timestamp: z.iso.datetime(),
  }),
});

/** Where a request handed over by SNS came from, for remediate to check against its own topic. */
export interface Handoff {
  readonly topicArn: string;
  readonly messageId: string;
}

/**
 * Inspect's request as SNS hands it to remediate: exactly one record (SNS never batches for
 * Lambda), whose message is a `RemediateRequest` as JSON. Issues inside the message name their path
 * under `Records.0.Sns.Message`.
 */
const SnsRemediateEventSchema = z.pipe(
  z.object({ Records: z.tuple([SnsRecordSchema]) }),
  z.transform((event, ctx) => {
    const sns = event.Records[0].Sns;
    const at = ['Records', 0, 'Sns', 'Message'];
    let message: unknown;
    try {
      message = JSON.parse(sns.Message);
    } catch {
      ctx.issues.push({
        code: 'custom',
        input: sns.Message,
        path: at,
        message: 'must be a remediate request as JSON',
      });
      return z.NEVER;
    }
    const parsed = RemediateRequestSchema.safeParse(message);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        ctx.issues.push({
          code: 'custom',
          input: message,
          path: [...at, ...issue.path],
          message: issue.message,
        });
      }
      return z.NEVER;
    }
    const handoff: Handoff = { topicArn: sns.TopicArn, messageId: sns.MessageId };
    return { request: parsed.data, handoff };
  }),
);

/**
 * What remediate accepts: inspect's request through the remediation topic, or the bare request
 * (an operator's `aws lambda invoke`, a replay from the dead-letter queue of a direct invoke).
 */
export const RemediateEventSchema = z.union([
  SnsRemediateEventSchema,
  z.pipe(
    RemediateRequestSchema,
    z.transform((request): { request: RemediateRequest; handoff?: Handoff } => ({ request })),
  ),
]);

export type RemediateRequest = z.infer<typeof RemediateRequestSchema>;
export type RemediateEvent = z.output<typeof RemediateEventSchema>;

/** A request that SNS delivered from a topic other than lbguard's own remediation topic. */
export class UnexpectedTopicError extends LbGuardError {
  constructor(got: string, expected: string) {
    super(
      `lbguard remediate: the request came from SNS topic ${got}, not from lbguard's remediation topic ${expected}; nothing was done. Only inspect publishes remediation requests: remove this subscription.`,
    );
    this.name = 'UnexpectedTopicError';
  }
}

/**
 * The request in a remediate event, once its origin is checked: a handed-over request must come
 * from the topic this deployment created, whatever subscription delivered it.
 */
export function requestOf(event: RemediateEvent, remediationTopicArn: string): RemediateRequest {
  if (event.handoff !== undefined && event.handoff.topicArn !== remediationTopicArn) {
    throw new UnexpectedTopicError(event.handoff.topicArn, remediationTopicArn);
  }
  return event.request;
}
