import {
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Ec2QueryClient } from './ec2-query.ts';
import {
  type AlbIds,
  type AlbSpec,
  createListener,
  createLoadBalancer,
  type RuleSpec,
  type TargetGroupSpec,
  toHealthCheckInput,
  toSdkActions,
  toSdkConditions,
} from './elbv2-spec.ts';
import { freePort } from './net.ts';

// The control plane of the drill's shop, created in moto through the same API calls a user's
// stack makes (CloudFormation would make them too): a VPC with one subnet per AZ, EC2
// instances spread across the AZs, an internet-facing ALB, instance target groups with ALB's
// default health check, one HTTP listener with a weighted forward, and optional rules. The
// shop is written in the spec language of elbv2-spec.ts, which the integration tests share.

/**
 * Health-check times are ALB's seconds; HAProxy runs them compressed (see clock.ts). The timeout
 * defaults to ALB's 5 s.
 */
export interface WorldGroupSpec extends TargetGroupSpec {
  /** Instances launched and registered; each becomes one local backend process. */
  readonly instances: number;
  /** Target group attributes set after creation, e.g. `load_balancing.algorithm.type`. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * The shop: `listenerPort` is the ALB's (HAProxy binds a free loopback port for it); the
 * default action defaults to a forward with equal weights over every group.
 */
export type ShopWorldSpec = AlbSpec<WorldGroupSpec>;

// The spec language under the names drill/scenario-context.ts still imports.
export type WorldRuleSpec = RuleSpec;
export const toWorldSdkActions = toSdkActions;
export const toWorldSdkConditions = toSdkConditions;

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

export interface ControlPlane extends AlbIds {
  readonly targetGroups: Readonly<Record<string, WorldTargetGroup>>;
  readonly instances: readonly WorldInstance[];
  /** Instance id → loopback port of its backend process. */
  readonly backendPorts: ReadonlyMap<string, number>;
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
  const lb = await createLoadBalancer(elbv2, ec2, name, spec.availabilityZones);
  const { vpcId, subnetIds, availabilityZones } = lb;

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
        // ALB's 5 s default, sent because moto's own default is 10 s.
        ...toHealthCheckInput({ ...g, healthCheckTimeoutSeconds: g.healthCheckTimeoutSeconds ?? 5 }),
      }),
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    if (!arn) throw new Error(`CreateTargetGroup returned no ARN for ${g.name}`);
    targetGroups[g.name] = { name: g.name, arn, port: 80 };
    if (g.attributes !== undefined) {
      await elbv2.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: arn,
          Attributes: Object.entries(g.attributes).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    }
    const ids: string[] = [];
    for (let i = 0; i < g.instances; i++) {
      const azIndex = instances.length % availabilityZones.length;
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
        availabilityZone: availabilityZones[azIndex] ?? '',
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
  const listener = await createListener(elbv2, {
    loadBalancerArn: lb.loadBalancerArn,
    port: listenerPort,
    defaultAction: spec.defaultAction ?? { forward: equalWeights },
    rules: spec.rules,
    groups: targetGroups,
  });
  return { ...lb, ...listener, loadBalancerName: name, listenerPort, targetGroups, instances, backendPorts };
}
