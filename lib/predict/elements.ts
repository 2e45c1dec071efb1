/**
 * A template's ELBv2 properties read as lbguard's snapshot elements (actions, conditions, targets,
 * health checks), every reference resolved through the `Resolver`. Only what decides routing is
 * read strictly; a health-check field that cannot be resolved is left out, since the prediction
 * does not rest on it (it keeps live health, see apply.ts).
 */
import type {
  Action,
  Condition,
  ConditionField,
  HealthCheck,
  Target,
  TargetType,
  UnhealthyStateRouting,
} from '../types.ts';
import { type Resolver, Unresolvable } from './resolve.ts';

const MIN_HEALTHY_COUNT = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count';
const MIN_HEALTHY_PERCENT = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage';

/** A listener's or rule's actions; an action type lbguard does not model cannot be predicted. */
export function readActions(r: Resolver, value: unknown, where: string): Action[] {
  return list(r, value, where).map((raw, i) => readAction(r, raw, `${where}[${i}]`));
}

function readAction(r: Resolver, raw: unknown, where: string): Action {
  const a = record(raw);
  const order = r.number(a.Order, `${where}.Order`);
  const withOrder = <T extends Action>(action: T): T => (order === undefined ? action : { ...action, order });
  const type = r.string(a.Type, `${where}.Type`);
  switch (type) {
    case 'forward': {
      const groups = list(
        r,
        obj(r, a.ForwardConfig, `${where}.ForwardConfig`).TargetGroups,
        `${where}.ForwardConfig.TargetGroups`,
      );
      const weighted = groups.map((g, i) => {
        const at = `${where}.ForwardConfig.TargetGroups[${i}]`;
        const group = record(g);
        return {
          targetGroupArn: r.string(group.TargetGroupArn, `${at}.TargetGroupArn`),
          weight: r.number(group.Weight, `${at}.Weight`) ?? 1,
        };
      });
      const targetGroups =
        weighted.length > 0 || a.TargetGroupArn === undefined
          ? weighted
          : [{ targetGroupArn: r.string(a.TargetGroupArn, `${where}.TargetGroupArn`), weight: 1 }];
      return withOrder({ type: 'forward', targetGroups });
    }
    case 'fixed-response':
      return withOrder({
        type: 'fixed-response',
        statusCode: r.string(
          obj(r, a.FixedResponseConfig, `${where}.FixedResponseConfig`).StatusCode,
          `${where}.FixedResponseConfig.StatusCode`,
        ),
      });
    case 'redirect':
      return withOrder({
        type: 'redirect',
        statusCode:
          r.string(
            obj(r, a.RedirectConfig, `${where}.RedirectConfig`).StatusCode,
            `${where}.RedirectConfig.StatusCode`,
          ) === 'HTTP_302'
            ? 'HTTP_302'
            : 'HTTP_301',
      });
    case 'authenticate-oidc':
    case 'authenticate-cognito':
    case 'jwt-validation':
      // Authentication precedes routing and does not move traffic: carried, not read.
      return withOrder({ type, config: {} });
    default:
      throw new Unresolvable(`${where}.Type`, `is ${type}, an action lbguard cannot model`);
  }
}

const CONDITION_CONFIG: Readonly<Record<ConditionField, string>> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
};

/** A rule's conditions, as `lib/snapshot.ts` writes them. */
export function readConditions(r: Resolver, value: unknown, where: string): Condition[] {
  return list(r, value, where).map((raw, i) => {
    const at = `${where}[${i}]`;
    const c = record(raw);
    const field = r.string(c.Field, `${at}.Field`);
    if (!(field in CONDITION_CONFIG))
      throw new Unresolvable(`${at}.Field`, `is ${field}, a condition lbguard cannot model`);
    const f = field as ConditionField;
    const config = obj(r, c[CONDITION_CONFIG[f]], `${at}.${CONDITION_CONFIG[f]}`);
    const raws = list(r, config.Values ?? c.Values, `${at}.Values`);
    const values =
      f === 'query-string'
        ? raws.map((kv, j) => {
            const pair = record(kv);
            const key = pair.Key === undefined ? '' : r.string(pair.Key, `${at}.Values[${j}].Key`);
            return `${key}=${r.string(pair.Value, `${at}.Values[${j}].Value`)}`;
          })
        : raws.map((v, j) => r.string(v, `${at}.Values[${j}]`));
    const header =
      config.HttpHeaderName === undefined
        ? undefined
        : r.string(config.HttpHeaderName, `${at}.HttpHeaderName`);
    return header === undefined ? { field: f, values } : { field: f, headerName: header, values };
  });
}

/** A target group's declared `Targets`: the complete set CloudFormation keeps registered. */
export function readTargets(
  r: Resolver,
  value: unknown,
  where: string,
  defaults: { readonly port?: number; readonly targetType: TargetType },
): Target[] {
  return list(r, value, where).map((raw, i) => {
    const at = `${where}[${i}]`;
    const t = record(raw);
    const port =
      r.number(t.Port, `${at}.Port`) ?? (defaults.targetType === 'lambda' ? undefined : defaults.port);
    const zone =
      t.AvailabilityZone === undefined ? undefined : r.string(t.AvailabilityZone, `${at}.AvailabilityZone`);
    return {
      id: r.string(t.Id, `${at}.Id`),
      ...(port === undefined ? {} : { port }),
      ...(zone === undefined ? {} : { availabilityZone: zone }),
    };
  });
}

/** Health-check fields the template declares (the rest keep their live or default values). */
export function readHealthCheck(
  r: Resolver,
  props: Readonly<Record<string, unknown>>,
  where: string,
): HealthCheck {
  const lenient = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof Unresolvable) return undefined;
      throw error;
    }
  };
  const str = (key: string) =>
    props[key] === undefined ? undefined : lenient(() => r.string(props[key], `${where}.${key}`));
  const num = (key: string) => lenient(() => r.number(props[key], `${where}.${key}`));
  const matcher = lenient(() => obj(r, props.Matcher, `${where}.Matcher`)) ?? {};
  const fields: [keyof HealthCheck, unknown][] = [
    ['protocol', str('HealthCheckProtocol')],
    ['port', str('HealthCheckPort')],
    ['path', str('HealthCheckPath')],
    ['intervalSeconds', num('HealthCheckIntervalSeconds')],
    ['timeoutSeconds', num('HealthCheckTimeoutSeconds')],
    ['healthyThreshold', num('HealthyThresholdCount')],
    ['unhealthyThreshold', num('UnhealthyThresholdCount')],
    [
      'matcher',
      matcher.HttpCode === undefined
        ? undefined
        : lenient(() => r.string(matcher.HttpCode, `${where}.Matcher.HttpCode`)),
    ],
  ];
  return Object.fromEntries(fields.filter(([, v]) => v !== undefined)) as HealthCheck;
}

/** ALB's minimum-healthy-targets guard, when the template sets it: it decides when a group fails open. */
export function readUnhealthyStateRouting(
  r: Resolver,
  value: unknown,
  where: string,
): UnhealthyStateRouting | undefined {
  const values = new Map<string, unknown>();
  for (const [i, raw] of list(r, value, where).entries()) {
    const a = record(raw);
    values.set(r.string(a.Key, `${where}[${i}].Key`), a.Value);
  }
  const read = (key: string) => {
    const v = values.get(key);
    return v === undefined || v === 'off' ? undefined : r.number(v, `${where}.${key}`);
  };
  const count = read(MIN_HEALTHY_COUNT);
  const percentage = read(MIN_HEALTHY_PERCENT);
  if (count === undefined && percentage === undefined) return undefined;
  return {
    ...(count === undefined ? {} : { minimumHealthyTargetsCount: count }),
    ...(percentage === undefined ? {} : { minimumHealthyTargetsPercentage: percentage }),
  };
}

/** The resolved value as a list (absent → empty). */
export function list(r: Resolver, value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  const v = r.node(value, where);
  if (!Array.isArray(v)) throw new Unresolvable(where, 'is not a list');
  return v.map((item, i) => r.node(item, `${where}[${i}]`));
}

export function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** A member that must be an object, resolved first when it is an intrinsic. */
function obj(r: Resolver, value: unknown, where: string): Readonly<Record<string, unknown>> {
  return record(r.node(value, where));
}
