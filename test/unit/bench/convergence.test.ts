import { describe, expect, it } from 'vitest';
import {
  type ConvergenceRun,
  convergenceTargets,
  renderConvergence,
  summariseConvergence,
  toConvergenceRun,
} from '../../../bench/convergence.ts';
import { type Results, renderResults } from '../../../bench/render.ts';
import type { ScenarioResult } from '../../../drill/report.ts';
import type { ScenarioRun } from '../../../drill/run-types.ts';
import { dataPlaneLag } from '../../../drill/scenarios/data-plane.ts';

const SETTING = { factor: 60, probeIntervalMs: 10_000 / 60, wallSeconds: 240 };

function lagRun(injectedMs: number, trueLagMs: number, reportedLagMs?: number): ConvergenceRun {
  return {
    scenario: 'data-plane-lag',
    injectedMs,
    ok: true,
    failedChecks: [],
    trueLagMs,
    ...(reportedLagMs === undefined
      ? {}
      : { reportedLagMs, errorMs: reportedLagMs - trueLagMs, errorVsInjectedMs: reportedLagMs - injectedMs }),
    verified: true,
    escalatedNamingDataPlane: false,
    wallSeconds: 45,
  };
}

function stuckRun(verified: boolean): ConvergenceRun {
  return {
    scenario: 'data-plane-stuck',
    ok: !verified,
    failedChecks: verified ? ['never reported verified: an incident was resolved'] : [],
    verified,
    escalatedNamingDataPlane: !verified,
    wallSeconds: 45,
  };
}

describe('the convergence benchmark figures', () => {
  it('takes the largest error, counts runs within one probe interval and false "verified" when stuck', () => {
    const c = summariseConvergence(
      [lagRun(1_000, 1_080, 1_150), lagRun(2_000, 2_090, 1_850), lagRun(3_000, 3_070)],
      [stuckRun(false), stuckRun(true)],
      SETTING,
    );
    expect(c.lagReported).toBe(2);
    expect(c.maxAbsErrorMs).toBe(240);
    expect(c.withinInterval).toBe(1);
    expect(c.falseVerified).toBe(1);
  });

  it('judges the targets: every lag within the interval and no false "verified"', () => {
    const good = summariseConvergence(
      [lagRun(1_000, 1_080, 1_100), lagRun(2_000, 2_090, 2_000)],
      [stuckRun(false)],
      SETTING,
    );
    expect(convergenceTargets(good).every((row) => row.endsWith('| met |'))).toBe(true);
    const unreported = summariseConvergence([lagRun(1_000, 1_080)], [stuckRun(true)], SETTING);
    const rows = convergenceTargets(unreported);
    expect(rows[0]).toContain('0 of 1 reported');
    expect(rows.every((row) => row.endsWith('| **not met** |'))).toBe(true);
  });

  it('renders a row per run and the expectations that failed, inside the bench results', () => {
    const c = summariseConvergence([lagRun(2_000, 2_090, 2_150)], [stuckRun(true)], SETTING);
    const lines = renderConvergence(c);
    expect(lines.filter((l) => l.startsWith('| data-plane-'))).toHaveLength(2);
    expect(lines.join('\n')).toContain('+4 AWS s');
    expect(lines.join('\n')).toContain('- data-plane-stuck: never reported verified');
    const md = renderResults({
      date: '2026-12-05T00:00:00.000Z',
      command: 'npm run bench -- --only convergence',
      machine: { cpu: 'x', cores: 2, memoryGb: 4, node: 'v24', platform: 'linux-x64', loadAverage: 0 },
      seconds: 240,
      convergence: c,
    } satisfies Results);
    expect(md).toContain('## 7. Convergence');
    expect(md).toContain('false "verified" with a stuck data plane');
  });

  it('reads one drill result through the drill’s own data-plane figures', () => {
    const scenario = dataPlaneLag(2_000);
    const run = {
      scenario: scenario.name,
      clock: { factor: 60, realStartMs: 0, awsStartMs: 0 },
      faultAt: 1_000,
      writes: [{ at: 5_000, op: 'ModifyListener', detail: '' }],
      inspections: [],
      incidents: [],
      dataPlane: {
        following: { mode: 'delayed', delayMs: 2_000 },
        armedAt: 1_100,
        changes: [{ kind: 'weights', pass: 9, readStartedAt: 5_020, appliedAt: 7_100, detail: '' }],
      },
    } as unknown as ScenarioRun;
    const result = {
      scenario,
      guarded: { run, analysis: {} },
      checks: [{ name: 'reported propagation lag within one probe interval', ok: false, detail: 'none' }],
      ok: false,
    } as unknown as ScenarioResult;
    const r = toConvergenceRun(result, 40);
    expect(r).toMatchObject({ injectedMs: 2_000, trueLagMs: 2_100, verified: false, ok: false });
    expect(r.reportedLagMs).toBeUndefined();
    expect(r.failedChecks).toEqual(['reported propagation lag within one probe interval: none']);
  });
});
