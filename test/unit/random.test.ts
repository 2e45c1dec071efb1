import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/random.ts';

const draws = (seed: number, n: number): number[] => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => random());
};

describe('seededRandom', () => {
  // Pinned values: the drill's traffic and bench/results-skew.json were produced with this
  // exact sequence, so a change to the generator must show up here first.
  it.each([
    { seed: 1, first: [0.6270739405881613, 0.002735721180215478, 0.5274470399599522] },
    { seed: 7, first: [0.011704753153026104, 0.06195825757458806, 0.97690763277933] },
    { seed: 20261101, first: [0.6739504204597324, 0.8962121387012303, 0.752615804085508] },
  ])('yields the mulberry32 sequence for seed $seed', ({ seed, first }) => {
    expect(draws(seed, 3)).toEqual(first);
  });

  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(draws(seed, 20)).toEqual(draws(seed, 20));
      }),
    );
  });

  it('draws only floats in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        for (const x of draws(seed, 50)) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
  });

  it('reads a seed as its low 32 bits, unsigned', () => {
    expect(draws(-1, 5)).toEqual(draws(2 ** 32 - 1, 5));
    expect(draws(2 ** 32 + 5, 5)).toEqual(draws(5, 5));
  });

  it('gives different seeds different sequences', () => {
    expect(draws(1, 5)).not.toEqual(draws(2, 5));
  });

  it('spreads draws evenly enough for simulation', () => {
    const buckets = Array.from({ length: 10 }, () => 0);
    for (const x of draws(42, 10_000)) buckets[Math.floor(x * 10)] = (buckets[Math.floor(x * 10)] ?? 0) + 1;
    for (const count of buckets) expect(count).toBeGreaterThan(900);
  });
});
