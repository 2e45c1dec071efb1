/**
 * The observed-skew test (DESIGN.md "Skew"): are request counts per key (target group, target,
 * served-by value) spread the way the routing model says they should be?
 *
 * A window is `skewed` only when BOTH hold:
 * - the difference is statistically significant at `falsePositiveRate`. Each key's count is
 *   tested against its expected share with an exact two-sided binomial test, and the smallest
 *   p-value is Bonferroni-corrected for the number of keys. This is exact at any window size;
 *   Pearson's chi-square was tried first and measured 2–5× over its nominal false-positive rate
 *   at 1e-4 in windows of 30–100 requests over 5–10 keys, where its asymptotics do not hold.
 *   A key expected to receive nothing but observed makes p exactly 0.
 * - the difference is large enough to matter: the total variation distance between observed
 *   and expected shares (half the sum of absolute differences, 0–1) is at least `minEffectSize`.
 * The first keeps noise in small windows quiet, the second keeps huge windows from flagging a
 * harmless 51/49. Below `minSamples` requests the answer is `insufficient-data`, never `skewed`.
 *
 * The false-positive rate and detection power are measured by `bench/skew.ts`.
 */
import { formatCount } from './format.ts';
import { formatPercent, targetGroupName } from './routing.ts';
import type { SkewResult, SkewThresholds } from './types.ts';

/** Evidence lists this many keys at most, the most telling first. */
const MAX_EVIDENCE_KEYS = 6;

/**
 * Test observed request counts per key against expected shares (any non-negative weights; they
 * are normalised). Keys present on one side only count as 0 on the other.
 * @throws RangeError when a count or weight is negative or not finite.
 */
export function testSkew(
  observed: Readonly<Record<string, number>>,
  expected: Readonly<Record<string, number>>,
  thresholds: SkewThresholds,
): SkewResult {
  assertNonNegative(observed, 'observed count');
  assertNonNegative(expected, 'expected share');
  const samples = sum(Object.values(observed));
  if (samples === 0 || samples < thresholds.minSamples) {
    return { kind: 'insufficient-data', samples, minSamples: thresholds.minSamples };
  }
  const expectedTotal = sum(Object.values(expected));
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(observed)])];
  const rows = keys.map((key) => {
    const count = observed[key] ?? 0;
    const expectedShare = expectedTotal > 0 ? (expected[key] ?? 0) / expectedTotal : 0;
    return { key, count, observedShare: count / samples, expectedShare };
  });

  const effectSize = sum(rows.map((r) => Math.abs(r.observedShare - r.expectedShare))) / 2;
  const possible = rows.filter((r) => r.expectedShare > 0);
  const unexpected = samples - sum(possible.map((r) => r.count));
  // With two keys one count determines the other: a single test, no correction needed.
  const comparisons = possible.length === 2 ? 1 : possible.length;
  const tested = possible.map((r) => ({ ...r, p: binomialTwoSided(r.count, samples, r.expectedShare) }));
  const mostSignificant = tested.reduce<(typeof tested)[number] | undefined>(
    (best, r) => (best === undefined || r.p < best.p ? r : best),
    undefined,
  );
  // Under the expected distribution a request to a key with share 0 is impossible, hence p = 0.
  const pValue =
    unexpected > 0 || mostSignificant === undefined ? 0 : Math.min(1, mostSignificant.p * comparisons);

  if (pValue >= thresholds.falsePositiveRate || effectSize < thresholds.minEffectSize) {
    return { kind: 'balanced', samples, pValue, effectSize };
  }
  const byExcess = [...rows].sort(
    (a, b) => b.observedShare - b.expectedShare - (a.observedShare - a.expectedShare),
  );
  // `rows` is non-empty here: samples > 0 means at least one observed key.
  const heaviest = byExcess[0] as (typeof rows)[number];
  const others = byExcess
    .slice(1)
    .sort(
      (a, b) => Math.abs(b.observedShare - b.expectedShare) - Math.abs(a.observedShare - a.expectedShare),
    );
  const shown = [heaviest, ...others].slice(0, MAX_EVIDENCE_KEYS);
  const evidence = [
    ...shown.map(
      (r) =>
        `${targetGroupName(r.key)} received ${formatPercent(r.observedShare)} of ${formatCount(samples)} requests (expected ${formatPercent(r.expectedShare)})`,
    ),
    ...(rows.length > shown.length ? [`… and ${rows.length - shown.length} more`] : []),
    mostSignificant === undefined || unexpected > 0
      ? `${formatCount(unexpected)} of ${formatCount(samples)} requests reached keys expected to receive none (p = 0); total variation distance ${effectSize.toFixed(2)} ≥ ${thresholds.minEffectSize}`
      : `exact binomial test on ${targetGroupName(mostSignificant.key)}: ${formatPValue(pValue)}${comparisons > 1 ? ` (Bonferroni over ${comparisons} keys)` : ''} < ${thresholds.falsePositiveRate}; total variation distance ${effectSize.toFixed(2)} ≥ ${thresholds.minEffectSize}`,
  ];
  return {
    kind: 'skewed',
    samples,
    pValue,
    effectSize,
    heaviest: {
      key: heaviest.key,
      observedShare: heaviest.observedShare,
      expectedShare: heaviest.expectedShare,
    },
    evidence,
  };
}

function assertNonNegative(values: Readonly<Record<string, number>>, what: string): void {
  for (const [key, value] of Object.entries(values)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${what} for ${key} is ${value}`);
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function formatPValue(p: number): string {
  return p < 1e-12 ? 'p < 1e-12' : `p = ${p.toExponential(1)}`;
}

// ---------------------------------------------------------------------------------------------
// Exact binomial tails, via the regularized incomplete beta function (Numerical Recipes §6.4:
// Lentz continued fraction, evaluated on the side where it converges and keeps tiny tails exact).
// ---------------------------------------------------------------------------------------------

const EPSILON = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;

/** Two-sided exact binomial p-value of `k` successes in `n` trials with success probability `p` in (0, 1]. */
export function binomialTwoSided(k: number, n: number, p: number): number {
  return Math.min(1, 2 * Math.min(binomialUpperTail(k, n, p), binomialLowerTail(k, n, p)));
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  // All on one key, the case that matters most, has a closed form.
  if (k === n) return Math.exp(n * Math.log(p));
  return regularizedBeta(p, k, n - k + 1);
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  if (k >= n || p <= 0) return 1;
  if (k < 0 || p >= 1) return 0;
  if (k === 0) return Math.exp(n * Math.log1p(-p));
  return regularizedBeta(1 - p, n - k, k + 1);
}

/** I_x(a, b) for 0 < x < 1, a, b > 0. */
function regularizedBeta(x: number, a: number, b: number): number {
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 / avoidZero(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 / avoidZero(1 + even * d);
    c = avoidZero(1 + even / c);
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 / avoidZero(1 + odd * d);
    c = avoidZero(1 + odd / c);
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/** Lentz's guard: a vanishing denominator is replaced by a tiny one rather than dividing by 0. */
function avoidZero(v: number): number {
  return Math.abs(v) < TINY ? TINY : v;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
] as const;

/** ln Γ(z) for z ≥ 0.5 (Lanczos, g = 7), accurate to ~15 digits; callers only pass z ≥ 1. */
function logGamma(z: number): number {
  const zz = z - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += (LANCZOS[i] ?? 0) / (zz + i);
  const t = zz + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (zz + 0.5) * Math.log(t) - t + Math.log(series);
}
