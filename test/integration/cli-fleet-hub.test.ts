import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../lambdas/adapters/clients.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import {
  A,
  B,
  before,
  coverageItem,
  lbArn,
  lbItem,
  serviceItem,
  spokeItem,
} from '../unit/fixtures/hub-items.ts';
import { jsonOf, runCli, workspaceWithConfig } from './cli-support.ts';

// `lbguard status --fleet --hub` as an operator runs it, reading a hub table on moto that holds
// items in the hub layout (docs/fleet.md "Hub"), as hub-ingest and hub-coverage write them. The
// fixtures' times are relative to a fixed instant; here they are moved to now, since the CLI
// judges heartbeat ages against the real clock.

const TABLE = 'lbguard-hub-test';
const dynamodb = createDynamoDbClient(motoClientConfig());
const CONFIG = `services: []\nfleet:\n  roleName: lbguard-fleet-reader\n  accounts: ["${A}", "${B}"]\n  regions: [us-east-1, eu-west-1]\n  hub: { coverageMinutes: 5 }\n`;

/** Every ISO time and `expiresAt` in `item` shifted by the same amount, so the fixture's NOW becomes now. */
function shifted(item: object): Record<string, unknown> {
  const shift = Date.now() - Date.parse(before(0));
  return JSON.parse(JSON.stringify(item), (key, v) => {
    if (key === 'expiresAt' && typeof v === 'number') return Math.round(v + shift / 1000);
    return typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v)
      ? new Date(Date.parse(v) + shift).toISOString()
      : v;
  });
}

async function putAll(items: object[]): Promise<void> {
  for (const item of items) {
    await dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall(shifted(item), { removeUndefinedValues: true }),
      }),
    );
  }
}

let cwd: string;
const hub = (...more: string[]) =>
  runCli(['status', '--fleet', '--hub', '--hub-table', TABLE, '--region', 'us-east-1', ...more], { cwd });

beforeAll(async () => {
  await resetMoto();
  cwd = workspaceWithConfig(CONFIG);
  await createStateTable(dynamodb, TABLE);
  await putAll([
    spokeItem(A, 'us-east-1', { guarded: 2 }),
    lbItem(A, 'us-east-1', 'shop'),
    lbItem(A, 'us-east-1', 'blog'),
    spokeItem(B, 'eu-west-1'),
    lbItem(B, 'eu-west-1', 'checkout'),
    serviceItem(B, 'eu-west-1', 'checkout', 'verifying', 'resolved'),
    coverageItem(),
  ]);
});

afterAll(() => dynamodb.destroy());

describe('lbguard status --fleet --hub', () => {
  it('reads every kind of hub item and exits 0 when all is covered and healthy', async () => {
    const result = await hub('--json');
    expect(result.code, result.stderr).toBe(0);
    const doc = jsonOf<{
      ok: boolean;
      hub: {
        spokes: { account: string; guarded: number; stale: boolean }[];
        services: { service: string; healthy: boolean; lastTransition?: { to: string } }[];
        uncovered: unknown[];
      };
    }>(result);
    expect(doc.ok).toBe(true);
    expect(doc.hub.spokes.map((s) => [s.account, s.guarded, s.stale])).toEqual([
      [A, 2, false],
      [B, 1, false],
    ]);
    expect(doc.hub.services.map((s) => [s.service, s.healthy, s.lastTransition?.to ?? null])).toEqual([
      ['blog', true, null],
      ['shop', true, null],
      ['checkout', true, 'resolved'],
    ]);
  });

  it('exits 1 and prints the uncovered load balancer and the unhealthy service once the hub records them', async () => {
    await putAll([
      lbItem(A, 'us-east-1', 'shop', { diagnosis: 'routing-skew', incidentState: 'confirmed' }),
      coverageItem({
        uncovered: [
          {
            account: B,
            region: 'eu-west-1',
            loadBalancerArn: lbArn(B, 'eu-west-1', 'edge'),
            loadBalancer: 'edge',
            reason: 'refused by its spoke',
          },
        ],
      }),
    ]);
    const result = await hub();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toContain(`✗ ${A} us-east-1  shop  routing-skew, incident confirmed`);
    expect(result.stdout).toMatch(new RegExp(`uncovered\\n✗ ${B} eu-west-1  edge  refused by its spoke`));
    expect(result.stdout).toContain('hub: 2 spokes, 3 services (1 not healthy), 1 uncovered');
  });

  it('exits 3 naming the table and the fix when the hub table cannot be read', async () => {
    const result = await runCli(
      ['status', '--fleet', '--hub', '--hub-table', 'no-such-table', '--region', 'us-east-1', '--json'],
      { cwd },
    );
    expect(result.code).toBe(3);
    expect(jsonOf<{ error: { message: string } }>(result).error.message).toBe(
      'the hub table no-such-table could not be read (ResourceNotFoundException)',
    );
    expect(result.stderr).toContain('--hub-table NAME');
  });
});
