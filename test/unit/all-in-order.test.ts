import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../lambdas/adapters/all-in-order.ts';

/** Settles after `ms` with `value`, or fails with an error named `fail` when given. */
function settleAfter<T>(ms: number, value: T, fail?: string): Promise<T> {
  return new Promise((resolve, reject) =>
    setTimeout(() => (fail === undefined ? resolve(value) : reject(new Error(fail))), ms),
  );
}

describe('allInOrder', () => {
  it('gives every value in the order the calls were given, not the order they finished in', async () => {
    await expect(
      allInOrder([settleAfter(15, 'a'), settleAfter(0, 1), settleAfter(5, true)]),
    ).resolves.toEqual(['a', 1, true]);
  });

  it('names the first failure in the order given, whatever failed first in time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ ms: fc.integer({ min: 0, max: 4 }), fails: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (calls) => {
          const run = allInOrder(
            calls.map((c, i) => settleAfter(c.ms, i, c.fails ? `call ${i}` : undefined)),
          );
          const first = calls.findIndex((c) => c.fails);
          if (first === -1) await expect(run).resolves.toEqual(calls.map((_, i) => i));
          else await expect(run).rejects.toThrow(`call ${first}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('waits for every call before it fails, so none is left running or failing unobserved', async () => {
    let finished = false;
    const slow = settleAfter(20, 'late').finally(() => {
      finished = true;
    });
    await expect(allInOrder([settleAfter(0, 0, 'early'), slow])).rejects.toThrow('early');
    expect(finished).toBe(true);
  });
});
