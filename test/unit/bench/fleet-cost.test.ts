import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CostInputs, estimateMonthlyCost, MINUTES_PER_MONTH } from '../../../bench/cost-model.ts';
import {
  EVENT_CHUNK_BYTES,
  estimateFleetCost,
  eventChunks,
  type FleetCostInputs,
  heartbeatBytes,
  listingCalls,
} from '../../../bench/fleet-cost.ts';
import { loadBalancerShape } from '../../../bench/fleet-lbs.ts';
import { describeVerdict, judgeSchedule } from '../../../bench/fleet-verdict.ts';
import { PRICES } from '../../../bench/prices.ts';
import { renderFleetCost } from '../../../bench/render-fleet.ts';

const single: CostInputs = {
  schedule: {
    probeIntervalSeconds: 10,
    probeLoopSeconds: 10,
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
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
  service: { standardAlarms: 7, alarmMetrics: 8, compositeAlarms: 1, kmsKeys: 0, dashboards: 0 },
};

const inputs: FleetCostInputs = {
  spoke: estimateMonthlyCost(single),
  inspectMemoryMb: 256,
  schedule: { inspectRateMinutes: 1, metricsPeriodSeconds: 300 },
  inspectPerLb: { msWithMetrics: 300, msWithoutMetrics: 250, readUnits: 8, writeUnits: 0.1 },
  listingMsPerCall: 20,
  registryBytesPerLb: 1500,
  enrol: { sweepMinutes: 15, memoryMb: 256 },
  trailUsd: 0,
  findingsPerLbMonth: 0,
  hub: {
    ingestFixedMs: 30,
    ingestMsPerLb: 4,
    ingestMemoryMb: 256,
    writeUnitsPerRow: 2,
    coverageMemoryMb: 256,
    coverageConcurrency: 4,
    uncoveredSeries: 0,
    dashboards: 1,
  },
};

describe('fleet cost per load balancer', () => {
  it('is the sum of the per-deployment, own and hub terms, and the lines add up to the total', () => {
    const c = estimateFleetCost({ accounts: 10, regions: 3, lbsPerSpoke: 10 }, inputs);
    expect(c.spokes).toBe(30);
    expect(c.loadBalancers).toBe(300);
    expect(c.perLb.deployment + c.perLb.own + c.perLb.hub).toBeCloseTo(c.perLbUsd, 9);
    expect(c.lines.reduce((a, l) => a + l.usd, 0)).toBeCloseTo(c.totalUsd, 9);
  });

  it('spreads the per-deployment costs: more load balancers a spoke cost less each', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 199 }), (n) => {
        const small = estimateFleetCost({ accounts: 5, regions: 2, lbsPerSpoke: n }, inputs);
        const large = estimateFleetCost({ accounts: 5, regions: 2, lbsPerSpoke: n + 1 }, inputs);
        // Registry reads and heartbeat chunks grow with n in steps; the spread share still shrinks.
        expect(large.perLb.deployment).toBeLessThan(small.perLb.deployment + 1e-9);
      }),
    );
  });

  it('charges a spoke its shared lines once: first service less an additional one', () => {
    const one = estimateFleetCost({ accounts: 1, regions: 1, lbsPerSpoke: 1 }, inputs);
    const shared = inputs.spoke.firstService.totalUsd - inputs.spoke.additionalService.totalUsd;
    const fromModel = one.lines
      .filter((l) => l.scope === 'per deployment' && l.working.endsWith("less a service's share × 1"))
      .reduce((a, l) => a + l.usd, 0);
    expect(fromModel).toBeCloseTo(shared, 9);
  });

  it('bills a heartbeat put and its delivery to the hub, per started 64 KB', () => {
    const c = estimateFleetCost({ accounts: 1, regions: 1, lbsPerSpoke: 100 }, inputs);
    const beats = c.lines.find((l) => l.item === 'heartbeats (EventBridge)');
    const chunks = eventChunks(heartbeatBytes(100));
    expect(beats?.usd).toBeCloseTo(MINUTES_PER_MONTH * chunks * 2 * PRICES.eventBridgeCustomEvent.usd, 9);
  });

  it('charges the hub table a write per LB row and spoke row of every heartbeat, at the units per row', () => {
    const c = estimateFleetCost({ accounts: 2, regions: 1, lbsPerSpoke: 10 }, inputs);
    const writes = c.lines.find((l) => l.item === 'hub table writes');
    expect(writes?.usd).toBeCloseTo(2 * MINUTES_PER_MONTH * 11 * 2 * PRICES.dynamodbWriteUnit.usd, 9);
  });

  it('charges the coverage alarm per Uncovered series analysed', () => {
    const alarm = (uncoveredSeries: number) =>
      estimateFleetCost(
        { accounts: 2, regions: 1, lbsPerSpoke: 5 },
        { ...inputs, hub: { ...inputs.hub, uncoveredSeries } },
      ).lines.find((l) => l.item === 'coverage alarm (Metrics Insights)')?.usd;
    expect(alarm(0)).toBe(0);
    expect(alarm(10)).toBeCloseTo(10 * PRICES.metricsInsightsAlarmMetric.usd, 9);
  });
});

describe('event and listing arithmetic', () => {
  it.each([
    { bytes: 1, chunks: 1 },
    { bytes: EVENT_CHUNK_BYTES, chunks: 1 },
    { bytes: EVENT_CHUNK_BYTES + 1, chunks: 2 },
    { bytes: 3 * EVENT_CHUNK_BYTES, chunks: 3 },
  ])('$bytes bytes bill $chunks event(s)', ({ bytes, chunks }) => {
    expect(eventChunks(bytes)).toBe(chunks);
  });

  it('a heartbeat grows linearly with the load balancers it names and 100 fit in one 64 KB event', () => {
    const per = heartbeatBytes(11) - heartbeatBytes(10);
    expect(heartbeatBytes(100) - heartbeatBytes(90)).toBe(10 * per);
    expect(eventChunks(heartbeatBytes(100))).toBe(1);
  });

  it.each([
    { lbs: 0, calls: 1 },
    { lbs: 20, calls: 2 },
    { lbs: 21, calls: 3 },
    { lbs: 100, calls: 6 },
    { lbs: 401, calls: 2 + 21 },
  ])('listing $lbs load balancers takes $calls ELBv2 calls', ({ lbs, calls }) => {
    expect(listingCalls(lbs)).toBe(calls);
  });
});

describe('cycle verdict against the schedule', () => {
  it.each([
    { ms: 30_000, kind: 'fits' },
    { ms: 60_000, kind: 'fits' },
    { ms: 60_001, kind: 'overruns-schedule' },
    { ms: 90_000, kind: 'overruns-schedule' },
    { ms: 90_001, kind: 'times-out' },
  ])('a $ms ms cycle $kind', ({ ms, kind }) => {
    const v = judgeSchedule(ms, 60_000, 90_000);
    expect(v.kind).toBe(kind);
    expect(describeVerdict(v)).not.toBe('');
  });

  it('says by how much a cycle overruns', () => {
    expect(judgeSchedule(75_500, 60_000, 90_000)).toEqual({ kind: 'overruns-schedule', overByMs: 15_500 });
  });
});

describe('the 100-load-balancer fleet', () => {
  it('gives every load balancer a host-header rule, unusual ports, and a weighted forward to its second group', () => {
    for (let i = 0; i < 100; i++) {
      const s = loadBalancerShape(i);
      expect(s.groups.length).toBe(i % 2 === 1 ? 2 : 1);
      expect(s.rules.some((r) => r.conditions.some((c) => c.Field === 'host-header'))).toBe(true);
      for (const g of s.groups) {
        expect(g.port).not.toBe(80);
        expect(g.targetPorts.length).toBeGreaterThanOrEqual(3);
      }
      const weighted = s.rules.filter((r) => r.forward.length === 2);
      expect(weighted.length).toBe(i % 2 === 1 ? 1 : 0);
      for (const r of s.rules) for (const [g] of r.forward) expect(g).toBeLessThan(s.groups.length);
    }
    expect(new Set(Array.from({ length: 100 }, (_, i) => loadBalancerShape(i).name)).size).toBe(100);
  });
});

describe('the fleet cost table', () => {
  it('prints the formula, one row per fleet with its per-LB figure, and the working of the last', () => {
    const fleets = [
      estimateFleetCost({ accounts: 10, regions: 3, lbsPerSpoke: 10 }, inputs),
      estimateFleetCost({ accounts: 1, regions: 1, lbsPerSpoke: 100 }, inputs),
    ];
    const text = renderFleetCost({ basis: 'test basis', formula: 'D / n + L + H / (s × n)', fleets }).join(
      '\n',
    );
    expect(text).toContain('Formula: D / n + L + H / (s × n)');
    expect(text).toContain(`| 10 accounts × 3 regions × 10 LBs | 30 | 300 |`);
    expect(text).toContain(`| 1 account × 1 region × 100 LBs | 1 | 100 |`);
    expect(text).toContain(`**$${(fleets[0]?.perLbUsd ?? 0).toFixed(2)}**`);
    expect(text).toContain('| hub | hub-coverage |');
    expect(text).toContain('Basis: test basis');
  });
});
