import { gzipSync } from 'node:zlib';
import { ModifyLoadBalancerAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadBalancerArn } from '../../lambdas/adapters/alb-access-logs.ts';
import {
  type AwsClients,
  awsClientConfig,
  createAwsClients,
  destroyAwsClients,
} from '../../lambdas/adapters/clients.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { type Incident, newIncidentId } from '../../lib/incident.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { createShop, type Shop } from '../support/elbv2-fixtures.ts';
import { configFor, jsonOf, runCli, startHealthySite, workspaceWithConfig } from './cli-support.ts';

// `lbguard postmortem` reading the incident window's ALB access logs from moto's S3: the outage
// of the reference postmortem, one target of two answering every request, told by the logs.

const clients: AwsClients = createAwsClients(motoClientConfig());
const s3 = new S3Client({ ...awsClientConfig(motoClientConfig()), forcePathStyle: true });
const BUCKET = 'shop-logs';
const OPENED = '2026-11-24T14:00:00.000Z';
const CLOSED = '2026-11-24T14:20:00.000Z';
const A = '10.40.1.11:8080';
const B = '10.40.2.12:8080';

let shop: Shop;
let cwd: string;
let site: Awaited<ReturnType<typeof startHealthySite>>;
let id: string;

async function setLogging(enabled: boolean): Promise<void> {
  await clients.elbv2.send(
    new ModifyLoadBalancerAttributesCommand({
      LoadBalancerArn: shop.loadBalancerArn,
      Attributes: [
        { Key: 'access_logs.s3.enabled', Value: String(enabled) },
        { Key: 'access_logs.s3.bucket', Value: enabled ? BUCKET : '' },
      ],
    }),
  );
}

beforeAll(async () => {
  await resetMoto();
  site = await startHealthySite();
  shop = await createShop(clients, {
    name: 'shop',
    groups: [
      {
        name: 'web',
        ips: [
          { ip: '10.40.1.11', port: 8080 },
          { ip: '10.40.2.12', port: 8080 },
        ],
      },
    ],
    defaultAction: { forwardTo: 'web' },
  });
  cwd = workspaceWithConfig(configFor({ loadBalancerArn: shop.loadBalancerArn, probeUrl: site.url }));
  expect((await runCli(['init'], { cwd })).code).toBe(0);
  expect((await runCli(['snapshot', '--promote'], { cwd })).code).toBe(0);

  const incident: Incident = {
    id: newIncidentId('shop', OPENED),
    service: 'shop',
    state: 'resolved',
    openedAt: OPENED,
    updatedAt: CLOSED,
    closedAt: CLOSED,
    breaches: 3,
    remediations: [],
    timeline: [],
  };
  id = incident.id;
  await new DynamoDbStateStore(clients.dynamodb, 'lbguard-state').putIncident(incident);

  const { accountId, region, name, id: lbId } = parseLoadBalancerArn(shop.loadBalancerArn);
  const line = (time: string, target: string) =>
    `http ${time} app/${name}/${lbId} 203.0.113.9:5000 ${target} 0.000 0.002 0.000 200 200 90 512 "GET http://shop.example.com:80/ HTTP/1.1" "curl/8.5.0" - - ${shop.groups.web?.arn} "Root=1-1" "-" "-" 0 ${time} "forward" "-" "-" "${target}" "200" "-" "-" TID_1`;
  const lines = [
    ...Array.from({ length: 40 }, (_, i) => line(`2026-11-24T14:0${i % 5}:1${i % 10}.000000Z`, A)),
    line('2026-11-24T14:06:00.000000Z', B),
  ];
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: `AWSLogs/${accountId}/elasticloadbalancing/${region}/2026/11/24/${accountId}_elasticloadbalancing_${region}_app.${name}.${lbId}_20261124T1410Z_198.51.100.7_abc123.log.gz`,
      Body: gzipSync(`${lines.join('\n')}\n`),
    }),
  );
});
afterAll(async () => {
  destroyAwsClients(clients);
  s3.destroy();
  await site.close();
});

describe('lbguard postmortem with ALB access logs', () => {
  it('fills the impact section with the per-target distribution from the logs, tested for skew', async () => {
    await setLogging(true);
    const run = await runCli(['postmortem', id, '--json'], { cwd });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = jsonOf<{ markdown: string; accessLogs: { outcome: string } }>(run);
    expect(doc.accessLogs.outcome).toBe('read');
    expect(doc.markdown).toContain('### Impact by target');
    expect(doc.markdown).toContain('Source: ALB access logs, ');
    expect(doc.markdown).toContain('41 requests from 1 log file.');
    expect(doc.markdown).toMatch(/\| 10\.40\.1\.11:8080 \| 40 \| 98% \[\d+–100%\] \| 0 \| 0 \|/);
    expect(doc.markdown).toContain('- Skew test against the expected shares: **skewed**:');
  });

  it('says in one line that access logs are not enabled, and how to enable them', async () => {
    await setLogging(false);
    const run = await runCli(['postmortem', id], { cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      '- **Per-target distribution**: ALB access logs are not enabled on load balancer shop',
    );
    expect(run.stdout).toContain('access_logs.s3.enabled=true');
    expect(run.stdout).not.toContain('### Impact by target');
  });
});
