import { describe, expect, inject, it } from 'vitest';
import type { ScenarioResult } from '../../drill/report.ts';
import { runDrill } from '../../drill/runner.ts';
import { SCENARIOS } from '../../drill/scenarios/index.ts';
import { seedOutage } from '../../drill/scenarios/lb-faults.ts';
import type { Scenario } from '../../drill/scenarios/types.ts';

// The game day end to end: every scenario in a fresh world (moto, HAProxy following it, backend
// processes, customers), lbguard's real handlers on the compressed schedule, judged by the
// scenario's own expectations. Kept short in drill time and modest in load (150 req/s) so the
// file stays within a few minutes on a two-core machine; `lbguard drill` runs them longer.

const OBSERVE_MS = 8_000;

async function drill(
  scenario: Scenario,
  compareUnguarded: boolean,
  observeMs = OBSERVE_MS,
): Promise<ScenarioResult> {
  const [result] = await runDrill([scenario], {
    motoUrl: inject('motoUrl'),
    compareUnguarded,
    observeMs,
    baselineMs: 1_000,
  });
  if (result === undefined) throw new Error(`no result for ${scenario.name}`);
  const failed = result.checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    process.stdout.write(
      `${scenario.name}: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}\n` +
        `timeline:\n${result.guarded.analysis.timeline.map((m) => `  ${(m.at / 1000).toFixed(2)} s ${m.label}: ${m.detail}`).join('\n')}\n`,
    );
  }
  return result;
}

describe('the drill, end to end', () => {
  it('restores the seed outage and spares customers most of the failures they see unguarded', async () => {
    const result = await drill(seedOutage, true, 12_000);
    expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    const guarded = result.guarded.analysis;
    const unguarded = result.unguarded?.analysis;
    expect(guarded.cause).toMatch(/routing-skew|missing-targets/);
    expect(guarded.evidence.join('\n')).toMatch(/by role deploy-pipeline/);
    expect(unguarded?.recovered).toBeUndefined();
    expect(guarded.failedAfterFault).toBeLessThan((unguarded?.failedAfterFault ?? 0) / 2);
    process.stdout.write(
      `seed-outage: MTTD ${guarded.detected} ms, MTTR ${guarded.recovered} ms, failed ${guarded.failedAfterFault} guarded vs ${unguarded?.failedAfterFault} unguarded\n`,
    );
  }, 180_000);

  it.each(SCENARIOS.filter((s) => s !== seedOutage).map((s) => [s.name, s] as const))(
    '%s meets its expectations',
    async (_name, scenario) => {
      // A lagging or stuck data plane needs the verify deadline (5 drill s) after the restore.
      const result = await drill(
        scenario,
        false,
        scenario.expect.dataPlane === undefined ? OBSERVE_MS : scenario.observeMs,
      );
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
    },
    120_000,
  );
});
