/**
 * Benchmark of verification by observation (issue 16): `data-plane-lag` with a few injected
 * apply delays, reporting how far the propagation lag lbguard reports is from the true one, and
 * `data-plane-stuck` a few times, counting the runs lbguard called verified (must be 0). Drills,
 * through the drill's own runner and checks (drill/data-plane-checks.ts); guarded arms only.
 *
 *   npm run bench -- --only convergence
 *
 * The true lag is lbguard's restore write → HAProxy routing by it, from the sync's change log: the
 * injected delay plus the read that saw the change (a sync pass, ~30–100 ms). The error is judged
 * against one probe interval, the resolution of observed shares.
 * `toConvergenceRun` and `summariseConvergence` are pure (tested).
 */
import { performance } from 'node:perf_hooks';
import { dataPlaneFigures } from '../drill/data-plane-checks.ts';
import type { ScenarioResult } from '../drill/report.ts';
import { runDrill } from '../drill/runner.ts';
import { dataPlaneLag, dataPlaneStuck } from '../drill/scenarios/data-plane.ts';
import type { Scenario } from '../drill/scenarios/types.ts';
import { startMoto } from '../drill/world/moto.ts';
import { ensureDrillTools } from './drill-outcome.ts';

/** Injected delays in drill ms (1–3 AWS minutes), all inside the drill's 300 s verify deadline. */
export const CONVERGENCE_DELAYS_MS: readonly number[] = [1_000, 2_000, 3_000];
export const STUCK_RUNS = 2;

export interface ConvergenceRun {
  readonly scenario: string;
  /** Injected apply delay (drill ms); absent for a stuck run. */
  readonly injectedMs?: number;
  /** Every expectation of the scenario held. */
  readonly ok: boolean;
  readonly failedChecks: readonly string[];
  /** lbguard's restore → HAProxy routing by it (drill ms). */
  readonly trueLagMs?: number;
  /** The lag lbguard reported (drill ms). */
  readonly reportedLagMs?: number;
  /** Reported − true (drill ms). */
  readonly errorMs?: number;
  /** Reported − injected (drill ms). */
  readonly errorVsInjectedMs?: number;
  /** An incident reached `resolved`. */
  readonly verified: boolean;
  readonly escalatedNamingDataPlane: boolean;
  readonly wallSeconds: number;
}

export interface ConvergenceResults {
  /** AWS ms per drill ms. */
  readonly factor: number;
  /** One probe round in drill ms: the bound on the error. */
  readonly probeIntervalMs: number;
  readonly lag: readonly ConvergenceRun[];
  readonly stuck: readonly ConvergenceRun[];
  /** Lag runs in which lbguard reported a lag at all. */
  readonly lagReported: number;
  /** Largest |reported − true| over the lag runs that reported one (drill ms). */
  readonly maxAbsErrorMs?: number;
  /** Lag runs whose error is within one probe interval. */
  readonly withinInterval: number;
  /** Stuck runs lbguard called verified: must be 0. */
  readonly falseVerified: number;
  readonly wallSeconds: number;
}

/** The figures of one guarded drill result of either scenario. */
export function toConvergenceRun(result: ScenarioResult, wallSeconds: number): ConvergenceRun {
  const f = dataPlaneFigures(result.guarded.run);
  const error =
    f.reportedLagMs === undefined || f.trueLagMs === undefined ? undefined : f.reportedLagMs - f.trueLagMs;
  return {
    scenario: result.scenario.name,
    ...(f.injectedMs === undefined ? {} : { injectedMs: f.injectedMs }),
    ok: result.ok,
    failedChecks: result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    ...(f.trueLagMs === undefined ? {} : { trueLagMs: f.trueLagMs }),
    ...(f.reportedLagMs === undefined ? {} : { reportedLagMs: f.reportedLagMs }),
    ...(error === undefined ? {} : { errorMs: error }),
    ...(f.reportedLagMs === undefined || f.injectedMs === undefined
      ? {}
      : { errorVsInjectedMs: f.reportedLagMs - f.injectedMs }),
    verified: f.verified,
    escalatedNamingDataPlane: f.escalatedNamingDataPlane,
    wallSeconds,
  };
}

export function summariseConvergence(
  lag: readonly ConvergenceRun[],
  stuck: readonly ConvergenceRun[],
  setting: { readonly factor: number; readonly probeIntervalMs: number; readonly wallSeconds: number },
): ConvergenceResults {
  const errors = lag.map((r) => r.errorMs).filter((e): e is number => e !== undefined);
  return {
    ...setting,
    lag,
    stuck,
    lagReported: lag.filter((r) => r.reportedLagMs !== undefined).length,
    ...(errors.length === 0 ? {} : { maxAbsErrorMs: Math.max(...errors.map(Math.abs)) }),
    withinInterval: errors.filter((e) => Math.abs(e) <= setting.probeIntervalMs).length,
    falseVerified: stuck.filter((r) => r.verified).length,
  };
}

export interface ConvergenceOptions {
  readonly delaysMs?: readonly number[];
  readonly stuckRuns?: number;
  readonly log: (line: string) => void;
}

/** Runs `data-plane-lag` once per delay and `data-plane-stuck` `stuckRuns` times, guarded. */
export async function measureConvergence(options: ConvergenceOptions): Promise<ConvergenceResults> {
  const { log } = options;
  const delays = options.delaysMs ?? CONVERGENCE_DELAYS_MS;
  const stuckRuns = options.stuckRuns ?? STUCK_RUNS;
  ensureDrillTools(log);
  const started = performance.now();
  const moto = await startMoto();
  const lag: ConvergenceRun[] = [];
  const stuck: ConvergenceRun[] = [];
  let factor = 60;
  let probeIntervalMs = 10_000 / factor;
  const once = async (scenario: Scenario): Promise<ConvergenceRun> => {
    const t0 = performance.now();
    const [result] = await runDrill([scenario], {
      motoUrl: moto.url,
      compareUnguarded: false,
      progress: (line) => log(`convergence: ${line}`),
    });
    if (result === undefined) throw new Error(`${scenario.name} returned no result`);
    factor = result.guarded.run.clock.factor;
    probeIntervalMs = dataPlaneFigures(result.guarded.run).probeIntervalMs;
    const run = toConvergenceRun(result, (performance.now() - t0) / 1000);
    log(
      `convergence: ${scenario.name}${run.injectedMs === undefined ? '' : ` delay ${run.injectedMs} ms`}: true ${run.trueLagMs ?? '—'} ms, reported ${run.reportedLagMs?.toFixed(0) ?? '—'} ms, verified ${run.verified}; ${run.ok ? 'expectations met' : `FAILED ${run.failedChecks.join('; ')}`}`,
    );
    return run;
  };
  try {
    for (const d of delays) lag.push(await once(dataPlaneLag(d)));
    for (let i = 0; i < stuckRuns; i++) stuck.push(await once(dataPlaneStuck));
  } finally {
    await moto.stop();
  }
  return summariseConvergence(lag, stuck, {
    factor,
    probeIntervalMs,
    wallSeconds: (performance.now() - started) / 1000,
  });
}

const drillS = (ms: number | undefined, factor: number): string =>
  ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s (${Math.round((ms * factor) / 1000)} AWS s)`;
const signed = (ms: number | undefined, factor: number): string =>
  ms === undefined ? '—' : `${ms < 0 ? '−' : '+'}${Math.round((Math.abs(ms) * factor) / 1000)} AWS s`;
const met = (ok: boolean): string => (ok ? 'met' : '**not met**');

/** Rows for the Targets table. */
export function convergenceTargets(c: ConvergenceResults): string[] {
  const interval = drillS(c.probeIntervalMs, c.factor);
  return [
    `| Convergence: propagation lag reported within ±1 probe interval of the true lag (\`npm run bench -- --only convergence\`, ${c.lag.length} delays) | ≤ ${interval} | ${c.lagReported} of ${c.lag.length} reported; ${c.maxAbsErrorMs === undefined ? 'no error measured' : `largest error ${drillS(c.maxAbsErrorMs, c.factor)}`} | ${met(c.lag.length > 0 && c.withinInterval === c.lag.length)} |`,
    `| Convergence: false "verified" with a stuck data plane (${c.stuck.length} runs) | 0 | ${c.falseVerified} | ${met(c.stuck.length > 0 && c.falseVerified === 0)} |`,
  ];
}

/** The section: one row per run. */
export function renderConvergence(c: ConvergenceResults): string[] {
  const rows = [
    `\`data-plane-lag\` once per injected delay and \`data-plane-stuck\` ${c.stuck.length} times, lbguard watching, each in a fresh world; one drill second is ${c.factor} AWS seconds, one probe interval ${drillS(c.probeIntervalMs, c.factor)}. True lag: lbguard's restore write → HAProxy routing by it (the sync's change log); reported: the first propagation lag in lbguard's incident or inspection evidence (\`REPORTED_LAG_PATTERNS\` in drill/data-plane-checks.ts). ${c.wallSeconds.toFixed(0)} s in all.`,
    '',
    '| Scenario | Injected delay | True lag | Reported lag | Error (reported − true) | Error vs injected | Verified | Escalated naming the data plane | Expectations |',
    '|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const r of [...c.lag, ...c.stuck]) {
    rows.push(
      `| ${r.scenario} | ${r.injectedMs === undefined ? 'stuck' : drillS(r.injectedMs, c.factor)} | ${r.injectedMs === undefined ? 'never' : drillS(r.trueLagMs, c.factor)} | ${drillS(r.reportedLagMs, c.factor)} | ${signed(r.errorMs, c.factor)} | ${signed(r.errorVsInjectedMs, c.factor)} | ${r.verified ? 'yes' : 'no'} | ${r.escalatedNamingDataPlane ? 'yes' : 'no'} | ${r.ok ? 'met' : '**not met**'} |`,
    );
  }
  const failures = [...c.lag, ...c.stuck].filter((r) => r.failedChecks.length > 0);
  if (failures.length > 0) {
    rows.push('', 'Expectations that did not hold:', '');
    for (const r of failures)
      rows.push(
        `- ${r.scenario}${r.injectedMs === undefined ? '' : ` (${r.injectedMs} ms)`}: ${r.failedChecks.join('; ')}`,
      );
  }
  return rows;
}
