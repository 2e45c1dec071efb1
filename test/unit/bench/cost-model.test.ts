import { describe, expect, it } from 'vitest';
import {
  type CostBreakdown,
  type CostInputs,
  estimateMonthlyCost,
  MINUTES_PER_MONTH,
  metricReadsPerMonth,
  probeInvocationSeconds,
  probeRounds,
} from '../../../bench/cost-model.ts';
import { PRICES } from '../../../bench/prices.ts';

const inputs = (schedule: Partial<CostInputs['schedule']> = {}): CostInputs => ({
  schedule: {
    probeIntervalSeconds: 10,
    probeLoopSeconds: 50,
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
    ...schedule,
  },
  probeMemoryMb: 128,
  inspectMemoryMb: 256,
  probe: {
    firstRoundMs: 100,
    roundMs: 20,
    writeUnitsFirstRound: 3,
    writeUnitsPerRound: 2,
    readUnitsPerRound: 0,
    emfBytesPerRound: 400,
    logBytesPerInvocation: 600,
  },
  inspect: {
    msWithMetrics: 300,
    msWithoutMetrics: 200,
    readUnits: 7,
    writeUnits: 0,
    emfBytes: 300,
    logBytes: 650,
  },
  metricQueries: 8,
  customMetrics: 8,
  deployment: { standardAlarms: 10, alarmMetrics: 10, compositeAlarms: 0, kmsKeys: 1, dashboards: 1 },
  // A metric-math alarm over two target groups: 7 alarms, 8 billed alarm metrics.
  service: { standardAlarms: 7, alarmMetrics: 8, compositeAlarms: 1, kmsKeys: 0, dashboards: 0 },
});

const line = (bill: CostBreakdown, item: string) => {
  const found = bill.lines.find((l) => l.item === item);
  if (found === undefined) throw new Error(`no line ${item}`);
  return found;
};

describe('probe loop arithmetic', () => {
  it.each([
    { interval: 10, loop: 50, rounds: 5, seconds: 40.02 },
    { interval: 10, loop: 59, rounds: 6, seconds: 50.02 },
    { interval: 10, loop: 20, rounds: 2, seconds: 10.02 },
    { interval: 10, loop: 10, rounds: 1, seconds: 0.1 },
    { interval: 5, loop: 5, rounds: 1, seconds: 0.1 },
  ])(
    'a $loop s loop every $interval s makes $rounds rounds billed $seconds s',
    ({ interval, loop, rounds, seconds }) => {
      const schedule = { probeIntervalSeconds: interval, probeLoopSeconds: loop };
      expect(probeRounds(schedule)).toBe(rounds);
      expect(probeInvocationSeconds(schedule, 100, 20)).toBeCloseTo(seconds, 6);
    },
  );

  it('reads metrics once per period, never more often than inspect runs', () => {
    expect(metricReadsPerMonth({ inspectRateMinutes: 1, metricsPeriodSeconds: 300 })).toBe(
      MINUTES_PER_MONTH / 5,
    );
    expect(metricReadsPerMonth({ inspectRateMinutes: 10, metricsPeriodSeconds: 60 })).toBe(
      MINUTES_PER_MONTH / 10,
    );
  });
});

describe('estimateMonthlyCost', () => {
  it('bills the first service the whole probe loop, by the wall time it waits, at arm64 GB-second prices', () => {
    const { firstService } = estimateMonthlyCost(inputs());
    expect(line(firstService, 'probe compute').usd).toBeCloseTo(
      43_200 * 40.02 * 0.125 * PRICES.lambdaArmGbSecond.usd,
      6,
    );
  });

  it.each([
    { loop: 50, extraSeconds: 0.02 },
    { loop: 10, extraSeconds: 0.1 },
  ])(
    'bills a further service only its last round of a $loop s loop ($extraSeconds s an invocation), and no invocation',
    ({ loop, extraSeconds }) => {
      const estimate = estimateMonthlyCost(inputs({ probeLoopSeconds: loop }));
      expect(estimate.extraProbeSecondsPerService).toBeCloseTo(extraSeconds, 9);
      expect(line(estimate.additionalService, 'probe compute').usd).toBeCloseTo(
        43_200 * extraSeconds * 0.125 * PRICES.lambdaArmGbSecond.usd,
        9,
      );
      expect(line(estimate.additionalService, 'Lambda requests').usd).toBe(0);
      expect(line(estimate.firstService, 'Lambda requests').usd).toBeCloseTo(
        (43_200 + 43_200) * PRICES.lambdaRequest.usd,
        9,
      );
    },
  );

  it('bills alarms per metric they read: the deployment and one service first, the service alone after', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(line(estimate.firstService, 'alarms').usd).toBeCloseTo((10 + 8) * 0.1 + 0.5, 9);
    expect(line(estimate.additionalService, 'alarms').usd).toBeCloseTo(8 * 0.1 + 0.5, 9);
  });

  it('bills the KMS key and the dashboard once, to the first service', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(line(estimate.firstService, 'KMS keys (topic, state MAC)').usd).toBeCloseTo(1.0);
    expect(line(estimate.firstService, 'dashboard').usd).toBeCloseTo(PRICES.dashboardMonth.usd);
    expect(line(estimate.additionalService, 'KMS keys (topic, state MAC)').usd).toBe(0);
    expect(line(estimate.additionalService, 'dashboard').usd).toBe(0);
  });

  it('bills every service its own metric names and metric reads', () => {
    const estimate = estimateMonthlyCost(inputs());
    for (const bill of [estimate.firstService, estimate.additionalService]) {
      expect(line(bill, 'custom metrics').usd).toBeCloseTo(2.4);
      expect(line(bill, 'GetMetricData').usd).toBeCloseTo(8640 * 8 * 0.00001, 6);
    }
  });

  it('bills DynamoDB per service for the first round sample and the later rounds, plus inspect reads', () => {
    const estimate = estimateMonthlyCost(inputs());
    const writes = 43_200 * (3 + 4 * 2);
    const reads = 43_200 * 7;
    for (const bill of [estimate.firstService, estimate.additionalService]) {
      expect(line(bill, 'DynamoDB on demand').usd).toBeCloseTo(writes * 0.625e-6 + reads * 0.125e-6, 9);
    }
  });

  it("leaves the invocation's own log line to the first service", () => {
    const estimate = estimateMonthlyCost(inputs());
    const serviceBytes = 43_200 * 5 * 400 + 43_200 * (650 + 300);
    expect(line(estimate.additionalService, 'log ingestion (EMF + logs)').usd).toBeCloseTo(
      (serviceBytes / 1024 ** 3) * 0.5,
      9,
    );
    expect(line(estimate.firstService, 'log ingestion (EMF + logs)').usd).toBeCloseTo(
      ((serviceBytes + 43_200 * 600) / 1024 ** 3) * 0.5,
      9,
    );
  });

  it('lists the same items in the same order for both bills, each summed into its total', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(estimate.additionalService.lines.map((l) => l.item)).toEqual(
      estimate.firstService.lines.map((l) => l.item),
    );
    for (const bill of [estimate.firstService, estimate.additionalService]) {
      expect(bill.totalUsd).toBeCloseTo(
        bill.lines.reduce((a, l) => a + l.usd, 0),
        9,
      );
    }
  });

  it('makes the first service cost the shared part more than each additional one', () => {
    const estimate = estimateMonthlyCost(inputs());
    const shared =
      // the probe loop's 40 s of waits, the invocations, the operational alarms, key, dashboard, closing log line
      43_200 * 40 * 0.125 * PRICES.lambdaArmGbSecond.usd +
      43_200 * PRICES.lambdaRequest.usd * 2 +
      10 * 0.1 +
      1 +
      PRICES.dashboardMonth.usd +
      ((43_200 * 600) / 1024 ** 3) * 0.5;
    expect(estimate.firstService.totalUsd - estimate.additionalService.totalUsd).toBeCloseTo(shared, 9);
  });

  it('makes one-round-a-minute probing cheaper than the sub-minute loop, and Synthetics dearer than both per service', () => {
    const loop = estimateMonthlyCost(inputs());
    const minute = estimateMonthlyCost(inputs({ probeLoopSeconds: 10 }));
    expect(minute.firstService.totalUsd).toBeLessThan(loop.firstService.totalUsd);
    expect(minute.syntheticsUsd).toBeCloseTo(43_200 * 0.0012, 6);
    expect(loop.syntheticsUsd).toBeCloseTo(5 * 43_200 * 0.0012, 6);
    expect(minute.syntheticsUsd).toBeGreaterThan(minute.firstService.totalUsd);
    expect(minute.syntheticsUsd).toBeGreaterThan(minute.additionalService.totalUsd);
  });
});

describe('PRICES', () => {
  it('names a source and a date for every price', () => {
    for (const price of Object.values(PRICES)) {
      expect(price.source).toMatch(/^https:\/\//);
      expect(price.recorded).toMatch(/^\d{4}-\d{2}$/);
      expect(price.usd).toBeGreaterThan(0);
    }
  });
});
