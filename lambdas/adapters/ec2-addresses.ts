import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { AwsApiError } from '../../lib/errors.ts';
import type { LbSnapshot } from '../../lib/types.ts';

/** DescribeInstances takes up to 1,000 instance ids a call; pages carry the rest. */
const IDS_PER_CALL = 1_000;
const MAX_PAGES = 50;

/**
 * ALB access logs name an instance target by its private IP (`target:port`), while the snapshot
 * names it by instance id. This reads the private addresses of the snapshot's instance targets
 * (every network interface, primary and secondary) and returns the aliases lib/access-logs.ts
 * takes: logged `ip:port` → target key `i-0a:80`. Used by the CLI only; the functions never read EC2.
 */
export async function instanceTargetAliases(
  ec2: EC2Client,
  snapshot: LbSnapshot,
): Promise<Record<string, string>> {
  const portsById = new Map<string, Set<number>>();
  for (const group of snapshot.targetGroups) {
    if (group.targetType !== 'instance') continue;
    for (const t of group.targets) {
      const port = t.port ?? group.port;
      if (port === undefined) continue;
      portsById.set(t.id, (portsById.get(t.id) ?? new Set<number>()).add(port));
    }
  }
  const ids = [...portsById.keys()].sort();
  const aliases: Record<string, string> = {};
  for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
    const chunk = ids.slice(i, i + IDS_PER_CALL);
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await describe(ec2, chunk, token);
      for (const reservation of out.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          const id = instance.InstanceId;
          if (id === undefined) continue;
          const addresses = new Set<string>();
          if (instance.PrivateIpAddress) addresses.add(instance.PrivateIpAddress);
          for (const eni of instance.NetworkInterfaces ?? []) {
            for (const a of eni.PrivateIpAddresses ?? [])
              if (a.PrivateIpAddress) addresses.add(a.PrivateIpAddress);
          }
          for (const ip of addresses) {
            for (const port of portsById.get(id) ?? []) aliases[`${ip}:${port}`] = `${id}:${port}`;
          }
        }
      }
      token = out.NextToken;
      pages++;
    } while (token !== undefined && pages < MAX_PAGES);
  }
  return aliases;
}

async function describe(ec2: EC2Client, ids: readonly string[], token: string | undefined) {
  try {
    // A filter, not InstanceIds: an id terminated since the snapshot is skipped, not an error.
    return await ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: 'instance-id', Values: [...ids] }],
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
  } catch (cause) {
    throw new AwsApiError('DescribeInstances', { cause });
  }
}
