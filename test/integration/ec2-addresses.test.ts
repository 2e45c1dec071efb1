import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { instanceTargetAliases } from '../../lambdas/adapters/ec2-addresses.ts';
import { Elbv2LoadBalancerReader } from '../../lambdas/adapters/elbv2/reader.ts';
import { aggregateAccessLogs, expectedAccessLogShares } from '../../lib/access-logs.ts';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import { modelRouting } from '../../lib/routing.ts';
import type { LbSnapshot } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, type Shop } from '../support/elbv2-fixtures.ts';

// ALB access logs name instance targets by private IP; the postmortem names them by instance id.
// On moto: real instances registered in a real target group, their addresses read back from EC2.

const clients = createAwsClients(motoClientConfig());
const ec2 = new EC2Client(awsClientConfig(motoClientConfig()));
let shop: Shop;
let snapshot: LbSnapshot;
const ips = new Map<string, string>();

beforeAll(async () => {
  await resetMoto();
  shop = await createShop(clients, {
    name: 'shop',
    groups: [{ name: 'web', instances: 3 }],
    defaultAction: { forwardTo: 'web' },
  });
  snapshot = (await new Elbv2LoadBalancerReader(clients.elbv2).readSnapshot(shop.loadBalancerArn)).snapshot;
  const out = await ec2.send(
    new DescribeInstancesCommand({ InstanceIds: [...(shop.instanceIds.web ?? [])] }),
  );
  for (const r of out.Reservations ?? []) {
    for (const i of r.Instances ?? [])
      if (i.InstanceId && i.PrivateIpAddress) ips.set(i.InstanceId, i.PrivateIpAddress);
  }
});

afterAll(() => {
  destroyAwsClients(clients);
  ec2.destroy();
});

describe('instanceTargetAliases against moto', () => {
  it('maps each instance target’s private ip:port to its target key', async () => {
    const aliases = await instanceTargetAliases(ec2, snapshot);
    const ids = shop.instanceIds.web ?? [];
    expect(ids).toHaveLength(3);
    expect(aliases).toEqual(Object.fromEntries(ids.map((id) => [`${ips.get(id)}:80`, `${id}:80`])));
  });

  it('skips an instance that no longer exists and ignores IP targets', async () => {
    const web = snapshot.targetGroups[0];
    if (web === undefined) throw new Error('no group');
    const withGone: LbSnapshot = {
      ...snapshot,
      targetGroups: [
        { ...web, targets: [...web.targets, { id: 'i-00000000000000000', port: 80 }] },
        { ...web, arn: `${web.arn}-ip`, targetType: 'ip', targets: [{ id: '10.9.9.9', port: 8080 }] },
      ],
    };
    const aliases = await instanceTargetAliases(ec2, withGone);
    expect(Object.keys(aliases)).toHaveLength(3);
    expect(Object.values(aliases)).not.toContain('i-00000000000000000:80');
  });

  it('lets the skew test run on instance targets: all traffic on one of three is skewed', async () => {
    const aliases = await instanceTargetAliases(ec2, snapshot);
    const shares = expectedAccessLogShares(
      modelRouting(
        snapshot,
        snapshot.targetGroups.flatMap((g) =>
          g.targets.map((t) => ({
            targetGroupArn: g.arn,
            targetId: t.id,
            port: 80,
            state: 'healthy' as const,
          })),
        ),
      ),
    );
    if (shares.kind !== 'known') throw new Error(`shares unknown: ${shares.reason}`);
    const first = shop.instanceIds.web?.[0] ?? '';
    const at = '2026-11-24T14:05:00.000000Z';
    const logLine = `http ${at} app/shop/1 203.0.113.9:51234 ${ips.get(first)}:80 0.000 0.004 0.000 200 200 310 512 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8" - - ${snapshot.targetGroups[0]?.arn} "Root=1-0" "-" "-" 0 ${at} "forward" "-" "-" "${ips.get(first)}:80" "200" "-" "-" TID_1`;
    const distribution = aggregateAccessLogs(
      Array.from({ length: 120 }, () => logLine),
      {
        from: '2026-11-24T14:00:00.000Z',
        to: '2026-11-24T14:10:00.000Z',
        aliases,
        expected: shares.expected,
        thresholds: DEFAULTS.thresholds.skew,
      },
    );
    expect(distribution.targets.map((t) => [t.key, t.requests])).toEqual([[`${first}:80`, 120]]);
    expect(distribution.test.kind).toBe('tested');
    if (distribution.test.kind === 'tested') expect(distribution.test.skew.kind).toBe('skewed');
  });
});
