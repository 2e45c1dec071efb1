import type {
  Action as SdkAction,
  Listener as SdkListener,
  Rule as SdkRule,
  RuleCondition as SdkRuleCondition,
  RuleTransform as SdkRuleTransform,
  TargetGroup as SdkTargetGroup,
  TargetHealthDescription as SdkTargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { LbGuardError } from '../../../lib/errors.ts';
import { canonicalJson } from '../../../lib/snapshot.ts';
import type {
  Action,
  Condition,
  ConditionField,
  HealthCheck,
  Listener,
  Rule,
  RuleTransform,
  Target,
  TargetGroup,
  TargetHealth,
  TargetHealthState,
  TargetType,
  UnhealthyStateRouting,
  UnrepresentedElement,
} from '../../../lib/types.ts';
import { CONDITION_FIELDS } from '../../../lib/types.ts';
import type { TargetGroupAttributes } from './ports.ts';

// SDK → lib: ELBv2's response shapes into the snapshot's types (exported for unit tests of
// shapes moto never returns).

const UNHEALTHY_COUNT_KEY = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count';
const UNHEALTHY_PERCENT_KEY =
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage';
const DNS_COUNT_KEY = 'target_group_health.dns_failover.minimum_healthy_targets.count';
const DNS_PERCENT_KEY = 'target_group_health.dns_failover.minimum_healthy_targets.percentage';
const ALGORITHM_KEY = 'load_balancing.algorithm.type';
const ANOMALY_MITIGATION_KEY = 'load_balancing.algorithm.anomaly_mitigation';
const SLOW_START_KEY = 'slow_start.duration_seconds';

export function requireField<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new LbGuardError(`ELBv2 response is missing ${field}`);
  return value;
}

/**
 * The load balancers that use a target group, by group ARN, from `DescribeTargetGroups`. ELBv2
 * always lists them, `[]` for a group none uses; a group whose list is missing is left out, so
 * that the plan treats it as unknown rather than as used by nobody. Each load balancer once:
 * moto lists one again for every action of it that forwards to the group.
 */
export function toAttachments(groups: readonly SdkTargetGroup[]): Map<string, readonly string[]> {
  return new Map(
    groups.flatMap((g) =>
      g.LoadBalancerArns === undefined
        ? []
        : [[requireField(g.TargetGroupArn, 'TargetGroupArn'), [...new Set(g.LoadBalancerArns)]] as const],
    ),
  );
}

/**
 * The elements of `items` lbguard represents; the others go to `found`, verbatim, named by
 * `label`, so that the hash still sees them and their listener is guarded read-only.
 */
function keep<S extends object, T>(
  items: readonly S[] | undefined,
  translate: (item: S) => T | undefined,
  label: (item: S) => string,
  found: UnrepresentedElement[],
): T[] {
  return (items ?? []).flatMap((item) => {
    const t = translate(item);
    if (t === undefined) found.push({ element: label(item), raw: canonicalJson(item) });
    return t === undefined ? [] : [t];
  });
}

function withUnrepresented(found: UnrepresentedElement[]): { unrepresented?: UnrepresentedElement[] } {
  return found.length === 0 ? {} : { unrepresented: found };
}

const actionLabel = (a: SdkAction) => `action type ${a.Type}`;

/** Builds a listener; the rule with `IsDefault` becomes `defaultActions` when present. */
export function toListener(l: SdkListener, sdkRules: readonly SdkRule[]): Listener {
  const defaultRule = sdkRules.find((r) => r.IsDefault === true);
  const found: UnrepresentedElement[] = [];
  const defaultActions = keep(defaultRule?.Actions ?? l.DefaultActions, toAction, actionLabel, found);
  const m = l.MutualAuthentication;
  return {
    arn: requireField(l.ListenerArn, 'ListenerArn'),
    port: requireField(l.Port, 'Port'),
    protocol: requireField(l.Protocol, 'Protocol'),
    defaultActions,
    rules: sdkRules.filter((r) => r.IsDefault !== true).map(toRule),
    // `off` is ALB's default: leaving it out keeps the hash of listeners that never had mTLS.
    ...(m?.Mode === undefined || m.Mode === 'off'
      ? {}
      : {
          mutualAuthentication: {
            mode: m.Mode,
            ...definedOnly({
              trustStoreArn: m.TrustStoreArn,
              ignoreClientCertificateExpiry: m.IgnoreClientCertificateExpiry,
            }),
          },
        }),
    ...withUnrepresented(found),
  };
}

export function toRule(r: SdkRule): Rule {
  const priority = Number(r.Priority);
  if (!Number.isInteger(priority)) throw new LbGuardError(`rule ${r.RuleArn} has priority ${r.Priority}`);
  const found: UnrepresentedElement[] = [];
  const conditions = keep(r.Conditions, toCondition, (c) => `condition field ${c.Field}`, found);
  const transforms = keep(r.Transforms, toTransform, (t) => `transform type ${t.Type}`, found);
  return {
    arn: requireField(r.RuleArn, 'RuleArn'),
    priority,
    conditions,
    actions: keep(r.Actions, toAction, actionLabel, found),
    ...(transforms.length === 0 ? {} : { transforms }),
    ...withUnrepresented(found),
  };
}

function withOrder(order: number | undefined): { order?: number } {
  return order === undefined ? {} : { order };
}

/**
 * Translates an SDK action; undefined for a type lbguard cannot represent. A forward is read from
 * `ForwardConfig` when present (weights), else from the plain `TargetGroupArn` with weight 1, the
 * shape older APIs and moto return.
 */
export function toAction(a: SdkAction): Action | undefined {
  switch (a.Type) {
    case 'forward': {
      const tuples = a.ForwardConfig?.TargetGroups;
      const targetGroups =
        tuples && tuples.length > 0
          ? tuples.map((t) => ({
              targetGroupArn: requireField(t.TargetGroupArn, 'TargetGroupArn'),
              weight: t.Weight ?? 1,
            }))
          : [{ targetGroupArn: requireField(a.TargetGroupArn, 'TargetGroupArn'), weight: 1 }];
      const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
      // Disabled stickiness is ALB's default; omitting it keeps API variations from changing the hash.
      const stickiness =
        sticky?.Enabled === true
          ? {
              stickiness: {
                enabled: true,
                ...(sticky.DurationSeconds === undefined ? {} : { durationSeconds: sticky.DurationSeconds }),
              },
            }
          : {};
      return { type: 'forward', ...withOrder(a.Order), targetGroups, ...stickiness };
    }
    case 'fixed-response': {
      const f = a.FixedResponseConfig;
      return {
        type: 'fixed-response',
        ...withOrder(a.Order),
        statusCode: requireField(f?.StatusCode, 'FixedResponseConfig.StatusCode'),
        ...(f?.ContentType === undefined ? {} : { contentType: f.ContentType }),
        ...(f?.MessageBody === undefined ? {} : { messageBody: f.MessageBody }),
      };
    }
    case 'redirect': {
      const r = a.RedirectConfig;
      const optional = {
        protocol: r?.Protocol,
        host: r?.Host,
        port: r?.Port,
        path: r?.Path,
        query: r?.Query,
      };
      return {
        type: 'redirect',
        ...withOrder(a.Order),
        statusCode: requireField(r?.StatusCode, 'RedirectConfig.StatusCode'),
        ...definedOnly(optional),
      };
    }
    case 'authenticate-oidc': {
      // Never keep a client secret in a snapshot; the writer asks ALB to keep the existing one.
      const {
        ClientSecret: _secret,
        UseExistingClientSecret: _keep,
        ...config
      } = a.AuthenticateOidcConfig ?? {};
      return { type: 'authenticate-oidc', ...withOrder(a.Order), config: definedOnly(config) };
    }
    case 'authenticate-cognito':
      return {
        type: 'authenticate-cognito',
        ...withOrder(a.Order),
        config: definedOnly({ ...(a.AuthenticateCognitoConfig ?? {}) }),
      };
    case 'jwt-validation':
      return {
        type: 'jwt-validation',
        ...withOrder(a.Order),
        config: definedOnly({ ...(a.JwtValidationConfig ?? {}) }),
      };
    default:
      // A type added after this code: dropping it silently could later "restore" a rule without
      // it, so the caller keeps it verbatim and guards its listener read-only.
      return undefined;
  }
}

const CONDITION_FIELD_SET: ReadonlySet<string> = new Set<ConditionField>(CONDITION_FIELDS);

/** Regular expressions a condition carries, for the fields that accept them. */
function regexOf(c: SdkRuleCondition): { regexValues?: string[] } {
  const regex =
    c.HostHeaderConfig?.RegexValues ??
    c.PathPatternConfig?.RegexValues ??
    c.HttpHeaderConfig?.RegexValues ??
    c.RegexValues;
  return regex === undefined || regex.length === 0 ? {} : { regexValues: regex };
}

/**
 * Translates a condition from either its legacy `Values` or its `*Config` form; undefined for a
 * field lbguard does not know, or regular expressions on a field that does not take them.
 */
export function toCondition(c: SdkRuleCondition): Condition | undefined {
  const field = c.Field ?? '';
  if (!CONDITION_FIELD_SET.has(field)) return undefined;
  const regex = regexOf(c);
  switch (field as ConditionField) {
    case 'host-header':
      return { field: 'host-header', values: c.HostHeaderConfig?.Values ?? c.Values ?? [], ...regex };
    case 'path-pattern':
      return { field: 'path-pattern', values: c.PathPatternConfig?.Values ?? c.Values ?? [], ...regex };
    case 'http-header':
      return {
        field: 'http-header',
        headerName: requireField(c.HttpHeaderConfig?.HttpHeaderName, 'HttpHeaderConfig.HttpHeaderName'),
        values: c.HttpHeaderConfig?.Values ?? c.Values ?? [],
        ...regex,
      };
  }
  if (regex.regexValues !== undefined) return undefined;
  switch (field as Exclude<ConditionField, 'host-header' | 'path-pattern' | 'http-header'>) {
    case 'http-request-method':
      return { field: 'http-request-method', values: c.HttpRequestMethodConfig?.Values ?? c.Values ?? [] };
    case 'query-string':
      return {
        field: 'query-string',
        values: (c.QueryStringConfig?.Values ?? []).map((kv) => `${kv.Key ?? ''}=${kv.Value ?? ''}`),
      };
    case 'source-ip':
      return { field: 'source-ip', values: c.SourceIpConfig?.Values ?? c.Values ?? [] };
  }
}

/** Translates a rule transform; undefined for a type lbguard does not know. */
export function toTransform(t: SdkRuleTransform): RuleTransform | undefined {
  const config =
    t.Type === 'host-header-rewrite'
      ? t.HostHeaderRewriteConfig
      : t.Type === 'url-rewrite'
        ? t.UrlRewriteConfig
        : undefined;
  if (config === undefined) return undefined;
  return {
    type: t.Type as RuleTransform['type'],
    rewrites: (config.Rewrites ?? []).map((w) => ({
      regex: requireField(w.Regex, 'Rewrites.Regex'),
      replace: requireField(w.Replace, 'Rewrites.Replace'),
    })),
  };
}

const TARGET_TYPES: ReadonlySet<string> = new Set<TargetType>(['instance', 'ip', 'lambda', 'alb']);

/**
 * Translates a target group. Registered targets are those DescribeTargetHealth lists, minus
 * targets on their way out (`draining`, `unused`/`Target.NotRegistered`): they take no new
 * requests, so for routing they are already gone.
 */
export function toTargetGroup(
  g: SdkTargetGroup,
  descriptions: readonly SdkTargetHealthDescription[],
  attributes?: ReadonlyMap<string, string>,
): TargetGroup {
  const targetType = g.TargetType ?? 'instance';
  if (!TARGET_TYPES.has(targetType)) throw new LbGuardError(`unsupported target type ${targetType}`);
  const healthCheck: HealthCheck = definedOnly({
    protocol: g.HealthCheckProtocol,
    port: g.HealthCheckPort,
    path: g.HealthCheckPath,
    intervalSeconds: g.HealthCheckIntervalSeconds,
    timeoutSeconds: g.HealthCheckTimeoutSeconds,
    healthyThreshold: g.HealthyThresholdCount,
    unhealthyThreshold: g.UnhealthyThresholdCount,
    matcher: g.Matcher?.HttpCode ?? g.Matcher?.GrpcCode,
  });
  const targets: Target[] = descriptions.filter(isRegistered).map((d) => ({
    id: requireField(d.Target?.Id, 'Target.Id'),
    ...definedOnly({ port: d.Target?.Port, availabilityZone: d.Target?.AvailabilityZone }),
  }));
  return {
    arn: requireField(g.TargetGroupArn, 'TargetGroupArn'),
    name: requireField(g.TargetGroupName, 'TargetGroupName'),
    ...definedOnly({ protocol: g.Protocol, port: g.Port, targetControlPort: g.TargetControlPort }),
    targetType: targetType as TargetType,
    healthCheck,
    targets,
    ...(attributes ? toTargetGroupAttributes(attributes) : {}),
  };
}

/**
 * The failover minimums, the algorithm and the rest of the load balancer's intent, from
 * `DescribeTargetGroupAttributes` key/values. Settings at ALB's default are left out, so a group
 * read before lbguard knew them hashes the same.
 */
export function toTargetGroupAttributes(a: ReadonlyMap<string, string>): TargetGroupAttributes {
  const dns = toMinimums(a, DNS_COUNT_KEY, DNS_PERCENT_KEY);
  const slowStart = Number.parseInt(a.get(SLOW_START_KEY) ?? '', 10);
  const type = a.get('stickiness.type') ?? 'lb_cookie';
  const duration = Number.parseInt(a.get(`stickiness.${type}.duration_seconds`) ?? '', 10);
  return definedOnly({
    unhealthyStateRouting: toMinimums(a, UNHEALTHY_COUNT_KEY, UNHEALTHY_PERCENT_KEY),
    // ALB's DNS default is count 1, percentage off: only a departure from it is a setting.
    dnsFailover:
      dns?.minimumHealthyTargetsCount === 1 && dns.minimumHealthyTargetsPercentage === undefined
        ? undefined
        : dns,
    loadBalancingAlgorithm: a.get(ALGORITHM_KEY),
    anomalyMitigation: a.get(ANOMALY_MITIGATION_KEY) === 'on' ? (true as const) : undefined,
    slowStartSeconds: slowStart > 0 ? slowStart : undefined,
    stickiness:
      a.get('stickiness.enabled') === 'true'
        ? { type, ...(Number.isFinite(duration) ? { durationSeconds: duration } : {}) }
        : undefined,
  });
}

function isRegistered(d: SdkTargetHealthDescription): boolean {
  const state = d.TargetHealth?.State;
  if (state === 'draining' || state === 'unhealthy.draining') return false;
  return !(state === 'unused' && d.TargetHealth?.Reason === 'Target.NotRegistered');
}

function toMinimums(
  attributes: ReadonlyMap<string, string>,
  countKey: string,
  percentKey: string,
): UnhealthyStateRouting | undefined {
  const count = Number.parseInt(attributes.get(countKey) ?? '', 10);
  // ALB writes "off" when a guard is disabled.
  const percent = Number.parseInt(attributes.get(percentKey) ?? '', 10);
  const out = {
    ...(Number.isFinite(count) ? { minimumHealthyTargetsCount: count } : {}),
    ...(Number.isFinite(percent) ? { minimumHealthyTargetsPercentage: percent } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

const HEALTH_STATES: ReadonlySet<string> = new Set<TargetHealthState>([
  'initial',
  'healthy',
  'unhealthy',
  'unhealthy.draining',
  'unused',
  'draining',
  'unavailable',
]);

export function toTargetHealth(targetGroupArn: string, d: SdkTargetHealthDescription): TargetHealth {
  const raw = d.TargetHealth?.State ?? 'unavailable';
  const state = (HEALTH_STATES.has(raw) ? raw : 'unavailable') as TargetHealthState;
  return {
    targetGroupArn,
    targetId: requireField(d.Target?.Id, 'Target.Id'),
    state,
    ...definedOnly({
      port: d.Target?.Port,
      reason: d.TargetHealth?.Reason,
      description: d.TargetHealth?.Description,
    }),
    ...(d.AnomalyDetection?.Result === undefined
      ? {}
      : {
          anomaly: {
            result: d.AnomalyDetection.Result,
            mitigationInEffect: d.AnomalyDetection.MitigationInEffect === 'yes',
          },
        }),
  };
}

/** Drops keys whose value is undefined, as `exactOptionalPropertyTypes` requires. */
export function definedOnly<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
