import { readGuardTags, TAGS } from '../../lib/fleet/tags.ts';
import type { LoadBalancerTags } from '../adapters/elbv2/guard-tags.ts';

/**
 * Why remediate must not write to a load balancer enrolled by tags, read from its tags as they
 * are now (under the lock, before the first write): the registry it was enrolled from may be
 * minutes old, and whoever removed `lbguard:guard` took it out of lbguard's hands. Undefined
 * while it is still guarded.
 */
export async function noLongerGuarded(
  loadBalancerArn: string,
  tags: LoadBalancerTags | undefined,
): Promise<string | undefined> {
  if (tags === undefined) return 'its tags cannot be re-read here (no tag reader wired); nothing written';
  const read = readGuardTags(await tags.tagsOf(loadBalancerArn));
  if (!read.ok) return `its lbguard tags are unusable now (${read.error.message}); nothing written`;
  switch (read.tags.guard) {
    case 'guarded':
      return undefined;
    case 'untagged':
      return `${loadBalancerArn} is no longer tagged ${TAGS.guard} (or is gone); nothing written`;
    case 'opted-out':
      return `${loadBalancerArn} is now tagged ${TAGS.guard}=false; nothing written`;
  }
}
