import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../../cli/args.ts';
import type { CommandContext } from '../../../cli/command.ts';
import { CliError } from '../../../cli/exit.ts';
import { ago, renderHubStatus, statusHub } from '../../../cli/fleet/hub-status.ts';
import { DynamoDbHubTableReader, type HubTableReader } from '../../../cli/fleet/hub-table.ts';
import { Renderer } from '../../../cli/render.ts';
import { readHubItems } from '../../../lib/fleet/hub-items.ts';
import { summariseHub } from '../../../lib/fleet/hub-status.ts';
import {
  A,
  B,
  coverageItem,
  healthyHub,
  lbArn,
  lbItem,
  NOW,
  serviceItem,
  spokeItem,
} from '../fixtures/hub-items.ts';
import { fakeIo } from './fake-io.ts';

const HUB_CONFIG = `services: []\nfleet:\n  roleName: lbguard-fleet-reader\n  accounts: ["${A}", "${B}"]\n  regions: [us-east-1, eu-west-1]\n  hub: { coverageMinutes: 5 }\n`;

function workspace(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbguard-hub-'));
  writeFileSync(join(dir, 'lbguard.config.yaml'), text);
  return dir;
}

/** Runs `lbguard status ...argv` in-process against `items` as the hub table. */
async function run(argv: readonly string[], items: Record<string, unknown>[], config = HUB_CONFIG) {
  const parsed = parseCliArgs(['status', ...argv]);
  if (parsed.kind !== 'run') throw new Error('not a run');
  const { io } = fakeIo({ cwd: workspace(config) });
  const asked: string[] = [];
  const ctx: CommandContext = {
    io,
    global: parsed.global,
    options: parsed.options,
    positionals: [],
    render: new Renderer(false),
  };
  const result = await statusHub(ctx, (table, region): HubTableReader => {
    asked.push(`${table}@${region}`);
    return { readAll: async () => items };
  });
  return { ...result, asked };
}

function usageOf(argv: readonly string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    if (error instanceof CliError && error.exitCode === 2) return error.message;
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to be a usage error`);
}

describe('status --fleet --hub arguments', () => {
  it('parses the hub flags of status', () => {
    const parsed = parseCliArgs(['status', '--fleet', '--hub', '--hub-table', 'hub-table']);
    expect(parsed.kind === 'run' && parsed.options).toMatchObject({
      fleet: true,
      hub: true,
      hubTable: 'hub-table',
    });
  });

  it.each([
    [['status', '--hub', '--hub-table', 't'], '--hub only makes sense with --fleet'],
    [['status', '--fleet', '--hub'], '--hub needs --hub-table NAME, the hub table to read'],
    [
      ['status', '--fleet', '--hub', '--hub-table', ' '],
      '--hub needs --hub-table NAME, the hub table to read',
    ],
    [['status', '--fleet', '--hub-table', 't'], '--hub-table only makes sense with --fleet --hub'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageOf(argv)).toBe(message);
  });
});

describe('statusHub', () => {
  const flags = ['--fleet', '--hub', '--hub-table', 'lbguard-hub-table', '--region', 'eu-west-1'];

  it('exits 0 when every load balancer is covered and healthy, reading the named table in the given region', async () => {
    const r = await run(flags, healthyHub());
    expect(r.exitCode).toBe(0);
    expect(r.asked).toEqual(['lbguard-hub-table@eu-west-1']);
    expect(r.document).toMatchObject({
      command: 'status',
      ok: true,
      exitCode: 0,
      hub: { table: 'lbguard-hub-table', healthy: true, coverageMinutes: 5 },
    });
  });

  it('exits 1 on an uncovered load balancer and lists it in the JSON document', async () => {
    const uncovered = {
      account: B,
      region: 'eu-west-1',
      loadBalancerArn: lbArn(B, 'eu-west-1', 'edge'),
      loadBalancer: 'edge',
      reason: 'no heartbeat lists it as inspected for 5 minutes',
    };
    const items = [
      ...healthyHub().filter((i) => i.pk !== 'COVERAGE'),
      coverageItem({ uncovered: [uncovered] }),
    ];
    const r = await run(flags, items);
    expect(r.exitCode).toBe(1);
    expect((r.document as { hub: { uncovered: unknown[] } }).hub.uncovered).toEqual([uncovered]);
  });

  it('refuses --service, and a config without fleet.hub, as usage errors', async () => {
    await expect(run([...flags, '--service', 'shop'], healthyHub())).rejects.toThrow(
      '--service does not go with --fleet --hub',
    );
    await expect(
      run(
        flags,
        healthyHub(),
        'services: []\nfleet:\n  roleName: r\n  accounts: ["111111111111"]\n  regions: [us-east-1]\n',
      ),
    ).rejects.toThrow('--hub needs a fleet.hub section in the config');
  });
});

describe('renderHubStatus', () => {
  const now = new Date(NOW);
  const text = (items: Record<string, unknown>[]) =>
    renderHubStatus(new Renderer(false), 'hub-t', summariseHub(readHubItems(items, now), now, 5));

  it('prints one line per spoke, then per service, then the uncovered list and a summary', () => {
    const out = text([
      spokeItem(A, 'us-east-1', {
        guarded: 2,
        refused: [
          {
            loadBalancerArn: lbArn(A, 'us-east-1', 'typo'),
            code: 'bad-guard',
            message: 'lbguard:guard must be true or false',
          },
        ],
      }),
      spokeItem(B, 'eu-west-1', { ageSeconds: 900 }),
      lbItem(A, 'us-east-1', 'shop', { diagnosis: 'routing-skew', incidentState: 'mitigating' }),
      lbItem(A, 'us-east-1', 'blog', { status: 'failed' }),
      lbItem(B, 'eu-west-1', 'checkout', { ageSeconds: 900 }),
      serviceItem(A, 'us-east-1', 'shop', 'confirmed', 'mitigating'),
      serviceItem(B, 'eu-west-1', 'gone', 'verifying', 'resolved'),
      coverageItem({
        uncovered: [
          {
            account: B,
            region: 'eu-west-1',
            loadBalancerArn: lbArn(B, 'eu-west-1', 'edge'),
            loadBalancer: 'edge',
            reason: 'spoke silent',
          },
        ],
        unreadable: [
          {
            account: '333333333333',
            region: 'us-east-1',
            error: 'AccessDenied assuming lbguard-fleet-reader',
          },
        ],
      }),
    ]);
    expect(out.split('\n')).toEqual([
      'hub table hub-t  coverage checked 20s ago over 2 account/regions',
      '',
      `! ${A} us-east-1  heartbeat 30s ago, 2 guarded, 1 refused  lbguard 1.4.0`,
      `    ${lbArn(A, 'us-east-1', 'typo')}: lbguard:guard must be true or false (bad-guard)`,
      `✗ ${B} eu-west-1  heartbeat 15m00s ago (stale: more than 5 min), 1 guarded, 0 refused  lbguard 1.4.0`,
      '',
      `✗ ${A} us-east-1  blog  inspection failed (the guard is blind to it)`,
      `✗ ${A} us-east-1  shop  routing-skew, incident mitigating; last transition inc-shop confirmed→mitigating at 2026-11-24T13:58:11.000Z`,
      `✓ ${B} eu-west-1  checkout  healthy, no incident`,
      `! ${B} eu-west-1  gone  in no recent heartbeat; last transition inc-gone verifying→resolved at 2026-11-24T13:58:11.000Z`,
      '',
      'uncovered',
      `✗ ${B} eu-west-1  edge  spoke silent`,
      '✗ 333333333333 us-east-1  (unreadable)  AccessDenied assuming lbguard-fleet-reader',
      '',
      'hub: 2 spokes, 4 services (2 not healthy), 2 uncovered',
    ]);
  });

  it('says so when the coverage check never ran, no spoke reported, or items were not in the layout', () => {
    const out = text([{ pk: 'SPOKE', sk: 'junk' }]);
    expect(out).toContain('the coverage check has never run');
    expect(out).toContain('! no spoke has sent a heartbeat');
    expect(out).toContain('1 hub item not in the hub layout, left out: SPOKE junk');
  });

  it('warns on a healthy diagnosis with an open incident, and marks a stale coverage check', () => {
    const out = text([
      spokeItem(A, 'us-east-1'),
      lbItem(A, 'us-east-1', 'shop', { incidentState: 'verifying' }),
      coverageItem({ ageSeconds: 3_700 }),
    ]);
    expect(out).toContain(`! ${A} us-east-1  shop  healthy, incident verifying`);
    expect(out).toContain('coverage checked 1h01m ago over 2 account/regions (stale: more than 5 min)');
  });

  it.each([
    [0, '0s ago'],
    [59, '59s ago'],
    [61, '1m01s ago'],
    [7_260, '2h01m ago'],
    [259_200, '3d ago'],
  ])('says %d seconds as %s', (seconds, said) => {
    expect(ago(seconds)).toBe(said);
  });
});

describe('DynamoDbHubTableReader', () => {
  const dynamodb = mockClient(DynamoDBClient);
  afterEach(() => dynamodb.reset());
  const reader = () => new DynamoDbHubTableReader(new DynamoDBClient({ region: 'us-east-1' }), 'hub-t');

  it('reads every page of a consistent scan, unmarshalled', async () => {
    dynamodb
      .on(ScanCommand, { TableName: 'hub-t', ConsistentRead: true })
      .resolves({
        Items: [{ pk: { S: 'SPOKE' }, guarded: { N: '2' } }],
        LastEvaluatedKey: { pk: { S: 'SPOKE' } },
      })
      .on(ScanCommand, { ExclusiveStartKey: { pk: { S: 'SPOKE' } } })
      .resolves({ Items: [{ pk: { S: 'COVERAGE' } }] });
    expect(await reader().readAll()).toEqual([{ pk: 'SPOKE', guarded: 2 }, { pk: 'COVERAGE' }]);
  });

  it.each(['ResourceNotFoundException', 'AccessDeniedException'])(
    'turns %s into an AWS error (exit 3) naming the table and the flags that fix it',
    async (name) => {
      dynamodb.on(ScanCommand).rejects(Object.assign(new Error('no'), { name }));
      const error = await reader()
        .readAll()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(3);
      expect((error as CliError).message).toBe(`the hub table hub-t could not be read (${name})`);
      expect((error as CliError).hints.join('\n')).toMatch(/--hub-table NAME[\s\S]*--profile NAME/);
    },
  );

  it('leaves other failures (credentials, network) to the CLI’s own classification', async () => {
    dynamodb
      .on(ScanCommand)
      .rejects(Object.assign(new Error('bad key'), { name: 'UnrecognizedClientException' }));
    await expect(reader().readAll()).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });
});
