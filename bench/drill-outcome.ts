/**
 * Benchmark part 6, the drill outcome: the seed outage (drill/scenarios/lb-faults.ts) replayed a
 * few times, each time with lbguard watching and then in a fresh world without it, through the
 * drill's own runner and analysis. The figures are the drill's: MTTD and MTTR in drill time and
 * the AWS time they stand for, and failed customer requests after the fault with and without
 * lbguard. Medians, because one run on a two-core machine is at the mercy of the scheduler.
 *
 * `summariseDrillOutcome` and `toDrillRunFigures` are pure (tested); `measureDrillOutcome` starts
 * moto_server, HAProxy and the drill's world, and writes nothing outside the OS temp dir.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLOUDTRAIL_DELAY_AWS_SECONDS } from '../drill/guard.ts';
import type { ScenarioResult } from '../drill/report.ts';
import { runDrill } from '../drill/runner.ts';
import { seedOutage } from '../drill/scenarios/lb-faults.ts';
import { startMoto } from '../drill/world/moto.ts';
import { median } from './stats.ts';

/** The drill runner's default customer rate (drill/runner.ts), for runs that do not record one. */
const DEFAULT_RATE = 150;
/** One AWS minute: the inspect schedule the drill compresses by its clock factor. */
const INSPECT_PERIOD_AWS_MS = 60_000;

export interface DrillArmFigures {
  readonly requestsAfterFault: number;
  readonly failedAfterFault: number;
}

/** One run of the scenario: the guarded arm and the unguarded arm right after it. */
export interface DrillRunFigures {
  /** 1-based, in the order run. */
  readonly run: number;
  /** Every expectation of the scenario held in the guarded arm. */
  readonly ok: boolean;
  /** `name: detail` of each expectation that did not hold. */
  readonly failedChecks: readonly string[];
  readonly cause?: string;
  /** How last known good was set before the fault: by inspect's soak, or explicitly after a timeout. */
  readonly lastGood?: 'soak' | 'explicit';
  /** Fault → lbguard's first inspection that saw it (drill ms); absent when never detected. */
  readonly mttdMs?: number;
  /**
   * The first CloudTrail event's arrival at inspect (the deployment's first call plus the drill's
   * delivery delay) → detection (drill ms); 0 when a scheduled inspection saw the fault first.
   */
  readonly mttdAfterEventMs?: number;
  /** Fault → customers' failure rate back to baseline for good (drill ms); absent when never. */
  readonly mttrMs?: number;
  /** Fault → 5xx back to baseline and per-target spread back to the baseline's (the README's "within three periods"). */
  readonly settledMs?: number;
  readonly guarded: DrillArmFigures;
  readonly unguarded: DrillArmFigures;
  /** Failed requests guarded ÷ unguarded; absent when the unguarded arm had no failure. */
  readonly failedRatio?: number;
  /** Wall-clock seconds of both arms, world start to teardown. */
  readonly wallSeconds: number;
}

export interface DrillOutcome {
  readonly scenario: string;
  readonly title: string;
  /** AWS ms per drill ms (60: one drill second is one AWS minute). */
  readonly factor: number;
  /** One inspect period in drill ms. */
  readonly inspectPeriodMs: number;
  readonly ratePerSecond: number;
  /** CloudTrail → inspect delivery delay the drill modelled, in AWS seconds. */
  readonly cloudTrailDelayAwsSeconds: number;
  /** Drill seconds the fault was held after injection in each arm. */
  readonly observeSeconds: number;
  /** The scenario's own hold (`observeMs`), which `npm run drill` uses. */
  readonly scenarioObserveSeconds: number;
  readonly runs: readonly DrillRunFigures[];
  readonly median: {
    readonly mttdMs?: number;
    readonly mttdAfterEventMs?: number;
    readonly mttrMs?: number;
    readonly settledMs?: number;
    readonly guardedFailed: number;
    readonly guardedRequests: number;
    readonly unguardedFailed: number;
    readonly unguardedRequests: number;
    readonly failedRatio?: number;
  };
  /** Runs in which every expectation held. */
  readonly runsOk: number;
  readonly wallSeconds: number;
}

/**
 * Median of durations where a missing value means "never happened": it ranks after every measured
 * value, so the median of 0.9 s, 1.1 s and never is 1.1 s, and of 0.9 s, never, never is never
 * (undefined). Undefined for no values at all.
 */
export function medianOfDurations(values: readonly (number | undefined)[]): number | undefined {
  if (values.length === 0) return undefined;
  const measured = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const never = values.length - measured.length;
  // The middle rank(s) of the whole list, 0-based, with the "never"s at the end.
  const lo = Math.floor((values.length - 1) / 2);
  const hi = Math.ceil((values.length - 1) / 2);
  if (hi >= values.length - never) return undefined;
  const a = measured[lo];
  const b = measured[hi];
  return a === undefined || b === undefined ? undefined : (a + b) / 2;
}

/** Failed requests guarded ÷ unguarded; undefined when unguarded customers saw no failure. */
export function failedRatio(guardedFailed: number, unguardedFailed: number): number | undefined {
  return unguardedFailed === 0 ? undefined : guardedFailed / unguardedFailed;
}

/**
 * When the first CloudTrail event of the fault reached inspect, in drill ms after the fault: the
 * deployment's first call plus the modelled delivery delay. Undefined when the fault made no call.
 */
export function eventArrivalMs(
  run: ScenarioResult['guarded']['run'],
  delayAwsSeconds: number = CLOUDTRAIL_DELAY_AWS_SECONDS,
): number | undefined {
  const first = run.marks.find((m) => m.kind === 'change' && m.at >= run.faultAt);
  return first === undefined
    ? undefined
    : first.at - run.faultAt + (delayAwsSeconds * 1000) / run.clock.factor;
}

/** The bench's figures of one drill result (guarded and unguarded arms of one scenario). */
export function toDrillRunFigures(result: ScenarioResult, run: number, wallSeconds: number): DrillRunFigures {
  const a = result.guarded.analysis;
  const arrival = eventArrivalMs(result.guarded.run);
  const afterEvent =
    a.detected === undefined || arrival === undefined ? undefined : Math.max(0, a.detected - arrival);
  const u = result.unguarded?.analysis;
  if (u === undefined) {
    throw new Error(
      `drill run ${run} of ${result.scenario.name} has no unguarded arm: run it with compareUnguarded`,
    );
  }
  const settled = a.recovered === undefined ? undefined : Math.max(a.recovered, a.rebalanced ?? a.recovered);
  const ratio = failedRatio(a.failedAfterFault, u.failedAfterFault);
  const lastGood = result.guarded.run.lastGood[0]?.how;
  return {
    run,
    ok: result.ok,
    failedChecks: result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    ...(a.cause === undefined ? {} : { cause: a.cause }),
    ...(lastGood === undefined ? {} : { lastGood }),
    ...(a.detected === undefined ? {} : { mttdMs: a.detected }),
    ...(afterEvent === undefined ? {} : { mttdAfterEventMs: afterEvent }),
    ...(a.recovered === undefined ? {} : { mttrMs: a.recovered }),
    ...(settled === undefined ? {} : { settledMs: settled }),
    guarded: { requestsAfterFault: a.requestsAfterFault, failedAfterFault: a.failedAfterFault },
    unguarded: { requestsAfterFault: u.requestsAfterFault, failedAfterFault: u.failedAfterFault },
    ...(ratio === undefined ? {} : { failedRatio: ratio }),
    wallSeconds,
  };
}

/** Medians over runs. The ratio's median is over the runs' own ratios, each from one pair of arms. */
export function summariseDrillOutcome(
  runs: readonly DrillRunFigures[],
  setting: Omit<DrillOutcome, 'runs' | 'median' | 'runsOk' | 'inspectPeriodMs'>,
): DrillOutcome {
  if (runs.length === 0) throw new Error('the drill outcome needs at least one run');
  const mttd = medianOfDurations(runs.map((r) => r.mttdMs));
  const afterEvent = medianOfDurations(runs.map((r) => r.mttdAfterEventMs));
  const mttr = medianOfDurations(runs.map((r) => r.mttrMs));
  const settled = medianOfDurations(runs.map((r) => r.settledMs));
  // A run whose unguarded arm never failed has no ratio: lbguard had nothing to save there.
  const ratios = runs.map((r) => r.failedRatio).filter((v): v is number => v !== undefined);
  const ratio = ratios.length === 0 ? undefined : median(ratios);
  return {
    ...setting,
    inspectPeriodMs: INSPECT_PERIOD_AWS_MS / setting.factor,
    runs,
    median: {
      ...(mttd === undefined ? {} : { mttdMs: mttd }),
      ...(afterEvent === undefined ? {} : { mttdAfterEventMs: afterEvent }),
      ...(mttr === undefined ? {} : { mttrMs: mttr }),
      ...(settled === undefined ? {} : { settledMs: settled }),
      guardedFailed: median(runs.map((r) => r.guarded.failedAfterFault)),
      guardedRequests: median(runs.map((r) => r.guarded.requestsAfterFault)),
      unguardedFailed: median(runs.map((r) => r.unguarded.failedAfterFault)),
      unguardedRequests: median(runs.map((r) => r.unguarded.requestsAfterFault)),
      ...(ratio === undefined ? {} : { failedRatio: ratio }),
    },
    runsOk: runs.filter((r) => r.ok).length,
  };
}

/** `true` when `command` starts from PATH. */
function onPath(command: string, args: readonly string[]): boolean {
  const out = spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
  return out.error === undefined;
}

/**
 * The drill's world spawns `haproxy` and `moto_server` from PATH. Debian puts haproxy in
 * /usr/sbin, which a non-root shell's PATH often lacks: add it rather than fail on a technicality.
 */
export function ensureDrillTools(log: (line: string) => void): void {
  if (!onPath('haproxy', ['-v'])) {
    const dir = ['/usr/sbin', '/usr/local/sbin'].find((d) => existsSync(path.join(d, 'haproxy')));
    if (dir === undefined) {
      throw new Error(
        'the drill part needs HAProxy 2.6 on PATH (apt-get install haproxy); leave it out with --only footprint,fleet,probe,skew,cost',
      );
    }
    process.env.PATH = `${process.env.PATH ?? ''}${path.delimiter}${dir}`;
    log(`drill: haproxy found in ${dir}, added to PATH`);
  }
  if (!onPath('moto_server', ['--help'])) {
    throw new Error(
      'the drill part needs moto_server on PATH (pip install "moto[server]"); leave it out with --only footprint,fleet,probe,skew,cost',
    );
  }
}

export interface DrillOutcomeOptions {
  /** Times the scenario runs, each with both arms. */
  readonly runs: number;
  /** Hold after the fault in drill seconds; default the scenario's own. */
  readonly observeSeconds?: number;
  readonly log: (line: string) => void;
}

/** Runs the seed outage `runs` times, guarded then unguarded, on one moto_server reset per world. */
export async function measureDrillOutcome(options: DrillOutcomeOptions): Promise<DrillOutcome> {
  const { log } = options;
  if (!(Number.isInteger(options.runs) && options.runs >= 1)) {
    throw new Error(`runs must be a whole number ≥ 1, got ${options.runs}`);
  }
  ensureDrillTools(log);
  const scenario = seedOutage;
  const observeMs = options.observeSeconds === undefined ? scenario.observeMs : options.observeSeconds * 1000;
  const started = performance.now();
  // One moto for every run: each world resets it, and moto's own start (~2 s) is not the drill's.
  const moto = await startMoto();
  const runs: DrillRunFigures[] = [];
  let factor = 60;
  let rate = scenario.ratePerSecond ?? DEFAULT_RATE;
  try {
    for (let i = 1; i <= options.runs; i++) {
      log(
        `drill: run ${i} of ${options.runs}, ${scenario.name}, hold ${observeMs / 1000} s, guarded then unguarded`,
      );
      const t0 = performance.now();
      const [result] = await runDrill([scenario], {
        motoUrl: moto.url,
        compareUnguarded: true,
        observeMs,
        progress: (line) => log(`drill: ${line}`),
      });
      if (result === undefined) throw new Error(`drill run ${i} returned no result`);
      const figures = toDrillRunFigures(result, i, (performance.now() - t0) / 1000);
      factor = result.guarded.run.clock.factor;
      rate = result.guarded.run.ratePerSecond;
      log(
        `drill: run ${i}: ${figures.ok ? 'expectations met' : `FAILED ${figures.failedChecks.join('; ')}`}; MTTD ${figures.mttdMs ?? '—'} ms (${figures.mttdAfterEventMs ?? '—'} ms after the CloudTrail event), MTTR ${figures.mttrMs ?? '—'} ms, failed ${figures.guarded.failedAfterFault}/${figures.guarded.requestsAfterFault} vs ${figures.unguarded.failedAfterFault}/${figures.unguarded.requestsAfterFault} in ${figures.wallSeconds.toFixed(0)} s`,
      );
      runs.push(figures);
    }
  } finally {
    await moto.stop();
  }
  return summariseDrillOutcome(runs, {
    scenario: scenario.name,
    title: scenario.title,
    factor,
    ratePerSecond: rate,
    cloudTrailDelayAwsSeconds: CLOUDTRAIL_DELAY_AWS_SECONDS,
    observeSeconds: observeMs / 1000,
    scenarioObserveSeconds: scenario.observeMs / 1000,
    wallSeconds: (performance.now() - started) / 1000,
  });
}
