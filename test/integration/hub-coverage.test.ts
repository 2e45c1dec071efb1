import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { AddTagsCommand, CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ec2QueryClient } from '../../drill/world/ec2-query.ts';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import type { FleetMetrics } from '../../lambdas/adapters/fleet-metrics.ts';
import { fromItem, toItem } from '../../lambdas/adapters/state-store/attributes.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { checkCoverage } from '../../lambdas/flows/hub-coverage.ts';
import { ingestHubEvent } from '../../lambdas/flows/hub-ingest.ts';
import { hubCoverageDeps } from '../../lambdas/hub-coverage/deps.ts';
import { hubIngestDeps } from '../../lambdas/hub-ingest/deps.ts';
import { readHubCoverageEnv, readHubIngestEnv } from '../../lambdas/runtime/hub-env.ts';
import { HUB_DETAIL_TYPES } from '../../lib/fleet/hub-events.ts';
import { resetMoto } from '../support/aws-env.ts';
import {
  assumeIn,
  createQueue,
  eventBridge,
  fleetMotoUrl,
  hubFunctionOptions,
  hubSetupCredentials,
  type MotoQueue,
  type MotoScope,
  startDenyingProxy,
} from '../support/fleet-moto.ts';

// The hub's runtime on moto: spokes in 3 accounts × 2 regions put their heartbeats on their own
// default bus; a rule there hands them on (here to an SQS queue standing in for the hub bus, read
// back and given to hub-ingest as its rule target would be); hub-coverage lists every account and
// region through the fleet role and compares. A fourth account refuses the role (a proxy plays
// STS 403, as moto never refuses). The IAM proof runs these with each hub function under its role
// (test/support/fleet-moto.ts `redirectFleetMoto`).

const READABLE = ['111111111111', '222222222222', '333333333333'] as const;
const DENIED = '444444444444';
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const ROLE = 'lbguard-fleet-reader';
const HUB: MotoScope = { account: '123456789012', region: 'us-east-1' };
const TABLE = 'lbguard-hub';
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };
const SILENT_SCOPE = { account: READABLE[1], region: 'eu-west-1' } as const;

const key = (s: MotoScope) => `${s.account}/${s.region}`;
const short = (s: MotoScope) => `${s.account.slice(0, 1)}-${s.region.replace(/-/g, '').slice(0, 4)}`;
const scopes: MotoScope[] = READABLE.flatMap((account) => REGIONS.map((region) => ({ account, region })));

interface Alb {
  readonly name: string;
  readonly arn: string;
}
const tagged = new Map<string, Alb>();
const forwardQueues = new Map<string, MotoQueue>();
let hubInbox: MotoQueue;
let topicArn = '';
let proxy: { url: string; close(): Promise<void> };
let dynamodb: DynamoDBClient;

/** One VPC per scope, and three ALBs on it: tagged to be guarded, opted out, untagged. */
async function createAlbs(scope: MotoScope): Promise<void> {
  const credentials = await assumeIn(scope.account, ROLE);
  const endpoint = fleetMotoUrl();
  const ec2 = new Ec2QueryClient({ endpoint, region: scope.region, credentials, timeoutMs: 30_000 });
  const elbv2 = createElbv2Client({ endpoint, region: scope.region, credentials, maxAttempts: 2 });
  try {
    const vpc = await ec2.createVpc('10.30.0.0/16');
    const subnets = [
      await ec2.createSubnet(vpc, '10.30.1.0/24', `${scope.region}a`),
      await ec2.createSubnet(vpc, '10.30.2.0/24', `${scope.region}b`),
    ];
    const kinds: [string, Record<string, string>][] = [
      ['g', { 'lbguard:guard': 'true', 'lbguard:probe-url': `https://g-${short(scope)}.example.com/` }],
      ['o', { 'lbguard:guard': 'false' }],
      ['u', { team: 'web' }],
    ];
    for (const [kind, tags] of kinds) {
      const name = `${kind}-${short(scope)}`;
      const created = await elbv2.send(
        new CreateLoadBalancerCommand({ Name: name, Subnets: subnets, Type: 'application' }),
      );
      const arn = created.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
      await elbv2.send(
        new AddTagsCommand({
          ResourceArns: [arn],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      if (kind === 'g') tagged.set(key(scope), { name, arn });
    }
  } finally {
    elbv2.destroy();
  }
}

/** The spoke's forwarding rule on its default bus, to a queue the test reads as the hub bus. */
async function createForwarding(scope: MotoScope): Promise<void> {
  const queue = await createQueue(scope, 'to-hub');
  await eventBridge(scope, 'PutRule', {
    Name: 'lbguard-to-hub',
    EventPattern: JSON.stringify({ source: ['lbguard'] }),
  });
  await eventBridge(scope, 'PutTargets', {
    Rule: 'lbguard-to-hub',
    Targets: [{ Id: 'hub', Arn: queue.arn }],
  });
  forwardQueues.set(key(scope), queue);
}

const recorded: { metric: string; detailType: string; properties?: Record<string, string> }[] = [];
const recordingMetrics: FleetMetrics = {
  uncovered() {},
  coverageCheck() {},
  ingested(metric, detailType, properties) {
    recorded.push({ metric, detailType, ...(properties === undefined ? {} : { properties }) });
  },
};

/** The test's own clients in the hub account. */
const hubClient = () => ({
  endpoint: fleetMotoUrl(),
  region: HUB.region,
  credentials: hubSetupCredentials(HUB.account),
  maxAttempts: 2,
});

/** A hub function's clients: as the test's, or under its role when the IAM proof redirects. */
const functionClient = (fn: 'hub-ingest' | 'hub-coverage') => ({ ...hubClient(), ...hubFunctionOptions(fn) });

/**
 * A spoke puts one event on its default bus; what its rule forwards is ingested at the hub. moto's
 * SQS target leaves out the envelope's `account`, which EventBridge always sets to the sender's:
 * it is put back here, from the account that put the event.
 */
async function deliver(scope: MotoScope, detailType: string, detail: unknown) {
  await eventBridge(scope, 'PutEvents', {
    Entries: [{ Source: 'lbguard', DetailType: detailType, Detail: JSON.stringify(detail) }],
  });
  const queue = forwardQueues.get(key(scope)) as MotoQueue;
  const bodies = await queue.drain(300);
  expect(bodies).toHaveLength(1);
  const envelope = {
    account: scope.account,
    ...(JSON.parse(bodies[0] as string) as Record<string, unknown>),
  };
  expect(envelope).toMatchObject({ source: 'lbguard', 'detail-type': detailType, region: scope.region });
  const deps = hubIngestDeps(readHubIngestEnv({ LBGUARD_HUB_TABLE: TABLE }), {
    clientOptions: functionClient('hub-ingest'),
    metrics: recordingMetrics,
    logger: SILENT,
  });
  return ingestHubEvent(envelope, deps);
}

function heartbeat(scope: MotoScope, at = new Date(), lbs: readonly Alb[] = [tagged.get(key(scope)) as Alb]) {
  return {
    version: 1,
    at: at.toISOString(),
    lbguardVersion: 'test',
    loadBalancers: lbs.map((lb) => ({
      loadBalancerArn: lb.arn,
      service: lb.name,
      status: 'inspected',
      diagnosis: 'healthy',
    })),
    refused: [],
  };
}

/** One coverage check as the function runs it, with the EMF records it wrote. */
async function coverageCheck(now?: Date) {
  const env = readHubCoverageEnv({
    LBGUARD_HUB_TABLE: TABLE,
    LBGUARD_HUB_TOPIC_ARN: topicArn,
    LBGUARD_FLEET_CONFIG: JSON.stringify({
      fleet: {
        roleName: ROLE,
        accounts: [...READABLE, DENIED],
        regions: [...REGIONS],
        concurrency: 3,
        hub: {},
      },
      profiles: {},
    }),
  });
  const deps = hubCoverageDeps(env, {
    clientOptions: { ...functionClient('hub-coverage'), endpoint: proxy.url },
    logger: SILENT,
    ...(now === undefined ? {} : { now: () => now }),
  });
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    const outcome = await checkCoverage(deps);
    const emf = lines.filter((l) => l.includes('CloudWatchMetrics')).map((l) => JSON.parse(l));
    return { outcome, emf };
  } finally {
    spy.mockRestore();
  }
}

/** The SNS messages that reached the hub topic's SQS subscription since the last call. */
async function hubMessages(): Promise<{ Subject: string; Message: string }[]> {
  return (await hubInbox.drain(1500)).map((b) => JSON.parse(b));
}

const uncoveredRecords = (emf: Record<string, unknown>[]) =>
  emf
    .filter((r) => 'Uncovered' in r)
    .map((r) => [r.Account, r.Region, r.LoadBalancer, r.Uncovered])
    .sort();

beforeAll(async () => {
  await resetMoto();
  // In front of the hub-coverage function's moto: the IAM proof's recorder, when redirected.
  proxy = await startDenyingProxy(hubFunctionOptions('hub-coverage')?.endpoint ?? fleetMotoUrl(), DENIED);
  for (const scope of scopes) {
    await createAlbs(scope);
    await createForwarding(scope);
  }
  dynamodb = new DynamoDBClient(hubClient());
  await createStateTable(dynamodb, TABLE);
  const sns = new SNSClient(hubClient());
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'lbguard-hub' }))).TopicArn ?? '';
  hubInbox = await createQueue(HUB, 'hub-inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: hubInbox.arn }));
  sns.destroy();
}, 240_000);

afterAll(async () => {
  dynamodb?.destroy();
  await proxy?.close();
});

describe('hub-ingest and hub-coverage over 4 accounts × 2 regions', () => {
  it('reports exactly the tagged load balancer of the one silent spoke, and the unreadable account, once', async () => {
    for (const scope of scopes) {
      if (key(scope) === key(SILENT_SCOPE)) continue;
      expect(await deliver(scope, HUB_DETAIL_TYPES.heartbeat, heartbeat(scope))).toMatchObject({
        kind: 'written',
        account: scope.account,
      });
    }
    const { outcome, emf } = await coverageCheck();
    expect(outcome.kind).toBe('checked');
    const silent = tagged.get(key(SILENT_SCOPE)) as Alb;
    expect(outcome.result.uncovered.map((u) => [u.account, u.region, u.loadBalancer, u.reason.kind])).toEqual(
      [
        [SILENT_SCOPE.account, SILENT_SCOPE.region, silent.name, 'no-heartbeat'],
        [DENIED, 'eu-west-1', '(unreadable)', 'scope-unreadable'],
        [DENIED, 'us-east-1', '(unreadable)', 'scope-unreadable'],
      ],
    );
    expect(outcome.result.covered).toHaveLength(5);
    expect(outcome.result.unreadable.map((s) => s.account)).toEqual([DENIED, DENIED]);
    expect(outcome.result.unreadable[0]?.error).toContain('assume-role: AccessDenied');

    expect(uncoveredRecords(emf)).toEqual([
      [SILENT_SCOPE.account, SILENT_SCOPE.region, silent.name, 1],
      [DENIED, 'eu-west-1', '(unreadable)', 1],
      [DENIED, 'us-east-1', '(unreadable)', 1],
    ]);
    const uncoveredDims = emf.find((r) => 'Uncovered' in r)._aws.CloudWatchMetrics[0];
    expect(uncoveredDims).toMatchObject({
      Namespace: 'LbGuard/Fleet',
      Dimensions: [['Account', 'Region', 'LoadBalancer']],
    });
    const checks = emf.filter((r) => 'CoverageChecks' in r);
    expect(checks).toHaveLength(1);
    // No dimension set: the one metric the missing-checks alarm watches.
    expect(checks[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([]);

    const messages = await hubMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Subject).toBe('lbguard fleet coverage: 3 load balancers uncovered');
    expect(messages[0]?.Message).toContain(
      `- ${SILENT_SCOPE.account} ${SILENT_SCOPE.region} ${silent.name} (${silent.arn}): no heartbeat has listed it`,
    );
    expect(messages[0]?.Message).toContain(`uncovered since ${outcome.result.at}`);
    expect(messages[0]?.Message).toContain(
      `- ${DENIED} us-east-1 (unreadable): the hub cannot list this account and region: assume-role: AccessDenied`,
    );
    for (const account of READABLE.filter((a) => a !== SILENT_SCOPE.account)) {
      expect(messages[0]?.Message).not.toContain(account);
    }

    const stored = await dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: toItem({ pk: 'COVERAGE', sk: 'LATEST' }) }),
    );
    expect(fromItem(stored.Item ?? {})).toMatchObject({ at: outcome.result.at, scopes: 6, coveredCount: 5 });
  });

  it('tells nobody on a check that changes nothing, and still counts the uncovered', async () => {
    const { outcome, emf } = await coverageCheck();
    expect(outcome.kind === 'checked' && outcome.notified).toBe(false);
    expect(uncoveredRecords(emf)).toHaveLength(3);
    expect(await hubMessages()).toEqual([]);
  });

  it('covers the spoke again once its heartbeats restart, with one recovered message', async () => {
    expect(await deliver(SILENT_SCOPE, HUB_DETAIL_TYPES.heartbeat, heartbeat(SILENT_SCOPE))).toMatchObject({
      kind: 'written',
    });
    const { outcome, emf } = await coverageCheck();
    const silent = tagged.get(key(SILENT_SCOPE)) as Alb;
    expect(outcome.result.uncovered.map((u) => u.account)).toEqual([DENIED, DENIED]);
    expect(uncoveredRecords(emf)).toContainEqual([SILENT_SCOPE.account, SILENT_SCOPE.region, silent.name, 0]);
    const messages = await hubMessages();
    expect(messages.map((m) => m.Subject)).toEqual(['lbguard fleet coverage: 1 recovered']);
    expect(messages[0]?.Message).toContain(
      `- ${SILENT_SCOPE.account} ${SILENT_SCOPE.region} ${silent.name} (${silent.arn}): covered again; was no-heartbeat since`,
    );
  });

  it("refuses a heartbeat naming another account's load balancer, counts it, and writes nothing", async () => {
    const from = { account: READABLE[0], region: 'us-east-1' };
    const other = tagged.get(`${READABLE[2]}/us-east-1`) as Alb;
    recorded.length = 0;
    const outcome = await deliver(from, HUB_DETAIL_TYPES.heartbeat, heartbeat(from, new Date(), [other]));
    expect(outcome).toMatchObject({ kind: 'refused', code: 'foreign-arn' });
    expect(recorded).toEqual([
      { metric: 'hubEventsRefused', detailType: 'lbguard Heartbeat', properties: { reason: 'foreign-arn' } },
    ]);
    const items = await dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: toItem({ ':pk': `LB#${from.account}#${from.region}` }),
      }),
    );
    expect((items.Items ?? []).map((i) => fromItem(i).loadBalancerArn)).toEqual([tagged.get(key(from))?.arn]);
  });

  it('never lets a late, older heartbeat overwrite a newer one', async () => {
    const scope = { account: READABLE[0], region: 'eu-west-1' };
    const spokeKey = toItem({ pk: 'SPOKE', sk: `${scope.account}#${scope.region}` });
    const before = fromItem(
      (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: spokeKey }))).Item ?? {},
    );
    const late = await deliver(
      scope,
      HUB_DETAIL_TYPES.heartbeat,
      heartbeat(scope, new Date(Date.now() - 10 * 60_000)),
    );
    expect(late.kind).toBe('stale');
    const after = fromItem(
      (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: spokeKey }))).Item ?? {},
    );
    expect(after.lastHeartbeatAt).toBe(before.lastHeartbeatAt);
  });

  it('keeps the latest finding and transition of a service side by side, newest wins', async () => {
    const scope = { account: READABLE[2], region: 'us-east-1' };
    const lb = tagged.get(key(scope)) as Alb;
    const at = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const finding = (when: string, diagnosis: string) => ({
      version: 1,
      at: when,
      service: lb.name,
      loadBalancerArn: lb.arn,
      diagnosis,
      summary: `${diagnosis} on ${lb.name}`,
      evidence: ['web: 0 healthy of 2'],
    });
    expect((await deliver(scope, HUB_DETAIL_TYPES.finding, finding(at(1), 'empty-target-group'))).kind).toBe(
      'written',
    );
    const transition = {
      version: 1,
      at: at(2),
      service: lb.name,
      loadBalancerArn: lb.arn,
      incidentId: 'inc-1',
      from: 'open',
      to: 'confirmed',
      summary: 'confirmed',
    };
    expect((await deliver(scope, HUB_DETAIL_TYPES.transition, transition)).kind).toBe('written');
    expect((await deliver(scope, HUB_DETAIL_TYPES.finding, finding(at(3), 'older'))).kind).toBe('stale');
    const item = await dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: toItem({ pk: `SERVICE#${scope.account}#${scope.region}`, sk: lb.name }),
      }),
    );
    expect(fromItem(item.Item ?? {})).toMatchObject({
      loadBalancerArn: lb.arn,
      lastFinding: { diagnosis: 'empty-target-group', evidence: ['web: 0 healthy of 2'] },
      lastTransition: { incidentId: 'inc-1', to: 'confirmed' },
    });
  });

  it('writes a heartbeat of 150 load balancers whole, past the 100 items of one transaction', async () => {
    const scope = { account: READABLE[2], region: 'eu-west-1' };
    const many = [
      tagged.get(key(scope)) as Alb,
      ...Array.from({ length: 149 }, (_, i) => ({
        name: `x${i}`,
        arn: `arn:aws:elasticloadbalancing:${scope.region}:${scope.account}:loadbalancer/app/x${i}/${String(i).padStart(16, '0')}`,
      })),
    ];
    expect(
      await deliver(scope, HUB_DETAIL_TYPES.heartbeat, heartbeat(scope, new Date(), many)),
    ).toMatchObject({
      kind: 'written',
    });
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamodb.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: toItem({ ':pk': `LB#${scope.account}#${scope.region}` }),
          ...(start === undefined ? {} : { ExclusiveStartKey: start as never }),
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    expect(count).toBe(150);
    const spoke = await dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: toItem({ pk: 'SPOKE', sk: `${scope.account}#${scope.region}` }),
      }),
    );
    expect(fromItem(spoke.Item ?? {}).guarded).toBe(150);
  });

  it('uncovers every load balancer whose heartbeat is older than coverageMinutes', async () => {
    const { outcome } = await coverageCheck(new Date(Date.now() + 6 * 60_000));
    const stale = outcome.result.uncovered.filter((u) => u.reason.kind === 'stale-heartbeat');
    expect(stale.map((u) => u.loadBalancerArn).sort()).toEqual([...tagged.values()].map((t) => t.arn).sort());
    const messages = await hubMessages();
    expect(messages.map((m) => m.Subject)).toEqual(['lbguard fleet coverage: 6 load balancers uncovered']);
    expect(messages[0]?.Message).toMatch(/no heartbeat since \S+ \(last seen\): the spoke stopped reporting/);
  });
});
