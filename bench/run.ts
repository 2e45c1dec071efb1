/**
 * `npm run bench`: footprint, inspect at fleet scale, probe engine, skew detector, cost and the
 * drill outcome, on this machine. Prints Markdown, writes bench/results.json and bench/results.md.
 * Benchmarks report; they never fail a build on a figure.
 *
 *   npx tsx bench/run.ts [--quick] [--only footprint,fleet,fleet-lbs,hub-ingest,probe,skew,intent,cost,drill,convergence] [--drill-observe-seconds N]
 *
 * With `--only`, the parts not run are kept from the existing bench/results.json (the command
 * line records which part was added when), so one part can be re-measured without the rest.
 *
 * `--quick` runs fewer repetitions, skips the 100-group fleet, measures one cycle of each kind over
 * the 100 load balancers and replays the drill once (a smoke run, not figures to quote). `--drill-observe-seconds` sets the drill's hold after the fault.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { measureConvergence } from './convergence.ts';
import { BEFORE_ISSUE_18, costLevers, measuredLayout } from './cost-levers.ts';
import { type CostInputs, estimateMonthlyCost, metricReadsPerMonth } from './cost-model.ts';
import { measureDrillOutcome } from './drill-outcome.ts';
import { FLEET_SCENARIOS, measureFleet } from './fleet.ts';
import { fleetCostResults } from './fleet-cost-basis.ts';
import { measureFleetLbs } from './fleet-lbs.ts';
import { measureFootprint } from './footprint.ts';
import { measureHubIngest } from './hub-ingest.ts';
import { DEFAULT_SEED as INTENT_SEED, runIntentBenchmark } from './intent.ts';
import { PRICES } from './prices.ts';
import { measureProbeEngine } from './probe-engine.ts';
import { type Results, renderResults } from './render.ts';
import type { BenchResults as SkewResults } from './skew.ts';
import { countTemplateResources } from './template-count.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const PARTS = [
  'footprint',
  'fleet',
  'fleet-lbs',
  'hub-ingest',
  'probe',
  'skew',
  'intent',
  'cost',
  'drill',
  'convergence',
] as const;
type Part = (typeof PARTS)[number];

/** Memory sizes from infra/lbguard-construct.ts (probe: `probeMemorySize` default; inspect fixed). */
const PROBE_MEMORY_MB = 128;
const INSPECT_MEMORY_MB = 256;

/** Target groups per service in the cost basis: the 1-group fleet that inspect is timed on. */
const TARGET_GROUPS_PER_SERVICE = 1;

/** Issue 19: one account and region with this many tagged load balancers. */
const FLEET_LOAD_BALANCERS = 100;

/** Runs of the seed outage (both arms each); the figures are their medians. */
const DRILL_RUNS = 3;
/**
 * Drill seconds the fault is held in each arm: 40, not the seed scenario's 60 (one AWS hour). A
 * run is about 15 s of set-up plus two holds, measured here at 135 s with the 60 s hold, so three
 * runs took ~7 minutes and `npm run bench` would pass its 10-minute budget; 40 s brings the part to
 * ~5 minutes. lbguard has the outage fixed in ~3 s either way, but the unguarded arm's failures
 * grow with the hold, so the shorter hold understates the failed-request saving (the report says
 * so). `--drill-observe-seconds 60` reproduces the scenario's own hold.
 */
const DRILL_OBSERVE_SECONDS = 40;

const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

function parseArgs(argv: readonly string[]): {
  quick: boolean;
  only: ReadonlySet<Part>;
  drillObserveSeconds: number | undefined;
} {
  const quick = argv.includes('--quick');
  const i = argv.indexOf('--only');
  const names = i >= 0 ? (argv[i + 1] ?? '').split(',') : [...PARTS];
  for (const n of names) {
    if (!(PARTS as readonly string[]).includes(n))
      throw new Error(`--only takes ${PARTS.join(',')}; got ${n}`);
  }
  const j = argv.indexOf('--drill-observe-seconds');
  let drillObserveSeconds: number | undefined;
  if (j >= 0) {
    drillObserveSeconds = Number(argv[j + 1]);
    if (!(Number.isFinite(drillObserveSeconds) && drillObserveSeconds >= 5 && drillObserveSeconds <= 600))
      throw new Error(
        `--drill-observe-seconds takes drill seconds from 5 to 600 (60 is the seed scenario's own hold); got ${argv[j + 1]}`,
      );
  }
  return { quick, only: new Set(names as Part[]), drillObserveSeconds };
}

/** Runs bench/skew.ts as its own command (it prints its tables and writes results-skew.json). */
async function runSkew(): Promise<SkewResults> {
  const script = path.join(REPO_ROOT, 'bench', 'skew.ts');
  await new Promise<void>((resolve, reject) => {
    // execArgv carries tsx's loader when this runner runs under tsx.
    const child = spawn(process.execPath, [...process.execArgv, script], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`bench/skew.ts exited with code ${code}`));
    });
  });
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'bench', 'results-skew.json'), 'utf8')) as SkewResults;
}

/** The last results, whose parts a partial run keeps; undefined when there are none. */
function previousResults(jsonPath: string): Results | undefined {
  try {
    return JSON.parse(readFileSync(jsonPath, 'utf8')) as Results;
  } catch {
    return undefined;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const { quick, only, drillObserveSeconds } = parseArgs(argv);
  const started = performance.now();
  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: os.loadavg()[0] ?? 0,
  };
  log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage.toFixed(2)}`);

  const footprint = only.has('footprint')
    ? await measureFootprint({ repoRoot: REPO_ROOT, runs: quick ? 5 : 20, log })
    : undefined;
  const needFleet = only.has('fleet') || only.has('cost');
  const fleet = needFleet
    ? await measureFleet({
        scenarios: quick ? FLEET_SCENARIOS.slice(0, 2) : FLEET_SCENARIOS,
        cycles: quick ? 5 : 10,
        probeRounds: quick ? 3 : 9,
        log,
      })
    : undefined;
  const fleetLbs = only.has('fleet-lbs')
    ? await measureFleetLbs({ loadBalancers: FLEET_LOAD_BALANCERS, cycles: quick ? 1 : 3, log })
    : undefined;
  const hubIngest = only.has('hub-ingest')
    ? await measureHubIngest({ events: quick ? 4 : 12, log })
    : undefined;
  const probeEngine = only.has('probe')
    ? await measureProbeEngine({ requests: 2000, concurrency: 10, log })
    : undefined;
  const skew = only.has('skew') ? await runSkew() : undefined;
  const intent = only.has('intent') ? runIntentBenchmark(INTENT_SEED, quick ? 1_000 : 10_000) : undefined;

  let cost: Results['cost'];
  if (only.has('cost') && fleet) {
    log('cost: synthesizing the stack (no bundling) to count alarms by construct');
    const counts = countTemplateResources(REPO_ROOT, { targetGroupsPerService: TARGET_GROUPS_PER_SERVICE });
    const [serviceName, service] = Object.entries(counts.services)[0] ?? [];
    if (serviceName === undefined || service === undefined) throw new Error('cost needs a guarded service');
    const basis = fleet.scenarios[0];
    if (basis === undefined) throw new Error('cost needs the 1-group fleet');
    const common: Omit<CostInputs, 'schedule'> = {
      probeMemoryMb: PROBE_MEMORY_MB,
      inspectMemoryMb: INSPECT_MEMORY_MB,
      probe: fleet.probe,
      inspect: {
        msWithMetrics: basis.withMetrics.medianMs,
        msWithoutMetrics: basis.withoutMetrics.medianMs,
        readUnits: basis.withoutMetrics.readUnits,
        writeUnits: basis.withoutMetrics.writeUnits,
        emfBytes: basis.withoutMetrics.emfBytes,
        logBytes: basis.withoutMetrics.logBytes,
      },
      metricQueries: basis.metricQueries,
      customMetrics: new Set([...fleet.probe.metricNames, ...fleet.inspectMetricNames]).size,
      deployment: counts.deployment,
      service,
    };
    const defaults = { inspectRateMinutes: 1, metricsPeriodSeconds: 300 };
    cost = {
      basis: `the example config's probes against a local site (probe ${PROBE_MEMORY_MB} MB), inspect of the ${basis.scenario.name} × ${basis.scenario.targetsPerGroup} fleet on moto (${INSPECT_MEMORY_MB} MB), ALB metrics every 300 s, ${common.customMetrics} metric names seen in steady state; alarms, keys and dashboards counted in the synthesized stack (example config, ${TARGET_GROUPS_PER_SERVICE} guarded target group) and split by construct: ${serviceName}'s ServiceAlarms per service, everything else per deployment`,
      resources: { deployment: counts.deployment, service },
      oneMinute: estimateMonthlyCost({
        ...common,
        schedule: { ...defaults, probeIntervalSeconds: 10, probeLoopSeconds: 10 },
      }),
      tenSecond: estimateMonthlyCost({
        ...common,
        schedule: { ...defaults, probeIntervalSeconds: 10, probeLoopSeconds: 50 },
      }),
      // One more metric in every GetMetricData read (its RequestCount), one more in UnhealthyHosts.
      perExtraTargetGroupUsd:
        metricReadsPerMonth(defaults) * PRICES.getMetricDataMetric.usd + PRICES.standardAlarmMonth.usd,
      levers: costLevers(
        BEFORE_ISSUE_18,
        measuredLayout({
          ...common,
          schedule: { ...defaults, probeIntervalSeconds: 10, probeLoopSeconds: 10 },
        }),
        defaults,
      ),
    };
  }

  // Last: the drill loads both cores (HAProxy, backends, customers, moto) and would skew timings
  // measured after it.
  const drill = only.has('drill')
    ? await measureDrillOutcome({
        runs: quick ? 1 : DRILL_RUNS,
        observeSeconds: drillObserveSeconds ?? DRILL_OBSERVE_SECONDS,
        log,
      })
    : undefined;

  // Drills too: after every timing.
  const convergence = only.has('convergence')
    ? await measureConvergence({ ...(quick ? { delaysMs: [2_000], stuckRuns: 1 } : {}), log })
    : undefined;

  const jsonPath = path.join(REPO_ROOT, 'bench', 'results.json');
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const date = new Date().toISOString();
  const kept = only.size < PARTS.length ? previousResults(jsonPath) : undefined;
  // Priced from this run's parts or the kept ones: cheap and pure, so always brought up to date.
  const fleetCost = fleetCostResults({
    cost: cost ?? kept?.cost,
    fleetLbs: fleetLbs ?? kept?.fleetLbs,
    hubIngest: hubIngest ?? kept?.hubIngest,
    inspectMemoryMb: INSPECT_MEMORY_MB,
  });
  const results: Results = {
    ...kept,
    date,
    command: kept === undefined ? command : `${kept.command} (${kept.date}); then ${command} (${date})`,
    machine,
    // A partial run adds its time to the kept parts': the header's total stays the sum.
    seconds: (kept?.seconds ?? 0) + (performance.now() - started) / 1000,
    ...(footprint === undefined ? {} : { footprint }),
    ...(fleet === undefined ? {} : { fleet }),
    ...(fleetLbs === undefined ? {} : { fleetLbs }),
    ...(hubIngest === undefined ? {} : { hubIngest }),
    ...(fleetCost === undefined ? {} : { fleetCost }),
    ...(probeEngine === undefined ? {} : { probeEngine }),
    ...(skew === undefined ? {} : { skew }),
    ...(intent === undefined ? {} : { intent }),
    ...(cost === undefined ? {} : { cost }),
    ...(drill === undefined ? {} : { drill }),
    ...(convergence === undefined ? {} : { convergence }),
  };
  const markdown = renderResults(results);
  const mdPath = path.join(REPO_ROOT, 'bench', 'results.md');
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(mdPath, markdown);
  // The repository's formatter owns these files too (`npm run lint` checks them): leave them formatted.
  spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', jsonPath, mdPath], {
    stdio: 'ignore',
  });
  process.stdout.write(markdown);
  log(`wrote bench/results.json and bench/results.md in ${results.seconds.toFixed(0)} s`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bench: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
