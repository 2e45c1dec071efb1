/**
 * lbguard's load-balancer linter as a CDK validation plugin, for users' own CDK apps:
 *
 *   Validations.of(app).addPlugins(new LbGuardLintPlugin());
 *
 * At synth, each template's ALB resources (`AWS::ElasticLoadBalancingV2::Listener`,
 * `::ListenerRule`, `::TargetGroup`) become one LbSnapshot per load balancer, with logical ids as
 * identities, and run through `lintSnapshot` (lib/lint.ts). Errors fail synth; warnings are
 * reported and pass. A finding is acknowledged the cdk-nag 3 way, on the construct, with a reason:
 *
 *   Validations.of(targetGroup).acknowledge({ id: 'LbGuardLint::LBG-L5', reason: 'one-off batch host' });
 *
 * What a template cannot say is left to run time rather than guessed: targets registered by an
 * Auto Scaling group or ECS service count as their literal minimum size / desired count (or as
 * unknown when that is a token), and target groups defined elsewhere are unknown.
 */
import { readFileSync } from 'node:fs';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';
import { LINT_RULES, type LintFinding, lintSnapshot } from '../lib/lint.ts';
import type {
  Action,
  Condition,
  ConditionField,
  HealthCheck,
  LbSnapshot,
  Listener,
  Rule,
  Target,
  TargetGroup,
  TargetType,
  UnhealthyStateRouting,
} from '../lib/types.ts';
import { LBGUARD_VERSION } from './package-version.ts';

export interface LbGuardLintPluginProps {
  /**
   * Fail synth on warnings too, not only on errors.
   * @default false
   */
  readonly failOnWarnings?: boolean;
}

/** A validation plugin running lbguard's LB linter (rules LBG-L1…) over every synthesized template. */
export class LbGuardLintPlugin implements IPolicyValidationPlugin {
  readonly name = 'LbGuardLint';
  readonly version = LBGUARD_VERSION;
  readonly ruleIds = LINT_RULES.map((rule) => rule.id);
  private readonly failOnWarnings: boolean;

  constructor(props: LbGuardLintPluginProps = {}) {
    this.failOnWarnings = props.failOnWarnings ?? false;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations = context.templatePaths.flatMap((templatePath) => {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
      return lintTemplate(template).map((finding) => this.toViolation(finding, templatePath));
    });
    return { success: violations.every((v) => v.severity !== 'error'), violations };
  }

  private toViolation(finding: LintFinding, templatePath: string): PolicyViolation {
    const severity = this.failOnWarnings ? 'error' : finding.level;
    return {
      ruleName: finding.ruleId,
      description: finding.message,
      fix: finding.fix,
      severity,
      ruleMetadata: { resource: finding.resource.name },
      violatingResources: [
        {
          resourceLogicalId: finding.resource.arn,
          templatePath,
          locations: [locationOf(finding)],
        },
      ],
    };
  }
}

/** Every finding of every load balancer in one template; resource `arn`s are logical ids. */
export function lintTemplate(template: CfnTemplate): LintFinding[] {
  return snapshotsFromTemplate(template).flatMap(
    ({ snapshot, unknownTargets }) => lintSnapshot(snapshot, undefined, { unknownTargets }).findings,
  );
}

/** Where in the resource a finding points, for the report. */
function locationOf(finding: LintFinding): string {
  switch (finding.resource.kind) {
    case 'listener':
      return 'Properties/DefaultActions';
    case 'rule':
      return finding.ruleId === 'LBG-L3' ? 'Properties/Conditions' : 'Properties/Actions';
    case 'target-group':
      return finding.ruleId === 'LBG-L7'
        ? 'Properties/TargetGroupAttributes'
        : finding.ruleId === 'LBG-L8' || finding.ruleId === 'LBG-L9'
          ? 'Properties/HealthCheckIntervalSeconds'
          : 'Properties/Targets';
  }
}

// ---------------------------------------------------------------------------------------------
// Template → snapshots
// ---------------------------------------------------------------------------------------------

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
}

/** One load balancer of a template, and the groups whose targets the template cannot know. */
export interface TemplateSnapshot {
  readonly snapshot: LbSnapshot;
  readonly unknownTargets: readonly string[];
}

const LISTENER = 'AWS::ElasticLoadBalancingV2::Listener';
const LISTENER_RULE = 'AWS::ElasticLoadBalancingV2::ListenerRule';
const TARGET_GROUP = 'AWS::ElasticLoadBalancingV2::TargetGroup';
const MIN_HEALTHY_COUNT = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count';
const MIN_HEALTHY_PERCENT = 'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage';

/**
 * One snapshot per load balancer that has listeners in the template. Identities are logical ids
 * (`Ref`, `Fn::GetAtt`), or the literal value for resources imported by ARN. Rules attached to a
 * listener defined elsewhere are left out: without its port and default action they cannot be
 * placed.
 */
export function snapshotsFromTemplate(template: CfnTemplate): TemplateSnapshot[] {
  const resources = Object.entries(template.Resources ?? {});
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const registrars = runtimeRegistrations(resources);
  const groups = new Map(
    ofType(TARGET_GROUP).map(([id, r]) => [id, parseTargetGroup(id, r.Properties ?? {}, registrars)]),
  );

  const rulesByListener = new Map<string, Rule[]>();
  for (const [id, r] of ofType(LISTENER_RULE)) {
    const props = r.Properties ?? {};
    const priority = toNumber(props.Priority);
    if (priority === undefined) continue;
    const listenerId = identity(props.ListenerArn);
    const rule: Rule = {
      arn: id,
      priority,
      conditions: asArray(props.Conditions).flatMap(parseCondition),
      actions: asArray(props.Actions).flatMap(parseAction),
    };
    rulesByListener.set(listenerId, [...(rulesByListener.get(listenerId) ?? []), rule]);
  }

  const listenersByLb = new Map<string, Listener[]>();
  for (const [id, r] of ofType(LISTENER)) {
    const props = r.Properties ?? {};
    const lb = identity(props.LoadBalancerArn);
    const listener: Listener = {
      arn: id,
      port: toNumber(props.Port) ?? 0,
      protocol: typeof props.Protocol === 'string' ? props.Protocol : 'HTTP',
      defaultActions: asArray(props.DefaultActions).flatMap(parseAction),
      rules: rulesByListener.get(id) ?? [],
    };
    listenersByLb.set(lb, [...(listenersByLb.get(lb) ?? []), listener]);
  }

  return [...listenersByLb].map(([lb, listeners]) => {
    const referenced = new Set(
      listeners.flatMap((l) =>
        [...l.defaultActions, ...l.rules.flatMap((r) => r.actions)].flatMap((a) =>
          a.type === 'forward' ? a.targetGroups.map((g) => g.targetGroupArn) : [],
        ),
      ),
    );
    const known = [...referenced].flatMap((arn) => {
      const group = groups.get(arn);
      return group === undefined ? [] : [group];
    });
    const unknownTargets = [...referenced].filter((arn) => groups.get(arn)?.targetsKnown !== true);
    return {
      snapshot: { loadBalancerArn: lb, listeners, targetGroups: known.map((g) => g.group) },
      unknownTargets,
    };
  });
}

interface ParsedGroup {
  readonly group: TargetGroup;
  /** False when something registers targets at run time in numbers the template does not fix. */
  readonly targetsKnown: boolean;
}

/** Targets registered at run time, by target group logical id: a count, or undefined if unknown. */
type Registrations = ReadonlyMap<string, readonly { readonly by: string; readonly count?: number }[]>;

function runtimeRegistrations(resources: readonly (readonly [string, CfnResource])[]): Registrations {
  const byGroup = new Map<string, { by: string; count?: number }[]>();
  const add = (groupRef: unknown, by: string, count: number | undefined) => {
    const group = identity(groupRef);
    const entry = count === undefined ? { by } : { by, count };
    byGroup.set(group, [...(byGroup.get(group) ?? []), entry]);
  };
  for (const [id, r] of resources) {
    const props = r.Properties ?? {};
    if (r.Type === 'AWS::AutoScaling::AutoScalingGroup') {
      // The minimum is what the group may shrink to, so it is what the rules should judge.
      for (const arn of asArray(props.TargetGroupARNs)) add(arn, id, toNumber(props.MinSize));
    } else if (r.Type === 'AWS::ECS::Service') {
      for (const lb of asArray(props.LoadBalancers)) {
        add(
          asRecord(lb).TargetGroupArn,
          id,
          props.DesiredCount === undefined ? 1 : toNumber(props.DesiredCount),
        );
      }
    }
  }
  return byGroup;
}

function parseTargetGroup(
  id: string,
  props: Record<string, unknown>,
  registrations: Registrations,
): ParsedGroup {
  const targetType = parseTargetType(props.TargetType);
  const port = toNumber(props.Port);
  const declared = asArray(props.Targets).map((t): Target => {
    const target = asRecord(t);
    const targetPort = toNumber(target.Port) ?? (targetType === 'lambda' ? undefined : port);
    const zone = typeof target.AvailabilityZone === 'string' ? target.AvailabilityZone : undefined;
    return {
      id: identity(target.Id),
      ...(targetPort === undefined ? {} : { port: targetPort }),
      ...(zone === undefined ? {} : { availabilityZone: zone }),
    };
  });
  const registered = registrations.get(id) ?? [];
  // Stand-ins for run-time targets: their number matters to the rules, their identity does not.
  const standIns = registered.flatMap(({ by, count }) =>
    Array.from(
      { length: count ?? 0 },
      (_, i): Target => (port === undefined ? { id: `${by}#${i + 1}` } : { id: `${by}#${i + 1}`, port }),
    ),
  );
  const targetsKnown =
    registered.every((r) => r.count !== undefined) && (props.Targets !== undefined || registered.length > 0);
  const routing = parseUnhealthyStateRouting(props.TargetGroupAttributes);
  const group: TargetGroup = {
    arn: id,
    name: typeof props.Name === 'string' ? props.Name : id,
    targetType,
    healthCheck: parseHealthCheck(props),
    targets: [...declared, ...standIns],
    ...(typeof props.Protocol === 'string' ? { protocol: props.Protocol } : {}),
    ...(port === undefined ? {} : { port }),
    ...(routing === undefined ? {} : { unhealthyStateRouting: routing }),
  };
  return { group, targetsKnown };
}

function parseTargetType(value: unknown): TargetType {
  return value === 'ip' || value === 'lambda' || value === 'alb' ? value : 'instance';
}

function parseHealthCheck(props: Record<string, unknown>): HealthCheck {
  const matcher = asRecord(props.Matcher);
  const fields: [keyof HealthCheck, unknown][] = [
    ['protocol', stringOf(props.HealthCheckProtocol)],
    ['port', stringOf(props.HealthCheckPort)],
    ['path', stringOf(props.HealthCheckPath)],
    ['intervalSeconds', toNumber(props.HealthCheckIntervalSeconds)],
    ['timeoutSeconds', toNumber(props.HealthCheckTimeoutSeconds)],
    ['healthyThreshold', toNumber(props.HealthyThresholdCount)],
    ['unhealthyThreshold', toNumber(props.UnhealthyThresholdCount)],
    ['matcher', stringOf(matcher.HttpCode) ?? stringOf(matcher.GrpcCode)],
  ];
  return Object.fromEntries(fields.filter(([, v]) => v !== undefined)) as HealthCheck;
}

function parseUnhealthyStateRouting(attributes: unknown): UnhealthyStateRouting | undefined {
  const values = new Map(
    asArray(attributes).map((a) => {
      const attribute = asRecord(a);
      return [attribute.Key, attribute.Value] as const;
    }),
  );
  const count = toNumber(values.get(MIN_HEALTHY_COUNT));
  const percentage = toNumber(values.get(MIN_HEALTHY_PERCENT)); // "off" reads as unset
  if (count === undefined && percentage === undefined) return undefined;
  return {
    ...(count === undefined ? {} : { minimumHealthyTargetsCount: count }),
    ...(percentage === undefined ? {} : { minimumHealthyTargetsPercentage: percentage }),
  };
}

function parseAction(value: unknown): Action[] {
  const a = asRecord(value);
  const order = toNumber(a.Order);
  const withOrder = <T extends Action>(action: T): T => (order === undefined ? action : { ...action, order });
  switch (a.Type) {
    case 'forward': {
      const config = asRecord(a.ForwardConfig);
      const weighted = asArray(config.TargetGroups).map((g) => {
        const group = asRecord(g);
        return { targetGroupArn: identity(group.TargetGroupArn), weight: toNumber(group.Weight) ?? 1 };
      });
      const targetGroups =
        weighted.length > 0 || a.TargetGroupArn === undefined
          ? weighted
          : [{ targetGroupArn: identity(a.TargetGroupArn), weight: 1 }];
      return [withOrder({ type: 'forward', targetGroups })];
    }
    case 'fixed-response': {
      const config = asRecord(a.FixedResponseConfig);
      return [withOrder({ type: 'fixed-response', statusCode: stringOf(config.StatusCode) ?? '' })];
    }
    case 'redirect': {
      const config = asRecord(a.RedirectConfig);
      return [
        withOrder({
          type: 'redirect',
          statusCode: config.StatusCode === 'HTTP_302' ? 'HTTP_302' : 'HTTP_301',
        }),
      ];
    }
    case 'authenticate-oidc':
      return [withOrder({ type: 'authenticate-oidc', config: asRecord(a.AuthenticateOidcConfig) })];
    case 'authenticate-cognito':
      return [withOrder({ type: 'authenticate-cognito', config: asRecord(a.AuthenticateCognitoConfig) })];
    default:
      return [];
  }
}

const CONDITION_CONFIG: Record<ConditionField, string> = {
  'host-header': 'HostHeaderConfig',
  'path-pattern': 'PathPatternConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
};

function parseCondition(value: unknown): Condition[] {
  const c = asRecord(value);
  const field = Object.keys(CONDITION_CONFIG).find((f) => f === c.Field) as ConditionField | undefined;
  if (field === undefined) return [];
  const config = asRecord(c[CONDITION_CONFIG[field]]);
  const raw = config.Values ?? c.Values;
  const values =
    field === 'query-string'
      ? asArray(raw).map((kv) => {
          const pair = asRecord(kv);
          return `${stringOf(pair.Key) ?? ''}=${stringOf(pair.Value) ?? ''}`;
        })
      : asArray(raw).map(identity);
  const headerName = stringOf(config.HttpHeaderName);
  return [
    field === 'http-header' && headerName !== undefined ? { field, headerName, values } : { field, values },
  ];
}

// ---------------------------------------------------------------------------------------------
// CloudFormation values
// ---------------------------------------------------------------------------------------------

/** A resource's identity: the logical id behind `Ref`/`Fn::GetAtt`, else the value itself. */
function identity(value: unknown): string {
  if (typeof value === 'string') return value;
  const record = asRecord(value);
  if (typeof record.Ref === 'string') return record.Ref;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0] ?? getAtt;
  return JSON.stringify(value ?? null);
}

/** A literal number (CloudFormation often writes them as strings); undefined for tokens and "off". */
function toNumber(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
