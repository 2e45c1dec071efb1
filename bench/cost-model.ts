// Monthly cost of guarding services, from measured durations and request counts: the first
// service all-in (what the deployment creates once, plus that service) and each further one. Pure:
// every figure comes in as an argument, every price from bench/prices.ts.
import { PRICES } from './prices.ts';

/** A 30-day month, as docs/deploy.md counts it. */
export const MINUTES_PER_MONTH = 30 * 24 * 60;
const GIB = 1024 ** 3;

export interface CostSchedule {
  readonly probeIntervalSeconds: number;
  readonly probeLoopSeconds: number;
  readonly inspectRateMinutes: number;
  readonly metricsPeriodSeconds: number;
}

/** Billable resources of one scope (bench/template-count.ts splits the stack into them). */
export interface BillableResources {
  /** Metric alarms, and the metrics they read (what CloudWatch bills them by). */
  readonly standardAlarms: number;
  readonly alarmMetrics: number;
  readonly compositeAlarms: number;
  readonly kmsKeys: number;
  readonly dashboards: number;
}

export interface CostInputs {
  readonly schedule: CostSchedule;
  readonly probeMemoryMb: number;
  readonly inspectMemoryMb: number;
  /** One service's probe rounds, as measured. */
  readonly probe: {
    /** The first round of an invocation (with the served-by burst) and any later round, ms. */
    readonly firstRoundMs: number;
    readonly roundMs: number;
    readonly writeUnitsFirstRound: number;
    readonly writeUnitsPerRound: number;
    readonly readUnitsPerRound: number;
    readonly emfBytesPerRound: number;
    /** The invocation's closing log line: one per invocation, whatever the number of services. */
    readonly logBytesPerInvocation: number;
  };
  /** One service's inspect cycle; inspect works through the services one after another. */
  readonly inspect: {
    readonly msWithMetrics: number;
    readonly msWithoutMetrics: number;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly emfBytes: number;
    readonly logBytes: number;
  };
  /** Metrics requested per GetMetricData read of one service (4 + 1 per target group + 1 per AZ). */
  readonly metricQueries: number;
  /** Custom metric names published every month for one service (EMF, dimension Service). */
  readonly customMetrics: number;
  /** Created once, whatever the number of services. */
  readonly deployment: BillableResources;
  /** Created for every guarded service. */
  readonly service: BillableResources;
}

export interface CostLine {
  readonly item: string;
  readonly working: string;
  readonly usd: number;
}

/** A month's bill, line by line. */
export interface CostBreakdown {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

export interface CostEstimate {
  /** The deployment's shared resources plus one service: what guarding the first service costs. */
  readonly firstService: CostBreakdown;
  /** What each further service adds: its own resources and requests, nothing shared. */
  readonly additionalService: CostBreakdown;
  readonly probeRoundsPerMinute: number;
  readonly probeSecondsPerInvocation: number;
  /**
   * Billed probe seconds a further service adds to each invocation: its last round's time,
   * assuming its rounds run back to back with the others' (an upper bound; they are concurrent).
   */
  readonly extraProbeSecondsPerService: number;
  /** CloudWatch Synthetics for one service: one canary run per probe round. */
  readonly syntheticsUsd: number;
}

/**
 * Rounds per probe invocation: the loop starts a round every interval while less than
 * `probeLoopSeconds` has passed since the first, so 50 s at 10 s gives rounds at 0, 10 … 40 s.
 */
export function probeRounds(
  schedule: Pick<CostSchedule, 'probeIntervalSeconds' | 'probeLoopSeconds'>,
): number {
  return Math.max(1, Math.ceil(schedule.probeLoopSeconds / schedule.probeIntervalSeconds));
}

/**
 * Billed seconds of one probe invocation: the waits between rounds (Lambda bills wall time,
 * waiting included) plus the last round. Rounds are assumed shorter than the interval.
 */
export function probeInvocationSeconds(
  schedule: Pick<CostSchedule, 'probeIntervalSeconds' | 'probeLoopSeconds'>,
  firstRoundMs: number,
  roundMs: number,
): number {
  const rounds = probeRounds(schedule);
  const lastRoundMs = rounds === 1 ? firstRoundMs : roundMs;
  return (rounds - 1) * schedule.probeIntervalSeconds + Math.ceil(lastRoundMs) / 1000;
}

/** GetMetricData reads a month: one per `metricsPeriodSeconds`, never more than one per inspection. */
export function metricReadsPerMonth(
  schedule: Pick<CostSchedule, 'inspectRateMinutes' | 'metricsPeriodSeconds'>,
): number {
  const inspections = MINUTES_PER_MONTH / schedule.inspectRateMinutes;
  return Math.min(inspections, (MINUTES_PER_MONTH * 60) / schedule.metricsPeriodSeconds);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const price = (n: number): string => `$${n}`;
/** Seconds with the precision that still shows a sub-second round. */
const secs = (n: number): string => n.toFixed(n < 1 ? 3 : 2);

function breakdown(lines: CostLine[]): CostBreakdown {
  return { lines, totalUsd: lines.reduce((a, l) => a + l.usd, 0) };
}

/** `scope` names where the alarms come from, e.g. `10 deployment + 7 service = `. */
function alarmLine(r: BillableResources, scope: string): CostLine {
  const math = r.alarmMetrics - r.standardAlarms;
  return {
    item: 'alarms',
    working: `${scope}${r.standardAlarms} alarms reading ${r.alarmMetrics} metrics${math > 0 ? ` (metric math adds ${math})` : ''} × ${price(PRICES.standardAlarmMonth.usd)} + ${r.compositeAlarms} composite × ${price(PRICES.compositeAlarmMonth.usd)}`,
    usd: r.alarmMetrics * PRICES.standardAlarmMonth.usd + r.compositeAlarms * PRICES.compositeAlarmMonth.usd,
  };
}

const sumResources = (a: BillableResources, b: BillableResources): BillableResources => ({
  standardAlarms: a.standardAlarms + b.standardAlarms,
  alarmMetrics: a.alarmMetrics + b.alarmMetrics,
  compositeAlarms: a.compositeAlarms + b.compositeAlarms,
  kmsKeys: a.kmsKeys + b.kmsKeys,
  dashboards: a.dashboards + b.dashboards,
});

/**
 * The month's bill for the first guarded service (everything the deployment creates once, plus
 * that service) and for each further one (its own lines only), line by line in the same order.
 * The probe is one invocation a minute for every service and inspect one a period, so a further
 * service adds no invocation: only its probe round (`extraProbeSecondsPerService`), its inspect
 * cycle, its metrics, alarms, metric reads, state reads and writes and log bytes.
 */
export function estimateMonthlyCost(inputs: CostInputs): CostEstimate {
  const { schedule, probe, inspect } = inputs;
  const rounds = probeRounds(schedule);
  const probeSeconds = probeInvocationSeconds(schedule, probe.firstRoundMs, probe.roundMs);
  // Rounds shorter than the interval end in a wait that absorbs a further service's time; only the
  // last round's lengthens the invocation.
  const extraProbeSeconds = Math.ceil(rounds === 1 ? probe.firstRoundMs : probe.roundMs) / 1000;
  const probeInvocations = MINUTES_PER_MONTH;
  const probeGb = inputs.probeMemoryMb / 1024;

  const inspections = MINUTES_PER_MONTH / schedule.inspectRateMinutes;
  const metricReads = metricReadsPerMonth(schedule);
  const inspectSeconds =
    (metricReads * Math.ceil(inspect.msWithMetrics) +
      (inspections - metricReads) * Math.ceil(inspect.msWithoutMetrics)) /
    1000;
  const inspectGbs = inspectSeconds * (inputs.inspectMemoryMb / 1024);

  const writes =
    probeInvocations * (probe.writeUnitsFirstRound + (rounds - 1) * probe.writeUnitsPerRound) +
    inspections * inspect.writeUnits;
  const reads = probeInvocations * rounds * probe.readUnitsPerRound + inspections * inspect.readUnits;
  const serviceLogBytes =
    probeInvocations * rounds * probe.emfBytesPerRound + inspections * (inspect.logBytes + inspect.emfBytes);
  const invocationLogBytes = probeInvocations * probe.logBytesPerInvocation;

  // Lines every service pays in full, the first as much as any other.
  const perService = {
    inspect: {
      item: 'inspect compute',
      working: `${fmt(inspections)} cycles, ${fmt(inspectSeconds)} s × ${inputs.inspectMemoryMb / 1024} GB = ${fmt(inspectGbs)} GB-s`,
      usd: inspectGbs * PRICES.lambdaArmGbSecond.usd,
    },
    metrics: {
      item: 'custom metrics',
      working: `${inputs.customMetrics} names with dimension Service × ${price(PRICES.customMetricMonth.usd)}`,
      usd: inputs.customMetrics * PRICES.customMetricMonth.usd,
    },
    getMetricData: {
      item: 'GetMetricData',
      working: `${fmt(metricReads)} reads × ${inputs.metricQueries} metrics`,
      usd: metricReads * inputs.metricQueries * PRICES.getMetricDataMetric.usd,
    },
    dynamodb: {
      item: 'DynamoDB on demand',
      working: `${fmt(writes)} WRU + ${fmt(reads)} RRU`,
      usd: writes * PRICES.dynamodbWriteUnit.usd + reads * PRICES.dynamodbReadUnit.usd,
    },
  } satisfies Record<string, CostLine>;
  const sns: CostLine = { item: 'SNS', working: 'alarm and incident notifications only', usd: 0 };

  const first = sumResources(inputs.deployment, inputs.service);
  const firstService = breakdown([
    {
      item: 'probe compute',
      working: `${fmt(probeInvocations)} × ${secs(probeSeconds)} s × ${probeGb} GB = ${fmt(probeInvocations * probeSeconds * probeGb)} GB-s`,
      usd: probeInvocations * probeSeconds * probeGb * PRICES.lambdaArmGbSecond.usd,
    },
    perService.inspect,
    {
      item: 'Lambda requests',
      working: `${fmt(probeInvocations)} probe + ${fmt(inspections)} inspect invocations`,
      usd: (probeInvocations + inspections) * PRICES.lambdaRequest.usd,
    },
    perService.metrics,
    alarmLine(
      first,
      `${inputs.deployment.standardAlarms} deployment + ${inputs.service.standardAlarms} service = `,
    ),
    perService.getMetricData,
    {
      item: 'log ingestion (EMF + logs)',
      working: `${((serviceLogBytes + invocationLogBytes) / GIB).toFixed(3)} GB`,
      usd: ((serviceLogBytes + invocationLogBytes) / GIB) * PRICES.logsIngestionGb.usd,
    },
    perService.dynamodb,
    {
      item: 'KMS keys (topic, state MAC)',
      working: `${first.kmsKeys} × ${price(PRICES.kmsKeyMonth.usd)}`,
      usd: first.kmsKeys * PRICES.kmsKeyMonth.usd,
    },
    {
      item: 'dashboard',
      working: `${first.dashboards} × ${price(PRICES.dashboardMonth.usd)} (opt-in; free if the account has fewer than 3 others)`,
      usd: first.dashboards * PRICES.dashboardMonth.usd,
    },
    sns,
  ]);
  const extraGbs = probeInvocations * extraProbeSeconds * probeGb;
  const additionalService = breakdown([
    {
      item: 'probe compute',
      working: `${fmt(probeInvocations)} × ${secs(extraProbeSeconds)} s (its last round) × ${probeGb} GB = ${fmt(extraGbs)} GB-s`,
      usd: extraGbs * PRICES.lambdaArmGbSecond.usd,
    },
    perService.inspect,
    { item: 'Lambda requests', working: 'none: the same invocations cover every service', usd: 0 },
    perService.metrics,
    alarmLine(inputs.service, ''),
    perService.getMetricData,
    {
      item: 'log ingestion (EMF + logs)',
      working: `${(serviceLogBytes / GIB).toFixed(3)} GB (its EMF records and inspect lines)`,
      usd: (serviceLogBytes / GIB) * PRICES.logsIngestionGb.usd,
    },
    perService.dynamodb,
    {
      item: 'KMS keys (topic, state MAC)',
      working: `${inputs.service.kmsKeys} × ${price(PRICES.kmsKeyMonth.usd)} (both keys serve the whole deployment)`,
      usd: inputs.service.kmsKeys * PRICES.kmsKeyMonth.usd,
    },
    {
      item: 'dashboard',
      working: `${inputs.service.dashboards} × ${price(PRICES.dashboardMonth.usd)} (its widgets join the one dashboard)`,
      usd: inputs.service.dashboards * PRICES.dashboardMonth.usd,
    },
    sns,
  ]);
  return {
    firstService,
    additionalService,
    probeRoundsPerMinute: rounds,
    probeSecondsPerInvocation: probeSeconds,
    extraProbeSecondsPerService: extraProbeSeconds,
    syntheticsUsd: MINUTES_PER_MONTH * rounds * PRICES.syntheticsCanaryRun.usd,
  };
}
