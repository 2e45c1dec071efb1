/**
 * What the hub accepts from a spoke. An event on the hub bus is an EventBridge envelope whose
 * `account` and `region` EventBridge itself filled in from the sender; its `detail` is whatever
 * the spoke wrote. So the envelope decides where an event comes from, and a detail naming a load
 * balancer of any other account or region is refused whole: a compromised or misconfigured spoke
 * must not be able to report another account's load balancers as guarded.
 */
import * as z from 'zod/mini';
import {
  type EnrolmentDetail,
  type FindingDetail,
  type HeartbeatDetail,
  HUB_DETAIL_TYPES,
  HUB_EVENT_SOURCE,
  HUB_EVENT_VERSION,
  type HubEvent,
  type TransitionDetail,
} from './hub-events.ts';
import { inScope, type Scope, scopeKey } from './scope.ts';

/** An accepted event: the detail, and where EventBridge says it came from. */
export interface ReceivedHubEvent {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly event: HubEvent;
}

/** Why an event was refused; the hub logs and counts it and never writes it. */
export type HubRefusalCode =
  | 'malformed-envelope'
  | 'foreign-source'
  | 'unknown-detail-type'
  | 'unsupported-version'
  | 'malformed-detail'
  | 'foreign-arn'
  | 'from-the-future';

export interface HubRefusal {
  readonly code: HubRefusalCode;
  readonly reason: string;
}

export type HubValidation =
  | { readonly ok: true; readonly received: ReceivedHubEvent }
  | { readonly ok: false; readonly refusal: HubRefusal };

/**
 * How far ahead of the hub's clock a spoke's `at` may be. The table keeps the newest record by
 * `at`, so a spoke with a clock years ahead would otherwise pin its records and hide every later,
 * truthful one.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** More than any spoke guards (LIMITS.enrolledServices), small enough to bound one event's writes. */
const MAX_LOAD_BALANCERS = 1000;

const envelopeSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(256)),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().check(z.regex(/^\d{12}$/)),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/)),
  detail: z.unknown(),
});

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const arn = text(512);
const at = z.iso.datetime({ offset: true });
const version = z.literal(HUB_EVENT_VERSION);

const heartbeatSchema = z.object({
  version,
  at,
  lbguardVersion: text(64),
  loadBalancers: z
    .array(
      z.object({
        loadBalancerArn: arn,
        service: text(128),
        status: z.enum(['inspected', 'failed']),
        diagnosis: z.optional(text(128)),
        incidentState: z.optional(text(64)),
      }),
    )
    .check(z.maxLength(MAX_LOAD_BALANCERS)),
  refused: z
    .array(z.object({ loadBalancerArn: arn, code: text(64), message: text(1024) }))
    .check(z.maxLength(MAX_LOAD_BALANCERS)),
});

const findingSchema = z.object({
  version,
  at,
  service: text(128),
  loadBalancerArn: arn,
  diagnosis: text(128),
  summary: text(2048),
  evidence: z.array(text(2048)).check(z.maxLength(50)),
  incidentId: z.optional(text(256)),
});

const transitionSchema = z.object({
  version,
  at,
  service: text(128),
  loadBalancerArn: arn,
  incidentId: text(256),
  from: text(64),
  to: text(64),
  summary: text(2048),
});

const enrolmentSchema = z.object({
  version,
  at,
  loadBalancerArn: arn,
  service: z.optional(text(128)),
  transition: z.enum(['enrol', 'release', 'update']),
  reason: z.optional(text(1024)),
});

const refuse = (code: HubRefusalCode, reason: string): HubValidation => ({
  ok: false,
  refusal: { code, reason },
});

function firstIssue(error: z.core.$ZodError): string {
  // A failed parse has at least one issue.
  const issue = error.issues[0] as z.core.$ZodIssue;
  const path = issue.path.length === 0 ? '(detail)' : issue.path.map(String).join('.');
  return `${path}: ${issue.message}`;
}

/** Parses a detail with `schema`; the cast is sound because each schema mirrors its interface. */
function parseDetail<T>(
  schema: z.core.$ZodType,
  detail: unknown,
  detailType: string,
): { ok: true; detail: T } | { ok: false; refusal: HubValidation } {
  const parsed = z.safeParse(schema, detail);
  if (parsed.success) return { ok: true, detail: parsed.data as T };
  return { ok: false, refusal: refuse('malformed-detail', `${detailType} ${firstIssue(parsed.error)}`) };
}

function arnsOf(event: HubEvent): string[] {
  switch (event.detailType) {
    case HUB_DETAIL_TYPES.heartbeat:
      return [
        ...event.detail.loadBalancers.map((lb) => lb.loadBalancerArn),
        ...event.detail.refused.map((lb) => lb.loadBalancerArn),
      ];
    case HUB_DETAIL_TYPES.finding:
    case HUB_DETAIL_TYPES.transition:
    case HUB_DETAIL_TYPES.enrolment:
      return [event.detail.loadBalancerArn];
  }
}

function toHubEvent(detailType: string, detail: unknown): HubEvent | HubValidation {
  const parse = <T>(schema: z.core.$ZodType) => parseDetail<T>(schema, detail, detailType);
  switch (detailType) {
    case HUB_DETAIL_TYPES.heartbeat: {
      const p = parse<HeartbeatDetail>(heartbeatSchema);
      return p.ok ? { detailType, detail: p.detail } : p.refusal;
    }
    case HUB_DETAIL_TYPES.finding: {
      const p = parse<FindingDetail>(findingSchema);
      return p.ok ? { detailType, detail: p.detail } : p.refusal;
    }
    case HUB_DETAIL_TYPES.transition: {
      const p = parse<TransitionDetail>(transitionSchema);
      return p.ok ? { detailType, detail: p.detail } : p.refusal;
    }
    case HUB_DETAIL_TYPES.enrolment: {
      const p = parse<EnrolmentDetail>(enrolmentSchema);
      return p.ok ? { detailType, detail: p.detail } : p.refusal;
    }
    default:
      return refuse(
        'unknown-detail-type',
        `detail-type ${JSON.stringify(detailType.slice(0, 64))} is not one lbguard sends (${Object.values(HUB_DETAIL_TYPES).join(', ')})`,
      );
  }
}

/**
 * Validates one EventBridge event from the hub bus: the envelope, the `detail` against the shape
 * of its detail type at `HUB_EVENT_VERSION`, every load balancer ARN against the envelope's
 * account and region, and `at` against the hub's clock (`now`). Pure; never throws. A refusal
 * says why in words a person reading the log can act on. `at` is returned in canonical ISO form
 * (`toISOString`), so the table can compare it as a string.
 */
export function validateHubEvent(envelope: unknown, now: Date): HubValidation {
  const e = z.safeParse(envelopeSchema, envelope);
  if (!e.success) return refuse('malformed-envelope', `not an EventBridge event: ${firstIssue(e.error)}`);
  const { account, region, source, id } = e.data;
  if (source !== HUB_EVENT_SOURCE) {
    return refuse(
      'foreign-source',
      `source ${JSON.stringify(source.slice(0, 64))} is not ${HUB_EVENT_SOURCE}`,
    );
  }
  const detailType = e.data['detail-type'];
  const detail = e.data.detail;
  const declared =
    typeof detail === 'object' && detail !== null ? (detail as { version?: unknown }).version : undefined;
  if (Object.values<string>(HUB_DETAIL_TYPES).includes(detailType) && declared !== HUB_EVENT_VERSION) {
    return refuse(
      'unsupported-version',
      `${detailType} version ${JSON.stringify(declared) ?? 'missing'} is not ${HUB_EVENT_VERSION}; upgrade the hub before the spokes`,
    );
  }
  const event = toHubEvent(detailType, detail);
  if ('ok' in event) return event;
  const scope: Scope = { account, region };
  const foreign = arnsOf(event).find((a) => !inScope(a, scope));
  if (foreign !== undefined) {
    return refuse(
      'foreign-arn',
      `${detailType} from ${scopeKey(scope)} names ${foreign}, which is not a load balancer of ${scopeKey(scope)}`,
    );
  }
  const eventAt = new Date(event.detail.at);
  if (eventAt.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) {
    return refuse(
      'from-the-future',
      `${detailType} from ${scopeKey(scope)} is dated ${event.detail.at}, more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes after the hub's clock (${now.toISOString()}); check the spoke's clock`,
    );
  }
  const canonical = { ...event, detail: { ...event.detail, at: eventAt.toISOString() } } as HubEvent;
  return { ok: true, received: { id, account, region, event: canonical } };
}
