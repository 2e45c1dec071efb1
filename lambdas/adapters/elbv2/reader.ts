import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeRules,
  paginateDescribeTargetGroups,
  type Listener as SdkListener,
  type Rule as SdkRule,
  type TargetGroup as SdkTargetGroup,
  type TargetHealthDescription as SdkTargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsApiError } from '../../../lib/errors.ts';
import { normaliseSnapshot, normaliseTargetGroup } from '../../../lib/snapshot.ts';
import type { Listener } from '../../../lib/types.ts';
import { allInOrder } from '../all-in-order.ts';
import { call, errorName } from '../aws-call.ts';
import { mapBounded } from '../map-bounded.ts';
import { requireField, toAttachments, toListener, toTargetGroup, toTargetHealth } from './from-sdk.ts';
import type {
  DescribedTargetGroups,
  LoadBalancerReader,
  LoadBalancerState,
  ReadSnapshotOptions,
  TargetGroupAttributes,
} from './ports.ts';
import { pickAttributes } from './ports.ts';

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

const DESCRIBE_TARGET_GROUPS_MAX_ARNS = 20;

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
    // The groups attached to the load balancer do not depend on its listeners: read side by side,
    // one round trip fewer on the path from a CloudTrail event to a diagnosis. A listener or rule
    // failure is still the one named when both fail.
    const [listeners, attached] = await allInOrder([
      this.#readListeners(loadBalancerArn, wanted),
      this.#describeTargetGroupsOf(loadBalancerArn),
    ]);

    const referenced = referencedTargetGroupArns(listeners);
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
      attachments: read.attachments,
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

  /** Registered targets, their health, who uses each group and (unless known) its attributes. */
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
        return { group: { ...toTargetGroup(g, descriptions), ...pickAttributes(knownHere) }, health };
      }
      const attributes = this.#readAttributes ? await this.#describeAttributes(arn) : undefined;
      return { group: toTargetGroup(g, descriptions, attributes), health };
    });
    return {
      groups: perGroup.map((p) => p.group),
      health: perGroup.flatMap((p) => p.health),
      attachments: toAttachments(sdkGroups),
    };
  }

  async #readListeners(
    loadBalancerArn: string,
    wanted: ReadonlySet<string> | undefined,
  ): Promise<Listener[]> {
    const sdkListeners = (await this.#describeListeners(loadBalancerArn)).filter(
      (l) => wanted === undefined || (l.ListenerArn !== undefined && wanted.has(l.ListenerArn)),
    );
    return mapBounded(sdkListeners, this.#concurrency, async (l) =>
      toListener(l, await this.#describeRules(requireField(l.ListenerArn, 'ListenerArn'))),
    );
  }

  #describeListeners(loadBalancerArn: string): Promise<SdkListener[]> {
    return allPages(
      'DescribeListeners',
      (p) => p.Listeners,
      () => paginateDescribeListeners({ client: this.#client }, { LoadBalancerArn: loadBalancerArn }),
    );
  }

  #describeRules(listenerArn: string): Promise<SdkRule[]> {
    return allPages(
      'DescribeRules',
      (p) => p.Rules,
      () => paginateDescribeRules({ client: this.#client }, { ListenerArn: listenerArn }),
    );
  }

  #describeTargetGroupsOf(loadBalancerArn: string): Promise<SdkTargetGroup[]> {
    return allPages(
      'DescribeTargetGroups',
      (p) => p.TargetGroups,
      () => paginateDescribeTargetGroups({ client: this.#client }, { LoadBalancerArn: loadBalancerArn }),
    );
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
      // Anomaly results come in the same call; ALB leaves them out for groups without detection.
      this.#client.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Include: ['AnomalyDetection'] }),
      ),
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

function isTargetGroupNotFound(err: unknown): boolean {
  const name = errorName(err);
  return name === 'TargetGroupNotFoundException' || name === 'TargetGroupNotFound';
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

/** Every item of every page of one paginated `Describe*` call, as one `call` for its errors. */
function allPages<P, T>(
  operation: string,
  items: (page: P) => readonly T[] | undefined,
  pages: () => AsyncIterable<P>,
): Promise<T[]> {
  return call(operation, async () => {
    const out: T[] = [];
    for await (const page of pages()) out.push(...(items(page) ?? []));
    return out;
  });
}
