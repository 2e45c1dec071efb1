// Renders bench/results.json as the Markdown the README quotes.

import type { CostEstimate } from './cost-model.ts';
import type { FleetResults } from './fleet.ts';
import type { BundleFigure } from './footprint.ts';
import type { ProbeEngineFigures } from './probe-engine.ts';
import type { BenchResults as SkewResults } from './skew.ts';
import { renderMarkdown as renderSkew } from './skew.ts';
import { fitLine } from './stats.ts';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started: other work on the machine skews timings. */
  readonly loadAverage: number;
}

export interface Results {
  readonly date: string;
  readonly command: string;
  readonly machine: Machine;
  readonly seconds: number;
  readonly footprint?: readonly BundleFigure[];
  readonly fleet?: FleetResults;
  readonly probeEngine?: ProbeEngineFigures;
  readonly skew?: SkewResults;
  readonly cost?: {
    readonly basis: string;
    readonly oneMinute: CostEstimate;
    readonly tenSecond: CostEstimate;
    readonly perExtraTargetGroupUsd: number;
  };
}

export const TARGETS = {
  bundleBytes: 500 * 1024,
  coldImportMs: 150,
  monthlyUsd: 2,
  falsePositiveRate: 1 / 10_000,
} as const;

/** The "small constant" of the issue's call budget. */
const SMALL_CONSTANT = 5;
const kib = (b: number): string => `${(b / 1024).toFixed(0)} KiB`;
const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const usd = (n: number): string => `$${n.toFixed(2)}`;
const met = (ok: boolean): string => (ok ? 'met' : '**not met**');

/** Linearity of inspect time in target groups: slope per group and R² over the scenarios. */
export function inspectLinearity(fleet: FleetResults): { readonly msPerGroup: number; readonly r2: number } {
  const fit = fitLine(
    fleet.scenarios.map((s) => ({ x: s.scenario.targetGroups, y: s.withoutMetrics.medianMs })),
  );
  return { msPerGroup: fit.slope, r2: fit.r2 };
}

function summary(r: Results): string[] {
  const rows: string[] = ['| Figure | Target | Measured | |', '|---|---|---|---|'];
  for (const f of (r.footprint ?? []).filter((x) => x.mode === 'bundled')) {
    rows.push(
      `| ${f.fn} bundle (SDK bundled, as deployed) | ≤ 500 KiB | ${kib(f.bytes)} | ${met(f.bytes <= TARGETS.bundleBytes)} |`,
      `| ${f.fn} cold import (median of ${f.importMs.samples.length}) | ≤ 150 ms | ${ms(f.importMs.median)} ms | ${met(f.importMs.median <= TARGETS.coldImportMs)} |`,
    );
  }
  if (r.fleet) {
    const big = r.fleet.scenarios.at(-1);
    if (big) {
      const perTarget = Object.keys(big.withMetrics.calls).some((k) =>
        /RegisterTargets|DescribeInstance/.test(k),
      );
      const c = big.scenario;
      const bound =
        c.listeners + big.rulePages + c.targetGroups + Math.ceil(big.metricQueries / 500) + SMALL_CONSTANT;
      rows.push(
        `| AWS calls per ordinary inspect cycle (metrics read), ${c.targetGroups} groups × ${c.targetsPerGroup} targets, ${c.listeners} listeners × ${c.rulesPerListener} rules | ≤ listeners + rule pages + groups + ⌈queries/500⌉ + ${SMALL_CONSTANT} = ${bound} | ${big.ordinaryWithMetrics.awsCalls} = 1 + ${big.rulePages} rule pages + 1 + ${c.targetGroups} groups + 1 | ${met(big.ordinaryWithMetrics.awsCalls <= bound)} |`,
        `| AWS calls per attribute-refresh cycle (once per metrics period, or on a target-group attribute change) | same bound | ${big.attributeRefresh.awsCalls} = ordinary + ${c.targetGroups} DescribeTargetGroupAttributes | ${met(big.attributeRefresh.awsCalls <= bound)} (one cycle in metricsPeriodSeconds / 60) |`,
        `| Per-target calls | none | ${perTarget ? 'some' : 'none'} | ${met(!perTarget)} |`,
      );
      const lin = inspectLinearity(r.fleet);
      rows.push(
        `| Inspect time vs target groups | linear | ${ms(lin.msPerGroup)} ms per group, R² ${lin.r2.toFixed(3)} | ${met(lin.r2 >= 0.95)} |`,
      );
    }
  }
  if (r.skew) {
    rows.push(
      `| Skew false positives, healthy windows | ≤ 1 in 10,000 | ${r.skew.falsePositives.hits} in ${r.skew.falsePositives.windows.toLocaleString('en-US')}; small windows ${r.skew.smallWindowFalsePositives.hits} in ${r.skew.smallWindowFalsePositives.windows.toLocaleString('en-US')} | ${met(r.skew.falsePositives.rate <= TARGETS.falsePositiveRate && r.skew.smallWindowFalsePositives.rate <= TARGETS.falsePositiveRate)} |`,
    );
  }
  if (r.cost) {
    rows.push(
      `| Cost per guarded service, 1-minute probing | ≤ $2 / month | ${usd(r.cost.oneMinute.totalUsd)} | ${met(r.cost.oneMinute.totalUsd <= TARGETS.monthlyUsd)} |`,
      `| Cost per guarded service, 10-second probing (defaults) | ≤ $2 / month | ${usd(r.cost.tenSecond.totalUsd)} | ${met(r.cost.tenSecond.totalUsd <= TARGETS.monthlyUsd)} |`,
    );
  }
  return rows;
}

function footprint(figures: readonly BundleFigure[]): string[] {
  const rows = [
    '| Function | AWS SDK | Bundle | Source map | Cold import median (p90) | Process median | Largest inputs |',
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const f of figures) {
    rows.push(
      `| ${f.fn} | ${f.mode === 'bundled' ? 'bundled' : 'from runtime'} | ${kib(f.bytes)} | ${kib(f.sourceMapBytes)} | ${ms(f.importMs.median)} ms (${ms(f.importMs.p90)}) | ${ms(f.processMedianMs)} ms | ${f.inputsByPackage
        .slice(0, 4)
        .map((p) => `${p.name} ${kib(p.bytes)}`)
        .join(', ')} |`,
    );
  }
  return rows;
}

/** Which SDK mode to ship, from the figures: bundled unless the runtime's SDK imports faster. */
export function recommendSdkMode(figures: readonly BundleFigure[]): string {
  const pairs = figures
    .filter((f) => f.mode === 'bundled')
    .map((b) => ({ b, e: figures.find((x) => x.fn === b.fn && x.mode === 'sdk-external') }));
  const saved = pairs.map((p) => p.b.bytes - (p.e?.bytes ?? p.b.bytes));
  const slower = pairs.map((p) => (p.e?.importMs.median ?? p.b.importMs.median) - p.b.importMs.median);
  const avgSaved = saved.reduce((a, b) => a + b, 0) / Math.max(1, saved.length);
  const avgSlower = slower.reduce((a, b) => a + b, 0) / Math.max(1, slower.length);
  const keep = avgSlower >= 0;
  return keep
    ? `Keep the SDK bundled (the construct's default): leaving it to the runtime saves ${kib(avgSaved)} per function, but the import then reads the SDK from many files in node_modules and is ${ms(avgSlower)} ms slower on median here, and the bundled SDK is the version the tests ran.`
    : `Leaving the SDK to the runtime saves ${kib(avgSaved)} per function and imports ${ms(-avgSlower)} ms faster on median here; the bundled SDK still has the advantage that the tested version is the one that runs.`;
}

function fleet(f: FleetResults): string[] {
  const rows = [
    '| Fleet | Targets | Listeners × rules | Rule pages | AWS calls per cycle (formula) | DynamoDB calls (RRU) | Cycle, metrics read | Cycle, no metrics | Snapshot JSON / stored |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of f.scenarios) {
    rows.push(
      `| ${s.scenario.name} × ${s.scenario.targetsPerGroup} | ${s.targets} | ${s.scenario.listeners} × ${s.scenario.rulesPerListener} | ${s.rulePages} | ${s.withMetrics.awsCalls} (${s.predictedAwsCalls}) | ${s.withMetrics.dynamodbCalls} (${s.withMetrics.readUnits}) | ${ms(s.withMetrics.medianMs)} ms | ${ms(s.withoutMetrics.medianMs)} ms | ${kib(s.snapshotJsonBytes)} / ${kib(s.snapshotStoredBytes)} |`,
    );
  }
  const big = f.scenarios.at(-1);
  if (big) {
    rows.push('', `Calls by operation, ${big.scenario.name} (a cycle that reads metrics):`, '');
    rows.push('| Operation | Calls |', '|---|---:|');
    for (const [op, n] of Object.entries(big.withMetrics.calls)) rows.push(`| ${op} | ${n} |`);
  }
  const lin = inspectLinearity(f);
  rows.push(
    '',
    `Time per cycle grows by ${ms(lin.msPerGroup)} ms per target group (least squares over the cycles without a metrics read, R² ${lin.r2.toFixed(3)}). Formula: 1 DescribeListeners + rule pages + 1 DescribeTargetGroups + 2 per group (DescribeTargetHealth, DescribeTargetGroupAttributes for the single-survivor guard) + ⌈metric queries / 500⌉ GetMetricData when metrics are due; DynamoDB: ${big?.withMetrics.dynamodbCalls ?? '?'} calls per service, whatever the fleet size.`,
  );
  return rows;
}

function probeEngine(p: ProbeEngineFigures): string[] {
  return [
    `| Client (${p.concurrency} concurrent, ${p.prober.requests.toLocaleString('en-US')} requests) | Requests/s | p50 | p99 | Failed |`,
    '|---|---:|---:|---:|---:|',
    `| lbguard served-by burst (HttpProber.sampleServedBy) | ${p.prober.requestsPerSecond.toFixed(0)} | ${ms(p.prober.p50Ms)} ms | ${ms(p.prober.p99Ms)} ms | ${p.prober.failed} |`,
    `| autocannon | ${p.autocannon.requestsPerSecond.toFixed(0)} | ${ms(p.autocannon.p50Ms)} ms | ${ms(p.autocannon.p99Ms)} ms | ${p.autocannon.failed} |`,
    '',
    `Ratio (prober ÷ autocannon requests/s): ${p.throughputRatio.toFixed(2)}. The prober saw ${p.servedByDistinct} distinct X-Served-By values (the server has 4).`,
  ];
}

function cost(c: NonNullable<Results['cost']>): string[] {
  const rows = ['| Item | 1-minute probing | 10-second probing (defaults) |', '|---|---:|---:|'];
  c.oneMinute.lines.forEach((line, i) => {
    const other = c.tenSecond.lines[i];
    rows.push(`| ${line.item} | ${usd(line.usd)} | ${usd(other?.usd ?? 0)} |`);
  });
  rows.push(
    `| **Total per month** | **${usd(c.oneMinute.totalUsd)}** | **${usd(c.tenSecond.totalUsd)}** |`,
    `| CloudWatch Synthetics, same number of runs ($0.0012 a run) | ${usd(c.oneMinute.syntheticsUsd)} | ${usd(c.tenSecond.syntheticsUsd)} |`,
    '',
    `Probe rounds a minute: ${c.oneMinute.probeRoundsPerMinute} and ${c.tenSecond.probeRoundsPerMinute}; billed probe time per invocation: ${c.oneMinute.probeSecondsPerInvocation.toFixed(2)} s and ${c.tenSecond.probeSecondsPerInvocation.toFixed(2)} s. Basis: ${c.basis}. Each further target group adds ${usd(c.perExtraTargetGroupUsd)} a month of GetMetricData (3 metrics per read).`,
    '',
    'Working (10-second probing):',
    '',
    ...c.tenSecond.lines.map((l) => `- ${l.item}: ${l.working} → ${usd(l.usd)}`),
  );
  return rows;
}

export function renderResults(r: Results): string {
  const m = r.machine;
  const out: string[] = [
    '# lbguard benchmarks',
    '',
    `\`${r.command}\` on ${r.date}: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node} (${m.platform}); load average ${m.loadAverage.toFixed(2)} at the start; ${r.seconds.toFixed(0)} s in all.`,
    '',
    '## Targets',
    '',
    ...summary(r),
  ];
  if (r.footprint) {
    out.push('', '## 1. Footprint', '', ...footprint(r.footprint), '', recommendSdkMode(r.footprint));
  }
  if (r.fleet) out.push('', '## 2. Inspect at fleet scale (moto)', '', ...fleet(r.fleet));
  if (r.probeEngine) out.push('', '## 3. Probe engine', '', ...probeEngine(r.probeEngine));
  if (r.skew)
    out.push(
      '',
      '## 4. Skew detector',
      '',
      renderSkew(r.skew)
        .replace(/^### .*\n\n/, '')
        .trimEnd(),
    );
  if (r.cost) out.push('', '## 5. Cost per guarded service per month', '', ...cost(r.cost));
  return `${out.join('\n')}\n`;
}
