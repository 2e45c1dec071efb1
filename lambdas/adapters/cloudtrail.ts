import type { ConfigChange } from '../../lib/types.ts';

// Translates the `detail` of an EventBridge "AWS API Call via CloudTrail" event for ELBv2 into
// the ConfigChange that diagnosis evidence quotes ("ModifyListener by role deploy-pipeline at …").
// Typed over plain interfaces: inspect validates the event with its own schema first.

// Optional fields admit `undefined` so that the event schema's own output type
// (`CloudTrailElbv2Event['detail']`, zod types optional fields as `T | undefined`) is accepted as
// it is, without a cast.
export interface CloudTrailUserIdentity {
  readonly type?: string | undefined;
  readonly arn?: string | undefined;
  readonly userName?: string | undefined;
  readonly accountId?: string | undefined;
  readonly invokedBy?: string | undefined;
  readonly sessionContext?:
    | {
        readonly sessionIssuer?:
          | {
              readonly type?: string | undefined;
              readonly userName?: string | undefined;
              readonly arn?: string | undefined;
            }
          | undefined;
      }
    | undefined;
}

export interface CloudTrailEventDetail {
  readonly eventSource?: string | undefined;
  readonly eventName: string;
  readonly eventTime: string;
  readonly userIdentity?: CloudTrailUserIdentity | undefined;
  readonly sourceIPAddress?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly requestParameters?: Readonly<Record<string, unknown>> | null | undefined;
  readonly responseElements?: Readonly<Record<string, unknown>> | null | undefined;
  readonly errorCode?: string | undefined;
}

export type CloudTrailTranslation =
  | { readonly kind: 'change'; readonly change: ConfigChange }
  | { readonly kind: 'ignored'; readonly reason: string };

const ELBV2_SOURCE = 'elasticloadbalancing.amazonaws.com';
/** Calls that only read; they change nothing, whatever EventBridge rule let them through. */
const READ_ONLY = /^(Describe|Get|List)/;

/**
 * A readable name for who made a call: `role deploy-pipeline`, `user alice`,
 * `user alice@example.com (SSO AdministratorAccess)`, `root`, `service autoscaling.amazonaws.com`.
 */
export function describePrincipal(identity: CloudTrailUserIdentity | undefined): string {
  if (!identity) return 'unknown principal';
  const arn = identity.arn ?? '';
  switch (identity.type) {
    case 'AssumedRole': {
      // arn:aws:sts::123456789012:assumed-role/<role>/<session>
      const [, role, session] = (arn.split(':')[5] ?? '').split('/');
      const roleName = identity.sessionContext?.sessionIssuer?.userName ?? role ?? 'unknown';
      // IAM Identity Center roles are shared by everyone with the permission set; the session is the person.
      const sso = /^AWSReservedSSO_(.+)_[0-9a-f]+$/.exec(roleName);
      if (sso && session) return `user ${session} (SSO ${sso[1]})`;
      return `role ${roleName}`;
    }
    case 'IAMUser':
      return `user ${identity.userName ?? arn.split('/').pop() ?? 'unknown'}`;
    case 'Root':
      return 'root';
    case 'AWSService':
      return `service ${identity.invokedBy ?? 'unknown'}`;
    case 'FederatedUser':
      return `federated user ${arn.split('/').pop() ?? 'unknown'}`;
    default:
      return arn !== '' ? arn : (identity.type ?? 'unknown principal');
  }
}

const ARN_KEYS = ['loadBalancerArn', 'listenerArn', 'ruleArn', 'targetGroupArn'] as const;
const ARN_LIST_KEYS = [
  'resourceArns',
  'loadBalancerArns',
  'listenerArns',
  'ruleArns',
  'targetGroupArns',
] as const;

/** ARNs a call touched: named parameters, lists, rule priorities, and what a Create* returned. */
export function touchedResources(detail: CloudTrailEventDetail): string[] {
  const found = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v.startsWith('arn:')) found.add(v);
  };
  const fromObject = (o: Readonly<Record<string, unknown>> | null | undefined) => {
    if (!o) return;
    for (const k of ARN_KEYS) add(o[k]);
    for (const k of ARN_LIST_KEYS) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach(add);
  };
  const req = detail.requestParameters;
  fromObject(req);
  if (Array.isArray(req?.rulePriorities)) {
    for (const p of req.rulePriorities as unknown[])
      if (p && typeof p === 'object') fromObject(p as Record<string, unknown>);
  }
  // CreateRule/CreateListener/CreateTargetGroup return the new resource in responseElements.
  for (const key of ['rules', 'listeners', 'targetGroups']) {
    const list = detail.responseElements?.[key];
    if (Array.isArray(list))
      for (const o of list) if (o && typeof o === 'object') fromObject(o as Record<string, unknown>);
  }
  return [...found];
}

/**
 * The ConfigChange an ELBv2 CloudTrail event records, or why it records none (another service,
 * a read-only call, a call that failed and so changed nothing).
 */
export function translateCloudTrailEvent(detail: CloudTrailEventDetail): CloudTrailTranslation {
  if (detail.eventSource !== undefined && detail.eventSource !== ELBV2_SOURCE) {
    return { kind: 'ignored', reason: `event from ${detail.eventSource}, not ELBv2` };
  }
  if (READ_ONLY.test(detail.eventName))
    return { kind: 'ignored', reason: `${detail.eventName} changes nothing` };
  if (detail.errorCode !== undefined) {
    return { kind: 'ignored', reason: `${detail.eventName} failed with ${detail.errorCode}` };
  }
  const at = Date.parse(detail.eventTime);
  if (Number.isNaN(at)) return { kind: 'ignored', reason: `eventTime ${detail.eventTime} is not a time` };
  const identity = detail.userIdentity;
  const principalArn = identity?.arn;
  // Kept so remediate can tell a deployment service's change (lib/owners.ts) from a person's.
  const via = {
    invokedBy: identity?.invokedBy,
    userAgent: detail.userAgent,
    sessionIssuerArn: identity?.sessionContext?.sessionIssuer?.arn,
  };
  return {
    kind: 'change',
    change: {
      eventName: detail.eventName,
      principal: describePrincipal(detail.userIdentity),
      ...(principalArn === undefined ? {} : { principalArn }),
      ...(detail.sourceIPAddress === undefined ? {} : { sourceIp: detail.sourceIPAddress }),
      ...Object.fromEntries(Object.entries(via).filter(([, v]) => v !== undefined)),
      at: new Date(at).toISOString(),
      resources: touchedResources(detail),
    },
  };
}
