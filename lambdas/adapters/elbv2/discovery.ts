import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DiscoveredLoadBalancer } from '../../../lib/fleet/index.ts';

/** DescribeTags takes at most 20 resource ARNs per call. */
const TAGS_PER_CALL = 20;

/** Lists the Application Load Balancers of one account and region with their tags. */
export interface LoadBalancerDiscovery {
  listLoadBalancers(): Promise<DiscoveredLoadBalancer[]>;
}

/**
 * ELBv2 DescribeLoadBalancers (every page) and DescribeTags (20 ARNs a call): 1 + ⌈n/20⌉ calls
 * for n load balancers per region. Network and Gateway load balancers are left out: lbguard
 * guards Application Load Balancers only.
 */
export class Elbv2LoadBalancerDiscovery implements LoadBalancerDiscovery {
  readonly #client: ElasticLoadBalancingV2Client;

  constructor(client: ElasticLoadBalancingV2Client) {
    this.#client = client;
  }

  async listLoadBalancers(): Promise<DiscoveredLoadBalancer[]> {
    const found: { arn: string; name: string }[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#client.send(
        new DescribeLoadBalancersCommand(marker === undefined ? {} : { Marker: marker }),
      );
      for (const lb of page.LoadBalancers ?? []) {
        if (
          lb.Type === 'application' &&
          lb.LoadBalancerArn !== undefined &&
          lb.LoadBalancerName !== undefined
        ) {
          found.push({ arn: lb.LoadBalancerArn, name: lb.LoadBalancerName });
        }
      }
      marker = page.NextMarker;
    } while (marker !== undefined);
    const tags = new Map<string, Record<string, string>>();
    for (let i = 0; i < found.length; i += TAGS_PER_CALL) {
      const batch = found.slice(i, i + TAGS_PER_CALL).map((lb) => lb.arn);
      const answer = await this.#client.send(new DescribeTagsCommand({ ResourceArns: batch }));
      for (const description of answer.TagDescriptions ?? []) {
        if (description.ResourceArn === undefined) continue;
        const map: Record<string, string> = {};
        for (const tag of description.Tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
        tags.set(description.ResourceArn, map);
      }
    }
    return found.map((lb) => ({
      loadBalancerArn: lb.arn,
      loadBalancerName: lb.name,
      tags: tags.get(lb.arn) ?? {},
    }));
  }
}
