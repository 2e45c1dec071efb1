import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup as SdkTargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ServiceConfig } from '../../lib/config/index.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { normaliseSnapshot } from '../../lib/snapshot.ts';
import type { LbSnapshot, TargetGroup, TargetHealth } from '../../lib/types.ts';
import type { LoadBalancerReader, LoadBalancerState, TargetGroupAttributes } from '../adapters/elbv2.ts';
import { toTargetGroup, toTargetHealth } from '../adapters/elbv2.ts';
import { mapBounded } from '../adapters/map-bounded.ts';

/** Describes target groups by ARN, whether or not a listener still forwards to them. */
export interface TargetGroupDescriber {
  describe(
    targetGroupArns: readonly string[],
  ): Promise<{ readonly groups: readonly TargetGroup[]; readonly health: readonly TargetHealth[] }>;
}

/**
 * Reads a service's load balancer plus the target groups of last known good that no listener
 * forwards to any more. A deployment that drops a group from every action leaves it detached
 * from the load balancer, so the reader would not see it; without it, drift would call the group
 * removed and no plan could point traffic back at it.
 */
export async function readServiceState(
  reader: LoadBalancerReader,
  describer: TargetGroupDescriber,
  service: Pick<ServiceConfig, 'loadBalancerArn' | 'listenerArns'>,
  lastGood: LbSnapshot | undefined,
  options: { readonly knownAttributes?: ReadonlyMap<string, TargetGroupAttributes> } = {},
): Promise<LoadBalancerState> {
  const state =
    options.knownAttributes === undefined
      ? await reader.readSnapshot(service.loadBalancerArn, service.listenerArns)
      : await reader.readSnapshot(service.loadBalancerArn, service.listenerArns, undefined, {
          knownAttributes: options.knownAttributes,
        });
  const have = new Set(state.snapshot.targetGroups.map((g) => g.arn));
  const missing = (lastGood?.targetGroups ?? []).map((g) => g.arn).filter((arn) => !have.has(arn));
  if (missing.length === 0) return state;
  const extra = await describer.describe(missing);
  return {
    snapshot: normaliseSnapshot({
      ...state.snapshot,
      targetGroups: [...state.snapshot.targetGroups, ...extra.groups],
    }),
    health: [...state.health, ...extra.health],
  };
}

/**
 * The target group attributes a snapshot records, by group ARN: every group of it, with or without
 * a guard or algorithm (a group that has neither is known to have neither, not unknown).
 */
export function knownAttributesOf(snapshot: LbSnapshot): ReadonlyMap<string, TargetGroupAttributes> {
  return new Map(
    snapshot.targetGroups.map((g) => [
      g.arn,
      {
        ...(g.unhealthyStateRouting === undefined ? {} : { unhealthyStateRouting: g.unhealthyStateRouting }),
        ...(g.loadBalancingAlgorithm === undefined
          ? {}
          : { loadBalancingAlgorithm: g.loadBalancingAlgorithm }),
      },
    ]),
  );
}

/** Free `Describe*` calls, one group at a time so that a deleted group is skipped, not fatal. */
export class Elbv2TargetGroupDescriber implements TargetGroupDescriber {
  readonly #client: ElasticLoadBalancingV2Client;

  constructor(client: ElasticLoadBalancingV2Client) {
    this.#client = client;
  }

  async describe(
    targetGroupArns: readonly string[],
  ): Promise<{ readonly groups: readonly TargetGroup[]; readonly health: readonly TargetHealth[] }> {
    const found = await mapBounded(targetGroupArns, 4, (arn) => this.#describeOne(arn));
    const present = found.flatMap((f) => (f === undefined ? [] : [f]));
    return { groups: present.map((p) => p.group), health: present.flatMap((p) => p.health) };
  }

  async #describeOne(
    arn: string,
  ): Promise<{ readonly group: TargetGroup; readonly health: readonly TargetHealth[] } | undefined> {
    let sdkGroups: readonly SdkTargetGroup[] | undefined;
    try {
      sdkGroups = (await this.#client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] })))
        .TargetGroups;
    } catch (cause) {
      // Deleted since last known good: drift reports it; there is nothing to describe.
      if ((cause as { name?: string }).name === 'TargetGroupNotFoundException') return undefined;
      throw new AwsApiError('DescribeTargetGroups', { cause });
    }
    const sdkGroup = sdkGroups?.[0];
    if (sdkGroup === undefined) return undefined;
    const [health, attributes] = await Promise.all([
      this.#call('DescribeTargetHealth', () =>
        this.#client.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      ),
      this.#call('DescribeTargetGroupAttributes', () =>
        this.#client.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })),
      ),
    ]);
    const descriptions = health.TargetHealthDescriptions ?? [];
    const attributeMap = new Map(
      (attributes.Attributes ?? []).flatMap((a) =>
        a.Key !== undefined && a.Value !== undefined ? [[a.Key, a.Value] as const] : [],
      ),
    );
    return {
      group: toTargetGroup(sdkGroup, descriptions, attributeMap),
      health: descriptions.map((d) => toTargetHealth(arn, d)),
    };
  }

  async #call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new AwsApiError(operation, { cause });
    }
  }
}
