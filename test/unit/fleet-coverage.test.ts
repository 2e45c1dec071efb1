import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessCoverage,
  type CoverageInput,
  type CoverageResult,
  diffCoverage,
  hasCoverageChange,
  type LoadBalancerHeartbeat,
  type ScopeListing,
  type SpokeHeartbeat,
  UNREADABLE_SCOPE,
} from '../../lib/fleet/coverage.ts';
import { coverageChangeMessage, describeReason } from '../../lib/fleet/coverage-message.ts';
import type { DiscoveredLoadBalancer } from '../../lib/fleet/index.ts';

const A = '111111111111';
const B = '222222222222';
const EU = 'eu-west-1';
const US = 'us-east-1';
const NOW = new Date('2026-12-05T10:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

const arnOf = (account: string, region: string, name: string) =>
  `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${name}/0123456789abcdef`;

const GUARD = { 'lbguard:guard': 'true', 'lbguard:probe-url': 'https://x.example.com/' };

function lb(account: string, region: string, name: string, tags: Record<string, string> = GUARD) {
  return { loadBalancerArn: arnOf(account, region, name), loadBalancerName: name, tags };
}

function read(account: string, region: string, lbs: DiscoveredLoadBalancer[]): ScopeListing {
  return { status: 'read', account, region, loadBalancers: lbs };
}

function entry(
  account: string,
  region: string,
  name: string,
  heartbeatAt: string,
  status: 'inspected' | 'failed' = 'inspected',
): LoadBalancerHeartbeat {
  return { account, region, loadBalancerArn: arnOf(account, region, name), status, heartbeatAt };
}

function input(partial: Partial<CoverageInput>): CoverageInput {
  return {
    scopes: [],
    loadBalancers: [],
    spokes: [],
    profiles: {},
    now: NOW,
    coverageMinutes: 5,
    ...partial,
  };
}

describe('assessCoverage', () => {
  const scopes = [
    read(A, EU, [
      lb(A, EU, 'shop'),
      lb(A, EU, 'blog'),
      lb(A, EU, 'plain', {}),
      lb(A, EU, 'out', { 'lbguard:guard': 'false' }),
      lb(A, EU, 'typo', { 'lbguard:guard': 'yes' }),
      lb(A, EU, 'failing'),
      lb(A, EU, 'gone'),
    ]),
    { status: 'unreadable', account: B, region: US, error: 'assume-role: AccessDenied: no' },
  ] satisfies ScopeListing[];
  const spoke: SpokeHeartbeat = {
    account: A,
    region: EU,
    lastHeartbeatAt: minutesAgo(1),
    refused: [
      { loadBalancerArn: arnOf(A, EU, 'typo'), code: 'bad-tag-value', message: 'tag lbguard:guard …' },
    ],
  };

  it.each([
    ['shop', { kind: 'covered' }],
    ['blog', { kind: 'no-heartbeat' }],
    ['failing', { kind: 'inspection-failing', lastSeen: minutesAgo(1) }],
    ['gone', { kind: 'stale-heartbeat', lastSeen: minutesAgo(6) }],
    ['typo', { kind: 'refused-by-spoke', code: 'bad-tag-value', message: 'tag lbguard:guard …' }],
  ] as const)('judges %s as %o', (name, expected) => {
    const result = assessCoverage(
      input({
        scopes,
        spokes: [spoke],
        loadBalancers: [
          entry(A, EU, 'shop', minutesAgo(1)),
          entry(A, EU, 'failing', minutesAgo(1), 'failed'),
          entry(A, EU, 'gone', minutesAgo(6)),
        ],
      }),
    );
    const arn = arnOf(A, EU, name);
    if (expected.kind === 'covered') {
      expect(result.covered.map((c) => c.loadBalancerArn)).toContain(arn);
    } else {
      expect(result.uncovered.find((u) => u.loadBalancerArn === arn)).toEqual({
        account: A,
        region: EU,
        loadBalancer: name,
        loadBalancerArn: arn,
        reason: expected,
        since: NOW.toISOString(),
      });
    }
  });

  it('ignores untagged and opted-out load balancers, and reports an unreadable scope once as (unreadable)', () => {
    const result = assessCoverage(input({ scopes }));
    const names = [...result.covered, ...result.uncovered].map((x) => x.loadBalancer);
    expect(names).not.toContain('plain');
    expect(names).not.toContain('out');
    expect(result.uncovered.filter((u) => u.account === B)).toEqual([
      {
        account: B,
        region: US,
        loadBalancer: UNREADABLE_SCOPE,
        reason: { kind: 'scope-unreadable', error: 'assume-role: AccessDenied: no' },
        since: NOW.toISOString(),
      },
    ]);
    expect(result.unreadable).toEqual([{ account: B, region: US, error: 'assume-role: AccessDenied: no' }]);
    expect(result.scopes).toBe(1);
  });

  it('lets the newer of the entry and the spoke speak: a refusal after an inspection uncovers, one before does not', () => {
    const refusedAt = (at: string): SpokeHeartbeat => ({
      ...spoke,
      lastHeartbeatAt: at,
      refused: [{ loadBalancerArn: arnOf(A, EU, 'shop'), code: 'no-probes', message: 'nothing to probe' }],
    });
    const judge = (spokeAt: string) =>
      assessCoverage(
        input({
          scopes: [read(A, EU, [lb(A, EU, 'shop')])],
          spokes: [refusedAt(spokeAt)],
          loadBalancers: [entry(A, EU, 'shop', minutesAgo(2))],
        }),
      );
    expect(judge(minutesAgo(1)).uncovered[0]?.reason.kind).toBe('refused-by-spoke');
    expect(judge(minutesAgo(3)).covered).toHaveLength(1);
  });

  it('keeps `since` from the previous result while the same load balancer stays uncovered', () => {
    const first = assessCoverage(input({ scopes: [read(A, EU, [lb(A, EU, 'shop')])] }));
    const later = assessCoverage(
      input({
        scopes: [read(A, EU, [lb(A, EU, 'shop')])],
        now: new Date(NOW.getTime() + 60_000),
        previous: first,
      }),
    );
    expect(later.uncovered[0]?.since).toBe(NOW.toISOString());
  });
});

describe('assessCoverage properties', () => {
  const accounts = fc.constantFrom(A, B);
  const regions = fc.constantFrom(EU, US);
  const names = fc.constantFrom('a', 'b', 'c', 'd');
  const at = fc.integer({ min: -20, max: 2 }).map((m) => minutesAgo(m));
  const tagSets = fc.constantFrom<Record<string, string>>(
    GUARD,
    {},
    { 'lbguard:guard': 'false' },
    { 'lbguard:guard': 'x' },
  );
  const scopeArb = fc
    .tuple(accounts, regions, fc.boolean(), fc.array(fc.tuple(names, tagSets), { maxLength: 4 }))
    .map(
      ([account, region, readable, lbs]): ScopeListing =>
        readable
          ? read(
              account,
              region,
              lbs.map(([n, tags]) => lb(account, region, n, tags)),
            )
          : { status: 'unreadable', account, region, error: 'denied' },
    );
  const entryArb = fc
    .tuple(accounts, regions, names, at, fc.constantFrom('inspected' as const, 'failed' as const))
    .map(([a, r, n, t, s]) => entry(a, r, n, t, s));
  const spokeArb = fc.tuple(accounts, regions, at, fc.array(names, { maxLength: 2 })).map(
    ([account, region, lastHeartbeatAt, refused]): SpokeHeartbeat => ({
      account,
      region,
      lastHeartbeatAt,
      refused: refused.map((n) => ({
        loadBalancerArn: arnOf(account, region, n),
        code: 'no-probes',
        message: 'm',
      })),
    }),
  );
  const inputs = fc
    .record({
      scopes: fc.array(scopeArb, { maxLength: 4 }),
      loadBalancers: fc.array(entryArb, { maxLength: 8 }),
      spokes: fc.array(spokeArb, { maxLength: 3 }),
    })
    .map((p) => input(p));

  const permuted = <T>(items: readonly T[]) =>
    fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });

  it('does not depend on the order of scopes, heartbeat entries or spokes', () => {
    fc.assert(
      fc.property(
        inputs.chain((i) =>
          fc.tuple(fc.constant(i), permuted(i.scopes), permuted(i.loadBalancers), permuted(i.spokes)),
        ),
        ([i, scopes, loadBalancers, spokes]) => {
          expect(assessCoverage({ ...i, scopes, loadBalancers, spokes })).toEqual(assessCoverage(i));
        },
      ),
    );
  });

  it('covers a load balancer whose newest heartbeat is a fresh inspection the spoke has not refused since', () => {
    fc.assert(
      fc.property(inputs, names, fc.integer({ min: 0, max: 5 }), (i, name, age) => {
        const scope = read(A, EU, [lb(A, EU, name)]);
        const fresh = entry(A, EU, name, minutesAgo(age));
        const result = assessCoverage({
          ...i,
          scopes: [scope, ...i.scopes.filter((s) => !(s.account === A && s.region === EU))],
          loadBalancers: [...i.loadBalancers.filter((e) => !(e.account === A && e.region === EU)), fresh],
          spokes: i.spokes.filter((s) => !(s.account === A && s.region === EU)),
        });
        expect(result.covered.map((c) => c.loadBalancerArn)).toContain(fresh.loadBalancerArn);
      }),
    );
  });

  it('places every load balancer tagged to be guarded exactly once, covered or uncovered', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const result = assessCoverage(i);
        const judged = [...result.covered, ...result.uncovered].map(
          (x) => `${x.account}/${x.region}/${x.loadBalancer}`,
        );
        expect(new Set(judged).size).toBe(judged.length);
        for (const u of result.uncovered) {
          if (u.reason.kind === 'stale-heartbeat') {
            expect(Date.parse(u.reason.lastSeen)).toBeLessThan(NOW.getTime() - 5 * 60_000);
          }
        }
      }),
    );
  });

  it('reports no change between a result and itself, and never calls a still-uncovered one recovered', () => {
    fc.assert(
      fc.property(inputs, inputs, (x, y) => {
        const first = assessCoverage(x);
        const second = assessCoverage({ ...y, previous: first });
        expect(hasCoverageChange(diffCoverage(first, first))).toBe(false);
        const change = diffCoverage(first, second);
        const now = new Set(second.uncovered.map((u) => `${u.account}/${u.region}/${u.loadBalancer}`));
        for (const r of change.recovered)
          expect(now.has(`${r.account}/${r.region}/${r.loadBalancer}`)).toBe(false);
      }),
    );
  });
});

describe('diffCoverage', () => {
  const base = (uncovered: CoverageResult['uncovered'], unreadable: CoverageResult['unreadable'] = []) => ({
    at: NOW.toISOString(),
    scopes: 1,
    covered: [],
    uncovered,
    unreadable,
  });
  const shop = {
    account: A,
    region: EU,
    loadBalancer: 'shop',
    loadBalancerArn: arnOf(A, EU, 'shop'),
    reason: { kind: 'no-heartbeat' as const },
    since: NOW.toISOString(),
  };

  it('tells a new, a changed-kind and a recovered entry, but not a changed message of the same kind', () => {
    expect(diffCoverage(undefined, base([shop])).uncovered).toEqual([shop]);
    const stale = { ...shop, reason: { kind: 'stale-heartbeat' as const, lastSeen: minutesAgo(9) } };
    expect(diffCoverage(base([shop]), base([stale])).uncovered).toEqual([stale]);
    expect(diffCoverage(base([shop]), base([])).recovered).toEqual([{ ...shop, now: 'not-tagged' }]);
    const coveredShop = { ...shop, heartbeatAt: NOW.toISOString() } as const;
    expect(diffCoverage(base([shop]), { ...base([]), covered: [coveredShop] }).recovered).toEqual([
      { ...shop, now: 'covered' },
    ]);
    const denied = (error: string) => ({
      account: B,
      region: US,
      loadBalancer: UNREADABLE_SCOPE,
      reason: { kind: 'scope-unreadable' as const, error },
      since: NOW.toISOString(),
    });
    expect(hasCoverageChange(diffCoverage(base([denied('request 1')]), base([denied('request 2')])))).toBe(
      false,
    );
  });

  it('does not call a load balancer recovered when its scope became unreadable', () => {
    const shopScopeDown = {
      ...shop,
      loadBalancer: UNREADABLE_SCOPE,
      reason: { kind: 'scope-unreadable' as const, error: 'x' },
    };
    const { loadBalancerArn: _, ...unreadableEntry } = shopScopeDown;
    const change = diffCoverage(
      base([shop]),
      base([unreadableEntry], [{ account: A, region: EU, error: 'x' }]),
    );
    expect(change.recovered).toEqual([]);
    expect(change.uncovered).toEqual([unreadableEntry]);
  });
});

describe('coverageChangeMessage', () => {
  it('names account, region, load balancer name and ARN, reason and since when, then the recovered', () => {
    const u = {
      account: A,
      region: EU,
      loadBalancer: 'shop',
      loadBalancerArn: arnOf(A, EU, 'shop'),
      reason: { kind: 'stale-heartbeat' as const, lastSeen: minutesAgo(7) },
      since: minutesAgo(2),
    };
    const m = coverageChangeMessage(
      { uncovered: [u], recovered: [{ ...u, loadBalancer: 'blog', now: 'covered' }] },
      NOW.toISOString(),
    );
    expect(m.subject).toBe('lbguard fleet coverage: 1 load balancer uncovered, 1 recovered');
    expect(m.message).toContain(
      `- ${A} ${EU} shop (${u.loadBalancerArn}): no heartbeat since ${minutesAgo(7)} (last seen): the spoke stopped reporting; uncovered since ${minutesAgo(2)}`,
    );
    expect(m.message).toContain(
      `Recovered:\n- ${A} ${EU} blog (${u.loadBalancerArn}): covered again; was stale-heartbeat`,
    );
  });

  it('tells a recovery alone, and names an unreadable scope without an ARN', () => {
    const scope = {
      account: B,
      region: US,
      loadBalancer: UNREADABLE_SCOPE,
      reason: { kind: 'scope-unreadable' as const, error: 'denied' },
      since: minutesAgo(3),
    };
    const shop = { ...scope, loadBalancer: 'shop', loadBalancerArn: arnOf(A, EU, 'shop'), account: A };
    const alone = coverageChangeMessage(
      {
        uncovered: [],
        recovered: [
          { ...scope, now: 'readable' },
          { ...shop, now: 'not-tagged' },
        ],
      },
      NOW.toISOString(),
    );
    expect(alone.subject).toBe('lbguard fleet coverage: 2 recovered');
    expect(alone.message).not.toContain('Uncovered');
    expect(alone.message).toContain(`- ${B} ${US} (unreadable): readable again; was scope-unreadable`);
    expect(alone.message).toContain('no longer tagged to be guarded');
    const two = coverageChangeMessage({ uncovered: [scope, shop], recovered: [] }, NOW.toISOString());
    expect(two.subject).toBe('lbguard fleet coverage: 2 load balancers uncovered');
    expect(two.message).toContain(`- ${B} ${US} (unreadable): the hub cannot list`);
    expect(two.message).not.toContain('Recovered');
  });

  it.each([
    [{ kind: 'no-heartbeat' }, 'no heartbeat has listed it'],
    [{ kind: 'inspection-failing', lastSeen: 'T' }, 'inspection of it fails (last heartbeat T)'],
    [
      { kind: 'refused-by-spoke', code: 'no-probes', message: 'add a probe' },
      'refuses it (no-probes): add a probe',
    ],
    [
      { kind: 'scope-unreadable', error: 'AccessDenied' },
      'cannot list this account and region: AccessDenied',
    ],
  ] as const)('describes %o', (reason, text) => {
    expect(describeReason(reason)).toContain(text);
  });
});
