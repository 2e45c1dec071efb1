import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AddTagsCommand,
  DeleteLoadBalancerCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it } from 'vitest';
import { createPowertoolsApplyOnce } from '../../lambdas/adapters/apply-once.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { EventBridgeHubReporter } from '../../lambdas/adapters/eventbridge-hub-reporter.ts';
import { HttpProber } from '../../lambdas/adapters/http-prober.ts';
import type { HubReporter } from '../../lambdas/adapters/hub-reporter.ts';
import { type Notifier, SnsNotifier } from '../../lambdas/adapters/notifier.ts';
import type { BorrowedClientConfig } from '../../lambdas/adapters/signed-request.ts';
import type { RegistryStore } from '../../lambdas/adapters/state-store/enrolment-registry.ts';
import { DynamoDbRegistryStore } from '../../lambdas/adapters/state-store/enrolment-registry-writer.ts';
import { KmsStateSigner } from '../../lambdas/adapters/state-store/state-signer.ts';
import { enrolDeps } from '../../lambdas/enrol/deps.ts';
import { runEnrolment } from '../../lambdas/flows/enrolment.ts';
import { inspect } from '../../lambdas/flows/inspect.ts';
import { probe } from '../../lambdas/flows/probe.ts';
import { remediate } from '../../lambdas/flows/remediate.ts';
import { inspectDeps } from '../../lambdas/inspect/deps.ts';
import { probeDeps } from '../../lambdas/probe/deps.ts';
import { remediateDeps } from '../../lambdas/remediate/deps.ts';
import { type EnrolEvent, EnrolEventSchema } from '../../lambdas/runtime/enrol-events.ts';
import type { LbGuardEnv } from '../../lambdas/runtime/env.ts';
import { InspectEventSchema, type RemediateRequest } from '../../lambdas/runtime/events.ts';
import type { LbGuardConfig } from '../../lib/config/index.ts';
import type { HubEvent } from '../../lib/fleet/hub-events.ts';
import { motoClientConfig } from '../support/aws-env.ts';
import { deregisterTargets, outageShop } from '../support/elbv2-fixtures.ts';
import {
  RecordingInvoker,
  RecordingMetrics,
  RecordingNotifier,
  SilentLog,
  testConfig,
} from '../support/lambda-fakes.ts';
import {
  createMotoWorld,
  type MotoWorld,
  type SpokeClients,
  spokeClients as spokeFunctionClients,
  TABLE,
} from '../support/moto-lambdas.ts';

// The spoke enrols a tagged load balancer itself (issue 19): the enrol function's sweep writes the
// signed registry, and inspect, probe and remediate — wired exactly as the functions wire
// themselves, against moto — guard it from their next run, without a redeploy. Each function has
// its own clients (`spokeClients`): the IAM proof runs these scenarios with each under its role;
// `clients` is the test's own set-up and reads (and "someone with write access to the table").

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ENVELOPE = {
  version: '0',
  account: ACCOUNT,
  region: REGION,
  resources: [],
  time: '2026-11-02T14:00:00Z',
};
const ELBV2_WRITES = new Set(['ModifyListener', 'ModifyRule', 'RegisterTargets', 'DeregisterTargets']);

const sweepEvent: EnrolEvent = EnrolEventSchema.parse({
  ...ENVELOPE,
  id: 'sweep',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  detail: {},
});

function cloudTrail(eventName: string, errorCode?: string): EnrolEvent {
  return EnrolEventSchema.parse({
    ...ENVELOPE,
    id: `ct-${eventName}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.elasticloadbalancing',
    detail: {
      eventSource: 'elasticloadbalancing.amazonaws.com',
      eventName,
      eventTime: '2026-11-02T14:00:00Z',
      ...(errorCode === undefined ? {} : { errorCode }),
    },
  });
}

const scheduled = InspectEventSchema.parse({
  ...ENVELOPE,
  id: 'tick',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  detail: {},
});

class RecordingHub implements HubReporter {
  readonly events: HubEvent[] = [];
  async report(events: readonly HubEvent[]): Promise<void> {
    this.events.push(...events);
  }

  /**
   * One function's reporter: records, and puts the events on the default bus with that function's
   * signing, as with a hub (`LBGUARD_HUB_EVENTS=on`), so the IAM proof sees its events:PutEvents.
   */
  of(signing: BorrowedClientConfig): HubReporter {
    let undelivered = 0;
    const bus = new EventBridgeHubReporter(signing, {
      log: new SilentLog(),
      countFailures: (entries) => {
        undelivered += entries;
      },
      retryDelayMs: 0,
    });
    return {
      report: async (events) => {
        await this.report(events);
        await bus.report(events);
        // The reporter never throws; a test that lost events must not pass unnoticed.
        if (undelivered > 0) throw new Error(`${undelivered} hub events not put on the default bus`);
      },
    };
  }
}

/** The spoke: a config with no services[], only discovery, and the four functions wired to moto. */
interface Spoke {
  readonly config: LbGuardConfig;
  readonly env: LbGuardEnv;
  /** The test's own clients. */
  readonly clients: AwsClients;
  /** Each function's clients. */
  readonly functions: SpokeClients;
  readonly notifier: RecordingNotifier;
  readonly logger: SilentLog;
  readonly metrics: RecordingMetrics;
  readonly hub: RecordingHub;
  readonly invoker: RecordingInvoker;
  readonly writes: string[];
  enrol(event?: EnrolEvent, registry?: RegistryStore): ReturnType<typeof runEnrolment>;
  inspect(): ReturnType<typeof inspect>;
  tick(advanceMs?: number): ReturnType<typeof inspect>;
  probe(): ReturnType<typeof probe>;
  remediate(request: RemediateRequest): ReturnType<typeof remediate>;
  tag(tags: Record<string, string>): Promise<void>;
  untag(keys: readonly string[]): Promise<void>;
  registryStore(): DynamoDbRegistryStore;
}

let w: MotoWorld | undefined;
let spokeClients: object[] = [];
afterEach(async () => {
  for (const c of new Set(spokeClients)) destroyAwsClients(c);
  spokeClients = [];
  await w?.close();
  w = undefined;
});

async function createSpoke(): Promise<{ world: MotoWorld; spoke: Spoke }> {
  const world = await createMotoWorld(outageShop, () => ({}));
  w = world;
  const site = world.config.services[0]?.probes[0]?.steps[0]?.url ?? '';
  const config = testConfig({
    services: [],
    discovery: {
      profiles: {
        default: {
          probes: [{ name: 'home', url: site, allowLoopback: true }],
          thresholds: { soakSeconds: 60, consecutiveBreaches: 2 },
          remediation: { mode: 'auto', verifyDeadlineSeconds: 30 },
        },
      },
    },
  });
  const env: LbGuardEnv = { ...world.runtime.env, config };
  const clients = createAwsClients(motoClientConfig());
  const functions = spokeFunctionClients(clients);
  spokeClients = [clients, functions.probe, functions.inspect, functions.remediate, functions.enrol];
  const writes: string[] = [];
  functions.remediate.elbv2.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context.commandName ?? '').replace(/Command$/, '');
      if (ELBV2_WRITES.has(name)) writes.push(name);
      return next(args);
    },
    { step: 'initialize', name: 'spokeWrites' },
  );
  const notifier = new RecordingNotifier();
  const logger = new SilentLog();
  const metrics = new RecordingMetrics();
  const hub = new RecordingHub();
  const invoker = new RecordingInvoker();
  const now = world.clock.now;
  const prober = new HttpProber({ now });
  const applyOnce = createPowertoolsApplyOnce({ dynamodb: functions.remediate.dynamodb, tableName: TABLE });
  const lbArn = world.shop.loadBalancerArn;
  const spoke: Spoke = {
    config,
    env,
    clients,
    functions,
    notifier,
    logger,
    metrics,
    hub,
    invoker,
    writes,
    enrol: (event = sweepEvent, registry) =>
      runEnrolment(
        event,
        enrolDeps(env, {
          clients: functions.enrol,
          notifier: published(notifier, new SnsNotifier(functions.enrol.sns, env.topicArn)),
          logger,
          metrics,
          hub: hub.of(functions.enrol.elbv2.config),
          now,
          ...(registry ? { registry } : {}),
        }),
      ),
    inspect: () =>
      inspect(
        scheduled,
        inspectDeps(env, {
          clients: functions.inspect,
          invoker,
          logger,
          metrics,
          hub: hub.of(functions.inspect.elbv2.config),
          now,
        }),
      ),
    async tick(advanceMs = 60_000) {
      world.clock.advance(advanceMs);
      await spoke.probe();
      return spoke.inspect();
    },
    probe: () =>
      probe(
        { kind: 'probe', loopSeconds: 0 },
        probeDeps(env, { clients: functions.probe, prober, logger, metrics, now, sleep: world.clock.sleep }),
      ),
    remediate: (request) =>
      remediate(
        request,
        remediateDeps(env, {
          clients: functions.remediate,
          prober,
          applyOnce,
          logger,
          metrics,
          hub: hub.of(functions.remediate.elbv2.config),
          now,
          sleep: world.clock.sleep,
          lockOwner: 'req-1',
        }),
      ),
    async tag(tags) {
      const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      await world.admin.elbv2.send(new AddTagsCommand({ ResourceArns: [lbArn], Tags }));
    },
    async untag(keys) {
      await world.admin.elbv2.send(new RemoveTagsCommand({ ResourceArns: [lbArn], TagKeys: [...keys] }));
    },
    // Enrol's own store, as enrolDeps builds it.
    registryStore: () =>
      new DynamoDbRegistryStore(
        functions.enrol.dynamodb,
        TABLE,
        new KmsStateSigner(functions.enrol.elbv2.config, env.stateKey ?? '', { canSign: true }),
      ),
  };
  return { world, spoke };
}

/** Records each notification, then publishes it to the topic as the function's own notifier does. */
function published(recording: RecordingNotifier, sns: SnsNotifier): Notifier {
  return {
    notify: async (n) => {
      await recording.notify(n);
      return sns.notify(n);
    },
  };
}

const GUARD = { 'lbguard:guard': 'true', 'lbguard:name': 'shop' };

function inspectedNames(outcome: Awaited<ReturnType<typeof inspect>>): string[] {
  return outcome.kind === 'inspected' ? outcome.services.map((s) => s.service) : [];
}

describe('the spoke enrols tagged load balancers itself', () => {
  it('enrols a load balancer on its AddTags event, and the next inspect and probe guard it without a redeploy', async () => {
    const { world, spoke } = await createSpoke();
    expect(await spoke.enrol()).toMatchObject({ kind: 'written', version: 1, transitions: [] });
    expect(inspectedNames(await spoke.inspect())).toEqual([]);

    await spoke.tag(GUARD);
    const out = await spoke.enrol(cloudTrail('AddTags'));
    expect(out).toMatchObject({
      kind: 'written',
      version: 2,
      transitions: [
        { kind: 'enrol', service: 'shop', reason: 'tagged', loadBalancerArn: world.shop.loadBalancerArn },
      ],
    });
    expect(spoke.notifier.sent).toHaveLength(1);
    expect(spoke.notifier.sent[0]?.state).toBe('enrolled');
    expect(spoke.notifier.sent[0]?.lines.join(' ')).toContain(world.shop.loadBalancerArn);
    expect(spoke.notifier.sent[0]?.lines.join(' ')).toContain('AddTags');
    expect(spoke.hub.events.filter((e) => e.detailType === 'lbguard Enrolment')).toHaveLength(1);

    const probed = await spoke.probe();
    expect(probed.kind === 'probed' ? probed.services.map((s) => [s.service, s.runs]) : []).toEqual([
      ['shop', 1],
    ]);
    spoke.hub.events.length = 0;
    expect(inspectedNames(await spoke.inspect())).toEqual(['shop']);
    const heartbeat = spoke.hub.events.find((e) => e.detailType === 'lbguard Heartbeat');
    expect(heartbeat?.detail).toMatchObject({
      lbguardVersion: expect.any(String),
      loadBalancers: [{ loadBalancerArn: world.shop.loadBalancerArn, service: 'shop', status: 'inspected' }],
      refused: [],
    });
  });

  it('enrols a load balancer created already tagged on the periodic sweep alone', async () => {
    const { spoke } = await createSpoke();
    await spoke.tag(GUARD);
    const out = await spoke.enrol();
    expect(out).toMatchObject({ kind: 'written', transitions: [{ kind: 'enrol', reason: 'created' }] });
    expect(await spoke.enrol()).toMatchObject({ kind: 'unchanged', version: 1 });
    expect(spoke.notifier.sent).toHaveLength(1);
    expect(inspectedNames(await spoke.inspect())).toEqual(['shop']);
  });

  it('ignores a failed CloudTrail call: nothing is swept or written', async () => {
    const { spoke } = await createSpoke();
    await spoke.tag(GUARD);
    expect(await spoke.enrol(cloudTrail('AddTags', 'AccessDenied'))).toMatchObject({ kind: 'ignored' });
    expect(await spoke.registryStore().read({ account: ACCOUNT, region: REGION })).toEqual({
      kind: 'absent',
    });
  });

  it('releases a load balancer untagged, then one deleted, telling people each time', async () => {
    const { world, spoke } = await createSpoke();
    await spoke.tag(GUARD);
    await spoke.enrol();
    await spoke.untag(['lbguard:guard']);
    expect(await spoke.enrol(cloudTrail('RemoveTags'))).toMatchObject({
      transitions: [{ kind: 'release', service: 'shop', reason: 'untagged' }],
    });
    expect(spoke.notifier.sent.at(-1)).toMatchObject({ state: 'released', severity: 'warning' });
    expect(inspectedNames(await spoke.inspect())).toEqual([]);

    await spoke.tag(GUARD);
    expect(await spoke.enrol()).toMatchObject({ transitions: [{ kind: 'enrol', reason: 'tagged' }] });
    await world.admin.elbv2.send(
      new DeleteLoadBalancerCommand({ LoadBalancerArn: world.shop.loadBalancerArn }),
    );
    expect(await spoke.enrol(cloudTrail('DeleteLoadBalancer'))).toMatchObject({
      transitions: [{ kind: 'release', service: 'shop', reason: 'deleted' }],
    });
    expect(spoke.notifier.sent.map((n) => n.state)).toEqual(['enrolled', 'released', 'enrolled', 'released']);
    expect(spoke.notifier.sent.at(-1)?.lines.join(' ')).toContain('DeleteLoadBalancer');
  });

  it('refuses a tampered registry: the functions guard their config services only, loudly, until the next sweep rewrites it', async () => {
    const { spoke } = await createSpoke();
    await spoke.tag(GUARD);
    await spoke.enrol();
    const key = { pk: { S: `ENROLMENT#${ACCOUNT}#${REGION}` }, sk: { S: 'REGISTRY' } };
    const stored = await spoke.clients.dynamodb.send(
      new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }),
    );
    const item = stored.Item ?? {};
    // Someone with write access to the table points the guard at another account's load balancer.
    const forged = (item.body?.S ?? '').replaceAll(`:${ACCOUNT}:`, ':999999999999:');
    await spoke.clients.dynamodb.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...item, body: { S: forged } } }),
    );

    expect(inspectedNames(await spoke.inspect())).toEqual([]);
    expect(spoke.logger.lines.some((l) => l.level === 'error' && /registry unreadable/.test(l.message))).toBe(
      true,
    );
    expect(spoke.metrics.values('(registry)', 'RegistryUnreadable')).toEqual([1]);
    const probed = await spoke.probe();
    expect(probed.kind === 'probed' ? probed.services : undefined).toEqual([]);

    // The enrol function never builds on it either: it rewrites it, signed, from a fresh sweep.
    expect(await spoke.enrol()).toMatchObject({ kind: 'written', version: 2 });
    expect(inspectedNames(await spoke.inspect())).toEqual(['shop']);

    // An item put there by hand, with no version or MAC at all: refused, then overwritten too.
    await spoke.clients.dynamodb.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key, body: { S: forged } } }),
    );
    expect(inspectedNames(await spoke.inspect())).toEqual([]);
    expect(await spoke.enrol()).toMatchObject({ kind: 'written', version: 1 });
    expect(inspectedNames(await spoke.inspect())).toEqual(['shop']);
  });

  it('lets one of two racing sweeps write; the other re-reads and finds nothing left to do', async () => {
    const { spoke } = await createSpoke();
    await spoke.tag(GUARD);
    const store = spoke.registryStore();
    // Both sweeps read the (empty) registry before either writes: the race, made certain.
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racing: RegistryStore = {
      read: async (scope) => {
        const read = await store.read(scope);
        if (++arrived === 2) release();
        if (arrived <= 2) await bothRead;
        return read;
      },
      write: (scope, body, version) => store.write(scope, body, version),
    };
    const outcomes = await Promise.all([spoke.enrol(sweepEvent, racing), spoke.enrol(sweepEvent, racing)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['unchanged', 'written']);
    expect(spoke.notifier.sent).toHaveLength(1);
    expect(spoke.logger.lines.some((l) => /another sweep wrote the registry first/.test(l.message))).toBe(
      true,
    );
  });

  /** The tagged load balancer enrolled, guarded a while, then the outage's deployment: remediate asked. */
  async function outageOnEnrolled(world: MotoWorld, spoke: Spoke): Promise<RemediateRequest> {
    await spoke.tag(GUARD);
    await spoke.enrol();
    await spoke.tick(0);
    await spoke.tick(61_000);
    // The outage's deployment: all traffic to web-a, three of four targets gone.
    await world.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
    const { groups } = world.shop;
    await deregisterTargets(
      world.admin,
      groups['web-a']?.arn ?? '',
      (groups['web-a']?.targets ?? []).slice(1),
    );
    await deregisterTargets(world.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
    await spoke.tick();
    await spoke.tick();
    const request = spoke.invoker.requests[0];
    expect(request?.service).toBe('shop');
    return request as RemediateRequest;
  }

  it('remediate restores a tag-enrolled load balancer still tagged, as it would a listed one', async () => {
    const { world, spoke } = await createSpoke();
    const request = await outageOnEnrolled(world, spoke);
    const out = await spoke.remediate(request);
    expect(out.outcome).toBe('resolved');
    expect(spoke.writes.sort()).toEqual(['ModifyListener', 'RegisterTargets', 'RegisterTargets']);
    expect(
      spoke.hub.events.filter((e) => e.detailType === 'lbguard Incident Transition').length,
    ).toBeGreaterThan(0);
  });

  it('remediate refuses to write to a load balancer untagged since it was enrolled', async () => {
    const { world, spoke } = await createSpoke();
    const request = await outageOnEnrolled(world, spoke);
    const before = await world.liveHash();

    await spoke.untag(['lbguard:guard']);
    const out = await spoke.remediate(request);
    expect(out).toMatchObject({
      outcome: 'refused',
      reason: expect.stringMatching(/no longer tagged lbguard:guard/),
    });
    expect(spoke.writes).toEqual([]);
    expect(await world.liveHash()).toBe(before);
    expect(spoke.hub.events.some((e) => e.detailType === 'lbguard Incident Transition')).toBe(true);
  });
});
