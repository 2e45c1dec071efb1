/**
 * Benchmark of the observed-skew test (lib/skew.ts): false-positive rate on healthy windows,
 * detection of "all traffic on one of N expected targets", a power table by window size and
 * skew level, and the smallest window that detects all-on-one at the configured thresholds.
 *
 *   npx tsx bench/skew.ts [--seed 20261101] [--windows 10000] [--power-windows 1000]
 *
 * Prints Markdown (quoted by the README) and writes bench/results-skew.json. Every draw comes
 * from a seeded PRNG, so a given seed always prints the same figures.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { seededRandom } from '../lib/random.ts';
import { testSkew } from '../lib/skew.ts';
import type { SkewThresholds } from '../lib/types.ts';

/** The shipped defaults of `thresholds.skew`. */
export const DEFAULT_THRESHOLDS: SkewThresholds = {
  minSamples: 30,
  falsePositiveRate: 0.0001,
  minEffectSize: 0.2,
};

export const DEFAULT_SEED = 20261101;
const MIN_WINDOW = 30;
const MAX_WINDOW = 5000;

function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** Window sizes log-uniform over [30, 5000]: small windows, the hard ones, are well represented. */
function randomWindowSize(rand: () => number): number {
  return Math.round(Math.exp(Math.log(MIN_WINDOW) + rand() * (Math.log(MAX_WINDOW) - Math.log(MIN_WINDOW))));
}

/** One multinomial draw of `n` requests over `shares` (which sum to 1). */
export function sampleMultinomial(rand: () => number, n: number, shares: readonly number[]): number[] {
  const cumulative: number[] = [];
  let running = 0;
  for (const s of shares) {
    running += s;
    cumulative.push(running);
  }
  const counts = shares.map(() => 0);
  for (let i = 0; i < n; i++) {
    const u = rand() * running;
    let k = 0;
    while (k < cumulative.length - 1 && u >= (cumulative[k] ?? 0)) k++;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

function record(values: readonly number[]): Record<string, number> {
  return Object.fromEntries(values.map((v, i) => [`t${i}`, v]));
}

/**
 * Expected shares of a healthy service: N = 2–10 targets, half the time round robin (equal
 * shares), half the time weighted like forwards across groups (integer weights 1–4).
 */
function randomExpectedShares(rand: () => number): number[] {
  const n = randomInt(rand, 2, 10);
  const weights =
    rand() < 0.5
      ? Array.from({ length: n }, () => 1)
      : Array.from({ length: n }, () => randomInt(rand, 1, 4));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

export interface RateResult {
  readonly windows: number;
  readonly hits: number;
  readonly rate: number;
}

/** Healthy windows (counts drawn from the expected shares) that the test calls `skewed`. */
export function measureFalsePositives(
  seed: number,
  windows: number,
  thresholds = DEFAULT_THRESHOLDS,
): RateResult {
  const rand = seededRandom(seed);
  let hits = 0;
  for (let w = 0; w < windows; w++) {
    const shares = randomExpectedShares(rand);
    const counts = sampleMultinomial(rand, randomWindowSize(rand), shares);
    if (testSkew(record(counts), record(shares), thresholds).kind === 'skewed') hits++;
  }
  return { windows, hits, rate: hits / windows };
}

/**
 * The hardest healthy windows: 30–100 requests over 10 targets with uneven weights (1–4), where
 * asymptotic tests (chi-square) overshoot their nominal rate. Run at ten times the window count.
 */
export function measureSmallWindowFalsePositives(
  seed: number,
  windows: number,
  thresholds = DEFAULT_THRESHOLDS,
): RateResult {
  const rand = seededRandom(seed ^ 0x1b873593);
  const weights = Array.from({ length: 10 }, (_, i) => (i % 4) + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => w / total);
  let hits = 0;
  for (let w = 0; w < windows; w++) {
    const counts = sampleMultinomial(rand, randomInt(rand, 30, 100), shares);
    if (testSkew(record(counts), record(shares), thresholds).kind === 'skewed') hits++;
  }
  return { windows, hits, rate: hits / windows };
}

/** Windows of ≥ 30 requests where one of N = 2–10 round-robin targets took everything, detected as `skewed`. */
export function measureAllOnOneDetection(
  seed: number,
  windows: number,
  thresholds = DEFAULT_THRESHOLDS,
): RateResult {
  const rand = seededRandom(seed ^ 0x5bd1e995);
  let hits = 0;
  for (let w = 0; w < windows; w++) {
    const n = randomInt(rand, 2, 10);
    const survivor = randomInt(rand, 0, n - 1);
    const size = randomWindowSize(rand);
    const counts = Array.from({ length: n }, (_, i) => (i === survivor ? size : 0));
    if (
      testSkew(record(counts), record(Array.from({ length: n }, () => 1 / n)), thresholds).kind === 'skewed'
    ) {
      hits++;
    }
  }
  return { windows, hits, rate: hits / windows };
}

export interface PowerRow {
  readonly targets: number;
  /** Share the heaviest target actually takes; the others split the rest evenly. */
  readonly heavyShare: number;
  /** Total variation distance from round robin: the effect size the test sees on average. */
  readonly effectSize: number;
  /** Detection rate by window size. */
  readonly detection: Readonly<Record<string, number>>;
}

export const POWER_WINDOW_SIZES = [30, 50, 100, 200, 500, 1000, 2000] as const;
export const POWER_LEVELS = [
  { targets: 2, heavyShare: 0.6 },
  { targets: 2, heavyShare: 0.8 },
  { targets: 2, heavyShare: 1 },
  { targets: 4, heavyShare: 0.4 },
  { targets: 4, heavyShare: 0.6 },
  { targets: 4, heavyShare: 0.8 },
  { targets: 4, heavyShare: 1 },
] as const;

/** Detection rate of a skewed routing (one target inflated) for each window size. */
export function measurePower(
  seed: number,
  windowsPerCell: number,
  thresholds = DEFAULT_THRESHOLDS,
): PowerRow[] {
  const rand = seededRandom(seed ^ 0x27d4eb2f);
  return POWER_LEVELS.map(({ targets, heavyShare }) => {
    const actual = Array.from({ length: targets }, (_, i) =>
      i === 0 ? heavyShare : (1 - heavyShare) / (targets - 1),
    );
    const expected = record(Array.from({ length: targets }, () => 1 / targets));
    const detection: Record<string, number> = {};
    for (const size of POWER_WINDOW_SIZES) {
      let hits = 0;
      for (let w = 0; w < windowsPerCell; w++) {
        const counts = sampleMultinomial(rand, size, actual);
        if (testSkew(record(counts), expected, thresholds).kind === 'skewed') hits++;
      }
      detection[String(size)] = hits / windowsPerCell;
    }
    return { targets, heavyShare, effectSize: heavyShare - 1 / targets, detection };
  });
}

export interface SmallestWindow {
  readonly targets: number;
  /** Fewest requests for which the statistics alone (p-value and effect size) call it skewed. */
  readonly statistical: number;
  /** The same with the `minSamples` floor applied: what the shipped thresholds need. */
  readonly configured: number;
}

/** Smallest all-on-one window detected, for N = 2–10 round-robin targets. */
export function smallestAllOnOneWindows(thresholds = DEFAULT_THRESHOLDS): SmallestWindow[] {
  const smallest = (targets: number, t: SkewThresholds): number => {
    const expected = record(Array.from({ length: targets }, () => 1 / targets));
    for (let size = 1; size <= MAX_WINDOW; size++) {
      const counts = record(Array.from({ length: targets }, (_, i) => (i === 0 ? size : 0)));
      if (testSkew(counts, expected, t).kind === 'skewed') return size;
    }
    return Number.POSITIVE_INFINITY;
  };
  return Array.from({ length: 9 }, (_, i) => i + 2).map((targets) => ({
    targets,
    statistical: smallest(targets, { ...thresholds, minSamples: 0 }),
    configured: smallest(targets, thresholds),
  }));
}

export interface BenchResults {
  readonly seed: number;
  readonly thresholds: SkewThresholds;
  readonly falsePositives: RateResult;
  readonly smallWindowFalsePositives: RateResult;
  readonly allOnOne: RateResult;
  readonly power: readonly PowerRow[];
  readonly powerWindowsPerCell: number;
  readonly smallestAllOnOne: readonly SmallestWindow[];
}

export function runBenchmark(seed: number, windows: number, powerWindows: number): BenchResults {
  return {
    seed,
    thresholds: DEFAULT_THRESHOLDS,
    falsePositives: measureFalsePositives(seed, windows),
    smallWindowFalsePositives: measureSmallWindowFalsePositives(seed, windows * 10),
    allOnOne: measureAllOnOneDetection(seed, windows),
    power: measurePower(seed, powerWindows),
    powerWindowsPerCell: powerWindows,
    smallestAllOnOne: smallestAllOnOneWindows(),
  };
}

const pct = (rate: number, digits = 1): string => `${(rate * 100).toFixed(digits)}%`;

export function renderMarkdown(r: BenchResults): string {
  const t = r.thresholds;
  const lines = [
    `### Skew test benchmark (seed ${r.seed})`,
    '',
    `Thresholds: minSamples ${t.minSamples}, falsePositiveRate ${t.falsePositiveRate}, minEffectSize ${t.minEffectSize}.`,
    'Windows: 30–5,000 requests (log-uniform), N = 2–10 targets.',
    '',
    '| Measure | Windows | Flagged | Rate | Bound |',
    '|---|---:|---:|---:|---|',
    `| False positives on healthy windows (round robin or weights 1–4) | ${r.falsePositives.windows.toLocaleString('en-US')} | ${r.falsePositives.hits} | ${pct(r.falsePositives.rate, 3)} | ≤ 1 in 10,000 |`,
    `| False positives on small healthy windows (30–100 requests, 10 targets, weights 1–4) | ${r.smallWindowFalsePositives.windows.toLocaleString('en-US')} | ${r.smallWindowFalsePositives.hits} | ${pct(r.smallWindowFalsePositives.rate, 3)} | ≤ 1 in 10,000 |`,
    `| Detection of all traffic on one of N round-robin targets | ${r.allOnOne.windows.toLocaleString('en-US')} | ${r.allOnOne.hits.toLocaleString('en-US')} | ${pct(r.allOnOne.rate, 2)} | ≥ 99.9% |`,
    '',
    `Detection power (${r.powerWindowsPerCell.toLocaleString('en-US')} windows per cell; one target takes the given share, the others split the rest; expected round robin):`,
    '',
    `| Targets | Heaviest takes | Effect size | ${POWER_WINDOW_SIZES.map((s) => `n=${s}`).join(' | ')} |`,
    `|---:|---:|---:|${POWER_WINDOW_SIZES.map(() => '---:').join('|')}|`,
    ...r.power.map(
      (row) =>
        `| ${row.targets} | ${pct(row.heavyShare, 0)} | ${row.effectSize.toFixed(2)}${row.effectSize < t.minEffectSize ? ' (below floor)' : ''} | ${POWER_WINDOW_SIZES.map((s) => pct(row.detection[String(s)] ?? 0, 1)).join(' | ')} |`,
    ),
    '',
    'Smallest window that detects all traffic on one target:',
    '',
    `| Targets | ${r.smallestAllOnOne.map((s) => s.targets).join(' | ')} |`,
    `|---|${r.smallestAllOnOne.map(() => '---:').join('|')}|`,
    `| Statistics alone (p < ${t.falsePositiveRate}, effect ≥ ${t.minEffectSize}) | ${r.smallestAllOnOne.map((s) => s.statistical).join(' | ')} |`,
    `| With minSamples ${t.minSamples} | ${r.smallestAllOnOne.map((s) => s.configured).join(' | ')} |`,
  ];
  return `${lines.join('\n')}\n`;
}

function argument(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} needs a non-negative integer`);
  return value;
}

function main(args: readonly string[]): void {
  const seed = argument(args, 'seed', DEFAULT_SEED);
  const windows = argument(args, 'windows', 10_000);
  const powerWindows = argument(args, 'power-windows', 1_000);
  const results = runBenchmark(seed, windows, powerWindows);
  process.stdout.write(renderMarkdown(results));
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results-skew.json');
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nWrote ${out}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
