import {
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TagMap } from '../../../lib/fleet/tags.ts';
import { call, errorName } from '../aws-call.ts';

/**
 * One load balancer's tags as they are now: remediate re-reads them under its lock before writing
 * to a load balancer enrolled by tags, since the registry it was enrolled from may be minutes old.
 */
export interface LoadBalancerTags {
  /** Its tags; an empty map when the load balancer is gone (DescribeTags answers nothing for it). */
  tagsOf(loadBalancerArn: string): Promise<TagMap>;
}

export class Elbv2LoadBalancerTags implements LoadBalancerTags {
  readonly #client: ElasticLoadBalancingV2Client;

  constructor(client: ElasticLoadBalancingV2Client) {
    this.#client = client;
  }

  async tagsOf(loadBalancerArn: string): Promise<TagMap> {
    const answer = await call('DescribeTags', async () => {
      try {
        return await this.#client.send(new DescribeTagsCommand({ ResourceArns: [loadBalancerArn] }));
      } catch (error) {
        // Deleted since it was enrolled: no tags, so no longer guarded.
        if (errorName(error) === 'LoadBalancerNotFoundException') return { TagDescriptions: [] };
        throw error;
      }
    });
    const found = answer.TagDescriptions?.find((d) => d.ResourceArn === loadBalancerArn);
    const map: Record<string, string> = {};
    for (const tag of found?.Tags ?? []) if (tag.Key !== undefined) map[tag.Key] = tag.Value ?? '';
    return map;
  }
}
