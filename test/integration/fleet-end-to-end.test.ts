import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { FleetMetrics } from '../../lambdas/adapters/fleet-metrics.ts';
import { fromItem, toItem } from '../../lambdas/adapters/state-store/attributes.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { checkCoverage } from '../../lambdas/flows/hub-coverage.ts';
import { type IngestOutcome, ingestHubEvent } from '../../lambdas/flows/hub-ingest.ts';
import { hubCoverageDeps } from '../../lambdas/hub-coverage/deps.ts';
import { hubIngestDeps } from '../../lambdas/hub-ingest/deps.ts';
import { readHubCoverageEnv, readHubIngestEnv } from '../../lambdas/runtime/hub-env.ts';
import type { LbGuardConfigInput } from '../../lib/config/index.ts';
import { resetMoto } from '../support/aws-env.ts';
import {
  type AccountCredentials,
  assumeIn,
  createQueue,
  type MotoQueue,
  type MotoScope,
} from '../support/fleet-moto.ts';
import { createSpoke, type FleetSite, type Spoke, startFleetSite } from '../support/fleet-spoke.ts';
import { FakeClock, testConfig } from '../support/lambda-fakes.ts';

// The fleet end to end on one moto (issue 19): six spokes (3 accounts × 2 regions) run the
// production enrol, probe and inspect flows under their own account's credentials and report on
// their default bus; the test plays the cross-account forward (moto does not forward bus to bus),
// and the hub, in a fourth "monitoring" account, ingests and checks coverage by assuming the
// fleet role in every spoke account — all on one test clock.

const ACCOUNTS = ['111111111111', '222222222222', '333333333333'] as const;
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const MONITORING: MotoScope = { account: '999999999999', region: 'us-east-1' };
const ROLE = 'lbguard-fleet-reader';
const HUB_TABLE = 'lbguard-hub';
const COVERAGE_MINUTES = 5;
const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

const profiles = (site: FleetSite): NonNullable<LbGuardConfigInput['discovery']>['profiles'] => ({
  default: {
    // Every tagged load balancer is probed by the profile: a tag's probe URL could not be loopback.
    probes: [{ name: 'home', url: site.url('home'), allowLoopback: true }],
    thresholds: { soakSeconds: 60, consecutiveBreaches: 2 },
    remediation: { mode: 'auto', verifyDeadlineSeconds: 30 },
  },
});

const key = (s: MotoScope) => `${s.account}/${s.region}`;
const clock = new FakeClock(new Date().toISOString());
const spokes = new Map<string, Spoke>();
let site: FleetSite;
let hubCredentials: AccountCredentials;
let hubInbox: MotoQueue;
let topicArn = '';
let dynamodb: DynamoDBClient;

const spokeAt = (account: string, region: string) => spokes.get(`${account}/${region}`) as Spoke;

const hubClient = () => ({
  endpoint: inject('motoUrl'),
  region: MONITORING.region,
  credentials: hubCredentials,
  maxAttempts: 2,
});

const ingested: string[] = [];
const ingestMetrics: FleetMetrics = {
  uncovered() {},
  coverageCheck() {},
  ingested(metric, detailType) {
    ingested.push(`${metric}:${detailType}`);
  },
};

/** An event as the hub bus's rule hands it to hub-ingest. */
interface Forwarded {
  readonly account: string;
  readonly region: string;
  readonly 'detail-type': string;
  readonly detail: { readonly loadBalancers?: readonly { readonly loadBalancerArn: string }[] };
}

/**
 * Hands what a spoke's rule forwarded to hub-ingest, as the hub bus's rule would. moto's SQS
 * delivery leaves out the envelope's `account`, which EventBridge sets to the sender's: put back.
 */
async function forward(spoke: Spoke): Promise<{ events: Forwarded[]; outcomes: IngestOutcome[] }> {
  const deps = hubIngestDeps(readHubIngestEnv({ LBGUARD_HUB_TABLE: HUB_TABLE }), {
    clientOptions: hubClient(),
    metrics: ingestMetrics,
    logger: SILENT,
    now: clock.now,
  });
  const events: Forwarded[] = [];
  const outcomes: IngestOutcome[] = [];
  for (const body of await spoke.toHub.drain(200)) {
    const envelope = { account: spoke.scope.account, ...(JSON.parse(body) as Record<string, unknown>) };
    expect(envelope).toMatchObject({ source: 'lbguard', region: spoke.scope.region });
    events.push(envelope as unknown as Forwarded);
    outcomes.push(await ingestHubEvent(envelope, deps));
  }
  return { events, outcomes };
}

const kinds = (outcomes: readonly IngestOutcome[]) => outcomes.map((o) => o.kind).sort();

/** The ARNs the heartbeat among `events` lists (exactly one heartbeat expected). */
function heartbeatArns(events: readonly Forwarded[]): string[] {
  const beats = events.filter((e) => e['detail-type'] === 'lbguard Heartbeat');
  expect(beats).toHaveLength(1);
  return (beats[0]?.detail.loadBalancers ?? []).map((lb) => lb.loadBalancerArn).sort();
}

/** Probe then inspect on schedule, and the events they reported ingested at the hub. */
async function guardRun(spoke: Spoke) {
  const probed = await spoke.probe();
  const inspected = await spoke.inspect();
  return {
    probed: probed.kind === 'probed' ? probed.services.map((s) => [s.service, s.runs, s.failed]) : probed,
    causes: inspected.kind === 'inspected' ? inspected.services.map((s) => s.diagnosis.cause) : inspected,
    ...(await forward(spoke)),
  };
}

/** One scheduled cycle of a spoke: the enrol sweep, then probe and inspect, ingested at the hub. */
async function cycle(spoke: Spoke) {
  const enrolled = await spoke.enrol();
  const sweepEvents = await forward(spoke);
  return { enrolled, sweepEvents, ...(await guardRun(spoke)) };
}

/** What people subscribed to `queue` (an SNS topic's SQS subscription) received since last read. */
async function messages(queue: MotoQueue): Promise<{ Subject: string; Message: string }[]> {
  return (await queue.drain(600)).map((b) => JSON.parse(b));
}

/** One coverage check as the function runs it (EMF to stdout, read back). */
async function coverageCheck() {
  const env = readHubCoverageEnv({
    LBGUARD_HUB_TABLE: HUB_TABLE,
    LBGUARD_HUB_TOPIC_ARN: topicArn,
    LBGUARD_FLEET_CONFIG: JSON.stringify({
      fleet: {
        roleName: ROLE,
        accounts: [...ACCOUNTS],
        regions: [...REGIONS],
        concurrency: 3,
        hub: { coverageMinutes: COVERAGE_MINUTES },
      },
      profiles: profiles(site),
    }),
  });
  const deps = hubCoverageDeps(env, { clientOptions: hubClient(), logger: SILENT, now: clock.now });
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    const outcome = await checkCoverage(deps);
    const emf = lines.filter((l) => l.includes('CloudWatchMetrics')).map((l) => JSON.parse(l));
    if (outcome.kind !== 'checked') throw new Error(`coverage check ${outcome.kind}`);
    return { ...outcome, emf };
  } finally {
    spy.mockRestore();
  }
}

const hubMessages = () => messages(hubInbox);

/**
 * The enrolment messages among what a spoke's people received (inspect tells them other things
 * too, such as a new last known good once the soak has passed).
 */
async function enrolmentMessages(spoke: Spoke) {
  return (await messages(spoke.inbox)).filter((m) => /: (now|no longer) guarded \(/.test(m.Subject));
}

async function spokeItem(scope: MotoScope) {
  const got = await dynamodb.send(
    new GetItemCommand({
      TableName: HUB_TABLE,
      Key: toItem({ pk: 'SPOKE', sk: `${scope.account}#${scope.region}` }),
    }),
  );
  return fromItem(got.Item ?? {});
}

const arnsOf = (list: readonly { loadBalancerArn?: string }[]) => list.map((e) => e.loadBalancerArn).sort();
const guardedArns = () => [...spokes.values()].map((s) => s.albs.guarded.arn).sort();

beforeAll(async () => {
  await resetMoto();
  site = await startFleetSite();
  const config = testConfig({ services: [], discovery: { profiles: profiles(site) } });
  const scopes = ACCOUNTS.flatMap((account) => REGIONS.map((region) => ({ account, region })));
  const created = await Promise.all(scopes.map((scope) => createSpoke(scope, config, clock)));
  for (const s of created) spokes.set(key(s.scope), s);

  hubCredentials = await assumeIn(MONITORING.account);
  dynamodb = new DynamoDBClient(hubClient());
  await createStateTable(dynamodb, HUB_TABLE);
  const sns = new SNSClient(hubClient());
  topicArn = (await sns.send(new CreateTopicCommand({ Name: 'lbguard-hub' }))).TopicArn ?? '';
  hubInbox = await createQueue(MONITORING, 'hub-inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: hubInbox.arn }));
  sns.destroy();
}, 90_000);

afterAll(async () => {
  for (const s of spokes.values()) s.close();
  dynamodb?.destroy();
  await site?.close();
});

const uncoveredRecords = (emf: Record<string, unknown>[]) =>
  emf
    .filter((r) => 'Uncovered' in r)
    .map((r) => [r.Account, r.Region, r.LoadBalancer, r.Uncovered])
    .sort();

const SECOND = { account: ACCOUNTS[1], region: REGIONS[0] } as const;

describe('the fleet end to end: 3 accounts × 2 regions of spokes, one hub', () => {
  it('covers every tagged load balancer after one scheduled cycle of each spoke', async () => {
    const cycles = await Promise.all([...spokes.values()].map(cycle));
    for (const [i, c] of cycles.entries()) {
      const spoke = [...spokes.values()][i] as Spoke;
      expect(c.enrolled).toMatchObject({
        kind: 'written',
        transitions: [{ kind: 'enrol', reason: 'created', loadBalancerArn: spoke.albs.guarded.arn }],
      });
      expect(c.sweepEvents.events.map((e) => e['detail-type'])).toEqual(['lbguard Enrolment']);
      expect(kinds(c.sweepEvents.outcomes)).toEqual(['recorded']);
      expect(c.probed).toEqual([[spoke.albs.guarded.name, 1, 0]]);
      expect(c.causes).toEqual(['healthy']);
      expect(heartbeatArns(c.events)).toEqual([spoke.albs.guarded.arn]);
      expect(kinds(c.outcomes)).toEqual(['written']);
    }
    const { result, emf, notified } = await coverageCheck();
    expect(result.scopes).toBe(6);
    expect(result.unreadable).toEqual([]);
    expect(result.uncovered).toEqual([]);
    expect(arnsOf(result.covered)).toEqual(guardedArns());
    expect(notified).toBe(false);
    expect(uncoveredRecords(emf)).toEqual([]);
    expect(emf.filter((r) => 'CoverageChecks' in r)).toHaveLength(1);
    await Promise.all(
      [...spokes.values()].map(async (s) => {
        expect(await spokeItem(s.scope)).toMatchObject({ guarded: 1, refused: [] });
        const told = await enrolmentMessages(s);
        expect(told.map((m) => m.Subject)).toEqual([`lbguard ${s.albs.guarded.name}: now guarded (created)`]);
      }),
    );
    expect(await hubMessages()).toEqual([]);
  });

  it('guards a load balancer tagged since, from its AddTags event, without a redeploy; the hub covers it', async () => {
    clock.advance(60_000);
    const spoke = spokeAt(SECOND.account, SECOND.region);
    const { untagged, guarded } = spoke.albs;
    await spoke.tag(untagged, { 'lbguard:guard': 'true' });
    expect(await spoke.enrol('AddTags')).toMatchObject({
      kind: 'written',
      transitions: [
        { kind: 'enrol', reason: 'tagged', loadBalancerArn: untagged.arn, service: untagged.name },
      ],
    });
    const told = await enrolmentMessages(spoke);
    expect(told.map((m) => m.Subject)).toEqual([`lbguard ${untagged.name}: now guarded (tagged)`]);
    expect(told[0]?.Message).toContain(untagged.arn);
    expect(told[0]?.Message).toContain('the AddTags event');
    ingested.length = 0;
    const enrolment = await forward(spoke);
    expect(enrolment.events.map((e) => [e['detail-type'], e.account, e.region])).toEqual([
      ['lbguard Enrolment', SECOND.account, SECOND.region],
    ]);
    expect(kinds(enrolment.outcomes)).toEqual(['recorded']);
    expect(ingested).toEqual(['hubEvents:lbguard Enrolment']);

    const run = await guardRun(spoke);
    expect(run.probed).toEqual(
      [
        [guarded.name, 1, 0],
        [untagged.name, 1, 0],
      ].sort(),
    );
    expect(heartbeatArns(run.events)).toEqual([guarded.arn, untagged.arn].sort());
    expect(kinds(run.outcomes)).toEqual(['written']);
    expect(await spokeItem(SECOND)).toMatchObject({ guarded: 2 });

    const { result, notified } = await coverageCheck();
    expect(result.uncovered).toEqual([]);
    expect(arnsOf(result.covered)).toEqual([...guardedArns(), untagged.arn].sort());
    expect(notified).toBe(false);
    expect(await hubMessages()).toEqual([]);
  });

  it('uncovers exactly the silent spoke and each of its tagged load balancers, in one message', async () => {
    const silent = spokeAt(SECOND.account, SECOND.region);
    const lastSeen = clock.now().toISOString();
    clock.advance((COVERAGE_MINUTES + 1) * 60_000);
    const others = [...spokes.values()].filter((s) => s !== silent);
    for (const c of await Promise.all(others.map(cycle))) expect(kinds(c.outcomes)).toEqual(['written']);

    const { result, emf, notified } = await coverageCheck();
    const lbs = [silent.albs.guarded, silent.albs.untagged].sort((a, b) => a.arn.localeCompare(b.arn));
    expect(
      result.uncovered.map((u) => [u.account, u.region, u.loadBalancerArn, u.loadBalancer, u.reason]),
    ).toEqual(
      lbs.map((lb) => [
        SECOND.account,
        SECOND.region,
        lb.arn,
        lb.name,
        { kind: 'stale-heartbeat', lastSeen },
      ]),
    );
    expect(arnsOf(result.covered)).toEqual(others.map((s) => s.albs.guarded.arn).sort());
    expect(notified).toBe(true);
    expect(uncoveredRecords(emf)).toEqual(
      lbs.map((lb) => [SECOND.account, SECOND.region, lb.name, 1]).sort(),
    );
    expect(emf.find((r) => 'Uncovered' in r)._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'LbGuard/Fleet',
      Dimensions: [['Account', 'Region', 'LoadBalancer']],
    });

    const told = await hubMessages();
    expect(told.map((m) => m.Subject)).toEqual(['lbguard fleet coverage: 2 load balancers uncovered']);
    for (const lb of lbs) {
      expect(told[0]?.Message).toContain(
        `- ${SECOND.account} ${SECOND.region} ${lb.name} (${lb.arn}): no heartbeat since ${lastSeen} (last seen): the spoke stopped reporting`,
      );
    }
    for (const s of others) expect(told[0]?.Message).not.toContain(s.albs.guarded.name);

    // Nothing changed: counted again, told nobody again.
    const again = await coverageCheck();
    expect(again.notified).toBe(false);
    expect(uncoveredRecords(again.emf)).toHaveLength(2);
    expect(await hubMessages()).toEqual([]);
  });

  it('covers the spoke again once it runs again, with one recovery message', async () => {
    const spoke = spokeAt(SECOND.account, SECOND.region);
    const c = await cycle(spoke);
    expect(c.enrolled).toMatchObject({ kind: 'unchanged' });
    expect(heartbeatArns(c.events)).toEqual([spoke.albs.guarded.arn, spoke.albs.untagged.arn].sort());

    const { result, emf } = await coverageCheck();
    expect(result.uncovered).toEqual([]);
    expect(arnsOf(result.covered)).toEqual([...guardedArns(), spoke.albs.untagged.arn].sort());
    expect(uncoveredRecords(emf)).toEqual(
      [spoke.albs.guarded, spoke.albs.untagged]
        .map((lb) => [SECOND.account, SECOND.region, lb.name, 0])
        .sort(),
    );
    const told = await hubMessages();
    expect(told.map((m) => m.Subject)).toEqual(['lbguard fleet coverage: 2 recovered']);
    expect(told[0]?.Message).toContain(
      `- ${SECOND.account} ${SECOND.region} ${spoke.albs.untagged.name} (${spoke.albs.untagged.arn}): covered again; was stale-heartbeat since`,
    );
  });

  it('releases a load balancer untagged since: people are told, its heartbeat drops it, the hub no longer expects it', async () => {
    clock.advance(60_000);
    const spoke = spokeAt(SECOND.account, SECOND.region);
    const { untagged, guarded } = spoke.albs;
    await spoke.untag(untagged, ['lbguard:guard']);
    expect(await spoke.enrol('RemoveTags')).toMatchObject({
      kind: 'written',
      transitions: [{ kind: 'release', reason: 'untagged', loadBalancerArn: untagged.arn }],
    });
    const told = await enrolmentMessages(spoke);
    expect(told.map((m) => m.Subject)).toEqual([`lbguard ${untagged.name}: no longer guarded (untagged)`]);
    expect(told[0]?.Message).toContain(untagged.arn);
    expect(told[0]?.Message).toContain('the RemoveTags event');
    expect(kinds((await forward(spoke)).outcomes)).toEqual(['recorded']);

    const run = await guardRun(spoke);
    expect(run.probed).toEqual([[guarded.name, 1, 0]]);
    expect(heartbeatArns(run.events)).toEqual([guarded.arn]);
    expect(await spokeItem(SECOND)).toMatchObject({ guarded: 1 });

    const { result, notified } = await coverageCheck();
    expect(result.uncovered).toEqual([]);
    expect(arnsOf(result.covered)).toEqual(guardedArns());
    expect(notified).toBe(false);
    expect(await hubMessages()).toEqual([]);
  });
});
