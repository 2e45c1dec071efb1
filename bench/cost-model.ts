// Monthly cost of one guarded service from measured durations and request counts. Pure: every
// figure comes in as an argument, every price from bench/prices.ts.
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

export interface CostInputs {
  readonly schedule: CostSchedule;
  readonly probeMemoryMb: number;
  readonly inspectMemoryMb: number;
  readonly probe: {
    /** The first round of an invocation (with the served-by burst) and any later round, ms. */
    readonly firstRoundMs: number;
    readonly roundMs: number;
    readonly writeUnitsFirstRound: number;
    readonly writeUnitsPerRound: number;
    readonly readUnitsPerRound: number;
    readonly emfBytesPerRound: number;
    readonly logBytesPerInvocation: number;
  };
  readonly inspect: {
    readonly msWithMetrics: number;
    readonly msWithoutMetrics: number;
    readonly readUnits: number;
    readonly writeUnits: number;
    readonly emfBytes: number;
    readonly logBytes: number;
  };
  /** Metrics requested per GetMetricData read (5 + 3 per target group + 1 per AZ). */
  readonly metricQueries: number;
  /** Custom metric names published every month (EMF, dimension Service). */
  readonly customMetrics: number;
  readonly standardAlarms: number;
  readonly compositeAlarms: number;
  readonly kmsKeys: number;
}

export interface CostLine {
  readonly item: string;
  readonly working: string;
  readonly usd: number;
}

export interface CostEstimate {
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly probeRoundsPerMinute: number;
  readonly probeSecondsPerInvocation: number;
  /** CloudWatch Synthetics at the same number of runs (one run per probe round). */
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

/** The month's bill for one guarded service, line by line. */
export function estimateMonthlyCost(inputs: CostInputs): CostEstimate {
  const { schedule, probe, inspect } = inputs;
  const rounds = probeRounds(schedule);
  const probeSeconds = probeInvocationSeconds(schedule, probe.firstRoundMs, probe.roundMs);
  const probeInvocations = MINUTES_PER_MONTH;
  const probeGbs = probeInvocations * probeSeconds * (inputs.probeMemoryMb / 1024);

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
  const logBytes =
    probeInvocations * (probe.logBytesPerInvocation + rounds * probe.emfBytesPerRound) +
    inspections * (inspect.logBytes + inspect.emfBytes);

  const lines: CostLine[] = [
    {
      item: 'probe compute',
      working: `${fmt(probeInvocations)} × ${probeSeconds.toFixed(2)} s × ${inputs.probeMemoryMb / 1024} GB = ${fmt(probeGbs)} GB-s`,
      usd: probeGbs * PRICES.lambdaArmGbSecond.usd,
    },
    {
      item: 'inspect compute',
      working: `${fmt(inspections)} runs, ${fmt(inspectSeconds)} s × ${inputs.inspectMemoryMb / 1024} GB = ${fmt(inspectGbs)} GB-s`,
      usd: inspectGbs * PRICES.lambdaArmGbSecond.usd,
    },
    {
      item: 'Lambda requests',
      working: `${fmt(probeInvocations + inspections)} invocations`,
      usd: (probeInvocations + inspections) * PRICES.lambdaRequest.usd,
    },
    {
      item: 'custom metrics',
      working: `${inputs.customMetrics} names × $${PRICES.customMetricMonth.usd}`,
      usd: inputs.customMetrics * PRICES.customMetricMonth.usd,
    },
    {
      item: 'alarms',
      working: `${inputs.standardAlarms} standard × $${PRICES.standardAlarmMonth.usd} + ${inputs.compositeAlarms} composite × $${PRICES.compositeAlarmMonth.usd}`,
      usd:
        inputs.standardAlarms * PRICES.standardAlarmMonth.usd +
        inputs.compositeAlarms * PRICES.compositeAlarmMonth.usd,
    },
    {
      item: 'GetMetricData',
      working: `${fmt(metricReads)} reads × ${inputs.metricQueries} metrics`,
      usd: metricReads * inputs.metricQueries * PRICES.getMetricDataMetric.usd,
    },
    {
      item: 'log ingestion (EMF + logs)',
      working: `${(logBytes / GIB).toFixed(3)} GB`,
      usd: (logBytes / GIB) * PRICES.logsIngestionGb.usd,
    },
    {
      item: 'DynamoDB on demand',
      working: `${fmt(writes)} WRU + ${fmt(reads)} RRU`,
      usd: writes * PRICES.dynamodbWriteUnit.usd + reads * PRICES.dynamodbReadUnit.usd,
    },
    {
      item: 'KMS key (topic)',
      working: `${inputs.kmsKeys} × $${PRICES.kmsKeyMonth.usd}`,
      usd: inputs.kmsKeys * PRICES.kmsKeyMonth.usd,
    },
    { item: 'SNS', working: 'incidents only', usd: 0 },
  ];
  const syntheticsRuns = MINUTES_PER_MONTH * rounds;
  return {
    lines,
    totalUsd: lines.reduce((a, l) => a + l.usd, 0),
    probeRoundsPerMinute: rounds,
    probeSecondsPerInvocation: probeSeconds,
    syntheticsUsd: syntheticsRuns * PRICES.syntheticsCanaryRun.usd,
  };
}
