import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelRouting } from '../../lib/routing.ts';
import {
  describePerTargetShares,
  describeShare,
  describeSource,
  expectedTargetShares,
  normalQuantile,
  type PerTargetShares,
  sharesFromInstanceCounts,
  sharesFromServedBy,
  targetKeyResolver,
  wilsonInterval,
} from '../../lib/served-by.ts';
import type { LbSnapshot, ServedBySample, SkewThresholds } from '../../lib/types.ts';
import {
  forward,
  healthOf,
  listener,
  outageLastGood,
  path as pathIs,
  rule,
  shopTopology,
  snapshot,
  targetGroup,
} from './fixtures/topologies.ts';

const thresholds: SkewThresholds = { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 };

function sample(counts: Record<string, number>): ServedBySample {
  return { service: 'shop', at: '2025-02-25T14:05:00.000Z', counts };
}

function served(snap: LbSnapshot, counts: Record<string, number>, extra: { confidence?: number } = {}) {
  return sharesFromServedBy(sample(counts), modelRouting(snap, healthOf(snap)), {
    snapshot: snap,
    thresholds,
    ...extra,
  });
}

function tested(result: PerTargetShares) {
  if (result.test.kind !== 'tested') throw new Error(`untested: ${result.test.reason}`);
  return result.test;
}

describe('wilsonInterval', () => {
  it.each([
    // Reference values from the closed form (e.g. Agresti & Coull 1998, Brown, Cai & DasGupta 2001).
    { count: 118, total: 120, confidence: 0.95, low: 0.94126, high: 0.99542 },
    { count: 0, total: 10, confidence: 0.95, low: 0, high: 0.27753 },
    { count: 10, total: 10, confidence: 0.95, low: 0.72247, high: 1 },
    { count: 5, total: 10, confidence: 0.95, low: 0.23659, high: 0.76341 },
    { count: 50, total: 100, confidence: 0.99, low: 0.37528, high: 0.62472 },
    { count: 0, total: 0, confidence: 0.95, low: 0, high: 1 },
  ])('gives [$low, $high] for $count of $total at $confidence', ({ count, total, confidence, low, high }) => {
    const interval = wilsonInterval(count, total, confidence);
    expect(interval.low).toBeCloseTo(low, 4);
    expect(interval.high).toBeCloseTo(high, 4);
  });

  it('defaults to 95% confidence', () => {
    expect(wilsonInterval(5, 10)).toEqual(wilsonInterval(5, 10, 0.95));
  });

  it.each([
    { count: 1, total: 10, confidence: 0 },
    { count: 1, total: 10, confidence: 1 },
    { count: 1, total: 10, confidence: Number.NaN },
    { count: 11, total: 10, confidence: 0.95 },
    { count: -1, total: 10, confidence: 0.95 },
  ])('rejects count $count of $total at confidence $confidence', ({ count, total, confidence }) => {
    expect(() => wilsonInterval(count, total, confidence)).toThrow(RangeError);
  });

  it('always contains the observed share, stays in [0, 1] and widens with confidence', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 100_000 })
          .chain((total) => fc.tuple(fc.integer({ min: 0, max: total }), fc.constant(total))),
        fc.double({ min: 0.5, max: 0.99, noNaN: true }),
        ([count, total], confidence) => {
          const narrow = wilsonInterval(count, total, confidence);
          const wide = wilsonInterval(count, total, Math.min(0.999, confidence + 0.005));
          const share = count / total;
          expect(narrow.low).toBeGreaterThanOrEqual(0);
          expect(narrow.high).toBeLessThanOrEqual(1);
          expect(narrow.low).toBeLessThanOrEqual(share + 1e-12);
          expect(narrow.high).toBeGreaterThanOrEqual(share - 1e-12);
          expect(wide.low).toBeLessThanOrEqual(narrow.low + 1e-12);
          expect(wide.high).toBeGreaterThanOrEqual(narrow.high - 1e-12);
        },
      ),
    );
  });
});

describe('normalQuantile', () => {
  it.each([
    [0.5, 0],
    [0.975, 1.959964],
    [0.995, 2.575829],
    [0.01, -2.326348],
    [0.001, -3.090232],
    [0.999, 3.090232],
  ])('gives the standard normal quantile of %d as %d', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 5);
  });

  it.each([0, 1, -0.1, Number.NaN])('rejects probability %d', (p) => {
    expect(() => normalQuantile(p)).toThrow(RangeError);
  });
});

describe('targetKeyResolver', () => {
  const web = targetGroup('web', ['i-0a:8080', 'i-0f:8080'], { port: 8080 });
  const admin = targetGroup('admin', ['i-0f:3000'], { port: 3000 });
  const portless = { ...targetGroup('legacy', [], { port: 80 }), targets: [{ id: 'i-09' }] };
  const fn = targetGroup('thumbs', ['arn:aws:lambda:eu-west-1:123456789012:function:thumbs'], {
    targetType: 'lambda',
  });
  const resolve = targetKeyResolver(snapshot([], [web, admin, portless, fn]));

  it.each([
    { identity: 'i-0a:8080', scope: undefined, key: 'i-0a:8080' },
    { identity: 'i-0a', scope: undefined, key: 'i-0a:8080' },
    { identity: 'i-0f:3000', scope: undefined, key: 'i-0f:3000' },
    { identity: 'i-0f', scope: undefined, key: undefined },
    { identity: 'i-0f', scope: new Set(['i-0f:3000']), key: 'i-0f:3000' },
    { identity: 'i-09:80', scope: undefined, key: 'i-09' },
    { identity: 'i-09', scope: undefined, key: 'i-09' },
    {
      identity: 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs',
      scope: undefined,
      key: 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs',
    },
    { identity: 'web-1.internal', scope: undefined, key: undefined },
  ])('resolves $identity to $key', ({ identity, scope, key }) => {
    expect(resolve(identity, scope)).toBe(key);
  });

  it('knows which identities name a target, even ambiguously', () => {
    expect([resolve.names('i-0f'), resolve.names('web-1.internal')]).toEqual([true, false]);
  });
});

describe('sharesFromServedBy', () => {
  const good = outageLastGood();

  it('turns a concentrated sample into shares with intervals and a skewed test', () => {
    const result = served(good, { 'i-0a': 118, 'i-0b:80': 2 });
    expect(result.samples).toBe(120);
    expect(result.shares.map(describeShare)).toEqual([
      'i-0a:80 98% [94–100%]',
      'i-0b:80 2% [0.5–6%]',
      'i-0c:80 0% [0–3%]',
      'i-0d:80 0% [0–3%]',
    ]);
    const test = tested(result);
    expect(test.route.priority).toBe('default');
    expect(test.skew.kind).toBe('skewed');
    expect(test.excluded).toBe(0);
    expect(test.candidates).toBe(1);
    expect(describePerTargetShares(result)).toBe(
      'per-target shares from 120 served-by samples for listener :80 default action (95% intervals): i-0a:80 98% [94–100%], i-0b:80 2% [0.5–6%], i-0c:80 0% [0–3%], i-0d:80 0% [0–3%]',
    );
  });

  it('keeps values that name no target as they are, reports them and leaves them out of the test', () => {
    const result = served(good, { 'i-0a': 30, 'i-0b': 30, 'i-0c': 30, 'i-0d': 30, 'web-9.internal': 5 });
    expect(result.unmatched).toEqual(['web-9.internal']);
    expect(result.shares.map((s) => s.key)).toContain('web-9.internal');
    const test = tested(result);
    expect(test.skew.kind).toBe('balanced');
    expect(test.excluded).toBe(5);
    expect(describePerTargetShares(result)).toMatch(/; 1 value\(s\) name no target: web-9\.internal$/);
  });

  it('infers the route that explains the sample best and says how many could have produced it', () => {
    const shop = shopTopology();
    const result = served(shop, { 'i-0a:8080': 50, 'i-0b:8080': 50, 'i-0c:8080': 50 });
    const test = tested(result);
    expect(test.route.priority).toBe('default');
    expect(test.route.listenerPort).toBe(443);
    expect(test.candidates).toBe(2);
    expect(test.skew.kind).toBe('balanced');
  });

  it('calls a sample too small to judge insufficient whichever route produced it', () => {
    const shop = shopTopology();
    const result = served(shop, { 'i-0a:8080': 10, 'i-0b:8080': 10 });
    const test = tested(result);
    expect(test.skew.kind).toBe('insufficient-data');
    expect(test.candidates).toBe(2);
  });

  it('tests against the route the caller names', () => {
    const shop = shopTopology();
    const model = modelRouting(shop, healthOf(shop));
    const route = model.routes.find((r) => r.priority === 10);
    if (route === undefined) throw new Error('no rule 10');
    const result = sharesFromServedBy(sample({ 'i-0a:8080': 50, 'i-0b:8080': 50, 'i-0c:8080': 50 }), model, {
      snapshot: shop,
      thresholds,
      route,
    });
    const test = tested(result);
    expect(test.route).toBe(route);
    expect(test.candidates).toBe(1);
    expect(test.skew.kind).toBe('skewed');
  });

  it('counts a target the configuration weights at 0 as traffic that should not be there', () => {
    const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
    const b = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
    const snap = snapshot([listener(80, [forward([a, 100], [b, 0])])], [a, b]);
    const result = served(snap, { 'i-0a': 20, 'i-0b': 20, 'i-0c': 80, 'i-0d': 80 });
    const test = tested(result);
    expect(test.skew.kind).toBe('skewed');
    expect(test.expected).toEqual({ 'i-0a:80': 0.5, 'i-0b:80': 0.5 });
  });

  it('resolves an instance in two groups by the route it was sampled on', () => {
    const web = targetGroup('web', ['i-0a:8080', 'i-0f:8080'], { port: 8080 });
    const admin = targetGroup('admin', ['i-0f:3000', 'i-0g:3000'], { port: 3000 });
    const snap = snapshot(
      [listener(443, [forward([web, 1])], [rule(443, 5, [pathIs('/admin/*')], [forward([admin, 1])])])],
      [web, admin],
    );
    const result = served(snap, { 'i-0f': 60, 'i-0g': 60 });
    expect(result.unmatched).toEqual([]);
    expect(tested(result).route.priority).toBe(5);
    expect(result.shares.map((s) => s.key)).toEqual(['i-0f:3000', 'i-0g:3000']);
  });

  it.each([
    { name: 'an empty sample', counts: {}, reason: 'no requests counted' },
    {
      name: 'a sample of host names',
      counts: { 'web-1.internal': 50 },
      reason: 'no served-by value names a target of the load balancer',
    },
    {
      name: 'a sample spanning two routes',
      counts: { 'i-0f:3000': 50, 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs': 50 },
      reason: 'no single route forwards to every target in the sample',
    },
  ])('does not test $name', ({ counts, reason }) => {
    const result = served(shopTopology(), counts);
    expect(result.test).toEqual({ kind: 'untested', reason });
    expect(describePerTargetShares(result)).toContain(`not tested: ${reason}`);
  });

  it('gives no share to anything in an empty sample', () => {
    const result = served(good, { 'i-0a': 0 });
    expect(result.shares.map((s) => [s.share, s.low, s.high])).toEqual(Array(4).fill([0, 0, 1]));
    expect(tested(result).skew.kind).toBe('insufficient-data');
  });

  it('uses the confidence it is given', () => {
    const result = served(good, { 'i-0a': 30, 'i-0b': 30, 'i-0c': 30, 'i-0d': 30 }, { confidence: 0.99 });
    expect(result.confidence).toBe(0.99);
    expect(describePerTargetShares(result)).toContain('(99% intervals)');
  });

  it('lists six targets at most', () => {
    const keys = Array.from({ length: 8 }, (_, i) => `i-0${i}:80`);
    const web = targetGroup('web', keys);
    const snap = snapshot([listener(80, [forward([web, 1])])], [web]);
    const result = served(snap, Object.fromEntries(keys.map((k) => [k, 20])));
    expect(describePerTargetShares(result)).toMatch(/, … and 2 more$/);
  });

  it.each([Number.NaN, -1, Number.POSITIVE_INFINITY])('rejects a count of %d', (count) => {
    expect(() => served(good, { 'i-0a': count })).toThrow(RangeError);
  });

  it('gives shares that sum to 1 and intervals that contain them, for any sample', () => {
    const identities = ['i-0a', 'i-0b:80', 'i-0c:80', 'i-0d', 'web-9.internal', 'i-0a:80'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...identities), fc.nat(500)), { maxLength: 8 }),
        (pairs) => {
          const counts = Object.fromEntries(pairs);
          const result = served(good, counts);
          const total = result.shares.reduce((a, s) => a + s.share, 0);
          if (result.samples > 0) expect(total).toBeCloseTo(1, 9);
          for (const s of result.shares) {
            expect(s.low).toBeLessThanOrEqual(s.share + 1e-12);
            expect(s.high).toBeGreaterThanOrEqual(s.share - 1e-12);
          }
          expect(result.samples).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
        },
      ),
    );
  });
});

describe('sharesFromInstanceCounts', () => {
  const web = targetGroup('web', ['i-0a:8080', 'i-0b:8080', 'i-0c:8080'], { port: 8080 });
  const api = targetGroup('api', ['i-1a:9000', 'i-1b:9000'], { port: 9000 });
  const twoListeners = snapshot(
    [listener(80, [forward([web, 1])]), listener(9000, [forward([api, 1])])],
    [web, api],
  );

  function counted(snap: LbSnapshot, counts: Record<string, number>) {
    return sharesFromInstanceCounts(counts, modelRouting(snap, healthOf(snap)), {
      snapshot: snap,
      thresholds,
    });
  }

  it('reports the route whose counts depart most from its expected shares', () => {
    const result = counted(twoListeners, { 'i-0a': 400, 'i-0b': 400, 'i-0c': 400, 'i-1a': 950, 'i-1b': 50 });
    const test = tested(result);
    expect(test.route.listenerPort).toBe(9000);
    expect(test.skew.kind).toBe('skewed');
    expect(test.excluded).toBe(1200);
    expect(test.candidates).toBe(2);
    expect(describePerTargetShares(result)).toMatch(
      /^per-target shares from 2,200 requests counted by the instances \(EMF InstanceRequests\) for listener :9000 default action/,
    );
  });

  it.each([
    {
      name: 'both balanced: the less plausible one',
      counts: { 'i-0a': 400, 'i-0b': 400, 'i-0c': 400, 'i-1a': 560, 'i-1b': 440 },
      port: 9000,
    },
    {
      name: 'both on one target: the larger departure',
      counts: { 'i-0a': 1000, 'i-1a': 1000 },
      port: 80,
    },
  ])('of two exclusive routes reports $name', ({ counts, port }) => {
    expect(tested(counted(twoListeners, counts)).route.listenerPort).toBe(port);
  });

  it('uses the routing model alone when the snapshot lacks the route', () => {
    const result = sharesFromInstanceCounts({ 'i-1a': 500, 'i-1b': 500 }, modelRouting(twoListeners, []), {
      snapshot: snapshot([], twoListeners.targetGroups),
      thresholds,
    });
    expect(tested(result).skew.kind).toBe('balanced');
  });

  it('does not test routes that share their targets with another route', () => {
    const result = counted(shopTopology(), { 'i-0a': 400, 'i-0b': 400, 'i-0c': 400 });
    expect(result.test).toEqual({
      kind: 'untested',
      reason: 'every counted target is also reached by another route, so its counts mix routes',
    });
  });

  it('does not test when no instance id names a target', () => {
    expect(counted(twoListeners, { 'host-a': 10 }).test).toEqual({
      kind: 'untested',
      reason: 'no instance id names a target of the load balancer',
    });
  });

  it('does not test an exclusive route none of whose targets counted anything', () => {
    const shop = shopTopology();
    // The admin route is exclusive, but only shared web targets reported counts.
    const result = counted(shop, { 'i-0a': 400 });
    expect(result.test.kind).toBe('untested');
  });
});

describe('describeSource', () => {
  it.each([
    [{ source: 'served-by' as const, samples: 1 }, '1 served-by sample'],
    [{ source: 'served-by' as const, samples: 1200 }, '1,200 served-by samples'],
    [
      { source: 'instance-counters' as const, samples: 1 },
      '1 request counted by the instances (EMF InstanceRequests)',
    ],
  ])('words %o as %s', (result, words) => {
    expect(describeSource(result)).toBe(words);
  });
});

describe('expectedTargetShares', () => {
  it('sums a target reached through two groups and ignores what reaches no target', () => {
    const a = targetGroup('web-a', ['i-0a:80']);
    const b = targetGroup('web-b', ['i-0a:80', 'i-0b:80']);
    const empty = targetGroup('web-c', []);
    const snap = snapshot([listener(80, [forward([a, 1], [b, 1], [empty, 2])])], [a, b, empty]);
    const [route] = modelRouting(snap, []).routes;
    if (route === undefined) throw new Error('no route');
    expect(expectedTargetShares(route)).toEqual({ 'i-0a:80': 0.375, 'i-0b:80': 0.125 });
  });
});
