// What the bundles carry instead of `mnemonist/lru-cache` (7 KiB with its dependency): the LRU
// cache behind the DynamoDB client's endpoint-discovery cache (@aws-sdk/endpoint-cache), which
// the client builds at construction although lbguard never turns endpoint discovery on. The same
// behaviour for every method that cache calls (get, set, has, peek, clear, size), on a Map, whose
// insertion order is the recency order. test/unit/infra/lru-cache-shim.test.ts compares it with mnemonist.

export default class LruCache<K, V> {
  readonly #capacity: number;
  readonly #entries = new Map<K, V>();

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error('LruCache: capacity must be a positive integer');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The value, without making it the most recently used. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    if (!this.#entries.has(key)) return undefined;
    const value = this.#entries.get(key) as V;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Sets `key` as the most recently used, evicting the least recently used beyond capacity. */
  set(key: K, value: V): this {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    return this;
  }

  clear(): void {
    this.#entries.clear();
  }
}
