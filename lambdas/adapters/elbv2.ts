import {
  CreateRuleCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  paginateDescribeListeners,
  paginateDescribeRules,
  paginateDescribeTargetGroups,
  RegisterTargetsCommand,
  type Action as SdkAction,
  type Listener as SdkListener,
  type Rule as SdkRule,
  type RuleCondition as SdkRuleCondition,
  type TargetGroup as SdkTargetGroup,
  type TargetHealthDescription as SdkTargetHealthDescription,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsApiError, LbGuardError } from '../../lib/errors.ts';
import { normaliseSnapshot, normaliseTargetGroup } from '../../lib/snapshot.ts';
import type {
  Action,
  Condition,
  ConditionField,
  HealthCheck,
  LbSnapshot,
  Listener,
  PlanStep,
  Rule,
  Target,
  TargetGroup,
  TargetHealth,
  TargetHealthState,
  TargetType,
  UnhealthyStateRouting,
} from '../../lib/types.ts';
import { mapBounded } from './map-bounded.ts';

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/** Configuration plus target health of one load balancer, read in one cycle. */
export interface LoadBalancerState {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
}

/** Reads what decides routing. */
export interface LoadBalancerReader {
  /** `listenerArns` narrows the snapshot to the listeners a service guards; default all. */
  readSnapshot(
    loadBalancerArn: string,
    listenerArns?: readonly string[],
    options?: ReadSnapshotOptions,
  ): Promise<LoadBalancerState>;
}

/** Target groups described by ARN, with the health of their registered targets. */
export interface DescribedTargetGroups {
  readonly groups: readonly TargetGroup[];
  readonly health: readonly TargetHealth[];
}

/** What `DescribeTargetGroupAttributes` contributes to a target group. */
export type TargetGroupAttributes = Pick<TargetGroup, 'unhealthyStateRouting' | 'loadBalancingAlgorithm'>;

export interface ReadSnapshotOptions {
  /**
   * Attributes already known, by target group ARN (from the latest stored snapshot). Groups in
   * the map are not asked for their attributes; groups missing from it are. Attributes change
   * rarely, and a `ModifyTargetGroupAttributes` wakes inspect to re-read them, so reading them
   * for every group every cycle would double the calls for nothing.
   */
  readonly knownAttributes?: ReadonlyMap<string, TargetGroupAttributes>;
}

export interface AppliedStep {
  readonly op: PlanStep['op'];
  /** ARN of the rule a `CreateRule` step created. */
  readonly ruleArn?: string;
  /**
   * RegisterTargets: targets ELBv2 refused as invalid (an instance terminated since last known
   * good). The others were registered: one dead target must not keep the live ones out.
   */
  readonly skippedTargets?: readonly Target[];
}

/** Applies one plan step. There is deliberately no way to deregister or delete anything. */
export interface LoadBalancerWriter {
  apply(step: PlanStep): Promise<AppliedStep>;
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

export interface Elbv2ReaderOptions {
  /** Per-target-group calls in flight at once. Default 4. */
  readonly concurrency?: number;
  /**
   * Read `DescribeTargetGroupAttributes` for the single-survivor guard and the algorithm. One
   * extra free `Describe*` call per target group whose attributes the caller does not already
   * know (`ReadSnapshotOptions.knownAttributes`); default true, because a missing guard is
   * exactly what turns N−1 failed health checks into an outage.
   */
  readonly readAttributes?: boolean;
}

/** The attributes of a known group, keeping only the fields a snapshot holds. */
function copyAttributes(known: TargetGroupAttributes): TargetGroupAttributes {
  return {
    ...(known.unhealthyStateRouting === undefined
      ? {}
      : { unhealthyStateRouting: known.unhealthyStateRouting }),
    ...(known.loadBalancingAlgorithm === undefined
      ? {}
      : { loadBalancingAlgorithm: known.loadBalancingAlgorithm }),
  };
}

const DESCRIBE_TARGET_GROUPS_MAX_ARNS = 20;
const UNHEALTHY_COUNT_KEY = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count';
const UNHEALTHY_PERCENT_KEY =
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage';
const ALGORITHM_KEY = 'load_balancing.algorithm.type';

/**
 * Reads a load balancer through ELBv2 `Describe*` calls only (free of charge, so affordable every
 * minute): listeners, rules per listener, target groups, and one `DescribeTargetHealth` per group,
 * which gives the registered targets and their health together. Never one call per target.
 */
export class Elbv2LoadBalancerReader implements LoadBalancerReader {
  readonly #client: ElasticLoadBalancingV2Client;
  readonly #concurrency: number;
  readonly #readAttributes: boolean;

  constructor(client: ElasticLoadBalancingV2Client, options: Elbv2ReaderOptions = {}) {
    this.#client = client;
    this.#concurrency = options.concurrency ?? 4;
    this.#readAttributes = options.readAttributes ?? true;
  }

  async readSnapshot(
    loadBalancerArn: string,
    listenerArns?: readonly string[],
    options: ReadSnapshotOptions = {},
  ): Promise<LoadBalancerState> {
    const wanted = listenerArns ? new Set(listenerArns) : undefined;
    const sdkListeners = (await this.#describeListeners(loadBalancerArn)).filter(
      (l) => wanted === undefined || (l.ListenerArn !== undefined && wanted.has(l.ListenerArn)),
    );
    const listeners = await mapBounded(sdkListeners, this.#concurrency, async (l) =>
      toListener(l, await this.#describeRules(requireField(l.ListenerArn, 'ListenerArn'))),
    );

    const referenced = referencedTargetGroupArns(listeners);
    const attached = await this.#describeTargetGroupsOf(loadBalancerArn);
    const byArn = new Map(attached.map((g) => [requireField(g.TargetGroupArn, 'TargetGroupArn'), g]));
    // A group a listener forwarded to when read, detached by a deployment since.
    const missing = [...referenced].filter((arn) => !byArn.has(arn));
    for (const g of await this.#describeTargetGroupsByArn(missing)) {
      byArn.set(requireField(g.TargetGroupArn, 'TargetGroupArn'), g);
    }
    // Narrowed to some listeners: only their groups. Otherwise every group attached to the LB.
    const groups = [...byArn.values()].filter(
      (g) => wanted === undefined || referenced.has(requireField(g.TargetGroupArn, 'TargetGroupArn')),
    );

    const read = await this.#readGroups(groups, options.knownAttributes);
    return {
      snapshot: normaliseSnapshot({ loadBalancerArn, listeners, targetGroups: [...read.groups] }),
      health: read.health,
    };
  }

  /**
   * Describes target groups by ARN whether or not a listener forwards to them: last known good's
   * groups that no listener references any more. A deployment that drops a group from every
   * action detaches it from the load balancer, so `readSnapshot` does not see it; without it,
   * drift would read "group removed" instead of "weights changed" and no plan could point
   * traffic back at it. Groups since deleted are skipped, not fatal: drift reports them.
   */
  async describeTargetGroups(
    targetGroupArns: readonly string[],
    options: ReadSnapshotOptions = {},
  ): Promise<DescribedTargetGroups> {
    // One call per group, not per chunk: they are few, and a deleted one is common here (that is
    // often why a group left the load balancer), which would cost a chunk call for nothing.
    const found = await mapBounded([...new Set(targetGroupArns)], this.#concurrency, (arn) =>
      this.#describeTargetGroupChunk([arn]),
    );
    const read = await this.#readGroups(found.flat(), options.knownAttributes);
    // In the order readSnapshot gives them, so a described group equals the same group read.
    return { ...read, groups: read.groups.map(normaliseTargetGroup) };
  }

  /** Registered targets, their health and (unless known) the attributes of each group. */
  async #readGroups(
    sdkGroups: readonly SdkTargetGroup[],
    known: ReadonlyMap<string, TargetGroupAttributes> | undefined,
  ): Promise<DescribedTargetGroups> {
    const perGroup = await mapBounded(sdkGroups, this.#concurrency, async (g) => {
      const arn = requireField(g.TargetGroupArn, 'TargetGroupArn');
      // One after the other, so `concurrency` bounds the calls in flight, not the groups.
      const descriptions = await this.#describeTargetHealth(arn);
      const health = descriptions.map((d) => toTargetHealth(arn, d));
      const knownHere = known?.get(arn);
      if (knownHere !== undefined) {
        return { group: { ...toTargetGroup(g, descriptions), ...copyAttributes(knownHere) }, health };
      }
      const attributes = this.#readAttributes ? await this.#describeAttributes(arn) : undefined;
      return { group: toTargetGroup(g, descriptions, attributes), health };
    });
    return { groups: perGroup.map((p) => p.group), health: perGroup.flatMap((p) => p.health) };
  }

  async #describeListeners(loadBalancerArn: string): Promise<SdkListener[]> {
    return call('DescribeListeners', async () => {
      const out: SdkListener[] = [];
      for await (const page of paginateDescribeListeners(
        { client: this.#client },
        { LoadBalancerArn: loadBalancerArn },
      )) {
        out.push(...(page.Listeners ?? []));
      }
      return out;
    });
  }

  async #describeRules(listenerArn: string): Promise<SdkRule[]> {
    return call('DescribeRules', async () => {
      const out: SdkRule[] = [];
      for await (const page of paginateDescribeRules(
        { client: this.#client },
        { ListenerArn: listenerArn },
      )) {
        out.push(...(page.Rules ?? []));
      }
      return out;
    });
  }

  async #describeTargetGroupsOf(loadBalancerArn: string): Promise<SdkTargetGroup[]> {
    return call('DescribeTargetGroups', async () => {
      const out: SdkTargetGroup[] = [];
      for await (const page of paginateDescribeTargetGroups(
        { client: this.#client },
        { LoadBalancerArn: loadBalancerArn },
      )) {
        out.push(...(page.TargetGroups ?? []));
      }
      return out;
    });
  }

  async #describeTargetGroupsByArn(arns: readonly string[]): Promise<SdkTargetGroup[]> {
    const out: SdkTargetGroup[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_TARGET_GROUPS_MAX_ARNS) {
      const chunk = arns.slice(i, i + DESCRIBE_TARGET_GROUPS_MAX_ARNS);
      out.push(...(await this.#describeTargetGroupChunk(chunk)));
    }
    return out;
  }

  /** One call per chunk; only when a group in it was deleted, one call per group to skip it. */
  async #describeTargetGroupChunk(chunk: readonly string[]): Promise<SdkTargetGroup[]> {
    try {
      const page = await this.#client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...chunk] }));
      return page.TargetGroups ?? [];
    } catch (cause) {
      if (!isTargetGroupNotFound(cause)) throw new AwsApiError('DescribeTargetGroups', { cause });
      if (chunk.length === 1) return [];
      const singles = await mapBounded(chunk, this.#concurrency, (arn) =>
        this.#describeTargetGroupChunk([arn]),
      );
      return singles.flat();
    }
  }

  async #describeTargetHealth(targetGroupArn: string): Promise<SdkTargetHealthDescription[]> {
    const out = await call('DescribeTargetHealth', () =>
      this.#client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
    );
    return out.TargetHealthDescriptions ?? [];
  }

  async #describeAttributes(targetGroupArn: string): Promise<ReadonlyMap<string, string>> {
    const out = await call('DescribeTargetGroupAttributes', () =>
      this.#client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn })),
    );
    return new Map(
      (out.Attributes ?? []).flatMap((a) => (a.Key && a.Value !== undefined ? [[a.Key, a.Value]] : [])),
    );
  }
}

function isInvalidTarget(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return name === 'InvalidTargetException' || name === 'InvalidTarget';
}

function isTargetGroupNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name ?? '';
  return name === 'TargetGroupNotFoundException' || name === 'TargetGroupNotFound';
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (cause instanceof LbGuardError) throw cause;
    throw new AwsApiError(operation, { cause });
  }
}

function requireField<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new LbGuardError(`ELBv2 response is missing ${field}`);
  return value;
}

function referencedTargetGroupArns(listeners: readonly Listener[]): Set<string> {
  const arns = new Set<string>();
  for (const l of listeners) {
    for (const a of [...l.defaultActions, ...l.rules.flatMap((r) => r.actions)]) {
      if (a.type === 'forward') for (const tg of a.targetGroups) arns.add(tg.targetGroupArn);
    }
  }
  return arns;
}

// ---------------------------------------------------------------------------------------------
// SDK → lib translation (exported for unit tests of shapes moto never returns)
// ---------------------------------------------------------------------------------------------

/** Builds a listener; the rule with `IsDefault` becomes `defaultActions` when present. */
export function toListener(l: SdkListener, sdkRules: readonly SdkRule[]): Listener {
  const defaultRule = sdkRules.find((r) => r.IsDefault === true);
  const defaultActions = (defaultRule?.Actions ?? l.DefaultActions ?? []).map(toAction);
  return {
    arn: requireField(l.ListenerArn, 'ListenerArn'),
    port: requireField(l.Port, 'Port'),
    protocol: requireField(l.Protocol, 'Protocol'),
    defaultActions,
    rules: sdkRules.filter((r) => r.IsDefault !== true).map(toRule),
  };
}

export function toRule(r: SdkRule): Rule {
  const priority = Number(r.Priority);
  if (!Number.isInteger(priority)) throw new LbGuardError(`rule ${r.RuleArn} has priority ${r.Priority}`);
  return {
    arn: requireField(r.RuleArn, 'RuleArn'),
    priority,
    conditions: (r.Conditions ?? []).map(toCondition),
    actions: (r.Actions ?? []).map(toAction),
  };
}

function withOrder(order: number | undefined): { order?: number } {
  return order === undefined ? {} : { order };
}

/**
 * Translates an SDK action. A forward is read from `ForwardConfig` when present (weights), else
 * from the plain `TargetGroupArn` with weight 1, the shape older APIs and moto return.
 */
export function toAction(a: SdkAction): Action {
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
    default:
      // jwt-validation and anything newer cannot be represented faithfully; a snapshot that
      // silently dropped an auth action could later be "restored" without it.
      throw new LbGuardError(`unsupported ELBv2 action type ${a.Type}`);
  }
}

const CONDITION_FIELDS: ReadonlySet<string> = new Set<ConditionField>([
  'host-header',
  'path-pattern',
  'http-header',
  'http-request-method',
  'query-string',
  'source-ip',
]);

/** Translates a condition from either its legacy `Values` or its `*Config` form. */
export function toCondition(c: SdkRuleCondition): Condition {
  const field = c.Field ?? '';
  if (!CONDITION_FIELDS.has(field)) throw new LbGuardError(`unsupported ELBv2 condition field ${field}`);
  const regex = [
    c.HostHeaderConfig?.RegexValues,
    c.HttpHeaderConfig?.RegexValues,
    c.PathPatternConfig?.RegexValues,
  ];
  if (regex.some((r) => r !== undefined && r.length > 0)) {
    // Regex matching cannot be carried in `values` without being mistaken for a wildcard.
    throw new LbGuardError(`unsupported ELBv2 ${field} condition with RegexValues`);
  }
  switch (field as ConditionField) {
    case 'host-header':
      return { field: 'host-header', values: c.HostHeaderConfig?.Values ?? c.Values ?? [] };
    case 'path-pattern':
      return { field: 'path-pattern', values: c.PathPatternConfig?.Values ?? c.Values ?? [] };
    case 'http-header':
      return {
        field: 'http-header',
        headerName: requireField(c.HttpHeaderConfig?.HttpHeaderName, 'HttpHeaderConfig.HttpHeaderName'),
        values: c.HttpHeaderConfig?.Values ?? c.Values ?? [],
      };
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
    ...definedOnly({ protocol: g.Protocol, port: g.Port }),
    targetType: targetType as TargetType,
    healthCheck,
    targets,
    ...(attributes ? toTargetGroupAttributes(attributes) : {}),
  };
}

/** The single-survivor guard and the algorithm, from `DescribeTargetGroupAttributes` key/values. */
export function toTargetGroupAttributes(attributes: ReadonlyMap<string, string>): TargetGroupAttributes {
  const unhealthyStateRouting = toUnhealthyStateRouting(attributes);
  const algorithm = attributes.get(ALGORITHM_KEY);
  return {
    ...(unhealthyStateRouting === undefined ? {} : { unhealthyStateRouting }),
    ...(algorithm === undefined ? {} : { loadBalancingAlgorithm: algorithm }),
  };
}

function isRegistered(d: SdkTargetHealthDescription): boolean {
  const state = d.TargetHealth?.State;
  if (state === 'draining' || state === 'unhealthy.draining') return false;
  return !(state === 'unused' && d.TargetHealth?.Reason === 'Target.NotRegistered');
}

function toUnhealthyStateRouting(attributes: ReadonlyMap<string, string>): UnhealthyStateRouting | undefined {
  const count = Number.parseInt(attributes.get(UNHEALTHY_COUNT_KEY) ?? '', 10);
  // ALB writes "off" when the percentage guard is disabled.
  const percent = Number.parseInt(attributes.get(UNHEALTHY_PERCENT_KEY) ?? '', 10);
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
  };
}

/** Drops keys whose value is undefined, as `exactOptionalPropertyTypes` requires. */
function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

// ---------------------------------------------------------------------------------------------
// lib → SDK translation and the writer
// ---------------------------------------------------------------------------------------------

/** Always writes `ForwardConfig` with explicit weights, the form that expresses every forward. */
export function toSdkAction(a: Action): SdkAction {
  const order = a.order === undefined ? {} : { Order: a.order };
  switch (a.type) {
    case 'forward':
      return {
        Type: 'forward',
        ...order,
        ForwardConfig: {
          TargetGroups: a.targetGroups.map((tg) => ({
            TargetGroupArn: tg.targetGroupArn,
            Weight: tg.weight,
          })),
          ...(a.stickiness
            ? {
                TargetGroupStickinessConfig: {
                  Enabled: a.stickiness.enabled,
                  ...(a.stickiness.durationSeconds === undefined
                    ? {}
                    : { DurationSeconds: a.stickiness.durationSeconds }),
                },
              }
            : {}),
        },
      };
    case 'fixed-response':
      return {
        Type: 'fixed-response',
        ...order,
        FixedResponseConfig: {
          StatusCode: a.statusCode,
          ...definedOnly({ ContentType: a.contentType, MessageBody: a.messageBody }),
        },
      };
    case 'redirect':
      return {
        Type: 'redirect',
        ...order,
        RedirectConfig: {
          StatusCode: a.statusCode,
          ...definedOnly({ Protocol: a.protocol, Host: a.host, Port: a.port, Path: a.path, Query: a.query }),
        },
      };
    case 'authenticate-oidc':
      return {
        Type: 'authenticate-oidc',
        ...order,
        // The snapshot never holds the secret, so ALB must keep the one it has.
        AuthenticateOidcConfig: {
          ...a.config,
          UseExistingClientSecret: true,
        } as SdkAction['AuthenticateOidcConfig'],
      };
    case 'authenticate-cognito':
      return {
        Type: 'authenticate-cognito',
        ...order,
        AuthenticateCognitoConfig: { ...a.config } as unknown as SdkAction['AuthenticateCognitoConfig'],
      };
  }
}

/** Always writes the `*Config` form, the only one that expresses headers, methods, queries and IPs. */
export function toSdkCondition(c: Condition): SdkRuleCondition {
  const values = [...c.values];
  switch (c.field) {
    case 'host-header':
      return { Field: c.field, HostHeaderConfig: { Values: values } };
    case 'path-pattern':
      return { Field: c.field, PathPatternConfig: { Values: values } };
    case 'http-header':
      return { Field: c.field, HttpHeaderConfig: { HttpHeaderName: c.headerName ?? '', Values: values } };
    case 'http-request-method':
      return { Field: c.field, HttpRequestMethodConfig: { Values: values } };
    case 'query-string':
      return {
        Field: c.field,
        QueryStringConfig: {
          Values: values.map((v) => {
            const eq = v.indexOf('=');
            if (eq < 0) return { Value: v };
            const key = v.slice(0, eq);
            return key === '' ? { Value: v.slice(eq + 1) } : { Key: key, Value: v.slice(eq + 1) };
          }),
        },
      };
    case 'source-ip':
      return { Field: c.field, SourceIpConfig: { Values: values } };
  }
}

/**
 * Applies plan steps with the ELBv2 calls of the same name. Each is idempotent against ALB
 * except `CreateRule`, whose retry fails with `PriorityInUse`; the caller re-reads and re-plans
 * under its lock, which is why steps are applied one at a time rather than batched.
 */
export class Elbv2LoadBalancerWriter implements LoadBalancerWriter {
  readonly #client: ElasticLoadBalancingV2Client;

  constructor(client: ElasticLoadBalancingV2Client) {
    this.#client = client;
  }

  /**
   * One call for the whole group; only when ELBv2 refuses a target as invalid, one call per target
   * so the valid ones still get registered. Returns the targets refused.
   */
  async #registerTargets(targetGroupArn: string, targets: readonly Target[]): Promise<Target[]> {
    const send = (batch: readonly Target[]) =>
      this.#client.send(
        new RegisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: batch.map((t) => ({
            Id: t.id,
            ...definedOnly({ Port: t.port, AvailabilityZone: t.availabilityZone }),
          })),
        }),
      );
    try {
      await send(targets);
      return [];
    } catch (cause) {
      if (!isInvalidTarget(cause)) throw new AwsApiError('RegisterTargets', { cause });
    }
    const skipped: Target[] = [];
    for (const target of targets) {
      try {
        await send([target]);
      } catch (cause) {
        if (!isInvalidTarget(cause)) throw new AwsApiError('RegisterTargets', { cause });
        skipped.push(target);
      }
    }
    return skipped;
  }

  async apply(step: PlanStep): Promise<AppliedStep> {
    switch (step.op) {
      case 'RegisterTargets': {
        const skipped = await this.#registerTargets(step.targetGroupArn, step.targets);
        return skipped.length === 0 ? { op: step.op } : { op: step.op, skippedTargets: skipped };
      }
      case 'ModifyListener':
        await call(step.op, () =>
          this.#client.send(
            new ModifyListenerCommand({
              ListenerArn: step.listenerArn,
              DefaultActions: step.defaultActions.map(toSdkAction),
            }),
          ),
        );
        return { op: step.op };
      case 'ModifyRule':
        await call(step.op, () =>
          this.#client.send(
            new ModifyRuleCommand({
              RuleArn: step.ruleArn,
              Conditions: step.conditions.map(toSdkCondition),
              Actions: step.actions.map(toSdkAction),
            }),
          ),
        );
        return { op: step.op };
      case 'SetRulePriorities':
        await call(step.op, () =>
          this.#client.send(
            new SetRulePrioritiesCommand({
              RulePriorities: step.priorities.map((p) => ({ RuleArn: p.ruleArn, Priority: p.priority })),
            }),
          ),
        );
        return { op: step.op };
      case 'CreateRule': {
        const out = await call(step.op, () =>
          this.#client.send(
            new CreateRuleCommand({
              ListenerArn: step.listenerArn,
              Priority: step.priority,
              Conditions: step.conditions.map(toSdkCondition),
              Actions: step.actions.map(toSdkAction),
            }),
          ),
        );
        const ruleArn = out.Rules?.[0]?.RuleArn;
        return ruleArn === undefined ? { op: step.op } : { op: step.op, ruleArn };
      }
    }
  }
}
