import { createServer, type Server } from 'node:http';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { inject } from 'vitest';
import { Ec2QueryClient } from '../../drill/world/ec2-query.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { HttpProber } from '../../lambdas/adapters/http-prober.ts';
import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { enrolDeps } from '../../lambdas/enrol/deps.ts';
import { type EnrolmentOutcome, runEnrolment } from '../../lambdas/flows/enrolment.ts';
import { type InspectOutcome, inspect } from '../../lambdas/flows/inspect.ts';
import { type ProbeOutcome, probe } from '../../lambdas/flows/probe.ts';
import { inspectDeps } from '../../lambdas/inspect/deps.ts';
import { probeDeps } from '../../lambdas/probe/deps.ts';
import { EnrolEventSchema } from '../../lambdas/runtime/enrol-events.ts';
import type { LbGuardEnv } from '../../lambdas/runtime/env.ts';
import { InspectEventSchema } from '../../lambdas/runtime/events.ts';
import type { LbGuardConfig } from '../../lib/config/index.ts';
import { assumeIn, createQueue, eventBridge, type MotoQueue, type MotoScope } from './fleet-moto.ts';
import type { FakeClock } from './lambda-fakes.ts';
import { RecordingMetrics, SilentLog } from './lambda-fakes.ts';

// One spoke of a fleet on moto, for the end-to-end fleet test: its own account and region's state
// table, state key, topics and default-bus rule to the hub (an SQS queue the test drains, playing
// the cross-account forward), three ALBs (tagged, opted out, untagged), and enrol, probe and
// inspect wired by their production deps under that account's credentials. Only the clock, the
// logger, the metrics sink and the clients differ from a deployed spoke.

export const SPOKE_TABLE = 'lbguard-state';

export interface Alb {
  readonly name: string;
  readonly arn: string;
}

/** The site the fleet profile's probe checks, on loopback (the profile's probe allows it). */
export interface FleetSite {
  /** `http://127.0.0.1:<port>/<path>`. */
  url(path: string): string;
  close(): Promise<void>;
}

/**
 * A probe URL from a tag has no `allowLoopback` (a tag cannot open loopback), so the spokes probe
 * through their config's profile, whose probe may reach this loopback site: traffic stays on
 * 127.0.0.1 as everywhere else in the tests.
 */
export async function startFleetSite(): Promise<FleetSite> {
  const server: Server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: (path) => `http://127.0.0.1:${port}/${path}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Spoke {
  readonly scope: MotoScope;
  readonly env: LbGuardEnv;
  readonly albs: { readonly guarded: Alb; readonly optedOut: Alb; readonly untagged: Alb };
  /** What the default bus's `source: lbguard` rule forwarded (moto's SQS delivery). */
  readonly toHub: MotoQueue;
  /** The notification topic's SQS subscription: what people of this spoke receive. */
  readonly inbox: MotoQueue;
  readonly logger: SilentLog;
  /** The sweep schedule's tick, or a CloudTrail call (`AddTags`…) on this account and region. */
  enrol(eventName?: string): Promise<EnrolmentOutcome>;
  /** One run of the probe function (its schedule's). */
  probe(): Promise<ProbeOutcome>;
  /** Inspect's scheduled run. */
  inspect(): Promise<InspectOutcome>;
  tag(alb: Alb, tags: Record<string, string>): Promise<void>;
  untag(alb: Alb, keys: readonly string[]): Promise<void>;
  close(): void;
}

const short = (s: MotoScope) => `${s.account.slice(0, 1)}-${s.region.replace(/-/g, '').slice(0, 4)}`;

function envelope(scope: MotoScope, at: Date) {
  return {
    version: '0',
    account: scope.account,
    region: scope.region,
    resources: [],
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** Creates one spoke in `scope` of the run's moto; `config` is the stack's (discovery, no services). */
export async function createSpoke(scope: MotoScope, config: LbGuardConfig, clock: FakeClock): Promise<Spoke> {
  const endpoint = inject('motoUrl');
  const credentials = await assumeIn(scope.account);
  const clients: AwsClients = createAwsClients({
    endpoint,
    region: scope.region,
    credentials,
    maxAttempts: 2,
  });
  await createStateTable(clients.dynamodb, SPOKE_TABLE);
  const stateKey = await createStateKey(clients.kms, SPOKE_TABLE);
  const topic = async (Name: string) =>
    (await clients.sns.send(new CreateTopicCommand({ Name }))).TopicArn ?? '';
  const topicArn = await topic('lbguard');
  const remediationTopicArn = await topic('lbguard-remediation');
  const inbox = await createQueue(scope, 'people');
  await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: inbox.arn }));
  // The stack's forwarding rule (a bus target in AWS; here a queue the test reads as the hub bus).
  const toHub = await createQueue(scope, 'to-hub');
  await eventBridge(scope, 'PutRule', {
    Name: 'lbguard-to-hub',
    EventPattern: JSON.stringify({ source: ['lbguard'] }),
  });
  await eventBridge(scope, 'PutTargets', {
    Rule: 'lbguard-to-hub',
    Targets: [{ Id: 'hub', Arn: toHub.arn }],
  });

  const ec2 = new Ec2QueryClient({ endpoint, region: scope.region, credentials, timeoutMs: 30_000 });
  const vpc = await ec2.createVpc('10.30.0.0/16');
  const subnets = [
    await ec2.createSubnet(vpc, '10.30.1.0/24', `${scope.region}a`),
    await ec2.createSubnet(vpc, '10.30.2.0/24', `${scope.region}b`),
  ];
  const alb = async (kind: string, tags: Record<string, string>): Promise<Alb> => {
    const name = `${kind}-${short(scope)}`;
    const created = await clients.elbv2.send(
      new CreateLoadBalancerCommand({ Name: name, Subnets: subnets, Type: 'application' }),
    );
    const arn = created.LoadBalancers?.[0]?.LoadBalancerArn ?? '';
    // One group of two IP targets behind an HTTP listener: a routing inspect reads as healthy,
    // with no instance to launch (moto answers DescribeTargetGroups of an ALB with none by an
    // error where AWS answers an empty list).
    const group = await clients.elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${name}-web`,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpc,
        TargetType: 'ip',
      }),
    );
    const groupArn = group.TargetGroups?.[0]?.TargetGroupArn ?? '';
    await clients.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: groupArn,
        Targets: [
          { Id: '10.30.1.10', Port: 80 },
          { Id: '10.30.2.10', Port: 80 },
        ],
      }),
    );
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: arn,
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: groupArn }],
      }),
    );
    await clients.elbv2.send(
      new AddTagsCommand({
        ResourceArns: [arn],
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { name, arn };
  };
  const albs = {
    guarded: await alb('g', { 'lbguard:guard': 'true' }),
    optedOut: await alb('o', { 'lbguard:guard': 'false' }),
    untagged: await alb('u', { team: 'web' }),
  };

  const env: LbGuardEnv = {
    config,
    tableName: SPOKE_TABLE,
    topicArn,
    remediationTopicArn,
    stateKey,
    hubEvents: true,
  };
  const logger = new SilentLog();
  const metrics = new RecordingMetrics();
  const now = clock.now;
  const prober = new HttpProber({ now });
  return {
    scope,
    env,
    albs,
    toHub,
    inbox,
    logger,
    enrol: (eventName) =>
      runEnrolment(
        EnrolEventSchema.parse({
          ...envelope(scope, now()),
          id: `enrol-${eventName ?? 'sweep'}`,
          ...(eventName === undefined
            ? { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }
            : {
                'detail-type': 'AWS API Call via CloudTrail',
                source: 'aws.elasticloadbalancing',
                detail: {
                  eventSource: 'elasticloadbalancing.amazonaws.com',
                  eventName,
                  eventTime: envelope(scope, now()).time,
                },
              }),
        }),
        enrolDeps(env, { clients, logger, metrics, now }),
      ),
    probe: () =>
      probe(
        { kind: 'probe', loopSeconds: 0 },
        probeDeps(env, { clients, prober, logger, metrics, now, sleep: clock.sleep }),
      ),
    inspect() {
      const tick = InspectEventSchema.parse({
        ...envelope(scope, now()),
        id: 'tick',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        detail: {},
      });
      return inspect(tick, inspectDeps(env, { clients, logger, metrics, now }));
    },
    async tag(target, tags) {
      await clients.elbv2.send(
        new AddTagsCommand({
          ResourceArns: [target.arn],
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    },
    async untag(target, keys) {
      await clients.elbv2.send(new RemoveTagsCommand({ ResourceArns: [target.arn], TagKeys: [...keys] }));
    },
    close: () => destroyAwsClients(clients),
  };
}
