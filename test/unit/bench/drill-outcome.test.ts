import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DrillOutcome,
  type DrillRunFigures,
  failedRatio,
  medianOfDurations,
  summariseDrillOutcome,
  toDrillRunFigures,
} from '../../../bench/drill-outcome.ts';
import { type Results, renderResults } from '../../../bench/render.ts';
import { median } from '../../../bench/stats.ts';
import type { ScenarioResult } from '../../../drill/report.ts';

const SETTING = {
  scenario: 'seed-outage',
  title: 'A deployment routes all traffic to one server',
  factor: 60,
  ratePerSecond: 150,
  cloudTrailDelayAwsSeconds: 15,
  observeSeconds: 40,
  scenarioObserveSeconds: 60,
  wallSeconds: 290,
} as const;

function run(n: number, over: Partial<DrillRunFigures> = {}): DrillRunFigures {
  return {
    run: n,
    ok: true,
    failedChecks: [],
    cause: 'routing-skew',
    lastGood: 'soak',
    mttdMs: 900,
    mttrMs: 3_000,
    settledMs: 3_000,
    guarded: { requestsAfterFault: 6_000, failedAfterFault: 200 },
    unguarded: { requestsAfterFault: 6_000, failedAfterFault: 4_000 },
    failedRatio: 0.05,
    wallSeconds: 95,
    ...over,
  };
}

describe('medianOfDurations', () => {
  it.each([
    { values: [], expected: undefined },
    { values: [5], expected: 5 },
    { values: [3, 1, 2], expected: 2 },
    { values: [1, 3], expected: 2 },
    { values: [900, undefined, 1_100], expected: 1_100 },
    { values: [undefined, 900, undefined], expected: undefined },
    { values: [1, undefined], expected: undefined },
  ])('ranks "never" after every measured value: $values → $expected', ({ values, expected }) => {
    expect(medianOfDurations(values)).toBe(expected);
  });

  it('is the plain median when every run measured the moment', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 9 }),
        (values) => {
          expect(medianOfDurations(values)).toBe(median(values));
        },
      ),
    );
  });
});

describe('failedRatio', () => {
  it('divides guarded failures by unguarded ones, and has no value when unguarded never failed', () => {
    expect(failedRatio(200, 4_000)).toBe(0.05);
    expect(failedRatio(0, 4_000)).toBe(0);
    expect(failedRatio(10, 0)).toBeUndefined();
  });
});

describe('summariseDrillOutcome', () => {
  it('takes medians over the runs, the ratio from each run’s own pair of arms', () => {
    const outcome = summariseDrillOutcome(
      [
        run(1, {
          mttdMs: 1_200,
          mttrMs: 3_500,
          guarded: { requestsAfterFault: 6_010, failedAfterFault: 300 },
          unguarded: { requestsAfterFault: 6_000, failedAfterFault: 3_000 },
          failedRatio: 0.1,
        }),
        run(2, {
          mttdMs: 800,
          guarded: { requestsAfterFault: 5_990, failedAfterFault: 100 },
          unguarded: { requestsAfterFault: 6_020, failedAfterFault: 5_000 },
          failedRatio: 0.02,
        }),
        run(3, { ok: false, failedChecks: ['incident resolved: incident ended escalated'] }),
      ],
      SETTING,
    );
    expect(outcome.median).toEqual({
      mttdMs: 900,
      mttrMs: 3_000,
      settledMs: 3_000,
      guardedFailed: 200,
      guardedRequests: 6_000,
      unguardedFailed: 4_000,
      unguardedRequests: 6_000,
      failedRatio: 0.05,
    });
    expect(outcome.runsOk).toBe(2);
    expect(outcome.inspectPeriodMs).toBe(1_000);
  });

  it('reports no median MTTD when most runs never detected, and no ratio when no unguarded arm failed', () => {
    const { failedRatio: _ratio, ...noRatio } = run(1);
    const { mttdMs: _mttd, ...undetected } = noRatio;
    const outcome = summariseDrillOutcome([undetected, undetected, noRatio], SETTING);
    expect(outcome.median.mttdMs).toBeUndefined();
    expect(outcome.median.failedRatio).toBeUndefined();
  });

  it('refuses to summarise no runs', () => {
    expect(() => summariseDrillOutcome([], SETTING)).toThrow(/at least one run/);
  });
});

describe('toDrillRunFigures', () => {
  // Only the fields the bench reads; the drill's own tests cover how they are computed.
  const result = (unguarded: boolean, detected = 950): ScenarioResult =>
    ({
      scenario: { name: 'seed-outage' },
      ok: false,
      checks: [
        { name: 'incident resolved', ok: true, detail: 'incident ended resolved' },
        { name: 'customers recovered', ok: false, detail: 'failures above baseline until the end' },
      ],
      guarded: {
        // The deployment's first call 40 ms after the fault; 15 AWS s of delivery is 250 drill ms.
        run: {
          lastGood: [{ how: 'explicit' }],
          faultAt: 10_000,
          clock: { factor: 60 },
          marks: [
            { at: 9_000, kind: 'change', what: 'an earlier change' },
            { at: 10_040, kind: 'change', what: 'ModifyListener' },
            { at: 10_060, kind: 'change', what: 'DeregisterTargets' },
          ],
        },
        analysis: {
          detected,
          recovered: 2_500,
          rebalanced: 3_200,
          cause: 'missing-targets',
          requestsAfterFault: 6_000,
          failedAfterFault: 180,
        },
      },
      ...(unguarded
        ? { unguarded: { analysis: { requestsAfterFault: 6_000, failedAfterFault: 3_600 } } }
        : {}),
    }) as unknown as ScenarioResult;

  it('reads MTTD, MTTR, the later of 5xx and spread recovery, both arms and the failed checks', () => {
    expect(toDrillRunFigures(result(true), 2, 97.5)).toEqual({
      run: 2,
      ok: false,
      failedChecks: ['customers recovered: failures above baseline until the end'],
      cause: 'missing-targets',
      lastGood: 'explicit',
      mttdMs: 950,
      mttdAfterEventMs: 660,
      mttrMs: 2_500,
      settledMs: 3_200,
      guarded: { requestsAfterFault: 6_000, failedAfterFault: 180 },
      unguarded: { requestsAfterFault: 6_000, failedAfterFault: 3_600 },
      failedRatio: 0.05,
      wallSeconds: 97.5,
    });
  });

  it('counts detection after the CloudTrail event as 0 when a scheduled inspection saw the fault first', () => {
    expect(toDrillRunFigures(result(true, 120), 1, 60).mttdAfterEventMs).toBe(0);
  });

  it('refuses a result without the unguarded arm, naming the option that adds it', () => {
    expect(() => toDrillRunFigures(result(false), 1, 60)).toThrow(/compareUnguarded/);
  });
});

describe('renderResults, drill outcome', () => {
  const base = {
    date: '2026-11-24T10:00:00.000Z',
    command: 'npm run bench -- --only drill',
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memoryGb: 8,
      node: 'v24.0.0',
      platform: 'linux-x64',
      loadAverage: 0.5,
    },
    seconds: 290,
  };
  const outcome = (runs: readonly DrillRunFigures[], hold = 40): DrillOutcome =>
    summariseDrillOutcome(runs, { ...SETTING, observeSeconds: hold });

  it('renders section 6 with a row per run, the medians and the README targets judged on them', () => {
    const results: Results = {
      ...base,
      drill: outcome([
        run(1, { mttdMs: 1_200, mttdAfterEventMs: 300, failedRatio: 0.007 }),
        run(2, { mttdMs: 800, mttdAfterEventMs: 100, failedRatio: 0.003 }),
        run(3, { mttdAfterEventMs: 200, failedRatio: 0.005 }),
      ]),
    };
    const md = renderResults(results);
    expect(md).toContain('## 6. Drill outcome');
    expect(md).toContain(
      '| 1 | met | routing-skew | 1.20 s (1 min 12 s) | 0.30 s (18 s) | 3.00 s (3 min 0 s) | 200 / 6,000 (3.3%) | 4,000 / 6,000 (66.7%) | 0.7% | 95 s |',
    );
    expect(md).toContain(
      '| **Median** | 3 of 3 met | | 0.90 s (54 s) | 0.20 s (12 s) | 3.00 s (3 min 0 s) | 200 / 6,000 (3.3%) | 4,000 / 6,000 (66.7%) | 0.5% | |',
    );
    expect(md).toContain(
      '| Drill, seed outage: detection within one inspect period of the change (median of 3) | ≤ 1.00 s (1 min 0 s) | 0.90 s (54 s); runs 0.80 s–1.20 s | met |',
    );
    expect(md).toContain(
      '| Drill, seed outage: detection after the CloudTrail event reaches inspect (median of 3) | ≤ 0.25 s (15 s) | 0.20 s (12 s); runs 0.10 s–0.30 s | met |',
    );
    expect(md).toContain(
      '| Drill, seed outage: rebalanced and 5xx at baseline within three periods (median of 3) | ≤ 3.00 s (3 min 0 s) | 3.00 s (3 min 0 s); every run 3.00 s | met |',
    );
    expect(md).toContain(
      "| Drill, seed outage: failed customer requests with lbguard ≤ 1% of unguarded (median of 3, 40 s hold, shortened from the scenario's 60 s) | ≤ 1.0% | 0.5% (200 vs 4,000); runs 0.3%–0.7% | met |",
    );
    expect(md).toContain("shortened from the scenario's 60 s so that the bench stays within its time budget");
  });

  it('marks a target not met when the median misses it, and lists the expectations that failed', () => {
    const md = renderResults({
      ...base,
      drill: outcome(
        [
          run(1, { mttdMs: 1_500, mttdAfterEventMs: 900, failedRatio: 0.09 }),
          run(2, { mttdMs: 1_100, mttdAfterEventMs: 400, failedRatio: 0.06 }),
          run(3, {
            mttdAfterEventMs: 300,
            ok: false,
            failedChecks: ['root cause: unknown (expected routing-skew or missing-targets)'],
          }),
        ],
        60,
      ),
    });
    expect(md).toMatch(
      /detection within one inspect period .*\| 1\.10 s \(1 min 6 s\).* \| \*\*not met\*\* \|/,
    );
    expect(md).toMatch(
      /≤ 1% of unguarded \(median of 3, 60 s hold\) \| ≤ 1\.0% \| 6\.0% .* \| \*\*not met\*\* \|/,
    );
    expect(md).toMatch(
      /detection after the CloudTrail event reaches inspect .*\| 0\.40 s \(24 s\).* \| \*\*not met\*\* \|/,
    );
    expect(md).toContain('| **Median** | 2 of 3 met |');
    expect(md).toContain('- run 3: root cause: unknown (expected routing-skew or missing-targets)');
    expect(md).toContain("the scenario's own hold");
  });

  it('leaves the drill out when the part did not run', () => {
    const md = renderResults(base);
    expect(md).not.toContain('Drill');
  });
});
