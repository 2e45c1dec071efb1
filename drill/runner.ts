import type { Incident } from '../lib/incident.ts';
import { hashSnapshot } from '../lib/snapshot.ts';
import type { LbSnapshot } from '../lib/types.ts';
import { analyseRun, checkExpectations } from './analysis.ts';
import { type Guard, startGuard } from './guard.ts';
import { DRILL_SERVICE } from './lbguard-config.ts';
import { type AnalysedRun, type ScenarioResult, toResult } from './report.ts';
import type { Mark, RunOptions, ScenarioRun } from './run-types.ts';
import { scenarioContext } from './scenario-context.ts';
import type { Scenario } from './scenarios/types.ts';
import { defaultShopSpec } from './world/aws-world.ts';
import { REAL_CLOCK_CLOUDTRAIL_DELAY_SECONDS, REAL_TIME } from './world/clock.ts';
import { type DataPlaneFollowing, describeFollowing } from './world/data-plane-following.ts';
import type { LoadRun } from './world/loadgen.ts';
import { sleep, waitFor } from './world/net.ts';
import { startWorld, type World } from './world/world.ts';

// Runs one scenario in a fresh world, with lbguard's real lambda handlers invoked in process on
// the drill's schedule (guarded) or not at all (unguarded), and records everything the report
// needs: every customer response, every ELBv2 write lbguard made, every inspection, remediation,
// notification and incident transition, and the moments the scenario marked.

const MINUTE = 60_000;
/** Observation after the fault on the real clock unless overridden: enough for a 5 × 30 s re-registration and a crashed server's restart. */
export const REAL_CLOCK_OBSERVE_MS = 6 * MINUTE;

/**
 * Waits before the fault, on either clock: the warm-up's longest wait for the soak (15 AWS
 * minutes, at most 5 real ones) and the balanced baseline (2 AWS minutes, at most 30 real
 * seconds: the analysis judges the baseline on its last 2 s and the real clock's minutes are
 * spent where they matter, after the fault).
 */
function preFaultMs(
  world: World,
  options: RunOptions,
): { readonly warmupMs: number; readonly baselineMs: number } {
  const c = world.clock;
  return {
    warmupMs: options.warmupTimeoutMs ?? Math.min(c.drillMs(15 * MINUTE), 5 * MINUTE),
    baselineMs: options.baselineMs ?? Math.min(c.drillMs(2 * MINUTE), 30_000),
  };
}

/**
 * Runs one scenario end to end in a fresh world and returns what happened. Never leaves a
 * process behind: the world is stopped whatever happens.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<ScenarioRun> {
  const say = options.progress ?? (() => {});
  const rate = scenario.ratePerSecond ?? options.ratePerSecond ?? 150;
  const observeMs =
    options.observeMs ?? (options.realClock === true ? REAL_CLOCK_OBSERVE_MS : scenario.observeMs);
  const world = await startWorld({
    ...(options.realClock === true ? { clock: REAL_TIME } : {}),
    ...(options.motoUrl === undefined ? {} : { motoUrl: options.motoUrl }),
    ...(options.resetMoto === undefined ? {} : { resetMoto: options.resetMoto }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    shop: scenario.shop ?? defaultShopSpec,
    ...(scenario.world?.restartDelayMs === undefined
      ? {}
      : { restartDelayMs: scenario.world.restartDelayMs }),
    ...(scenario.world?.backend === undefined ? {} : { backend: scenario.world.backend }),
  });
  const marks: Mark[] = [];
  let guard: Guard | undefined;
  let load: LoadRun | undefined;
  const { warmupMs, baselineMs } = preFaultMs(world, options);
  try {
    if (options.guarded)
      guard = await startGuard(world, {
        ...options,
        ...(options.realClock === true && options.cloudTrailDelayAwsSeconds === undefined
          ? { cloudTrailDelayAwsSeconds: REAL_CLOCK_CLOUDTRAIL_DELAY_SECONDS }
          : {}),
        ...(scenario.remediation === undefined ? {} : { remediation: scenario.remediation }),
      });
    const ctx = scenarioContext(world, guard, marks, () => load);
    if (scenario.prepare !== undefined) {
      await scenario.prepare(ctx);
      await world.sync.waitUntilServing();
    }
    // An upper bound: the runner stops the load itself once the observation is over.
    const totalMs = warmupMs + 2 * baselineMs + observeMs + 120_000;
    load = world.load({
      ratePerSecond: rate,
      durationMs: totalMs,
      servedByHeader: 'x-served-by',
      ...(scenario.pathMix === undefined ? {} : { pathMix: scenario.pathMix }),
    });
    const loadStartedAt = Date.now();
    marks.push({ at: loadStartedAt, kind: 'load-start', what: `customers arrive at ${rate} req/s` });

    let lastGoodHashBeforeFault: string | undefined;
    if (guard !== undefined) {
      guard.start();
      if (world.clock.realTime)
        say(
          `${scenario.name}: warming up until the soak promotes last known good (at most ${warmupMs / 1000} s)`,
        );
      lastGoodHashBeforeFault = await establishLastGood(world, guard, marks, warmupMs, say);
    } else {
      // Same traffic history as a guarded run before the fault: two AWS minutes of warm-up
      // (at most 30 real seconds).
      await sleep(Math.min(world.clock.drillMs(2 * MINUTE), 30_000));
    }
    await sleep(baselineMs);
    marks.push({ at: Date.now(), kind: 'baseline', what: 'baseline measured' });

    const injectedAt = Date.now();
    say(`${scenario.name}${options.guarded ? '' : ' (unguarded)'}: injecting the fault`);
    await scenario.inject(ctx);
    // A scenario that sets the stage first (a scale-in, say) marks the fault itself; the clock
    // of MTTD and MTTR starts there.
    const marked = marks.find((m) => m.kind === 'fault' && m.at >= injectedAt);
    const faultAt = marked?.at ?? injectedAt;
    if (marked === undefined) marks.push({ at: faultAt, kind: 'fault', what: scenario.title });
    const following = scenario.world?.dataPlane;
    const armedAt = following === undefined ? undefined : await armDataPlane(world, following, marks);
    await observe(observeMs, world.clock.realTime ? MINUTE : 0, (s) =>
      say(
        `${scenario.name}${options.guarded ? '' : ' (unguarded)'}: ${s} s of ${observeMs / 1000} s observed`,
      ),
    );
    const scenarioChecks = scenario.verify === undefined ? undefined : await scenario.verify(ctx);
    load.stop();
    const endedAt = Date.now();
    const result = await load.done;
    if (guard !== undefined) await guard.stop();
    // What the load balancer did on its own (anomaly mitigation) belongs on the timeline too.
    for (const e of world.mitigation.events) {
      const who = world.control.instances.find((i) => i.instanceId === e.targetId)?.groupName ?? '';
      marks.push({
        at: e.at,
        kind: 'change',
        what: `load balancer: ${e.targetId} (${who}) ${e.result}, weight ${e.weight}/100`,
      });
    }
    marks.sort((a, b) => a.at - b.at);

    const state = guard === undefined ? undefined : await finalState(world, guard, loadStartedAt);
    const run: ScenarioRun = {
      scenario: scenario.name,
      guarded: options.guarded,
      clock: {
        factor: world.clock.factor,
        realStartMs: world.clock.realStartMs,
        awsStartMs: world.clock.awsStartMs,
      },
      loadStartedAt,
      faultAt,
      endedAt,
      ratePerSecond: rate,
      records: result.records.map((r) => r),
      marks,
      writes: guard?.writes ?? [],
      inspections: guard?.inspections ?? [],
      remediations: guard?.remediation.records ?? [],
      notifications: guard?.notifier.sent ?? [],
      lastGood: guard?.lastGood ?? [],
      incidents: state?.incidents ?? [],
      ...(lastGoodHashBeforeFault === undefined ? {} : { lastGoodHashBeforeFault }),
      ...(state?.lastGoodHash === undefined ? {} : { lastGoodHashAtEnd: state.lastGoodHash }),
      ...(state?.liveHash === undefined ? {} : { liveHashAtEnd: state.liveHash }),
      targets: Object.fromEntries(world.control.instances.map((i) => [i.instanceId, i.groupName])),
      fleetEvents: world.fleet.events.map((e) => ({ at: e.at, instanceId: e.instanceId, kind: e.kind })),
      errors: guard?.errors ?? [],
      ...(scenarioChecks === undefined ? {} : { scenarioChecks }),
      ...(following === undefined || armedAt === undefined
        ? {}
        : { dataPlane: { following, armedAt, changes: [...world.sync.changes] } }),
    };
    return run;
  } finally {
    load?.stop();
    if (guard !== undefined) {
      await guard.stop().catch(() => {});
      guard.close();
    }
    await world.stop();
  }
}

/** Sleeps through the observation, with a progress line every `everyMs` (none when 0): no silent minutes on the real clock. */
async function observe(ms: number, everyMs: number, say: (elapsedSeconds: number) => void): Promise<void> {
  const start = Date.now();
  while (everyMs > 0 && Date.now() - start + everyMs < ms) {
    await sleep(everyMs);
    say(Math.round((Date.now() - start) / 1000));
  }
  await sleep(Math.max(0, ms - (Date.now() - start)));
}

/**
 * Runs balanced traffic until inspect's own soak promotes last known good. If the soak has not
 * promoted within the timeout, promotes the live snapshot explicitly with the reason recorded,
 * so the scenario still has something to restore (and the report says which way it went).
 */
async function establishLastGood(
  world: World,
  guard: Guard,
  marks: Mark[],
  timeoutMs: number,
  say: (line: string) => void,
): Promise<string> {
  const store = guard.runtime.store;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const [lastGood, live] = await Promise.all([store.getLastGood(DRILL_SERVICE), readLive(world, guard)]);
    if (lastGood !== undefined && lastGood.hash === hashSnapshot(live)) {
      marks.push({
        at: Date.now(),
        kind: 'last-good',
        what: `last known good promoted by the soak (${lastGood.hash.slice(0, 12)})`,
      });
      return lastGood.hash;
    }
    await sleep(200);
  }
  const live = await readLive(world, guard);
  const hash = hashSnapshot(live);
  const at = world.clock.awsIso();
  const reason = `drill warm-up: the soak did not promote within ${timeoutMs / 1000} s; promoted explicitly before injecting the fault`;
  await store.promoteLastGood(DRILL_SERVICE, { hash, takenAt: at, snapshot: live }, reason, at);
  guard.lastGood.push({ at: Date.now(), hash, how: 'explicit', reason });
  marks.push({
    at: Date.now(),
    kind: 'last-good',
    what: `last known good promoted explicitly (${hash.slice(0, 12)})`,
  });
  say(`warning: ${reason}`);
  return hash;
}

/**
 * Lets the fault reach HAProxy (a sync pass begun after `inject` returned has completed), then
 * makes the data plane follow late or not at all from there: lbguard's restore is what lags.
 */
async function armDataPlane(world: World, following: DataPlaneFollowing, marks: Mark[]): Promise<number> {
  const settling = world.sync.passesStarted + 1;
  await waitFor(
    'the data plane to apply the fault before it starts lagging',
    async () => (world.sync.lastCompletedPass >= settling ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 10 },
  );
  world.sync.follow(following);
  const at = Date.now();
  marks.push({ at, kind: 'change', what: `data plane (HAProxy) ${describeFollowing(following)} from here` });
  return at;
}

/** The guarded listener's routing as lbguard reads it now. */
async function readLive(world: World, guard: Guard): Promise<LbSnapshot> {
  return (await guard.runtime.reader.readSnapshot(world.control.loadBalancerArn, [world.control.listenerArn]))
    .snapshot;
}

async function finalState(
  world: World,
  guard: Guard,
  since: number,
): Promise<{ incidents: Incident[]; lastGoodHash?: string; liveHash?: string }> {
  const store = guard.runtime.store;
  const [incidents, lastGood] = await Promise.all([
    store.listIncidents(DRILL_SERVICE, 50),
    store.getLastGood(DRILL_SERVICE),
  ]);
  let liveHash: string | undefined;
  try {
    liveHash = hashSnapshot(await readLive(world, guard));
  } catch {
    // moto unreachable at the very end: the report then omits the live hash.
  }
  const sinceAws = world.clock.awsMs(since);
  return {
    incidents: incidents.filter((i) => Date.parse(i.openedAt) >= sinceAws).reverse(),
    ...(lastGood === undefined ? {} : { lastGoodHash: lastGood.hash }),
    ...(liveHash === undefined ? {} : { liveHash }),
  };
}

export interface DrillOptions extends Omit<RunOptions, 'guarded'> {
  /** Also run each scenario unguarded: true, false, or only where the scenario asks (default). */
  readonly compareUnguarded?: boolean | 'scenario-default';
}

/**
 * Runs scenarios one after another (each in a fresh world), the unguarded comparison right after
 * its guarded run, and judges each against its expectations.
 */
export async function runDrill(
  scenarios: readonly Scenario[],
  options: DrillOptions,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const say = options.progress ?? (() => {});
  for (const scenario of scenarios) {
    say(`${scenario.name}: ${scenario.title}`);
    const run = await runScenario(scenario, { ...options, guarded: true });
    const guarded = { run, analysis: analyseRun(run) };
    const compare =
      options.compareUnguarded === undefined || options.compareUnguarded === 'scenario-default'
        ? scenario.compareUnguardedByDefault === true
        : options.compareUnguarded;
    let unguarded: AnalysedRun | undefined;
    if (compare) {
      say(`${scenario.name}: the same scenario without lbguard`);
      const bare = await runScenario(scenario, { ...options, guarded: false });
      unguarded = { run: bare, analysis: analyseRun(bare) };
    }
    const result = toResult(
      scenario,
      guarded,
      unguarded,
      checkExpectations(run, guarded.analysis, scenario.expect),
    );
    say(`${scenario.name}: ${result.ok ? 'PASS' : 'FAIL'}`);
    results.push(result);
  }
  return results;
}
