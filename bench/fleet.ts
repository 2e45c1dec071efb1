// Inspect at fleet scale against moto: builds a load balancer through the ELBv2 API (IP targets,
// several listeners, host/path/header rules, weighted forwards), then runs the real inspect cycle
// (`inspect` from lambdas/flows/inspect.ts, wired by lambdas/inspect/deps.ts with the production adapters) through a recording proxy
// that counts every AWS request by operation. The probe flow's DynamoDB traffic per
// invocation is measured the same way, for the cost model.
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
  type Action as SdkAction,
  type RuleCondition as SdkRuleCondition,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { startMoto } from '../drill/world/moto.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../lambdas/adapters/clients.ts';
import { buildAlbMetricQueries, MAX_QUERIES_PER_CALL } from '../lambdas/adapters/cloudwatch.ts';
import { Elbv2LoadBalancerReader } from '../lambdas/adapters/elbv2/reader.ts';
import { HttpProber } from '../lambdas/adapters/http-prober.ts';
import type { Log } from '../lambdas/adapters/log.ts';
import type { MetricsSink, MetricValue } from '../lambdas/adapters/metrics-sink.ts';
import type { RemediationInvoker } from '../lambdas/adapters/remediation-handoff.ts';
import { NO_SECRETS } from '../lambdas/adapters/secrets.ts';
import { DynamoDbStateStore } from '../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { encodeSnapshot } from '../lambdas/adapters/state-store/snapshot-codec.ts';
import { KmsStateSigner } from '../lambdas/adapters/state-store/state-signer.ts';
import { createStateKey, createStateTable } from '../lambdas/adapters/state-store/table.ts';
import { inspect } from '../lambdas/flows/inspect.ts';
import { probe } from '../lambdas/flows/probe.ts';
import { inspectDeps } from '../lambdas/inspect/deps.ts';
import { probeDeps } from '../lambdas/probe/deps.ts';
import { InspectEventSchema } from '../lambdas/runtime/events.ts';
import { type LbGuardConfig, type LbGuardConfigInput, loadConfigOrThrow } from '../lib/config/index.ts';
import { planEmfRecord } from '../lib/metrics.ts';
import { attributeRereadPeriod, isMetricsTick } from '../lib/observation.ts';
import { hashSnapshot } from '../lib/snapshot.ts';
import type { ProbeResult } from '../lib/types.ts';
import {
  countByOperation,
  type RecordedCall,
  type RecordingProxy,
  startRecordingProxy,
} from './recording-proxy.ts';
import { startSite } from './site.ts';
import { median } from './stats.ts';

export interface FleetScenario {
  readonly name: string;
  readonly targetGroups: number;
  readonly targetsPerGroup: number;
  readonly listeners: number;
  /** Rules per listener besides the default rule. */
  readonly rulesPerListener: number;
}

export const FLEET_SCENARIOS: readonly FleetScenario[] = [
  { name: '1 TG', targetGroups: 1, targetsPerGroup: 10, listeners: 1, rulesPerListener: 5 },
  { name: '10 TGs', targetGroups: 10, targetsPerGroup: 10, listeners: 3, rulesPerListener: 20 },
  { name: '100 TGs', targetGroups: 100, targetsPerGroup: 10, listeners: 10, rulesPerListener: 50 },
];

/** One measured inspect cycle. */
export interface CycleFigure {
  readonly ms: number;
  readonly metricsRead: boolean;
  /** DescribeTargetGroupAttributes calls in the cycle (the rotating slice; all groups on the first). */
  readonly attributeReads: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly emfBytes: number;
  readonly logBytes: number;
  readonly cause: string;
}

export interface FleetFigure {
  readonly scenario: FleetScenario;
  readonly targets: number;
  readonly rules: number;
  /** DescribeRules pages moto returned (its page size is 50, default rule included). */
  readonly rulePages: number;
  readonly metricQueries: number;
  readonly buildSeconds: number;
  readonly cycles: readonly CycleFigure[];
  /**
   * Medians over the scheduled cycles with and without the (every metricsPeriodSeconds) metrics
   * read. Every cycle also re-reads the attributes of its rotation's slice of the groups (each group
   * once a period, `attributeRereadPeriod`), so the cycles with metrics are the largest scheduled ones.
   */
  readonly withMetrics: CycleSummary;
  readonly withoutMetrics: CycleSummary;
  /**
   * Alarm-woken cycles off the metrics tick: metrics read, attributes as on any cycle. What an
   * ordinary cycle costs at most (a scheduled cycle whose probes failed reads the same).
   */
  readonly ordinaryWithMetrics: CycleSummary;
  /**
   * Largest cycle as designed, `1 + rule pages + 1 + groups + ⌈groups / period⌉ + ⌈queries / 500⌉`:
   * listeners, rules, target groups, health per group, the attribute slice, metrics.
   */
  readonly predictedAwsCalls: number;
  /** Most `DescribeTargetGroupAttributes` calls seen in one scheduled cycle. */
  readonly maxAttributeReads: number;
  /** Cycles until every group's attributes have been re-read: the rotation's period. */
  readonly attributeRotationCycles: number;
  /** The snapshot as JSON, and as stored in its DynamoDB item (gzipped above a threshold). */
  readonly snapshotJsonBytes: number;
  readonly snapshotStoredBytes: number;
}

export interface CycleSummary {
  readonly cycles: number;
  readonly medianMs: number;
  /** ELBv2 + CloudWatch calls (the load balancer and metrics reads). */
  readonly awsCalls: number;
  readonly dynamodbCalls: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly emfBytes: number;
  readonly logBytes: number;
  readonly cause: string;
}

export interface ProbeCycleFigure {
  /** One round without the served-by burst and the first round with it, ms (median). */
  readonly roundMs: number;
  readonly firstRoundMs: number;
  readonly calls: Readonly<Record<string, number>>;
  readonly readUnitsPerRound: number;
  readonly writeUnitsPerRound: number;
  readonly writeUnitsFirstRound: number;
  readonly emfBytesPerRound: number;
  readonly logBytesPerInvocation: number;
  readonly metricNames: readonly string[];
}

export interface FleetResults {
  readonly proxy: string;
  readonly scenarios: readonly FleetFigure[];
  readonly probe: ProbeCycleFigure;
  /** Metric names inspect emitted in steady state. */
  readonly inspectMetricNames: readonly string[];
}

const TABLE = 'lbguard-bench';
const SERVICE = 'fleet';
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const AZS = ['us-east-1a', 'us-east-1b'] as const;

/** Lambda context fields Powertools Logger adds to every line (realistic lengths). */
const LOG_CONTEXT = {
  cold_start: false,
  function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:LbGuard-InspectFunction-AbCdEf123456',
  function_memory_size: '256',
  function_name: 'LbGuard-InspectFunction-AbCdEf123456',
  function_request_id: '6f3b1d5e-8a4c-4e2b-9f7a-1c2d3e4f5a6b',
  sampling_rate: 0,
  service: 'lbguard-inspect',
  xray_trace_id: '1-6720f1a2-0123456789abcdef01234567',
};

/** Counts the bytes Powertools Logger would write for INFO and above (the deployed level). */
class ByteCountingLog implements Log {
  bytes = 0;
  #line(level: string, message: string, extra: unknown[]): void {
    const merged = Object.assign({}, ...extra.filter((e) => typeof e === 'object' && e !== null));
    this.bytes +=
      Buffer.byteLength(
        JSON.stringify({ level, message, timestamp: '2026-11-02T14:00:00.000Z', ...LOG_CONTEXT, ...merged }),
      ) + 1;
  }
  debug(): void {}
  info(message: string, ...extra: unknown[]): void {
    this.#line('INFO', message, extra);
  }
  warn(message: string, ...extra: unknown[]): void {
    this.#line('WARN', message, extra);
  }
  error(message: string, ...extra: unknown[]): void {
    this.#line('ERROR', message, extra);
  }
}

/** Serialises each emit as Powertools would print it (EMF), counting bytes and names. */
class EmfByteSink implements MetricsSink {
  bytes = 0;
  /** Names published as custom metrics (what CloudWatch bills), as the deployed sink decides. */
  readonly names = new Set<string>();
  readonly #metrics = new Metrics({ namespace: 'LbGuard' });

  constructor() {
    this.#metrics.clearDefaultDimensions();
  }

  // The same split as EmfMetricsSink: only `planEmfRecord`'s metrics are billed names, and a
  // record with none is not written.
  emit(service: string, values: readonly MetricValue[]): void {
    const plan = planEmfRecord(values);
    if (plan.metrics.length === 0) return;
    this.#metrics.addDimension('Service', service);
    for (const [name, value] of Object.entries(plan.properties)) {
      this.#metrics.addMetadata(name, value as unknown as string);
    }
    for (const v of plan.metrics) {
      this.names.add(v.name);
      this.#metrics.addMetric(v.name, v.unit === 'Count' ? 'Count' : 'Milliseconds', v.value);
    }
    this.bytes += Buffer.byteLength(JSON.stringify(this.#metrics.serializeMetrics())) + 1;
    this.#metrics.clearMetrics();
    this.#metrics.clearDimensions();
    this.#metrics.clearMetadata();
  }
}

/** A settable clock: each measured cycle happens at a chosen minute. */
/** The fleet is steady: a hand-off to remediate would mean the measured cycle was not the one meant. */
const refuseHandOff: RemediationInvoker = {
  invoke: async () => {
    throw new Error('bench: the steady fleet opened an incident and asked for remediation');
  },
};

class BenchClock {
  #ms = 0;
  set(iso: string): void {
    this.#ms = Date.parse(iso);
  }
  now = (): Date => new Date(this.#ms);
}

async function ec2Query(endpoint: string, params: Readonly<Record<string, string>>): Promise<string> {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes by the credential scope's service name; it does not verify signatures.
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Version: '2016-11-15', ...params }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`EC2 ${params.Action} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/**
 * A VPC `10.<octet>.0.0/16` with one subnet per zone of AZS, made through moto's EC2 query API
 * (the benches carry no EC2 client): what an ALB needs before it can be created.
 */
export async function createVpcWithSubnets(
  motoUrl: string,
  octet: number,
): Promise<{ readonly vpcId: string; readonly subnets: readonly string[] }> {
  const vpcId = xmlValue(
    await ec2Query(motoUrl, { Action: 'CreateVpc', CidrBlock: `10.${octet}.0.0/16` }),
    'vpcId',
  );
  const subnets: string[] = [];
  for (const [i, az] of AZS.entries()) {
    const xml = await ec2Query(motoUrl, {
      Action: 'CreateSubnet',
      VpcId: vpcId,
      CidrBlock: `10.${octet}.${i}.0/24`,
      AvailabilityZone: az,
    });
    subnets.push(xmlValue(xml, 'subnetId'));
  }
  return { vpcId, subnets };
}

function xmlValue(xml: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (m?.[1] === undefined) throw new Error(`no <${tag}> in EC2 response`);
  return m[1];
}

/**
 * Rule `r` of listener `l`: conditions rotate through host, path, host + path, header and
 * method + path; every fifth rule forwards 50/50 across two groups, the rest to one.
 */
export function ruleShape(
  l: number,
  r: number,
  groups: number,
): { readonly conditions: SdkRuleCondition[]; readonly groupWeights: readonly [number, number][] } {
  const host: SdkRuleCondition = {
    Field: 'host-header',
    HostHeaderConfig: { Values: [`svc-${l}-${r}.example.com`] },
  };
  const path: SdkRuleCondition = { Field: 'path-pattern', PathPatternConfig: { Values: [`/l${l}/r${r}/*`] } };
  const conditions: SdkRuleCondition[][] = [
    [host],
    [path],
    [host, path],
    [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Tenant', Values: [`t-${l}-${r}`] } }],
    [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } }, path],
  ];
  const g = (l * 7 + r) % groups;
  return {
    conditions: conditions[r % conditions.length] ?? [path],
    groupWeights:
      r % 5 === 0 && groups > 1
        ? [
            [g, 50],
            [(g + 1) % groups, 50],
          ]
        : [[g, 1]],
  };
}

function forward(groupArns: readonly string[], weights: readonly [number, number][]): SdkAction[] {
  return [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: weights.map(([g, w]) => ({ TargetGroupArn: groupArns[g] ?? '', Weight: w })),
      },
    },
  ];
}

async function buildFleet(
  admin: AwsClients,
  motoUrl: string,
  s: FleetScenario,
): Promise<{ loadBalancerArn: string }> {
  const { vpcId, subnets } = await createVpcWithSubnets(motoUrl, 20);
  const lb = await admin.elbv2.send(
    new CreateLoadBalancerCommand({
      Name: 'fleet',
      Subnets: [...subnets],
      Type: 'application',
      Scheme: 'internal',
    }),
  );
  const loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn;
  if (loadBalancerArn === undefined) throw new Error('moto returned no load balancer');

  const groupArns: string[] = [];
  for (let g = 0; g < s.targetGroups; g++) {
    const out = await admin.elbv2.send(
      new CreateTargetGroupCommand({
        Name: `fleet-${g}`,
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpcId,
        TargetType: 'ip',
        HealthCheckPath: '/health',
      }),
    );
    const arn = out.TargetGroups?.[0]?.TargetGroupArn;
    if (arn === undefined) throw new Error(`moto returned no target group ${g}`);
    groupArns.push(arn);
    // Distinct IPs across the fleet (moto keys targets by Id alone), on odd ports.
    await admin.elbv2.send(
      new RegisterTargetsCommand({
        TargetGroupArn: arn,
        Targets: Array.from({ length: s.targetsPerGroup }, (_, t) => {
          const k = g * s.targetsPerGroup + t;
          return { Id: `10.20.${Math.floor(k / 250)}.${(k % 250) + 1}`, Port: 8081 + (t % 3) };
        }),
      }),
    );
  }
  for (let l = 0; l < s.listeners; l++) {
    const listener = await admin.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Port: 8000 + l,
        Protocol: 'HTTP',
        DefaultActions: forward(groupArns, [[l % s.targetGroups, 1]]),
      }),
    );
    const listenerArn = listener.Listeners?.[0]?.ListenerArn;
    if (listenerArn === undefined) throw new Error('moto returned no listener');
    for (let r = 1; r <= s.rulesPerListener; r++) {
      const shape = ruleShape(l, r, s.targetGroups);
      await admin.elbv2.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: r,
          Conditions: shape.conditions,
          Actions: forward(groupArns, shape.groupWeights),
        }),
      );
    }
  }
  return { loadBalancerArn };
}

function okProbeResult(at: string): ProbeResult {
  return {
    service: SERVICE,
    probe: 'home',
    at,
    ok: true,
    steps: [
      {
        name: 'home',
        url: 'https://fleet.example.com/',
        method: 'GET',
        latencyMs: 42,
        ok: true,
        status: 200,
        failures: [],
      },
    ],
    totalMs: 42,
  };
}

function serviceConfig(loadBalancerArn: string, siteUrl: string): LbGuardConfig {
  const input: LbGuardConfigInput = {
    version: 1,
    region: REGION,
    services: [
      {
        name: SERVICE,
        loadBalancerArn,
        probes: [{ name: 'home', url: `${siteUrl}/`, allowLoopback: true }],
      },
    ],
  };
  return loadConfigOrThrow(JSON.stringify(input), 'bench fleet config');
}

const scheduled = () =>
  InspectEventSchema.parse({
    version: '0',
    id: 'bench-tick',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2026-11-02T14:00:00Z',
    region: REGION,
    resources: [],
    detail: {},
  });

/** Alarm-woken cycles measured per scenario (metrics read, attributes reused). */
const ALARM_CYCLES = 3;

const alarm = () =>
  InspectEventSchema.parse({
    version: '0',
    id: 'bench-alarm',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2026-11-02T14:00:00Z',
    region: REGION,
    resources: [],
    detail: { alarmName: 'fleet-5xx', state: { value: 'ALARM' } },
  });

const isAws = (key: string): boolean =>
  key.startsWith('elasticloadbalancing:') || key.startsWith('monitoring:');

function summarise(cycles: readonly CycleFigure[]): CycleSummary {
  const first = cycles[0];
  const sumOf = (calls: Readonly<Record<string, number>>, pick: (k: string) => boolean): number =>
    Object.entries(calls).reduce((a, [k, v]) => a + (pick(k) ? v : 0), 0);
  return {
    cycles: cycles.length,
    medianMs: median(cycles.map((c) => c.ms)),
    awsCalls: median(cycles.map((c) => sumOf(c.calls, isAws))),
    dynamodbCalls: median(cycles.map((c) => sumOf(c.calls, (k) => k.startsWith('dynamodb:')))),
    calls: first?.calls ?? {},
    readUnits: median(cycles.map((c) => c.readUnits)),
    writeUnits: median(cycles.map((c) => c.writeUnits)),
    emfBytes: median(cycles.map((c) => c.emfBytes)),
    logBytes: median(cycles.map((c) => c.logBytes)),
    cause: first?.cause ?? 'none',
  };
}

function unitsOf(calls: readonly RecordedCall[]): { read: number; write: number } {
  return calls.reduce((a, c) => ({ read: a.read + c.units.read, write: a.write + c.units.write }), {
    read: 0,
    write: 0,
  });
}

async function measureScenario(
  s: FleetScenario,
  env: {
    motoUrl: string;
    proxy: RecordingProxy;
    admin: AwsClients;
    clients: AwsClients;
    siteUrl: string;
    cycles: number;
  },
  log: (line: string) => void,
  inspectNames: Set<string>,
): Promise<FleetFigure> {
  const t0 = performance.now();
  const { loadBalancerArn } = await buildFleet(env.admin, env.motoUrl, s);
  await createStateTable(env.admin.dynamodb, TABLE);
  const stateKey = await createStateKey(env.admin.kms, TABLE);
  const topic = await env.admin.sns.send(new CreateTopicCommand({ Name: 'lbguard-bench' }));
  const buildSeconds = (performance.now() - t0) / 1000;

  const config = serviceConfig(loadBalancerArn, env.siteUrl);
  const topicArn = topic.TopicArn ?? '';
  // The operator's store: promotes as `lbguard snapshot --promote` does, with the state key.
  const adminStore = new DynamoDbStateStore(env.admin.dynamodb, TABLE, {
    signer: new KmsStateSigner(env.admin.kms.config, stateKey, { canSign: true }),
  });
  const adminReader = new Elbv2LoadBalancerReader(env.admin.elbv2);
  const clock = new BenchClock();
  const emf = new EmfByteSink();
  const logger = new ByteCountingLog();
  // Inspect as deployed (its own wiring, the production adapters) around the counted clients.
  const deps = inspectDeps(
    { config, tableName: TABLE, topicArn, stateKey },
    { clients: env.clients, metrics: emf, logger, now: clock.now, invoker: refuseHandOff },
  );

  // Steady state: one cycle stores the snapshot, then it is promoted to last known good.
  const base = Date.parse('2026-11-02T14:00:20.000Z');
  const at = (minute: number): string => new Date(base + minute * 60_000).toISOString();
  clock.set(at(-1));
  await adminStore.putProbeResults(SERVICE, [okProbeResult(at(-1))]);
  await inspect(scheduled(), deps);
  const state = await adminReader.readSnapshot(loadBalancerArn);
  const hash = hashSnapshot(state.snapshot);
  await adminStore.promoteLastGood(
    SERVICE,
    { hash, takenAt: at(-1), snapshot: state.snapshot },
    'bench',
    at(-1),
  );
  env.proxy.take();

  const measureCycle = async (minute: number, event: ReturnType<typeof scheduled>): Promise<CycleFigure> => {
    clock.set(at(minute));
    await adminStore.putProbeResults(SERVICE, [okProbeResult(at(minute))]);
    env.proxy.take();
    emf.bytes = 0;
    logger.bytes = 0;
    const started = performance.now();
    const outcome = await inspect(event, deps);
    const ms = performance.now() - started;
    const calls = env.proxy.take();
    const byOp = countByOperation(calls);
    const units = unitsOf(calls);
    for (const n of emf.names) inspectNames.add(n);
    return {
      ms,
      metricsRead: (byOp['monitoring:GetMetricData'] ?? 0) > 0,
      attributeReads: byOp['elasticloadbalancing:DescribeTargetGroupAttributes'] ?? 0,
      calls: byOp,
      readUnits: units.read,
      writeUnits: units.write,
      emfBytes: emf.bytes,
      logBytes: logger.bytes,
      cause: outcome.kind === 'inspected' ? (outcome.services[0]?.diagnosis.cause ?? 'none') : outcome.kind,
    };
  };
  const cycles: CycleFigure[] = [];
  for (let minute = 0; minute < env.cycles; minute++) cycles.push(await measureCycle(minute, scheduled()));
  // Alarm-woken cycles off the metrics tick: metrics forced, attributes reused.
  const alarmCycles: CycleFigure[] = [];
  for (let minute = env.cycles; alarmCycles.length < ALARM_CYCLES; minute++) {
    if (isMetricsTick(new Date(at(minute)), config.schedule)) continue;
    alarmCycles.push(await measureCycle(minute, alarm()));
  }
  // The stored snapshot's size decides what every read of it costs (two reads a cycle).
  const encoded = encodeSnapshot(state.snapshot);
  const snapshotStoredBytes =
    'snapshotJson' in encoded ? Buffer.byteLength(encoded.snapshotJson) : encoded.snapshotGzip.byteLength;

  const rules = s.listeners * (s.rulesPerListener + 1);
  const rulePages = s.listeners * Math.ceil((s.rulesPerListener + 1) / 50);
  const zones = new Set(
    state.snapshot.targetGroups.flatMap((g) => g.targets.flatMap((t) => t.availabilityZone ?? [])),
  );
  const metricQueries = buildAlbMetricQueries({
    loadBalancerArn,
    targetGroupArns: state.snapshot.targetGroups.map((g) => g.arn),
    availabilityZones: [...zones],
    start: at(0),
    end: at(5),
    periodSeconds: config.schedule.metricsPeriodSeconds,
  }).length;
  const figure: FleetFigure = {
    scenario: s,
    targets: s.targetGroups * s.targetsPerGroup,
    rules,
    rulePages,
    metricQueries,
    buildSeconds,
    cycles,
    withMetrics: summarise(cycles.filter((c) => c.metricsRead)),
    withoutMetrics: summarise(cycles.filter((c) => !c.metricsRead)),
    ordinaryWithMetrics: summarise(alarmCycles),
    predictedAwsCalls:
      1 +
      rulePages +
      1 +
      s.targetGroups +
      Math.ceil(s.targetGroups / attributeRereadPeriod(s.targetGroups)) +
      Math.ceil(metricQueries / MAX_QUERIES_PER_CALL),
    maxAttributeReads: Math.max(...cycles.map((c) => c.attributeReads)),
    attributeRotationCycles: attributeRereadPeriod(s.targetGroups),
    snapshotJsonBytes: Buffer.byteLength(JSON.stringify(state.snapshot)),
    snapshotStoredBytes,
  };
  log(
    `fleet ${s.name}: built in ${buildSeconds.toFixed(1)} s; cycle ${figure.withMetrics.medianMs.toFixed(0)} ms with metrics, ${figure.withoutMetrics.medianMs.toFixed(0)} ms without; AWS calls: without metrics ${figure.withoutMetrics.awsCalls}, with metrics ${figure.withMetrics.awsCalls} (predicted ${figure.predictedAwsCalls}), alarm-woken ${figure.ordinaryWithMetrics.awsCalls}; at most ${figure.maxAttributeReads} attribute reads a cycle`,
  );
  return figure;
}

/** One probe invocation's round(s) against the local site, as the example config defines them. */
async function measureProbeCycle(
  env: { proxy: RecordingProxy; clients: AwsClients; admin: AwsClients; siteUrl: string },
  rounds: number,
): Promise<ProbeCycleFigure> {
  await createStateTable(env.admin.dynamodb, TABLE);
  const site = env.siteUrl;
  const input: LbGuardConfigInput = {
    version: 1,
    region: REGION,
    services: [
      {
        name: SERVICE,
        loadBalancerArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fleet/50dc6c495c0c9188',
        servedByHeader: 'X-Served-By',
        // The example config's probes, pointed at the local site.
        probes: [
          {
            name: 'health',
            url: `${site}/health`,
            // The bench's site listens on 127.0.0.1.
            allowLoopback: true,
            expect: { status: [200], bodyContains: 'ok' },
            servedBySample: { requests: 50, concurrency: 5 },
          },
          {
            name: 'checkout-journey',
            allowLoopback: true,
            steps: [
              { name: 'home', url: `${site}/`, expect: { status: [200], bodyContains: 'Example Shop' } },
              {
                name: 'product',
                url: `${site}/products/blue-mug`,
                expect: { status: [200], bodyMatches: 'data-sku="[A-Z0-9-]+"' },
              },
              {
                name: 'cart',
                url: `${site}/cart/items`,
                method: 'POST',
                body: '{"sku":"MUG-BLUE","quantity":1}',
                expect: { status: [200, 201] },
              },
              {
                name: 'checkout',
                url: `${site}/checkout`,
                expect: { status: [200], bodyContains: 'Checkout' },
              },
            ],
          },
        ],
      },
    ],
  };
  const config = loadConfigOrThrow(JSON.stringify(input), 'bench probe config');
  const prober = new HttpProber();
  const emf = new EmfByteSink();
  const logger = new ByteCountingLog();
  const withoutSamples: LbGuardConfig = {
    ...config,
    services: config.services.map((s) => ({
      ...s,
      probes: s.probes.map(({ servedBySample: _sample, ...p }) => p),
    })),
  };
  const measureRound = async (withSample: boolean) => {
    env.proxy.take();
    emf.bytes = 0;
    logger.bytes = 0;
    const started = performance.now();
    // loopSeconds 0: exactly one round; the first round of an invocation also takes the sample.
    const outcome = await probe(
      { kind: 'probe', loopSeconds: 0 },
      probeDeps(
        { config: withSample ? config : withoutSamples, tableName: TABLE },
        { clients: env.clients, prober, secrets: NO_SECRETS, metrics: emf, logger, sleep: async () => {} },
      ),
    );
    const ms = performance.now() - started;
    if (outcome.kind !== 'probed' || outcome.services.some((s) => s.failed > 0)) {
      throw new Error(`probe round failed against the local site: ${JSON.stringify(outcome)}`);
    }
    const calls = env.proxy.take();
    return { ms, calls, units: unitsOf(calls), emf: emf.bytes, log: logger.bytes };
  };
  await measureRound(true);
  const first: Awaited<ReturnType<typeof measureRound>>[] = [];
  const plain: Awaited<ReturnType<typeof measureRound>>[] = [];
  for (let i = 0; i < rounds; i++) {
    first.push(await measureRound(true));
    plain.push(await measureRound(false));
  }
  prober.destroy();
  const f = first[0];
  const p = plain[0];
  if (f === undefined || p === undefined) throw new Error('no probe rounds measured');
  return {
    roundMs: median(plain.map((r) => r.ms)),
    firstRoundMs: median(first.map((r) => r.ms)),
    calls: countByOperation(f.calls),
    readUnitsPerRound: p.units.read,
    writeUnitsPerRound: p.units.write,
    writeUnitsFirstRound: f.units.write,
    emfBytesPerRound: median(plain.map((r) => r.emf)),
    // One "probe run complete" line per invocation; "probe failed" lines only on failures.
    logBytesPerInvocation: median(first.map((r) => r.log)),
    metricNames: [...emf.names].sort(),
  };
}

/** Starts moto, the recording proxy and the local site; measures every scenario; stops them all. */
export async function measureFleet(options: {
  readonly scenarios: readonly FleetScenario[];
  readonly cycles: number;
  readonly probeRounds: number;
  readonly log: (line: string) => void;
}): Promise<FleetResults> {
  const moto = await startMoto();
  const proxy = await startRecordingProxy(moto.url);
  const site = await startSite();
  const admin = createAwsClients({
    endpoint: moto.url,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 2,
  });
  const clients = createAwsClients({ endpoint: proxy.url, region: REGION, credentials: CREDENTIALS });
  try {
    const env = { motoUrl: moto.url, proxy, admin, clients, siteUrl: site.url, cycles: options.cycles };
    const inspectNames = new Set<string>();
    const scenarios: FleetFigure[] = [];
    for (const s of options.scenarios) {
      await moto.reset();
      scenarios.push(await measureScenario(s, env, options.log, inspectNames));
    }
    await moto.reset();
    const probeFigure = await measureProbeCycle(env, options.probeRounds);
    options.log(
      `probe round: ${probeFigure.firstRoundMs.toFixed(0)} ms with the served-by burst, ${probeFigure.roundMs.toFixed(0)} ms without`,
    );
    return {
      proxy:
        'loopback HTTP proxy in front of moto_server, counting X-Amz-Target / RPC v2 path / Action= per request',
      scenarios,
      probe: probeFigure,
      inspectMetricNames: [...inspectNames].sort(),
    };
  } finally {
    destroyAwsClients(admin);
    destroyAwsClients(clients);
    await site.stop();
    await proxy.close();
    await moto.stop();
  }
}
