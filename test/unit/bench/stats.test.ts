import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitLine, median, percentile } from '../../../bench/stats.ts';

describe('percentile', () => {
  it.each([
    { values: [5], p: 50, expected: 5 },
    { values: [1, 2, 3, 4], p: 50, expected: 2 },
    { values: [4, 3, 2, 1], p: 100, expected: 4 },
    { values: [1, 2, 3, 4], p: 0, expected: 1 },
    { values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, expected: 99 },
    { values: Array.from({ length: 2000 }, (_, i) => i + 1), p: 99, expected: 1980 },
  ])('returns the nearest-rank p$p of $values.length values', ({ values, p, expected }) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('is NaN for no values and refuses a percentile outside 0–100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('always returns one of the measured values, monotone in p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (values, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(values).toContain(percentile(values, lo));
          expect(percentile(values, lo)).toBeLessThanOrEqual(percentile(values, hi));
        },
      ),
    );
  });
});

describe('median', () => {
  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [7], expected: 7 },
  ])('is $expected for $values', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN for no values', () => {
    expect(median([])).toBeNaN();
  });

  it('lies between the smallest and the largest value', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), (values) => {
        const m = median(values);
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
      }),
    );
  });
});

describe('fitLine', () => {
  it('recovers an exact line with R² 1', () => {
    const fit = fitLine([1, 10, 100].map((x) => ({ x, y: 100 + 25 * x })));
    expect(fit.slope).toBeCloseTo(25);
    expect(fit.intercept).toBeCloseTo(100);
    expect(fit.r2).toBeCloseTo(1);
  });

  it('gives a low R² to points that are not on a line', () => {
    expect(
      fitLine([
        { x: 1, y: 10 },
        { x: 2, y: 0 },
        { x: 3, y: 10 },
        { x: 4, y: 0 },
      ]).r2,
    ).toBeLessThan(0.5);
  });

  it('calls a flat series a perfect fit and cannot fit fewer than two distinct x', () => {
    expect(
      fitLine([
        { x: 1, y: 5 },
        { x: 2, y: 5 },
      ]).r2,
    ).toBe(1);
    expect(fitLine([{ x: 1, y: 5 }]).slope).toBeNaN();
    expect(
      fitLine([
        { x: 1, y: 5 },
        { x: 1, y: 6 },
      ]).slope,
    ).toBeNaN();
  });
});
