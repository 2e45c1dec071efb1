import { describe, expect, it } from 'vitest';
import {
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
  standardAlarms: 15,
  compositeAlarms: 1,
  kmsKeys: 1,
});

const line = (estimate: ReturnType<typeof estimateMonthlyCost>, item: string) => {
  const found = estimate.lines.find((l) => l.item === item);
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
  it('bills the probe loop by the wall time it waits, at arm64 GB-second prices', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(line(estimate, 'probe compute').usd).toBeCloseTo(
      43_200 * 40.02 * 0.125 * PRICES.lambdaArmGbSecond.usd,
      6,
    );
  });

  it('counts fixed items at their list prices', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(line(estimate, 'custom metrics').usd).toBeCloseTo(2.4);
    expect(line(estimate, 'alarms').usd).toBeCloseTo(2.0);
    expect(line(estimate, 'KMS key (topic)').usd).toBeCloseTo(1.0);
    expect(line(estimate, 'GetMetricData').usd).toBeCloseTo(8640 * 8 * 0.00001, 6);
  });

  it('bills DynamoDB for the first round sample and the later rounds, plus inspect reads', () => {
    const estimate = estimateMonthlyCost(inputs());
    const writes = 43_200 * (3 + 4 * 2);
    const reads = 43_200 * 7;
    expect(line(estimate, 'DynamoDB on demand').usd).toBeCloseTo(writes * 0.625e-6 + reads * 0.125e-6, 9);
  });

  it('sums its lines into the total', () => {
    const estimate = estimateMonthlyCost(inputs());
    expect(estimate.totalUsd).toBeCloseTo(
      estimate.lines.reduce((a, l) => a + l.usd, 0),
      9,
    );
  });

  it('makes one-round-a-minute probing cheaper than the sub-minute loop, and Synthetics dearer than both', () => {
    const loop = estimateMonthlyCost(inputs());
    const minute = estimateMonthlyCost(inputs({ probeLoopSeconds: 10 }));
    expect(minute.totalUsd).toBeLessThan(loop.totalUsd);
    expect(minute.syntheticsUsd).toBeCloseTo(43_200 * 0.0012, 6);
    expect(loop.syntheticsUsd).toBeCloseTo(5 * 43_200 * 0.0012, 6);
    expect(minute.syntheticsUsd).toBeGreaterThan(minute.totalUsd);
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
