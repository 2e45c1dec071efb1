import { gzipSync } from 'node:zlib';
import { ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlbAccessLogReader,
  endTimeOf,
  parseLoadBalancerArn,
} from '../../lambdas/adapters/alb-access-logs.ts';
import {
  type AwsClients,
  awsClientConfig,
  createAwsClients,
  destroyAwsClients,
} from '../../lambdas/adapters/clients.ts';
import { AwsApiError, LbGuardError } from '../../lib/errors.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, type Shop } from '../support/elbv2-fixtures.ts';

// The reader against moto: ELBv2 says where the logs are, S3 holds gzip objects under AWS's own
// key layout. Objects of the window, outside it and of another load balancer sit side by side.

const clients: AwsClients = createAwsClients(motoClientConfig());
const s3 = new S3Client({ ...awsClientConfig(motoClientConfig()), forcePathStyle: true });
const BUCKET = 'shop-alb-logs';
const PREFIX = 'edge';
const FROM = '2026-11-24T23:50:00.000Z';
const TO = '2026-11-25T00:10:00.000Z';
const A = '10.20.1.11:8081';
const B = '10.20.2.12:9443';

let shop: Shop;
let quiet: Shop;

beforeAll(async () => {
  await resetMoto();
  shop = await createShop(clients, {
    name: 'shop',
    groups: [
      {
        name: 'api',
        ips: [
          { ip: '10.20.1.11', port: 8081 },
          { ip: '10.20.2.12', port: 9443 },
        ],
      },
    ],
    defaultAction: { forwardTo: 'api' },
  });
  quiet = await createShop(clients, {
    name: 'quiet',
    groups: [{ name: 'other', ips: [{ ip: '10.30.1.11', port: 80 }] }],
    defaultAction: { forwardTo: 'other' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await enableLogs(shop.loadBalancerArn, BUCKET, PREFIX);
});
afterAll(() => {
  destroyAwsClients(clients);
  s3.destroy();
});

async function enableLogs(arn: string, bucket: string, prefix: string): Promise<void> {
  await clients.elbv2.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: arn,
      Attributes: [
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.bucket', Value: bucket },
        { Key: 'access_logs.s3.prefix', Value: prefix },
      ],
    }),
  );
}

/** An access-log line as ALB writes it, answered at `time`. */
function line(time: string, target: string, elbStatus = 200, targetStatus: number | '-' = elbStatus): string {
  const elb = `app/${parseLoadBalancerArn(shop.loadBalancerArn).name}/${parseLoadBalancerArn(shop.loadBalancerArn).id}`;
  return `https ${time} ${elb} 203.0.113.9:51234 ${target} 0.000 0.004 0.000 ${elbStatus} ${targetStatus} 310 512 "GET https://shop.example.com:443/cart HTTP/1.1" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ${shop.groups.api?.arn} "Root=1-6743a1b2-0123456789abcdef01234567" "shop.example.com" "arn:aws:acm:us-east-1:123456789012:certificate/abc" 0 ${time} "forward" "-" "-" "${target}" "${targetStatus}" "-" "-" TID_0123`;
}

/** A key in AWS's layout for `lb`, covering the 5 minutes that end at `end` (`YYYYMMDDTHHMMZ`). */
function keyFor(lb: Shop, end: string, prefix = PREFIX): string {
  const { accountId, region, name, id } = parseLoadBalancerArn(lb.loadBalancerArn);
  const day = `${end.slice(0, 4)}/${end.slice(4, 6)}/${end.slice(6, 8)}`;
  return `${prefix}/AWSLogs/${accountId}/elasticloadbalancing/${region}/${day}/${accountId}_elasticloadbalancing_${region}_app.${name}.${id}_${end}_198.51.100.7_${Math.random().toString(36).slice(2, 10)}.log.gz`;
}

async function put(key: string, lines: readonly string[] | Buffer): Promise<void> {
  const body = Buffer.isBuffer(lines) ? lines : gzipSync(`${lines.join('\n')}\n`);
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

describe('AlbAccessLogReader against moto', () => {
  it('finds the log location in the load balancer attributes', async () => {
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const location = await reader.locate(shop.loadBalancerArn);
    expect(location).toMatchObject({ kind: 'enabled', bucket: BUCKET, prefix: PREFIX });
  });

  it('answers not-enabled, without error, for a load balancer that does not log', async () => {
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const read = await reader.readWindow(quiet.loadBalancerArn, { from: FROM, to: TO });
    expect(read.kind).toBe('not-enabled');
  });

  it('reads the window across midnight from the right objects only', async () => {
    // Inside: files ending 23:55, 00:00 (next day's folder), 00:05, and 00:15 (≤ 5 min after the end).
    await put(keyFor(shop, '20261124T2355Z'), [
      line('2026-11-24T23:50:00.000000Z', A),
      line('2026-11-24T23:51:10.123456Z', A),
      line('2026-11-24T23:49:59.999999Z', B), // before the window
    ]);
    await put(keyFor(shop, '20261125T0000Z'), [
      line('2026-11-24T23:58:01.000000Z', A, 502, '-'),
      line('2026-11-24T23:59:30.000000Z', '-', 503, '-'),
    ]);
    await put(keyFor(shop, '20261125T0005Z'), [
      line('2026-11-25T00:01:00.000000Z', A, 500, 500),
      'this is not an access-log line',
    ]);
    await put(keyFor(shop, '20261125T0015Z'), [
      line('2026-11-25T00:09:59.000000Z', B),
      line('2026-11-25T00:10:00.000000Z', B), // the end is exclusive
    ]);
    // Outside: a file ending 20 min after the window, one before it, another load balancer's,
    // and a file without the prefix the attribute names.
    await put(keyFor(shop, '20261125T0030Z'), [line('2026-11-25T00:09:00.000000Z', B)]);
    await put(keyFor(shop, '20261124T2345Z'), [line('2026-11-24T23:51:00.000000Z', B)]);
    await put(keyFor(quiet, '20261124T2355Z'), [line('2026-11-24T23:52:00.000000Z', B)]);
    await put(keyFor(shop, '20261124T2355Z', 'other-prefix'), [line('2026-11-24T23:52:00.000000Z', B)]);

    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const read = await reader.readWindow(shop.loadBalancerArn, {
      from: FROM,
      to: TO,
      expected: { [A]: 0.5, [B]: 0.5 },
      thresholds: { minSamples: 30, falsePositiveRate: 0.0001, minEffectSize: 0.2 },
    });
    if (read.kind !== 'read') throw new Error('logs should be enabled');
    const d = read.distribution;
    expect(d.source).toBe('ALB access logs');
    expect(d.objects).toBe(4);
    expect(d.requests).toBe(6);
    expect(d.targets.map((t) => [t.key, t.requests, t.target5xx, t.elb5xx])).toEqual([
      [A, 4, 1, 2],
      [B, 1, 0, 0],
    ]);
    expect(d.noTarget).toEqual({ requests: 1, elb5xx: 1 });
    expect(d.lines).toMatchObject({ read: 9, outsideWindow: 2, malformed: 1 });
    expect(d.lines.malformedExamples[0]?.where).toMatch(/_20261125T0005Z_.*\.log\.gz:2$/);
    expect(d.truncation).toBeUndefined();
    expect(d.test).toMatchObject({ kind: 'tested', skew: { kind: 'insufficient-data', samples: 5 } });
  });

  it('stops at maxObjects and says so rather than under-counting silently', async () => {
    const reader = new AlbAccessLogReader(s3, clients.elbv2, { maxObjects: 2 });
    const read = await reader.readWindow(shop.loadBalancerArn, { from: FROM, to: TO });
    if (read.kind !== 'read') throw new Error('logs should be enabled');
    expect(read.distribution.objects).toBe(2);
    expect(read.distribution.requests).toBe(4);
    expect(read.distribution.truncation).toContain('read 2 of more than 2 log files');
    expect(read.distribution.truncation).toContain('2026-11-25T00:00:00.000Z');
  });

  it('skips and reports an object that is not gzip, still counting the others', async () => {
    const from = '2026-11-26T10:00:00.000Z';
    await put(keyFor(shop, '20261126T1005Z'), [line('2026-11-26T10:01:00.000000Z', A)]);
    await put(keyFor(shop, '20261126T1010Z'), Buffer.from('plain text, not gzip\n'));
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const read = await reader.readWindow(shop.loadBalancerArn, { from, to: '2026-11-26T10:10:00.000Z' });
    if (read.kind !== 'read') throw new Error('logs should be enabled');
    expect(read.distribution.requests).toBe(1);
    expect(read.distribution.objects).toBe(1);
    expect(read.distribution.truncation).toMatch(/1 log file\(s\) were not valid gzip.*20261126T1010Z/);
  });

  it('names the bucket when the one the attribute points at does not exist', async () => {
    await enableLogs(quiet.loadBalancerArn, 'no-such-log-bucket', '');
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const error = await reader.readWindow(quiet.loadBalancerArn, { from: FROM, to: TO }).catch((e) => e);
    expect(error).toBeInstanceOf(LbGuardError);
    expect(String(error.message)).toContain('bucket no-such-log-bucket');
  });

  it('rejects an ARN that is not an Application Load Balancer', async () => {
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    await expect(
      reader.locate('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/0123'),
    ).rejects.toThrow(/not an Application Load Balancer ARN/);
  });

  it('wraps an ELBv2 failure in AwsApiError', async () => {
    const reader = new AlbAccessLogReader(s3, clients.elbv2);
    const missing = shop.loadBalancerArn.replace(/\/[^/]+$/, '/ffffffffffffffff');
    await expect(reader.locate(missing)).rejects.toBeInstanceOf(AwsApiError);
  });
});

describe('endTimeOf', () => {
  const prefix = '123456789012_elasticloadbalancing_us-east-1_app.shop.50dc6c495c0c9188_';
  it.each([
    [`AWSLogs/x/${prefix}20261124T2340Z_10.0.0.1_2soosksgsaiaqt0u.log.gz`, '2026-11-24T23:40:00.000Z'],
    [`${prefix}20261124T2340Z_10.0.0.1_abc.log`, undefined],
    [
      `AWSLogs/x/123456789012_elasticloadbalancing_us-east-1_app.other.1_20261124T2340Z_1_a.log.gz`,
      undefined,
    ],
    [`${prefix}20261324T2340Z_10.0.0.1_abc.log.gz`, undefined],
    [`${prefix}garbage_10.0.0.1_abc.log.gz`, undefined],
  ])('reads %s as %s', (key, expected) => {
    expect(endTimeOf(key, prefix)).toBe(expected);
  });
});

describe('AlbAccessLogReader permission errors', () => {
  // moto does not enforce IAM, so AccessDenied is injected; discovery still runs on moto.
  const denied = () =>
    new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });

  it('names the bucket and s3:ListBucket when listing is denied', async () => {
    const mocked = new S3Client({ region: 'us-east-1' });
    mockClient(mocked).on(ListObjectsV2Command).rejects(denied());
    const reader = new AlbAccessLogReader(mocked, clients.elbv2);
    await expect(reader.readWindow(shop.loadBalancerArn, { from: FROM, to: TO })).rejects.toThrow(
      `access denied reading the ALB access logs in bucket ${BUCKET}: the caller needs s3:ListBucket on arn:aws:s3:::${BUCKET}`,
    );
  });

  it('names the object and s3:GetObject when reading is denied', async () => {
    const mocked = new S3Client({ region: 'us-east-1' });
    const key = keyFor(shop, '20261124T2355Z');
    const mock = mockClient(mocked);
    mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: key, Size: 100 }] });
    mock.on(GetObjectCommand).rejects(denied());
    const reader = new AlbAccessLogReader(mocked, clients.elbv2);
    await expect(reader.readWindow(shop.loadBalancerArn, { from: FROM, to: TO })).rejects.toThrow(
      `the caller needs s3:GetObject on arn:aws:s3:::${BUCKET}/${key}`,
    );
  });

  it('wraps any other S3 failure in AwsApiError naming the bucket', async () => {
    const mocked = new S3Client({ region: 'us-east-1' });
    mockClient(mocked).on(ListObjectsV2Command).rejects(new Error('SlowDown'));
    const reader = new AlbAccessLogReader(mocked, clients.elbv2);
    const error = await reader.readWindow(shop.loadBalancerArn, { from: FROM, to: TO }).catch((e) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect(String(error.message)).toContain(`S3 ListObjectsV2 on bucket ${BUCKET}`);
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new AlbAccessLogReader(s3, clients.elbv2, { maxBytes: 0 })).toThrow(/maxBytes/);
  });
});
