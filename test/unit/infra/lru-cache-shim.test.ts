// The bundles' stand-in for mnemonist's LRU cache (lambdas/bundle-shims/lru-cache.ts) against
// mnemonist itself, on random operation sequences: every call the SDK's endpoint cache makes
// must answer the same, evictions included.

import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import LruCache from '../../../lambdas/bundle-shims/lru-cache.ts';

// mnemonist is CommonJS (`module.exports = LRUCache`), as the SDK's endpoint cache requires it.
const MnemonistLru = createRequire(import.meta.url)('mnemonist/lru-cache') as new <K, V>(
  capacity: number,
) => LruCache<K, V>;

type Op =
  | { readonly op: 'set'; readonly key: number; readonly value: number }
  | { readonly op: 'get' | 'peek' | 'has'; readonly key: number }
  | { readonly op: 'clear' };

const key = fc.integer({ min: 0, max: 6 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }),
  fc.record({ op: fc.constantFrom('get' as const, 'peek' as const, 'has' as const), key }),
  fc.constant({ op: 'clear' as const }),
);

function apply(cache: { [k: string]: unknown }, o: Op): unknown {
  const c = cache as unknown as {
    set(k: number, v: number): unknown;
    get(k: number): unknown;
    peek(k: number): unknown;
    has(k: number): boolean;
    clear(): void;
    size: number;
  };
  switch (o.op) {
    case 'set':
      c.set(o.key, o.value);
      return c.size;
    case 'clear':
      c.clear();
      return c.size;
    default:
      return [c[o.op](o.key), c.size];
  }
}

describe('the LRU cache shim', () => {
  it('answers every call as mnemonist does, evictions included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const ours = new LruCache<number, number>(capacity);
        const theirs = new MnemonistLru<number, number>(capacity);
        for (const o of ops) {
          expect(apply(ours as never, o)).toEqual(apply(theirs as never, o));
        }
      }),
    );
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow(/capacity must be a positive integer/);
  });
});
