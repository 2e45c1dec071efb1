import {
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { Ec2QueryClient } from '../../drill/world/ec2-query.ts';
import {
  type ActionSpec,
  type AlbIds,
  type AlbSpec,
  createListener,
  createLoadBalancer,
  type TargetGroupSpec,
  toHealthCheckInput,
} from '../../drill/world/elbv2-spec.ts';
import type { AwsClients } from '../../lambdas/adapters/clients.ts';
import { motoClientConfig } from './aws-env.ts';

// Builds a realistic ALB in moto through the SDK (ELBv2) and EC2's Query API (the EC2 client
// is not a dependency; moto answers form-encoded Query calls like AWS does). Integration tests
// of the adapters and the handlers share these helpers so that every test speaks the same shop,
// in the drill's spec language (drill/world/elbv2-spec.ts).

export {
  type ActionSpec,
  type ConditionSpec,
  type RuleSpec,
  toSdkActions,
  toSdkConditions,
} from '../../drill/world/elbv2-spec.ts';

export interface GroupSpec extends TargetGroupSpec {
  /** Number of EC2 instances to launch and register (instance target type). */
  readonly instances?: number;
  /** IP targets instead of instances; give each its own IP (moto keys targets by Id alone). */
  readonly ips?: readonly { readonly ip: string; readonly port: number }[];
  /** Target group port; default 80 for instances, the first IP's port for IP groups. */
  readonly port?: number;
  /** Register the targets after creating the group. Default true. */
  readonly register?: boolean;
}

/** The listener's default action defaults to a plain forward to the first group. */
export interface ShopSpec extends AlbSpec<GroupSpec> {
  /** Listener default action weights by group name; shorthand for `defaultAction: { forward }`. */
  readonly weights?: Readonly<Record<string, number>>;
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

export interface Shop extends AlbIds {
  readonly groups: Readonly<Record<string, ShopGroup>>;
  /** Instance ids per group name (empty for IP groups). */
  readonly instanceIds: Readonly<Record<string, readonly string[]>>;
}

/**
 * EC2 on the test run's moto, through the drill's Query client. Stopped instances are what
 * moto reports as `unused` / `Target.InvalidState` in target health.
 */
export function motoEc2(): Ec2QueryClient {
  const { endpoint, region, credentials } = motoClientConfig();
  return new Ec2QueryClient({ endpoint, region, credentials });
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

/**
 * Creates a VPC with two subnets, EC2 instances, an internet-facing ALB, its target groups
 * (instance or IP), one HTTP listener and its rules, and returns every identifier a test needs.
 */
export async function createShop(clients: AwsClients, spec: ShopSpec): Promise<Shop> {
  const name = spec.name ?? 'shop';
  const listenerPort = spec.listenerPort ?? 80;
  const ec2 = motoEc2();
  const lb = await createLoadBalancer(clients.elbv2, ec2, name, spec.availabilityZones);
  const { vpcId, subnetIds, availabilityZones } = lb;
  const azAt = (i: number): string => availabilityZones[i % availabilityZones.length] ?? 'us-east-1a';

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
        ...toHealthCheckInput(g),
      }),
    );
    const arn = tg.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new Error(`moto returned no ARN for target group ${g.name}`);
    const targets: ShopTarget[] = [];
    const ids: string[] = [];
    if (isIp) {
      for (const [i, t] of (g.ips ?? []).entries()) {
        targets.push({ id: t.ip, port: t.port, availabilityZone: azAt(i) });
      }
    } else {
      for (let i = 0; i < (g.instances ?? 0); i++) {
        const az = launched % availabilityZones.length;
        const [id] = await ec2.runInstances(subnetIds[az] ?? '', 1);
        if (id === undefined) throw new Error('RunInstances returned no instance id');
        launched++;
        ids.push(id);
        targets.push({ id, port, availabilityZone: azAt(az) });
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
  const listener = await createListener(clients.elbv2, {
    loadBalancerArn: lb.loadBalancerArn,
    port: listenerPort,
    defaultAction,
    rules: spec.rules,
    groups,
  });
  return { ...lb, ...listener, loadBalancerName: name, listenerPort, groups, instanceIds };
}

/** The postmortem's shop: two groups of two instances, 50/50 on the default action. */
export const outageShop: ShopSpec = {
  name: 'shop',
  groups: [
    { name: 'web-a', instances: 2 },
    { name: 'web-b', instances: 2 },
  ],
  weights: { 'web-a': 50, 'web-b': 50 },
};

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
