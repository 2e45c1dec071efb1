import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SEED,
  DEFAULT_THRESHOLDS,
  measureAllOnOneDetection,
  measureFalsePositives,
} from '../../bench/skew.ts';
import { binomialLowerTail, binomialTwoSided, binomialUpperTail, testSkew } from '../../lib/skew.ts';
import type { SkewResult } from '../../lib/types.ts';
import { tgArn } from './fixtures/topologies.ts';

const thresholds = DEFAULT_THRESHOLDS;
const webA = tgArn('web-a');
const webB = tgArn('web-b');

describe('testSkew', () => {
  const cases: readonly {
    name: string;
    observed: Record<string, number>;
    expected: Record<string, number>;
    kind: SkewResult['kind'];
    heaviest?: string;
  }[] = [
    {
      name: 'too few requests are insufficient data',
      observed: { a: 20, b: 0 },
      expected: { a: 1, b: 1 },
      kind: 'insufficient-data',
    },
    {
      name: 'ordinary noise on 50/50 is balanced',
      observed: { a: 520, b: 480 },
      expected: { a: 1, b: 1 },
      kind: 'balanced',
    },
    {
      name: 'a significant but tiny difference in a huge window is balanced',
      observed: { a: 51_000, b: 49_000 },
      expected: { a: 1, b: 1 },
      kind: 'balanced',
    },
    {
      name: 'a large difference in a small window is not yet significant',
      observed: { a: 22, b: 8 },
      expected: { a: 1, b: 1 },
      kind: 'balanced',
    },
    {
      name: 'all on one of two is skewed',
      observed: { a: 30, b: 0 },
      expected: { a: 1, b: 1 },
      kind: 'skewed',
      heaviest: 'a',
    },
    {
      name: 'all on one of ten is skewed',
      observed: { t0: 0, t1: 0, t2: 30 },
      expected: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}`, 1])),
      kind: 'skewed',
      heaviest: 't2',
    },
    {
      name: 'a starved target among four is skewed',
      observed: { a: 100, b: 100, c: 100, d: 0 },
      expected: { a: 1, b: 1, c: 1, d: 1 },
      kind: 'skewed',
      heaviest: 'a',
    },
    {
      name: 'unnormalised weights are shares (1:3 observed 1:3)',
      observed: { a: 250, b: 750 },
      expected: { a: 1, b: 3 },
      kind: 'balanced',
    },
    {
      name: 'traffic to keys expected to get nothing is skewed when large',
      observed: { a: 50, b: 50, c: 100 },
      expected: { a: 1, b: 1 },
      kind: 'skewed',
      heaviest: 'c',
    },
    {
      name: 'a stray request to an unexpected key is below the effect floor',
      observed: { a: 500, b: 500, c: 1 },
      expected: { a: 1, b: 1, c: 0 },
      kind: 'balanced',
    },
    {
      name: 'traffic when nothing is expected is skewed',
      observed: { a: 40 },
      expected: {},
      kind: 'skewed',
      heaviest: 'a',
    },
    {
      name: 'one expected key taking everything is balanced',
      observed: { a: 100 },
      expected: { a: 5 },
      kind: 'balanced',
    },
  ];

  it.each(cases)('$name', ({ observed, expected, kind, heaviest }) => {
    const result = testSkew(observed, expected, thresholds);
    expect(result.kind).toBe(kind);
    if (result.kind === 'skewed') expect(result.heaviest.key).toBe(heaviest);
  });

  it('never tests a window with no requests, even with minSamples 0', () => {
    expect(testSkew({}, { a: 1 }, { ...thresholds, minSamples: 0 })).toEqual({
      kind: 'insufficient-data',
      samples: 0,
      minSamples: 0,
    });
  });

  it('explains a skewed window with per-group lines and the test that decided it', () => {
    const result = testSkew({ [webA]: 1203, [webB]: 37 }, { [webA]: 0.5, [webB]: 0.5 }, thresholds);
    expect(result.kind).toBe('skewed');
    if (result.kind !== 'skewed') return;
    expect(result.heaviest).toEqual({ key: webA, observedShare: 1203 / 1240, expectedShare: 0.5 });
    expect(result.evidence).toEqual([
      'web-a received 97% of 1,240 requests (expected 50%)',
      'web-b received 3% of 1,240 requests (expected 50%)',
      'exact binomial test on web-a: p < 1e-12 < 0.0001; total variation distance 0.47 ≥ 0.2',
    ]);
  });

  it('names the Bonferroni correction and lists at most six keys', () => {
    const expected = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`t${i}`, 1]));
    const result = testSkew({ t0: 8 }, expected, { ...thresholds, minSamples: 0 });
    expect(result.kind).toBe('skewed');
    if (result.kind !== 'skewed') return;
    expect(result.evidence).toHaveLength(8);
    expect(result.evidence[6]).toBe('… and 2 more');
    expect(result.evidence[7]).toMatch(
      /^exact binomial test on t0: p = 9\.5e-7 \(Bonferroni over 8 keys\) < 0.0001/,
    );
  });

  it('says when requests reached keys expected to receive none', () => {
    const result = testSkew({ a: 50, b: 50, c: 100 }, { a: 1, b: 1 }, thresholds);
    expect(result).toMatchObject({ kind: 'skewed', pValue: 0, effectSize: 0.5 });
    if (result.kind !== 'skewed') return;
    expect(result.evidence.at(-1)).toBe(
      '100 of 200 requests reached keys expected to receive none (p = 0); total variation distance 0.50 ≥ 0.2',
    );
  });

  it.each([
    [{ a: -1 }, {}],
    [{ a: Number.NaN }, {}],
    [{ a: 1 }, { a: Number.POSITIVE_INFINITY }],
  ])('rejects a negative or non-finite count or weight (%j, %j)', (observed, expected) => {
    expect(() => testSkew(observed, expected, thresholds)).toThrow(RangeError);
  });

  const arbWindow = fc
    .array(fc.integer({ min: 1, max: 5 }), { minLength: 2, maxLength: 8 })
    .chain((weights) =>
      fc
        .array(fc.nat(400), { minLength: weights.length, maxLength: weights.length })
        .map((counts) => ({ weights, counts })),
    );
  const rec = (values: readonly number[]) => Object.fromEntries(values.map((v, i) => [`t${i}`, v]));

  it('is never skewed below minSamples', () => {
    fc.assert(
      fc.property(arbWindow, fc.integer({ min: 1, max: 3000 }), ({ weights, counts }, minSamples) => {
        const total = counts.reduce((a, b) => a + b, 0);
        fc.pre(total < minSamples);
        expect(testSkew(rec(counts), rec(weights), { ...thresholds, minSamples }).kind).toBe(
          'insufficient-data',
        );
      }),
    );
  });

  it('never calls perfectly proportional counts skewed', () => {
    fc.assert(
      fc.property(arbWindow, fc.integer({ min: 1, max: 10_000 }), ({ weights }, scale) => {
        const result = testSkew(rec(weights.map((w) => w * scale)), rec(weights), {
          ...thresholds,
          minSamples: 0,
        });
        expect(result.kind).toBe('balanced');
      }),
    );
  });

  it('never turns skewed into balanced when the same window is scaled up', () => {
    fc.assert(
      fc.property(arbWindow, fc.integer({ min: 2, max: 20 }), ({ weights, counts }, k) => {
        const small = testSkew(rec(counts), rec(weights), thresholds);
        fc.pre(small.kind === 'skewed');
        expect(testSkew(rec(counts.map((c) => c * k)), rec(weights), thresholds).kind).toBe('skewed');
      }),
      { numRuns: 300 },
    );
  });

  it('reports a p-value and an effect size within [0, 1]', () => {
    fc.assert(
      fc.property(arbWindow, ({ weights, counts }) => {
        const result = testSkew(rec(counts), rec(weights), { ...thresholds, minSamples: 1 });
        if (result.kind === 'insufficient-data') return;
        for (const v of [result.pValue, result.effectSize]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
        }
      }),
    );
  });
});

describe('exact binomial tails', () => {
  function pmf(k: number, n: number, p: number): number {
    let logC = 0;
    for (let i = 1; i <= k; i++) logC += Math.log(n - k + i) - Math.log(i);
    return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
  }

  it('match the summed probability mass for small windows', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 80 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }))),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        ([n, k], p) => {
          let upper = 0;
          let lower = 0;
          for (let i = 0; i <= n; i++) {
            if (i >= k) upper += pmf(i, n, p);
            if (i <= k) lower += pmf(i, n, p);
          }
          expect(binomialUpperTail(k, n, p)).toBeCloseTo(upper, 10);
          expect(binomialLowerTail(k, n, p)).toBeCloseTo(lower, 10);
        },
      ),
    );
  });

  it.each([
    // (C(30,26) + C(30,27) + C(30,28) + C(30,29) + 1) / 2^30
    ['upper tail of 26 of 30 at 1/2', () => binomialUpperTail(26, 30, 0.5), 31_931 / 2 ** 30],
    ['upper tail of 30 of 30 at 1/10', () => binomialUpperTail(30, 30, 0.1), 1e-30],
    ['upper tail of 0', () => binomialUpperTail(0, 30, 0.1), 1],
    ['upper tail beyond n', () => binomialUpperTail(31, 30, 0.1), 0],
    ['upper tail at p 0', () => binomialUpperTail(1, 30, 0), 0],
    ['upper tail at p 1', () => binomialUpperTail(3, 30, 1), 1],
    ['lower tail of n', () => binomialLowerTail(30, 30, 0.4), 1],
    ['lower tail below 0', () => binomialLowerTail(-1, 30, 0.4), 0],
    ['lower tail at p 0', () => binomialLowerTail(0, 30, 0), 1],
    ['lower tail at p 1', () => binomialLowerTail(29, 30, 1), 0],
    ['lower tail of 0 of 30 at 1/4', () => binomialLowerTail(0, 30, 0.25), 0.75 ** 30],
    ['two-sided p of a fair split', () => binomialTwoSided(15, 30, 0.5), 1],
  ])('computes the %s exactly', (_, compute, value) => {
    expect(compute()).toBeCloseTo(value, 12);
    expect(Math.abs(compute() - value)).toBeLessThanOrEqual(Math.abs(value) * 1e-9 + 1e-15);
  });

  it('stays accurate in windows of a million requests', () => {
    // Normal approximation: 3 standard deviations above the mean is ≈ 1.35e-3 one-sided.
    const n = 1_000_000;
    const sd = Math.sqrt(n * 0.25);
    expect(binomialUpperTail(n / 2 + 3 * sd, n, 0.5)).toBeCloseTo(1.35e-3, 4);
  });
});

describe('skew test error rates on a fixed seed (bench/skew.ts has the full figures)', () => {
  it('flags at most 1 of 10,000 healthy windows', () => {
    expect(measureFalsePositives(DEFAULT_SEED, 10_000).hits).toBeLessThanOrEqual(1);
  });

  it('detects all traffic on one of N ≥ 2 targets in at least 99.9% of windows with ≥ 30 requests', () => {
    expect(measureAllOnOneDetection(DEFAULT_SEED, 10_000).rate).toBeGreaterThanOrEqual(0.999);
  });
});
