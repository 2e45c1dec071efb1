import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
  type Action as SdkAction,
  type RuleCondition as SdkRuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { toWorldSdkConditions } from '../../drill/world/aws-world.ts';
import type { AwsClients } from '../../lambdas/adapters/clients.ts';
import { motoClientConfig } from './aws-env.ts';

// Builds a realistic ALB in moto through the SDK (ELBv2) and EC2's Query API (the EC2 client
// is not a dependency; moto answers form-encoded Query calls like AWS does). Integration tests
// of the adapters and the handlers share these helpers so that every test speaks the same shop.

export interface GroupSpec {
  readonly name: string;
  /** Number of EC2 instances to launch and register (instance target type). */
  readonly instances?: number;
  /** IP targets instead of instances; give each its own IP (moto keys targets by Id alone). */
  readonly ips?: readonly { readonly ip: string; readonly port: number }[];
  /** Target group port; default 80 for instances, the first IP's port for IP groups. */
  readonly port?: number;
  readonly healthCheckPath?: string;
  /** Register the targets after creating the group. Default true. */
  readonly register?: boolean;
}

/** Conditions in a compact form; each present key becomes one ALB condition. */
export interface ConditionSpec {
  readonly host?: readonly string[];
  readonly path?: readonly string[];
  readonly header?: { readonly name: string; readonly values: readonly string[] };
  readonly method?: readonly string[];
  readonly query?: readonly { readonly key?: string; readonly value: string }[];
  readonly sourceIp?: readonly string[];
}

/** What a listener or rule does, naming groups by their fixture name. */
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
}

export interface ShopSpec {
  /** Load balancer name; default `shop`. */
  readonly name?: string;
  readonly groups: readonly GroupSpec[];
  /** Listener port; default 80. */
  readonly listenerPort?: number;
  /** Listener default action weights by group name; shorthand for `defaultAction: { forward }`. */
  readonly weights?: Readonly<Record<string, number>>;
  /** Listener default action; default forwards to the first group with a plain ARN. */
  readonly defaultAction?: ActionSpec;
  readonly rules?: readonly RuleSpec[];
}

export interface ShopTarget {
  readonly id: string;
  readonly port: number;
  readonly availabilityZone: string;
}

export interface ShopGroup {
  readonly name: string;
  readonly arn: string;
  readonly targetType: 'instance' | 'ip';
  readonly port: number;
  readonly targets: readonly ShopTarget[];
}

export interface Shop {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly loadBalancerArn: string;
  readonly loadBalancerName: string;
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly groups: Readonly<Record<string, ShopGroup>>;
  /** Instance ids per group name (empty for IP groups). */
  readonly instanceIds: Readonly<Record<string, readonly string[]>>;
  /** Rule ARNs by rule name. */
  readonly ruleArns: Readonly<Record<string, string>>;
}

const AZS = ['us-east-1a', 'us-east-1b'] as const;

/** Calls EC2's Query API on moto; returns the XML body or throws with moto's error text. */
export async function ec2Query(params: Readonly<Record<string, string>>): Promise<string> {
  const { endpoint } = motoClientConfig();
  const body = new URLSearchParams({ Version: '2016-11-15', ...params });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes by the credential scope's service name; it does not verify signatures.
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`EC2 ${params.Action} failed: HTTP ${res.status} ${text.slice(0, 400)}`);
  return text;
}

function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
}

function firstXmlValue(xml: string, tag: string): string {
  const v = xmlValues(xml, tag)[0];
  if (v === undefined) throw new Error(`no <${tag}> in EC2 response: ${xml.slice(0, 300)}`);
  return v;
}

async function runInstance(subnetId: string): Promise<string> {
  const xml = await ec2Query({
    Action: 'RunInstances',
    ImageId: 'ami-12c6146b',
    InstanceType: 't3.micro',
    MinCount: '1',
    MaxCount: '1',
    SubnetId: subnetId,
  });
  return firstXmlValue(xml, 'instanceId');
}

/** Stops instances, which moto reports as `unused` / `Target.InvalidState` in target health. */
export async function stopInstances(instanceIds: readonly string[]): Promise<void> {
  const params: Record<string, string> = { Action: 'StopInstances' };
  instanceIds.forEach((id, i) => {
    params[`InstanceId.${i + 1}`] = id;
  });
  await ec2Query(params);
}

export async function startInstances(instanceIds: readonly string[]): Promise<void> {
  const params: Record<string, string> = { Action: 'StartInstances' };
  instanceIds.forEach((id, i) => {
    params[`InstanceId.${i + 1}`] = id;
  });
  await ec2Query(params);
}

/** Deregisters targets the way a bad deployment does (lbguard itself never deregisters). */
export async function deregisterTargets(
  clients: AwsClients,
  targetGroupArn: string,
  targets: readonly { readonly id: string; readonly port?: number }[],
): Promise<void> {
  await clients.elbv2.send(
    new DeregisterTargetsCommand({
      TargetGroupArn: targetGroupArn,
      Targets: targets.map((t) => (t.port === undefined ? { Id: t.id } : { Id: t.id, Port: t.port })),
    }),
  );
}

function groupArn(groups: Readonly<Record<string, ShopGroup>>, name: string): string {
  const g = groups[name];
  if (!g) throw new Error(`fixture names unknown target group ${name}`);
  return g.arn;
}

/** Translates a fixture action into the SDK shape, resolving group names to ARNs. */
export function toSdkActions(action: ActionSpec, groups: Readonly<Record<string, ShopGroup>>): SdkAction[] {
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

/** Compact conditions into SDK conditions: the drill's translation, so the two never disagree. */
export const toSdkConditions: (c: ConditionSpec) => SdkRuleCondition[] = toWorldSdkConditions;

/**
 * Creates a VPC with two subnets, EC2 instances, an internet-facing ALB, its target groups
 * (instance or IP), one HTTP listener and its rules, and returns every identifier a test needs.
 */
export async function createShop(clients: AwsClients, spec: ShopSpec): Promise<Shop> {
  const name = spec.name ?? 'shop';
  const listenerPort = spec.listenerPort ?? 80;
  const vpcId = firstXmlValue(await ec2Query({ Action: 'CreateVpc', CidrBlock: '10.20.0.0/16' }), 'vpcId');
  const subnetIds: string[] = [];
  for (const [i, az] of AZS.entries()) {
    const xml = await ec2Query({
      Action: 'CreateSubnet',
      VpcId: vpcId,
      CidrBlock: `10.20.${i + 1}.0/24`,
      AvailabilityZone: az,
    });
    subnetIds.push(firstXmlValue(xml, 'subnetId'));
  }

  const lb = await clients.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: name,
      Subnets: subnetIds,
      Type: 'application',
      Scheme: 'internet-facing',
    }),
  );
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!loadBalancerArn) throw new Error('moto returned no load balancer ARN');

  const groups: Record<string, ShopGroup> = {};
  const instanceIds: Record<string, string[]> = {};
  let launched = 0;
  for (const g of spec.groups) {
    const isIp = g.ips !== undefined;
    const port = g.port ?? g.ips?.[0]?.port ?? 80;
    const tg = await clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: g.name,
        Protocol: 'HTTP',
        Port: port,
        VpcId: vpcId,
        TargetType: isIp ? 'ip' : 'instance',
        HealthCheckPath: g.healthCheckPath ?? '/health',
        HealthCheckIntervalSeconds: 30,
        HealthyThresholdCount: 5,
        UnhealthyThresholdCount: 2,
        Matcher: { HttpCode: '200' },
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new Error(`moto returned no ARN for target group ${g.name}`);
    const targets: ShopTarget[] = [];
    const ids: string[] = [];
    if (isIp) {
      for (const [i, t] of (g.ips ?? []).entries()) {
        targets.push({ id: t.ip, port: t.port, availabilityZone: AZS[i % AZS.length] ?? 'us-east-1a' });
      }
    } else {
      for (let i = 0; i < (g.instances ?? 0); i++) {
        const az = launched % AZS.length;
        const id = await runInstance(subnetIds[az] ?? '');
        launched++;
        ids.push(id);
        targets.push({ id, port, availabilityZone: AZS[az] ?? 'us-east-1a' });
      }
    }
    if (g.register !== false && targets.length > 0) {
      await clients.elbv2.send(
        new RegisterTargetsCommand({
          TargetGroupArn: arn,
          Targets: targets.map((t) => ({ Id: t.id, Port: t.port })),
        }),
      );
    }
    groups[g.name] = { name: g.name, arn, targetType: isIp ? 'ip' : 'instance', port, targets };
    instanceIds[g.name] = ids;
  }

  const firstGroup = spec.groups[0]?.name;
  const defaultAction: ActionSpec =
    spec.defaultAction ??
    (spec.weights
      ? { forward: spec.weights }
      : firstGroup
        ? { forwardTo: firstGroup }
        : { fixedResponse: { statusCode: '404' } });
  const listener = await clients.elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: listenerPort,
      Protocol: 'HTTP',
      DefaultActions: toSdkActions(defaultAction, groups),
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn;
  if (!listenerArn) throw new Error('moto returned no listener ARN');

  const ruleArns: Record<string, string> = {};
  for (const r of spec.rules ?? []) {
    const out = await clients.elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: r.priority,
        Conditions: toSdkConditions(r.conditions),
        Actions: toSdkActions(r.action, groups),
      }),
    );
    const arn = out.Rules?.[0]?.RuleArn;
    if (!arn) throw new Error(`moto returned no ARN for rule ${r.name}`);
    ruleArns[r.name] = arn;
  }

  return {
    vpcId,
    subnetIds,
    availabilityZones: [...AZS],
    loadBalancerArn,
    loadBalancerName: name,
    listenerArn,
    listenerPort,
    groups,
    instanceIds,
    ruleArns,
  };
}

/** The shop most tests use: two instance groups 50/50, IP targets on odd ports, host and path rules. */
export const standardShop: ShopSpec = {
  name: 'shop',
  groups: [
    { name: 'web-a', instances: 2 },
    { name: 'web-b', instances: 2 },
    {
      name: 'api',
      ips: [
        { ip: '10.20.1.11', port: 8081 },
        { ip: '10.20.2.12', port: 9443 },
      ],
    },
  ],
  weights: { 'web-a': 50, 'web-b': 50 },
  rules: [
    {
      name: 'api-host',
      priority: 10,
      conditions: { host: ['api.example.com'] },
      action: { forwardTo: 'api' },
    },
    {
      name: 'static-path',
      priority: 20,
      conditions: { path: ['/static/*'] },
      action: { forward: { 'web-a': 1, 'web-b': 3 } },
    },
  ],
};
