import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  type CreateTargetGroupCommandInput,
  type ElasticLoadBalancingV2Client,
  type RuleTransform,
  type Action as SdkAction,
  type RuleCondition as SdkRuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Ec2QueryClient } from './ec2-query.ts';

// The compact language in which the drill's shops (aws-world.ts) and the integration tests'
// fixtures (test/support/elbv2-fixtures.ts) describe an ALB: groups, conditions, actions and
// rules that name target groups by name, and their translation into ELBv2 requests. One
// language, so a rule the drill builds and a rule a test builds reach moto as the same request.

/** A target group's health check; unset fields take ALB's defaults for HTTP instance groups. */
export interface HealthCheckSpec {
  /** Default `/health`. */
  readonly healthCheckPath?: string;
  /** Seconds, as ALB takes them. Default 30. */
  readonly healthCheckIntervalSeconds?: number;
  /** Default 5 (ALB's default). */
  readonly healthyThresholdCount?: number;
  /** Default 2 (ALB's default). */
  readonly unhealthyThresholdCount?: number;
  /** Not sent when unset, so the endpoint's own default applies (moto's is 10 s, ALB's 5 s). */
  readonly healthCheckTimeoutSeconds?: number;
  /** Default "200". */
  readonly matcher?: string;
}

export interface TargetGroupSpec extends HealthCheckSpec {
  /** The name actions refer to it by, and its ELBv2 name. */
  readonly name: string;
}

/** Compact conditions; each present key becomes one ALB condition (ANDed). */
export interface ConditionSpec {
  readonly path?: readonly string[];
  readonly host?: readonly string[];
  readonly header?: { readonly name: string; readonly values: readonly string[] };
  readonly method?: readonly string[];
  readonly query?: readonly { readonly key?: string; readonly value: string }[];
  readonly sourceIp?: readonly string[];
}

/** What a listener or rule does, naming target groups by their spec name. */
export type ActionSpec =
  /** Weighted `ForwardConfig`: group name → weight. */
  | { readonly forward: Readonly<Record<string, number>> }
  /** Plain `TargetGroupArn` forward (the shape moto returns without ForwardConfig). */
  | { readonly forwardTo: string }
  | {
      readonly fixedResponse: {
        readonly statusCode: string;
        readonly contentType?: string;
        readonly messageBody?: string;
      };
    }
  | { readonly redirect: { readonly statusCode: 'HTTP_301' | 'HTTP_302'; readonly path?: string } };

export interface RuleSpec {
  /** Key under which the rule's ARN is returned. */
  readonly name: string;
  readonly priority: number;
  readonly conditions: ConditionSpec;
  readonly action: ActionSpec;
  /** `url-rewrite` / `host-header-rewrite`, as the API takes them (moto drops them; see alb-stand-in.ts). */
  readonly transforms?: readonly RuleTransform[];
}

/** One internet-facing ALB with one HTTP listener; each builder adds what its groups need. */
export interface AlbSpec<G extends TargetGroupSpec> {
  /** Load balancer name. Default `shop`. */
  readonly name?: string;
  readonly groups: readonly G[];
  /** Listener port. Default 80. */
  readonly listenerPort?: number;
  /** The listener's default action; each builder documents its own default. */
  readonly defaultAction?: ActionSpec;
  readonly rules?: readonly RuleSpec[];
  /** One subnet each. Default `us-east-1a`, `us-east-1b`. */
  readonly availabilityZones?: readonly string[];
}

/** Target groups by spec name: all an action needs to name them by ARN. */
export type GroupArns = Readonly<Record<string, { readonly arn: string }>>;

export const DEFAULT_AVAILABILITY_ZONES: readonly string[] = ['us-east-1a', 'us-east-1b'];

function groupArn(groups: GroupArns, name: string): string {
  const g = groups[name];
  if (!g) throw new Error(`shop spec names unknown target group ${name}`);
  return g.arn;
}

/** A compact action as SDK actions, group names resolved to ARNs. */
export function toSdkActions(action: ActionSpec, groups: GroupArns): SdkAction[] {
  if ('forward' in action) {
    return [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: Object.entries(action.forward).map(([name, weight]) => ({
            TargetGroupArn: groupArn(groups, name),
            Weight: weight,
          })),
        },
      },
    ];
  }
  if ('forwardTo' in action) return [{ Type: 'forward', TargetGroupArn: groupArn(groups, action.forwardTo) }];
  if ('fixedResponse' in action) {
    const f = action.fixedResponse;
    return [
      {
        Type: 'fixed-response',
        FixedResponseConfig: {
          StatusCode: f.statusCode,
          ...(f.contentType === undefined ? {} : { ContentType: f.contentType }),
          ...(f.messageBody === undefined ? {} : { MessageBody: f.messageBody }),
        },
      },
    ];
  }
  return [
    {
      Type: 'redirect',
      RedirectConfig: {
        StatusCode: action.redirect.statusCode,
        ...(action.redirect.path === undefined ? {} : { Path: action.redirect.path }),
      },
    },
  ];
}

/** Compact conditions as SDK conditions in their `*Config` form. */
export function toSdkConditions(c: ConditionSpec): SdkRuleCondition[] {
  const out: SdkRuleCondition[] = [];
  if (c.path) out.push({ Field: 'path-pattern', PathPatternConfig: { Values: [...c.path] } });
  if (c.host) out.push({ Field: 'host-header', HostHeaderConfig: { Values: [...c.host] } });
  if (c.header) {
    out.push({
      Field: 'http-header',
      HttpHeaderConfig: { HttpHeaderName: c.header.name, Values: [...c.header.values] },
    });
  }
  if (c.method)
    out.push({ Field: 'http-request-method', HttpRequestMethodConfig: { Values: [...c.method] } });
  if (c.query) {
    out.push({
      Field: 'query-string',
      QueryStringConfig: {
        Values: c.query.map((q) =>
          q.key === undefined ? { Value: q.value } : { Key: q.key, Value: q.value },
        ),
      },
    });
  }
  if (c.sourceIp) out.push({ Field: 'source-ip', SourceIpConfig: { Values: [...c.sourceIp] } });
  return out;
}

/** The health-check fields of `CreateTargetGroup`. */
export function toHealthCheckInput(
  g: HealthCheckSpec,
): Pick<
  CreateTargetGroupCommandInput,
  | 'HealthCheckPath'
  | 'HealthCheckIntervalSeconds'
  | 'HealthCheckTimeoutSeconds'
  | 'HealthyThresholdCount'
  | 'UnhealthyThresholdCount'
  | 'Matcher'
> {
  return {
    HealthCheckPath: g.healthCheckPath ?? '/health',
    HealthCheckIntervalSeconds: g.healthCheckIntervalSeconds ?? 30,
    ...(g.healthCheckTimeoutSeconds === undefined
      ? {}
      : { HealthCheckTimeoutSeconds: g.healthCheckTimeoutSeconds }),
    HealthyThresholdCount: g.healthyThresholdCount ?? 5,
    UnhealthyThresholdCount: g.unhealthyThresholdCount ?? 2,
    Matcher: { HttpCode: g.matcher ?? '200' },
  };
}

export interface LoadBalancerIds {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly loadBalancerArn: string;
}

/** What every built ALB reports besides its groups: the drill's control plane and the tests' shop. */
export interface AlbIds extends LoadBalancerIds {
  readonly loadBalancerName: string;
  readonly listenerArn: string;
  readonly listenerPort: number;
  /** Rule ARNs by rule name. */
  readonly ruleArns: Readonly<Record<string, string>>;
}

/** A VPC with one subnet per availability zone and an internet-facing ALB across them. */
export async function createLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  ec2: Ec2QueryClient,
  name: string,
  availabilityZones: readonly string[] = DEFAULT_AVAILABILITY_ZONES,
): Promise<LoadBalancerIds> {
  if (availabilityZones.length < 2)
    throw new Error('an ALB needs subnets in at least two availability zones');
  const vpcId = await ec2.createVpc('10.20.0.0/16');
  const subnetIds: string[] = [];
  for (const [i, az] of availabilityZones.entries())
    subnetIds.push(await ec2.createSubnet(vpcId, `10.20.${i + 1}.0/24`, az));
  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Subnets: subnetIds,
      Type: 'application',
      Scheme: 'internet-facing',
    }),
  );
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!loadBalancerArn) throw new Error('CreateLoadBalancer returned no ARN');
  return { vpcId, subnetIds, availabilityZones, loadBalancerArn };
}

/** One HTTP listener with its default action, then each rule; group names resolve through `groups`. */
export async function createListener(
  elbv2: ElasticLoadBalancingV2Client,
  listener: {
    readonly loadBalancerArn: string;
    readonly port: number;
    readonly defaultAction: ActionSpec;
    readonly rules?: readonly RuleSpec[] | undefined;
    readonly groups: GroupArns;
  },
): Promise<{ readonly listenerArn: string; readonly ruleArns: Readonly<Record<string, string>> }> {
  const out = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: listener.loadBalancerArn,
      Port: listener.port,
      Protocol: 'HTTP',
      DefaultActions: toSdkActions(listener.defaultAction, listener.groups),
    }),
  );
  const listenerArn = out.Listeners?.[0]?.ListenerArn;
  if (!listenerArn) throw new Error('CreateListener returned no ARN');
  const ruleArns: Record<string, string> = {};
  for (const r of listener.rules ?? []) {
    const rule = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: r.priority,
        Conditions: toSdkConditions(r.conditions),
        Actions: toSdkActions(r.action, listener.groups),
        ...(r.transforms === undefined ? {} : { Transforms: [...r.transforms] }),
      }),
    );
    const arn = rule.Rules?.[0]?.RuleArn;
    if (!arn) throw new Error(`CreateRule returned no ARN for ${r.name}`);
    ruleArns[r.name] = arn;
  }
  return { listenerArn, ruleArns };
}
