import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type Action as SdkAction,
  type RuleCondition as SdkRuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Ec2QueryClient } from './ec2-query.ts';
import { freePort } from './net.ts';

// The control plane of the drill's shop, created in moto through the same API calls a user's
// stack makes (CloudFormation would make them too): a VPC with one subnet per AZ, EC2
// instances spread across the AZs, an internet-facing ALB, instance target groups with ALB's
// default health check, one HTTP listener with a weighted forward, and optional rules.

export interface WorldGroupSpec {
  readonly name: string;
  /** Instances launched and registered; each becomes one local backend process. */
  readonly instances: number;
  readonly healthCheckPath?: string;
  /** Seconds, as ALB takes them; HAProxy runs them compressed (see clock.ts). Default 30. */
  readonly healthCheckIntervalSeconds?: number;
  /** Default 5 (ALB's default). */
  readonly healthyThresholdCount?: number;
  /** Default 2 (ALB's default). */
  readonly unhealthyThresholdCount?: number;
  /** Default 5 s. */
  readonly healthCheckTimeoutSeconds?: number;
  /** Default "200". */
  readonly matcher?: string;
}

/** Compact conditions; each present key becomes one ALB condition (ANDed). */
export interface WorldConditionSpec {
  readonly path?: readonly string[];
  readonly host?: readonly string[];
  readonly header?: { readonly name: string; readonly values: readonly string[] };
  readonly method?: readonly string[];
  readonly query?: readonly { readonly key?: string; readonly value: string }[];
  readonly sourceIp?: readonly string[];
}

export type WorldActionSpec =
  /** Weighted `ForwardConfig`, group name → weight. */
  | { readonly forward: Readonly<Record<string, number>> }
  | {
      readonly fixedResponse: {
        readonly statusCode: string;
        readonly contentType?: string;
        readonly messageBody?: string;
      };
    }
  | { readonly redirect: { readonly statusCode: 'HTTP_301' | 'HTTP_302'; readonly path?: string } };

export interface WorldRuleSpec {
  readonly name: string;
  readonly priority: number;
  readonly conditions: WorldConditionSpec;
  readonly action: WorldActionSpec;
}

export interface ShopWorldSpec {
  /** Load balancer name. Default `shop`. */
  readonly name?: string;
  readonly groups: readonly WorldGroupSpec[];
  /** ALB listener port (HAProxy binds a free loopback port for it). Default 80. */
  readonly listenerPort?: number;
  /** Default action; default a forward with equal weights over every group. */
  readonly defaultAction?: WorldActionSpec;
  readonly rules?: readonly WorldRuleSpec[];
  /** Default `us-east-1a`, `us-east-1b`. */
  readonly availabilityZones?: readonly string[];
}

/** The seed outage's shop: web-a and web-b, two instances each, 50/50 on one HTTP listener. */
export const defaultShopSpec: ShopWorldSpec = {
  name: 'shop',
  groups: [
    { name: 'web-a', instances: 2 },
    { name: 'web-b', instances: 2 },
  ],
  listenerPort: 80,
  defaultAction: { forward: { 'web-a': 50, 'web-b': 50 } },
};

export interface WorldInstance {
  readonly instanceId: string;
  readonly groupName: string;
  readonly targetGroupArn: string;
  readonly availabilityZone: string;
  readonly subnetId: string;
  /** Loopback port of the backend process that plays this instance. */
  readonly localPort: number;
}

export interface WorldTargetGroup {
  readonly name: string;
  readonly arn: string;
  readonly port: number;
}

export interface ControlPlane {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly loadBalancerArn: string;
  readonly loadBalancerName: string;
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly targetGroups: Readonly<Record<string, WorldTargetGroup>>;
  readonly instances: readonly WorldInstance[];
  /** Instance id → loopback port of its backend process. */
  readonly backendPorts: ReadonlyMap<string, number>;
  readonly ruleArns: Readonly<Record<string, string>>;
}

function groupArn(groups: Readonly<Record<string, WorldTargetGroup>>, name: string): string {
  const g = groups[name];
  if (!g) throw new Error(`shop spec names unknown target group ${name}`);
  return g.arn;
}

/** A compact action as SDK actions, group names resolved to ARNs. */
export function toWorldSdkActions(
  action: WorldActionSpec,
  groups: Readonly<Record<string, WorldTargetGroup>>,
): SdkAction[] {
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
export function toWorldSdkConditions(c: WorldConditionSpec): SdkRuleCondition[] {
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

/**
 * Creates the shop's control plane in moto and picks a loopback port for each instance's
 * backend. Instances are spread round-robin over the AZs; each instance is its own target,
 * because moto keys targets by Id alone.
 */
export async function createControlPlane(
  elbv2: ElasticLoadBalancingV2Client,
  ec2: Ec2QueryClient,
  spec: ShopWorldSpec = defaultShopSpec,
): Promise<ControlPlane> {
  const name = spec.name ?? 'shop';
  const listenerPort = spec.listenerPort ?? 80;
  const azs = spec.availabilityZones ?? ['us-east-1a', 'us-east-1b'];
  if (azs.length < 2) throw new Error('an ALB needs subnets in at least two availability zones');

  const vpcId = await ec2.createVpc('10.20.0.0/16');
  const subnetIds: string[] = [];
  for (const [i, az] of azs.entries())
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

  const targetGroups: Record<string, WorldTargetGroup> = {};
  const instances: WorldInstance[] = [];
  const backendPorts = new Map<string, number>();
  for (const g of spec.groups) {
    const out = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: g.name,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpcId,
        TargetType: 'instance',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: g.healthCheckPath ?? '/health',
        HealthCheckIntervalSeconds: g.healthCheckIntervalSeconds ?? 30,
        HealthCheckTimeoutSeconds: g.healthCheckTimeoutSeconds ?? 5,
        HealthyThresholdCount: g.healthyThresholdCount ?? 5,
        UnhealthyThresholdCount: g.unhealthyThresholdCount ?? 2,
        Matcher: { HttpCode: g.matcher ?? '200' },
      }),
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new Error(`CreateTargetGroup returned no ARN for ${g.name}`);
    targetGroups[g.name] = { name: g.name, arn, port: 80 };
    const ids: string[] = [];
    for (let i = 0; i < g.instances; i++) {
      const azIndex = instances.length % azs.length;
      const subnetId = subnetIds[azIndex] ?? '';
      const [instanceId] = await ec2.runInstances(subnetId, 1, { Name: `${g.name}-${i + 1}`, group: g.name });
      if (!instanceId) throw new Error('RunInstances returned no instance id');
      const localPort = await freePort();
      backendPorts.set(instanceId, localPort);
      ids.push(instanceId);
      instances.push({
        instanceId,
        groupName: g.name,
        targetGroupArn: arn,
        availabilityZone: azs[azIndex] ?? '',
        subnetId,
        localPort,
      });
    }
    if (ids.length > 0) {
      await elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: ids.map((Id) => ({ Id, Port: 80 })) }),
      );
    }
  }

  const equalWeights = Object.fromEntries(spec.groups.map((g) => [g.name, 1]));
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: listenerPort,
      Protocol: 'HTTP',
      DefaultActions: toWorldSdkActions(spec.defaultAction ?? { forward: equalWeights }, targetGroups),
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn;
  if (!listenerArn) throw new Error('CreateListener returned no ARN');

  const ruleArns: Record<string, string> = {};
  for (const r of spec.rules ?? []) {
    const out = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: r.priority,
        Conditions: toWorldSdkConditions(r.conditions),
        Actions: toWorldSdkActions(r.action, targetGroups),
      }),
    );
    const arn = out.Rules?.[0]?.RuleArn;
    if (!arn) throw new Error(`CreateRule returned no ARN for ${r.name}`);
    ruleArns[r.name] = arn;
  }

  return {
    vpcId,
    subnetIds,
    availabilityZones: azs,
    loadBalancerArn,
    loadBalancerName: name,
    listenerArn,
    listenerPort,
    targetGroups,
    instances,
    backendPorts,
    ruleArns,
  };
}
