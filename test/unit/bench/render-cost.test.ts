import { describe, expect, it } from 'vitest';
import { BEFORE_ISSUE_18, costLevers, measuredLayout } from '../../../bench/cost-levers.ts';
import { type CostInputs, estimateMonthlyCost } from '../../../bench/cost-model.ts';
import { costNote, type Results, renderResults } from '../../../bench/render.ts';
import type { ScopeCounts } from '../../../bench/template-count.ts';

const deployment: ScopeCounts = {
  standardAlarms: 10,
  alarmMetrics: 10,
  compositeAlarms: 0,
  kmsKeys: 1,
  dashboards: 1,
  functions: 3,
  billable: ['TopicKey', 'Dashboard/Dashboard'],
};
const service: ScopeCounts = {
  standardAlarms: 1,
  alarmMetrics: 1,
  compositeAlarms: 0,
  kmsKeys: 0,
  dashboards: 0,
  functions: 0,
  billable: ['ProbeFailing'],
};

/** A cheap service (one metric, one alarm) behind an expensive deployment. */
const inputs = (probeLoopSeconds: number): CostInputs => ({
  schedule: { probeIntervalSeconds: 10, probeLoopSeconds, inspectRateMinutes: 1, metricsPeriodSeconds: 300 },
  probeMemoryMb: 128,
  inspectMemoryMb: 256,
  probe: {
    firstRoundMs: 40,
    roundMs: 10,
    writeUnitsFirstRound: 2,
    writeUnitsPerRound: 1,
    readUnitsPerRound: 0,
    emfBytesPerRound: 300,
    logBytesPerInvocation: 500,
  },
  inspect: {
    msWithMetrics: 150,
    msWithoutMetrics: 120,
    readUnits: 4,
    writeUnits: 0,
    emfBytes: 300,
    logBytes: 600,
  },
  metricQueries: 8,
  customMetrics: 1,
  deployment,
  service,
});

const results: Results = {
  date: '2026-12-01T00:00:00.000Z',
  command: 'npm run bench -- --only cost',
  machine: { cpu: 'test', cores: 2, memoryGb: 4, node: 'v24', platform: 'linux-x64', loadAverage: 0 },
  seconds: 1,
  cost: {
    basis: 'a test basis',
    resources: { deployment, service },
    oneMinute: estimateMonthlyCost(inputs(10)),
    tenSecond: estimateMonthlyCost(inputs(50)),
    perExtraTargetGroupUsd: 0.36,
  },
};

describe('the levers table', () => {
  const levers = costLevers(BEFORE_ISSUE_18, measuredLayout(inputs(10)), {
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
  });
  const baseCost = results.cost;
  if (baseCost === undefined) throw new Error('no cost in the fixture');
  const withLevers = renderResults({ ...results, cost: { ...baseCost, levers } });

  it('shows each lever before → after, and totals that add every saving back', () => {
    const alarms = levers.find((l) => l.lever === 'one composite per service');
    // The fixture has no composite: $0.50 a service saved on both bills.
    expect(alarms).toMatchObject({
      taken: true,
      firstBeforeUsd: 0.5,
      firstAfterUsd: 0,
      additionalAfterUsd: 0,
    });
    const dashboard = levers.find((l) => l.lever === 'opt-in dashboard');
    // The fixture keeps its dashboard: the lever is shown as not taken, with nothing saved.
    expect(dashboard).toMatchObject({
      taken: false,
      firstBeforeUsd: 3,
      firstAfterUsd: 3,
      additionalBeforeUsd: 0,
    });
    expect(withLevers).toContain('| opt-in dashboard | not taken | 1 → 1 dashboard');
    expect(withLevers).toContain('| fewer custom metric names | taken | 6 → 1 names');
    const total = withLevers.split('\n').find((l) => l.startsWith('| **Total, all-in**'));
    const first = results.cost?.oneMinute.firstService.totalUsd ?? 0;
    const saved = levers.reduce((a, l) => a + l.firstBeforeUsd - l.firstAfterUsd, 0);
    expect(total).toContain(`**$${(first + saved).toFixed(2)} → $${first.toFixed(2)}**`);
  });

  it('lists the levers that save nothing with the reason', () => {
    const batched = levers.find((l) => l.lever === 'GetMetricData batched across services');
    expect(batched?.taken).toBe(false);
    expect(batched?.firstBeforeUsd).toBe(batched?.firstAfterUsd);
    expect(batched?.why).toMatch(/per metric requested, not per call/);
  });
});

describe('the cost section of the bench report', () => {
  const markdown = renderResults(results);
  const row = (title: string): string => {
    const found = markdown.split('\n').find((l) => l.startsWith(`| ${title} |`));
    if (found === undefined) throw new Error(`no row ${title}\n${markdown}`);
    return found;
  };

  it('judges the first service all-in against $4 and each additional one against $2, with the value', () => {
    const { oneMinute, tenSecond } = results.cost ?? { oneMinute: undefined, tenSecond: undefined };
    expect(row('Cost, first guarded service (all-in), 1-minute probing')).toBe(
      `| Cost, first guarded service (all-in), 1-minute probing | ≤ $4.00 / month (issue 18) | $${oneMinute?.firstService.totalUsd.toFixed(2)} | **not met** |`,
    );
    expect(row('Cost, first guarded service (all-in), 10-second probing (defaults)')).toMatch(
      /\*\*not met\*\* \|$/,
    );
    expect(row('Cost, each additional guarded service, 1-minute probing')).toBe(
      `| Cost, each additional guarded service, 1-minute probing | ≤ $2.00 / month (issue 18) | $${oneMinute?.additionalService.totalUsd.toFixed(2)} | met |`,
    );
    expect(row('Cost, each additional guarded service, 10-second probing (defaults)')).toContain(
      `$${tenSecond?.additionalService.totalUsd.toFixed(2)} | met |`,
    );
  });

  it('breaks both bills down line by line for both probing frequencies, with the Synthetics comparison', () => {
    expect(row('dashboard')).toBe('| dashboard | $3.00 | $0.00 | $3.00 | $0.00 |');
    expect(row('**Total per month**').split('|').length).toBe(7);
    expect(markdown).toContain('| CloudWatch Synthetics, one canary per service');
    expect(markdown).toContain('Working, 1-minute probing:');
    expect(markdown).toContain('Working, 10-second probing (defaults):');
  });

  it('says under the targets what the deployment pays once and what each service pays', () => {
    const cost = results.cost;
    if (cost === undefined) throw new Error('no cost');
    const shared = cost.tenSecond.firstService.totalUsd - cost.tenSecond.additionalService.totalUsd;
    const note = costNote(cost);
    expect(note).toContain(`carries $${shared.toFixed(2)} a month that the deployment pays once`);
    expect(note).toContain('dashboard $3.00');
    expect(markdown.indexOf(note)).toBeLessThan(markdown.indexOf('## 5.'));
  });
});
