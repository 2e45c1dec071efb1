// One account and region with 100 load balancers (issue 19, "Bench"): builds them on moto, each
// tagged `lbguard:guard=true` with `lbguard:probe-url`, enrols them with one sweep of the spoke's
// enrol flow (the signed registry in the state table), and runs the real scheduled inspect cycle
// over all of them (lambdas/flows/inspect.ts, wired by lambdas/inspect/deps.ts with the production
// adapters: services from the registry, a heartbeat to the event bus) through the recording proxy:
// wall time per cycle against the one-minute schedule and inspect's 90 s timeout, AWS calls by
// operation, and where the time goes, service by service.

import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  type RuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { startMoto } from '../drill/world/moto.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../lambdas/adapters/clients.ts';
import { Elbv2LoadBalancerReader } from '../lambdas/adapters/elbv2/reader.ts';
import { NoHubReporter } from '../lambdas/adapters/hub-reporter.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import type { MetricsSink } from '../lambdas/adapters/metrics-sink.ts';
import type { RemediationInvoker } from '../lambdas/adapters/remediation-handoff.ts';
import { toItem } from '../lambdas/adapters/state-store/attributes.ts';
import { DynamoDbStateStore } from '../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { registryKey } from '../lambdas/adapters/state-store/enrolment-registry.ts';
import { KmsStateSigner } from '../lambdas/adapters/state-store/state-signer.ts';
import { createStateKey, createStateTable } from '../lambdas/adapters/state-store/table.ts';
import { enrolDeps } from '../lambdas/enrol/deps.ts';
import { runEnrolment } from '../lambdas/flows/enrolment.ts';
import { inspect } from '../lambdas/flows/inspect.ts';
import { inspectDeps } from '../lambdas/inspect/deps.ts';
import { EnrolEventSchema } from '../lambdas/runtime/enrol-events.ts';
import { InspectEventSchema } from '../lambdas/runtime/events.ts';
import { type LbGuardConfig, loadConfigOrThrow } from '../lib/config/index.ts';
import { TAGS } from '../lib/fleet/index.ts';
import { isMetricsTick } from '../lib/observation.ts';
import { hashSnapshot } from '../lib/snapshot.ts';
import type { ProbeResult } from '../lib/types.ts';
import { createVpcWithSubnets } from './fleet.ts';
import { judgeSchedule, type ScheduleVerdict } from './fleet-verdict.ts';
import {
  countByOperation,
  type RecordedCall,
  type RecordingProxy,
  startRecordingProxy,
  timeByOperation,
  waitsOf,
} from './recording-proxy.ts';
import { median, percentile } from './stats.ts';

const TABLE = 'lbguard-bench-lbs';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
/** infra/functions.ts: inspect's Lambda timeout. */
export const INSPECT_TIMEOUT_SECONDS = 90;
/**
 * Assumed, not measured: one round trip to an AWS API from Lambda in the same region (ELBv2
 * Describe* and GetMetricData tens of ms, DynamoDB under 10 ms), for the projection only.
 */
export const AWS_ROUND_TRIP_MS = 50;
/** Load balancers built in parallel: moto serialises much of its work, more gains nothing. */
const BUILD_CONCURRENCY = 4;

/** One load balancer of the fleet: 1–2 IP target groups on unusual ports, a few rules. */
export interface LoadBalancerShape {
  readonly name: string;
  readonly probeUrl: string;
  readonly groups: readonly { readonly port: number; readonly targetPorts: readonly number[] }[];
  /** Rules besides the default (which forwards to group 0); weights index `groups`. */
  readonly rules: readonly {
    readonly priority: number;
    readonly conditions: readonly RuleCondition[];
    readonly forward: readonly (readonly [group: number, weight: number])[];
  }[];
}

/**
 * Load balancer `i` of the fleet: every other one has a second target group, reached by a 90/10
 * weighted forward behind a host + path rule; target counts vary from 3 to 5, ports are odd ones.
 */
export function loadBalancerShape(i: number): LoadBalancerShape {
  const two = i % 2 === 1;
  const targets = 3 + (i % 3);
  const groups = Array.from({ length: two ? 2 : 1 }, (_, g) => ({
    port: 8081 + ((i * 7 + g * 3) % 23),
    targetPorts: Array.from({ length: targets }, (_, t) => 9001 + ((i + t) % 5) * 2),
  }));
  const host = (h: string): RuleCondition => ({ Field: 'host-header', HostHeaderConfig: { Values: [h] } });
  const path = (p: string): RuleCondition => ({ Field: 'path-pattern', PathPatternConfig: { Values: [p] } });
  const last = groups.length - 1;
  return {
    name: `fleet-lb-${String(i).padStart(3, '0')}`,
    probeUrl: `https://svc-${i}.example.com/health`,
    groups,
    rules: [
      { priority: 1, conditions: [host(`svc-${i}.example.com`)], forward: [[0, 1]] },
      {
        priority: 2,
        conditions: [host(`api-${i}.example.com`), path('/v2/*')],
        forward: two
          ? [
              [0, 90],
              [1, 10],
            ]
          : [[0, 1]],
      },
      { priority: 3, conditions: [path('/static/*')], forward: [[last, 1]] },
    ],
  };
}

async function buildLoadBalancer(
  elbv2: ElasticLoadBalancingV2Client,
  net: { readonly vpcId: string; readonly subnets: readonly string[] },
  i: number,
  nextIp: () => string,
): Promise<void> {
  const shape = loadBalancerShape(i);
  const lb = await elbv2.send(
    new CreateLoadBalancerCommand({
      Name: shape.name,
      Subnets: [...net.subnets],
      Type: 'application',
      Scheme: 'internal',
      Tags: [
        { Key: TAGS.guard, Value: 'true' },
        { Key: TAGS.probeUrl, Value: shape.probeUrl },
      ],
    }),
  );
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (loadBalancerArn === undefined) throw new Error(`moto returned no load balancer ${shape.name}`);
  const groupArns: string[] = [];
  for (const [g, group] of shape.groups.entries()) {
    const out = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: `${shape.name}-${g}`,
        Protocol: 'HTTP',
        Port: group.port,
        VpcId: net.vpcId,
        TargetType: 'ip',
        HealthCheckPath: '/health',
      }),
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    if (arn === undefined) throw new Error(`moto returned no target group ${shape.name}-${g}`);
    groupArns.push(arn);
    await elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: arn,
        // Distinct IPs across the fleet: moto keys targets by Id alone.
        Targets: group.targetPorts.map((port) => ({ Id: nextIp(), Port: port })),
      }),
    );
  }
  const forward = (weights: readonly (readonly [number, number])[]) => [
    {
      Type: 'forward' as const,
      ForwardConfig: {
        TargetGroups: weights.map(([g, w]) => ({ TargetGroupArn: groupArns[g] ?? '', Weight: w })),
      },
    },
  ];
  const listener = await elbv2.send(
    new CreateListenerCommand({
      LoadBalancerArn: loadBalancerArn,
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: forward([[0, 1]]),
    }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn;
  if (listenerArn === undefined) throw new Error(`moto returned no listener for ${shape.name}`);
  for (const rule of shape.rules) {
    await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: rule.priority,
        Conditions: [...rule.conditions],
        Actions: forward(rule.forward),
      }),
    );
  }
}

/** Builds `count` tagged load balancers in one VPC; returns the target groups and targets made. */
async function buildFleet(
  admin: AwsClients,
  motoUrl: string,
  count: number,
): Promise<{ targetGroups: number; targets: number; rules: number }> {
  const net = await createVpcWithSubnets(motoUrl, 30);
  let ip = 0;
  const nextIp = (): string => {
    const k = ip++;
    return `10.30.${Math.floor(k / 250)}.${(k % 250) + 1}`;
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) await buildLoadBalancer(admin.elbv2, net, i, nextIp);
  };
  await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, worker));
  const shapes = Array.from({ length: count }, (_, i) => loadBalancerShape(i));
  return {
    targetGroups: shapes.reduce((a, s) => a + s.groups.length, 0),
    targets: ip,
    rules: shapes.reduce((a, s) => a + s.rules.length + 1, 0),
  };
}

/**
 * Enrols the account and region's tagged load balancers as the spoke does: one sweep of the enrol
 * flow (`runEnrolment`, production adapters: DescribeLoadBalancers + DescribeTags, `enrol()`, the
 * signed registry written to the state table). Inspect then reads its services from that
 * registry through its directory, as deployed. Returns the services enrolled.
 */
export async function enrolFleet(
  clients: AwsClients,
  env: {
    readonly config: LbGuardConfig;
    readonly tableName: string;
    readonly topicArn: string;
    readonly stateKey: string;
  },
): Promise<readonly { readonly service: string; readonly loadBalancerArn: string }[]> {
  const outcome = await runEnrolment(
    EnrolEventSchema.parse({ ...scheduled(), id: 'bench-sweep' }),
    enrolDeps(env, {
      clients: { elbv2: clients.elbv2, dynamodb: clients.dynamodb, sns: clients.sns },
      hub: new NoHubReporter(),
      metrics: silentMetrics,
      logger: silentLog,
    }),
  );
  if (outcome.kind !== 'written')
    throw new Error(`bench: the sweep enrolled nothing: ${JSON.stringify(outcome)}`);
  return outcome.transitions.flatMap((t) =>
    t.kind === 'enrol' ? [{ service: t.service, loadBalancerArn: t.loadBalancerArn }] : [],
  );
}

/** Each service's live snapshot, stored and promoted to last known good: a few at a time. */
async function seedSteadyState(
  services: readonly { readonly service: string; readonly loadBalancerArn: string }[],
  reader: Elbv2LoadBalancerReader,
  store: DynamoDbStateStore,
  at: string,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < services.length; i = next++) {
      const s = services[i];
      if (s === undefined) continue;
      const { snapshot } = await reader.readSnapshot(s.loadBalancerArn);
      const stored = { hash: hashSnapshot(snapshot), takenAt: at, snapshot };
      await store.putSnapshot(s.service, stored);
      await store.promoteLastGood(s.service, stored, 'bench', at);
    }
  };
  await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, worker));
}

/** Time between consecutive `inspected` lines: each service's share of the cycle (they run one by one). */
class ServiceTimingLog implements Log {
  #last = 0;
  readonly perService: { service: string; ms: number }[] = [];
  start(): void {
    this.#last = performance.now();
    this.perService.length = 0;
  }
  debug(): void {}
  info(message: string, ...extra: unknown[]): void {
    if (message !== 'inspected') return;
    const now = performance.now();
    const fields = (extra[0] ?? {}) as { service?: string };
    this.perService.push({ service: fields.service ?? '?', ms: now - this.#last });
    this.#last = now;
  }
  warn(): void {}
  error(): void {}
}

const silentMetrics: MetricsSink = { emit: () => {} };
const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The steady fleet: a hand-off to remediate would mean the cycle measured was not the one meant. */
const refuseHandOff: RemediationInvoker = {
  invoke: async () => {
    throw new Error('bench: the steady fleet opened an incident and asked for remediation');
  },
};

export interface LbsCycle {
  readonly ms: number;
  readonly metricsTick: boolean;
  readonly calls: Readonly<Record<string, number>>;
  /** Summed request time by operation, ms (a service's reads overlap, so this can exceed `ms`). */
  readonly requestMs: Readonly<Record<string, number>>;
  readonly awsCalls: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly perService: readonly { readonly service: string; readonly ms: number }[];
  readonly causes: Readonly<Record<string, number>>;
  /** Time with a call in flight, and the separate round trips waited on (recording-proxy.ts `waitsOf`). */
  readonly waitedMs: number;
  readonly roundTrips: number;
}

export interface LbsCycleSummary {
  readonly cycles: number;
  readonly medianMs: number;
  readonly allMs: readonly number[];
  /** The median cycle's calls and request time (the cycle whose wall time is the median). */
  readonly calls: Readonly<Record<string, number>>;
  readonly requestMs: Readonly<Record<string, number>>;
  readonly awsCalls: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly perServiceMs: { readonly median: number; readonly p90: number; readonly max: number };
  readonly slowest: readonly { readonly service: string; readonly ms: number }[];
  readonly verdict: ScheduleVerdict;
  /** The median cycle's own time (no call in flight) and the round trips it waited on. */
  readonly ownMs: number;
  readonly roundTrips: number;
  /** The median cycle with each round trip at AWS_ROUND_TRIP_MS instead of moto's: own + trips × latency. */
  readonly projectedAwsMs: number;
  readonly projectedVerdict: ScheduleVerdict;
}

export interface FleetLbsResults {
  readonly loadBalancers: number;
  readonly targetGroups: number;
  readonly targets: number;
  /** Rules, default rules included. */
  readonly rules: number;
  readonly buildSeconds: number;
  /** The listing the enrol sweep (and hub-coverage, per account and region) does: time and calls. */
  readonly sweep: { readonly ms: number; readonly calls: Readonly<Record<string, number>> };
  /** The enrolment registry item's bytes (as DynamoDB JSON) per enrolled service. */
  readonly registryBytesPerLb: number;
  /** The first cycle on the seeded steady state (every stored item verified once); not in the medians. */
  readonly warmUp: LbsCycle;
  readonly withMetrics: LbsCycleSummary;
  readonly withoutMetrics: LbsCycleSummary;
  readonly scheduleSeconds: number;
  readonly timeoutSeconds: number;
  /** The AWS round trip the projection assumes. */
  readonly awsRoundTripMs: number;
  readonly note: string;
}

const isAws = (key: string): boolean =>
  !key.startsWith('dynamodb:') && !key.startsWith('kms:') && !key.startsWith('sns:');

function summariseCycles(cycles: readonly LbsCycle[], scheduleMs: number): LbsCycleSummary {
  const sorted = [...cycles].sort((a, b) => a.ms - b.ms);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  if (mid === undefined) throw new Error('bench: no cycles to summarise');
  const perService = cycles.flatMap((c) => c.perService.map((s) => s.ms));
  const medianMs = median(cycles.map((c) => c.ms));
  const projected = mid.ms - mid.waitedMs + mid.roundTrips * AWS_ROUND_TRIP_MS;
  return {
    cycles: cycles.length,
    medianMs,
    allMs: cycles.map((c) => c.ms),
    calls: mid.calls,
    requestMs: mid.requestMs,
    awsCalls: mid.awsCalls,
    readUnits: mid.readUnits,
    writeUnits: mid.writeUnits,
    perServiceMs: {
      median: median(perService),
      p90: percentile(perService, 90),
      max: Math.max(...perService),
    },
    slowest: [...mid.perService].sort((a, b) => b.ms - a.ms).slice(0, 5),
    verdict: judgeSchedule(medianMs, scheduleMs, INSPECT_TIMEOUT_SECONDS * 1000),
    ownMs: mid.ms - mid.waitedMs,
    roundTrips: mid.roundTrips,
    projectedAwsMs: projected,
    projectedVerdict: judgeSchedule(projected, scheduleMs, INSPECT_TIMEOUT_SECONDS * 1000),
  };
}

const scheduled = () =>
  InspectEventSchema.parse({
    version: '0',
    id: 'bench-tick',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: '2026-11-02T14:00:00Z',
    region: REGION,
    resources: [],
    detail: {},
  });

/** A green run of the `lbguard:probe-url` probe (tags.ts names it `probe-url`). */
function okProbe(service: string, at: string): ProbeResult {
  const url = 'https://example.com/health';
  return {
    service,
    probe: 'probe-url',
    at,
    ok: true,
    steps: [{ name: 'probe-url', url, method: 'GET', latencyMs: 40, ok: true, status: 200, failures: [] }],
    totalMs: 40,
  };
}

/** Runs the part: moto, the recording proxy, `loadBalancers` load balancers, the cycles. */
export async function measureFleetLbs(options: {
  readonly loadBalancers: number;
  /** Measured cycles of each kind (with and without the metrics tick), after one warm-up. */
  readonly cycles: number;
  readonly log: (line: string) => void;
}): Promise<FleetLbsResults> {
  const moto = await startMoto();
  const proxy: RecordingProxy = await startRecordingProxy(moto.url);
  const admin = createAwsClients({
    endpoint: moto.url,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 2,
  });
  const clients = createAwsClients({ endpoint: proxy.url, region: REGION, credentials: CREDENTIALS });
  try {
    const t0 = performance.now();
    const built = await buildFleet(admin, moto.url, options.loadBalancers);
    await createStateTable(admin.dynamodb, TABLE);
    const stateKey = await createStateKey(admin.kms, TABLE);
    const topicArn =
      (await admin.sns.send(new CreateTopicCommand({ Name: 'lbguard-bench-lbs' }))).TopicArn ?? '';
    const buildSeconds = (performance.now() - t0) / 1000;
    options.log(
      `fleet-lbs: built ${options.loadBalancers} load balancers (${built.targetGroups} groups, ${built.targets} targets) in ${buildSeconds.toFixed(0)} s`,
    );

    const base = loadConfigOrThrow(
      JSON.stringify({ version: 1, region: REGION, services: [], discovery: {} }),
      'bench fleet-lbs config',
    );
    if (base.discovery === undefined) throw new Error('bench: the config lost its discovery section');
    // The sweep through the proxy: what the enrol function (and hub-coverage, per scope) pays.
    const env = { config: base, tableName: TABLE, topicArn, stateKey };
    proxy.take();
    const sweepStarted = performance.now();
    const services = await enrolFleet(clients, env);
    const sweepMs = performance.now() - sweepStarted;
    const sweepCalls = proxy.take();
    const sweep = {
      ms: sweepCalls.filter((c) => c.service === 'elasticloadbalancing').reduce((a, c) => a + c.ms, 0),
      calls: countByOperation(sweepCalls),
    };
    options.log(`fleet-lbs: enrolment sweep ${sweepMs.toFixed(0)} ms, ${services.length} enrolled`);
    if (services.length !== options.loadBalancers) {
      throw new Error(`bench: enrolled ${services.length} of ${options.loadBalancers} load balancers`);
    }
    // What every probe, inspect and sweep invocation reads: the registry item, whole.
    const registryItem = await admin.dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: toItem(registryKey({ account: ACCOUNT, region: REGION })),
      }),
    );
    const registryBytes = Buffer.byteLength(JSON.stringify(registryItem.Item ?? {}));
    const adminStore = new DynamoDbStateStore(admin.dynamodb, TABLE, {
      signer: new KmsStateSigner(admin.kms.config, stateKey, { canSign: true }),
    });
    let nowMs = 0;
    const logger = new ServiceTimingLog();
    // Inspect as deployed in a spoke with a hub: services from the registry, events to the bus.
    const deps = inspectDeps(
      { ...env, hubEvents: true },
      { clients, metrics: silentMetrics, logger, now: () => new Date(nowMs), invoker: refuseHandOff },
    );
    const start = Date.parse('2026-11-02T14:00:20.000Z');
    const at = (minute: number): string => new Date(start + minute * 60_000).toISOString();
    const freshProbes = async (minute: number): Promise<void> => {
      nowMs = Date.parse(at(minute));
      await Promise.all(
        services.map((s) => adminStore.putProbeResults(s.service, [okProbe(s.service, at(minute))])),
      );
    };
    const cycle = async (minute: number): Promise<LbsCycle> => {
      await freshProbes(minute);
      proxy.take();
      logger.start();
      const started = performance.now();
      const outcome = await inspect(scheduled(), deps);
      const ms = performance.now() - started;
      const calls: RecordedCall[] = proxy.take();
      const byOp = countByOperation(calls);
      const waits = waitsOf(calls);
      const causes: Record<string, number> = {};
      if (outcome.kind === 'inspected') {
        for (const s of outcome.services) causes[s.diagnosis.cause] = (causes[s.diagnosis.cause] ?? 0) + 1;
      }
      return {
        ms,
        metricsTick: isMetricsTick(new Date(at(minute)), base.schedule),
        calls: byOp,
        requestMs: timeByOperation(calls),
        awsCalls: Object.entries(byOp).reduce((a, [k, v]) => a + (isAws(k) ? v : 0), 0),
        readUnits: calls.reduce((a, c) => a + c.units.read, 0),
        writeUnits: calls.reduce((a, c) => a + c.units.write, 0),
        perService: [...logger.perService],
        causes,
        waitedMs: waits.busyMs,
        roundTrips: waits.roundTrips,
      };
    };

    // Steady state, seeded by the operator's hand: each service's snapshot stored and promoted to
    // last known good. Then a warm-up cycle verifies both items of every service once, as a warm
    // container has (protected-items.ts caches verified MACs), and the measured cycles follow.
    await seedSteadyState(services, new Elbv2LoadBalancerReader(admin.elbv2), adminStore, at(-2));
    const warmUp = await cycle(-1);
    options.log(
      `fleet-lbs: warm-up cycle ${(warmUp.ms / 1000).toFixed(1)} s (${JSON.stringify(warmUp.causes)})`,
    );
    const ticks: LbsCycle[] = [];
    const plain: LbsCycle[] = [];
    for (let minute = 0; ticks.length < options.cycles || plain.length < options.cycles; minute++) {
      const tick = isMetricsTick(new Date(at(minute)), base.schedule);
      const list = tick ? ticks : plain;
      if (list.length >= options.cycles) continue;
      const c = await cycle(minute);
      list.push(c);
      options.log(
        `fleet-lbs: cycle at minute ${minute}${tick ? ' (metrics tick)' : ''}: ${(c.ms / 1000).toFixed(1)} s, ${c.awsCalls} AWS calls`,
      );
    }
    const scheduleMs = base.schedule.inspectRateMinutes * 60_000;
    const withMetrics = summariseCycles(ticks, scheduleMs);
    const withoutMetrics = summariseCycles(plain, scheduleMs);
    return {
      loadBalancers: options.loadBalancers,
      ...built,
      buildSeconds,
      sweep,
      registryBytesPerLb: registryBytes / services.length,
      warmUp,
      withMetrics,
      withoutMetrics,
      scheduleSeconds: scheduleMs / 1000,
      timeoutSeconds: INSPECT_TIMEOUT_SECONDS,
      awsRoundTripMs: AWS_ROUND_TRIP_MS,
      note: 'moto on loopback answers in ms where AWS answers in tens of ms: the call counts carry over to AWS, the wall time does not (see the per-call request time)',
    };
  } finally {
    destroyAwsClients(admin);
    destroyAwsClients(clients);
    await proxy.close();
    await moto.stop();
  }
}
