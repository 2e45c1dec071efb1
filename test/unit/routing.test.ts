import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeRoute,
  destinationKey,
  detectConfigSkew,
  expectedGroupShares,
  formatPercent,
  modelRouting,
  targetGroupName,
} from '../../lib/routing.ts';
import type {
  LbSnapshot,
  RouteModel,
  RoutingModel,
  TargetHealth,
  TargetHealthState,
} from '../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  authenticateOidc,
  fixedResponse,
  forward,
  header,
  healthOf,
  host,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  redirectToHttps,
  rule,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

/** Shares of a route as `group/id:port → share`, rounded, for readable expectations. */
function sharesOf(route: RouteModel | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { destination, share } of route?.shares ?? []) {
    const key =
      destination.kind === 'target'
        ? `${targetGroupName(destination.targetGroupArn)}/${destinationKey(destination)}`
        : destinationKey(destination);
    out[key] = Math.round(share * 1e6) / 1e6;
  }
  return out;
}

function defaultRoute(
  snap: LbSnapshot,
  health: readonly TargetHealth[] = healthOf(snap),
): RouteModel | undefined {
  return modelRouting(snap, health).routes.find((r) => r.priority === 'default');
}

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
const webC = targetGroup('web-c', ['i-0e:80']);

describe('modelRouting follows ALB semantics', () => {
  const cases: readonly {
    name: string;
    snap: LbSnapshot;
    states?: Record<string, TargetHealthState>;
    health?: TargetHealth[];
    shares: Record<string, number>;
    failOpen?: string[];
  }[] = [
    {
      name: 'weights 50/50 split evenly over both groups and round robin within each',
      snap: snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]),
      shares: { 'web-a/i-0a:80': 0.25, 'web-a/i-0b:80': 0.25, 'web-b/i-0c:80': 0.25, 'web-b/i-0d:80': 0.25 },
    },
    {
      name: 'weights 100/0 send everything to the first group',
      snap: snapshot([listener(80, [forward([webA, 100], [webB, 0])])], [webA, webB]),
      shares: { 'web-a/i-0a:80': 0.5, 'web-a/i-0b:80': 0.5 },
    },
    {
      name: 'three-way weights 1/1/2 give the third group half',
      snap: snapshot([listener(80, [forward([webA, 1], [webC, 1], [webB, 2])])], [webA, webB, webC]),
      shares: {
        'web-a/i-0a:80': 0.125,
        'web-a/i-0b:80': 0.125,
        'web-c/i-0e:80': 0.25,
        'web-b/i-0c:80': 0.25,
        'web-b/i-0d:80': 0.25,
      },
    },
    {
      name: 'unhealthy, initial and draining targets receive nothing while a healthy one remains',
      snap: snapshot([listener(80, [forward([webB, 1])])], [webB]),
      states: { 'i-0c:80': 'unhealthy' },
      shares: { 'web-b/i-0d:80': 1 },
    },
    {
      name: 'a group whose targets are all unhealthy fails open over every registered target',
      snap: snapshot([listener(80, [forward([webA, 1], [webB, 1])])], [webA, webB]),
      states: { 'i-0c:80': 'unhealthy', 'i-0d:80': 'initial' },
      shares: { 'web-a/i-0a:80': 0.25, 'web-a/i-0b:80': 0.25, 'web-b/i-0c:80': 0.25, 'web-b/i-0d:80': 0.25 },
      failOpen: [tgArn('web-b')],
    },
    {
      name: 'failing open leaves out draining and unused targets',
      snap: snapshot(
        [listener(80, [forward([targetGroup('w', ['i-1:80', 'i-2:80', 'i-3:80']), 1])])],
        [targetGroup('w', ['i-1:80', 'i-2:80', 'i-3:80'])],
      ),
      states: { 'i-1:80': 'unhealthy', 'i-2:80': 'draining', 'i-3:80': 'unused' },
      shares: { 'w/i-1:80': 1 },
      failOpen: [tgArn('w')],
    },
    {
      name: 'a group whose targets are all draining or unused answers 503',
      snap: snapshot([listener(80, [forward([webA, 1])])], [webA]),
      states: { 'i-0a:80': 'draining', 'i-0b:80': 'unused' },
      shares: { 'empty-group:web-a': 1 },
    },
    {
      name: 'a group below its unhealthy-state-routing minimum fails open',
      snap: snapshot(
        [
          listener(80, [
            forward([
              targetGroup('g', ['i-1:80', 'i-2:80', 'i-3:80'], {
                unhealthyStateRouting: { minimumHealthyTargetsCount: 2 },
              }),
              1,
            ]),
          ]),
        ],
        [
          targetGroup('g', ['i-1:80', 'i-2:80', 'i-3:80'], {
            unhealthyStateRouting: { minimumHealthyTargetsCount: 2 },
          }),
        ],
      ),
      states: { 'i-1:80': 'unhealthy', 'i-2:80': 'unhealthy' },
      shares: { 'g/i-1:80': 1 / 3, 'g/i-2:80': 1 / 3, 'g/i-3:80': 1 / 3 },
      failOpen: [tgArn('g')],
    },
    {
      name: 'a group below its healthy-percentage minimum fails open',
      snap: snapshot(
        [
          listener(80, [
            forward([
              targetGroup('g', ['i-1:80', 'i-2:80'], {
                unhealthyStateRouting: { minimumHealthyTargetsPercentage: 60 },
              }),
              1,
            ]),
          ]),
        ],
        [
          targetGroup('g', ['i-1:80', 'i-2:80'], {
            unhealthyStateRouting: { minimumHealthyTargetsPercentage: 60 },
          }),
        ],
      ),
      states: { 'i-1:80': 'unhealthy' },
      shares: { 'g/i-1:80': 0.5, 'g/i-2:80': 0.5 },
      failOpen: [tgArn('g')],
    },
    {
      name: 'a group with no registered targets turns its share into 503s',
      snap: snapshot(
        [listener(80, [forward([webA, 50], [targetGroup('empty', []), 50])])],
        [webA, targetGroup('empty', [])],
      ),
      shares: { 'web-a/i-0a:80': 0.25, 'web-a/i-0b:80': 0.25, 'empty-group:empty': 0.5 },
    },
    {
      name: 'a group missing from the snapshot turns its share into 503s',
      snap: snapshot([listener(80, [forward([tgArn('gone'), 1])])], []),
      shares: { 'empty-group:gone': 1 },
    },
    {
      name: 'all-zero weights (which ALB rejects) are modelled as 503s over every group',
      snap: snapshot([listener(80, [forward([webA, 0], [webB, 0])])], [webA, webB]),
      shares: { 'empty-group:web-a': 0.5, 'empty-group:web-b': 0.5 },
    },
    {
      name: 'a forward to no group at all has no shares',
      snap: snapshot([listener(80, [{ type: 'forward', targetGroups: [] }])], []),
      shares: {},
    },
    {
      name: 'a fixed response takes the whole route',
      snap: snapshot([listener(80, [fixedResponse('503')])], []),
      shares: { 'fixed-response:503': 1 },
    },
    {
      name: 'a redirect takes the whole route',
      snap: snapshot([listener(80, [redirectToHttps()])], []),
      shares: { redirect: 1 },
    },
    {
      name: 'an authenticate action before the forward is skipped',
      snap: snapshot([listener(443, [authenticateOidc(1), { ...forward([webC, 1]), order: 2 }])], [webC]),
      shares: { 'web-c/i-0e:80': 1 },
    },
    {
      name: 'actions without order run in array position',
      snap: snapshot(
        [listener(443, [{ ...authenticateOidc(), order: undefined as never }, forward([webC, 1])])],
        [webC],
      ),
      shares: { 'web-c/i-0e:80': 1 },
    },
    {
      name: 'only authenticate actions leave the route without shares',
      snap: snapshot([listener(443, [authenticateOidc(1)])], []),
      shares: {},
    },
    {
      name: 'IP targets on odd ports are distinct targets, even on one address',
      snap: snapshot(
        [
          listener(8443, [
            forward([targetGroup('ip', ['10.0.1.17:31337', '10.0.1.17:9001'], { targetType: 'ip' }), 1]),
          ]),
        ],
        [targetGroup('ip', ['10.0.1.17:31337', '10.0.1.17:9001'], { targetType: 'ip' })],
      ),
      shares: { 'ip/10.0.1.17:31337': 0.5, 'ip/10.0.1.17:9001': 0.5 },
    },
    {
      name: 'a lambda target with health checks disabled still receives traffic',
      snap: snapshot(
        [
          listener(80, [
            forward([
              targetGroup('fn', ['arn:aws:lambda:eu-west-1:1:function:f'], { targetType: 'lambda' }),
              1,
            ]),
          ]),
        ],
        [targetGroup('fn', ['arn:aws:lambda:eu-west-1:1:function:f'], { targetType: 'lambda' })],
      ),
      health: [
        {
          targetGroupArn: tgArn('fn'),
          targetId: 'arn:aws:lambda:eu-west-1:1:function:f',
          state: 'unavailable',
          reason: 'Target.HealthCheckDisabled',
        },
      ],
      shares: { 'fn/arn:aws:lambda:eu-west-1:1:function:f': 1 },
    },
    {
      name: 'with no health known for a group every registered target counts',
      snap: snapshot([listener(80, [forward([webA, 1])])], [webA]),
      health: [],
      shares: { 'web-a/i-0a:80': 0.5, 'web-a/i-0b:80': 0.5 },
    },
    {
      name: 'a target missing from a group health report gets nothing while others are healthy',
      snap: snapshot([listener(80, [forward([webA, 1])])], [webA]),
      health: [{ targetGroupArn: tgArn('web-a'), targetId: 'i-0a', port: 80, state: 'healthy' }],
      shares: { 'web-a/i-0a:80': 1 },
    },
    {
      name: 'a health record without port answers for its target',
      snap: snapshot([listener(80, [forward([webA, 1])])], [webA]),
      health: [
        { targetGroupArn: tgArn('web-a'), targetId: 'i-0a', state: 'unhealthy' },
        { targetGroupArn: tgArn('web-a'), targetId: 'i-0b', state: 'healthy' },
      ],
      shares: { 'web-a/i-0b:80': 1 },
    },
    {
      name: 'a group listed twice in one forward is counted once with both weights',
      snap: snapshot([listener(80, [forward([webC, 1], [webC, 1], [webA, 2])])], [webA, webC]),
      shares: { 'web-c/i-0e:80': 0.5, 'web-a/i-0a:80': 0.25, 'web-a/i-0b:80': 0.25 },
    },
  ];

  it.each(cases)('$name', ({ snap, states, health, shares, failOpen }) => {
    const route = defaultRoute(snap, health ?? healthOf(snap, states));
    expect(sharesOf(route)).toEqual(
      Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, Math.round(v * 1e6) / 1e6])),
    );
    expect(route?.failOpen ?? []).toEqual(failOpen ?? []);
  });

  it('orders routes by listener, then rule priority, with the default action last', () => {
    const model = modelRouting(shopTopology(), healthOf(shopTopology()));
    expect(model.routes.map((r) => `${r.listenerPort}:${r.priority}`)).toEqual([
      '80:default',
      '443:10',
      '443:20',
      '443:30',
      '443:40',
      '443:default',
    ]);
  });

  it('models every rule of a realistic shop', () => {
    const model = modelRouting(shopTopology(), healthOf(shopTopology()));
    const byPriority = new Map(model.routes.map((r) => [`${r.listenerPort}:${r.priority}`, sharesOf(r)]));
    expect(byPriority.get('80:default')).toEqual({ redirect: 1 });
    expect(byPriority.get('443:10')).toEqual({
      'checkout/10.0.1.17:31337': 0.125,
      'checkout/10.0.2.9:8443': 0.125,
      'checkout-canary/10.0.3.4:9001': 0.25,
      'web/i-0a:8080': 0.166667,
      'web/i-0b:8080': 0.166667,
      'web/i-0c:8080': 0.166667,
    });
    expect(byPriority.get('443:20')).toEqual({ 'admin/i-0f:3000': 1 });
    expect(byPriority.get('443:30')).toEqual({
      'thumbs/arn:aws:lambda:eu-west-1:123456789012:function:thumbs': 1,
    });
    expect(byPriority.get('443:40')).toEqual({ 'fixed-response:503': 1 });
  });

  it('gives every route shares in [0, 1] that sum to 1 (or none when it cannot route)', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: snap, health }) => {
        for (const route of modelRouting(snap, health).routes) {
          for (const { share } of route.shares) {
            expect(share).toBeGreaterThanOrEqual(0);
            expect(share).toBeLessThanOrEqual(1);
          }
          if (route.shares.length > 0) {
            expect(Math.abs(route.shares.reduce((s, x) => s + x.share, 0) - 1)).toBeLessThan(1e-9);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never routes to a target that is not registered in the group', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), ({ snapshot: snap, health }) => {
        const registered = new Set(
          snap.targetGroups.flatMap((g) => g.targets.map((t) => `${g.arn}|${t.id}|${t.port ?? ''}`)),
        );
        for (const route of modelRouting(snap, health).routes) {
          for (const { destination } of route.shares) {
            if (destination.kind !== 'target') continue;
            expect(
              registered.has(
                `${destination.targetGroupArn}|${destination.targetId}|${destination.port ?? ''}`,
              ),
            ).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('expectedGroupShares', () => {
  it('gives each group its weight share, including a group that answers 503', () => {
    const snap = snapshot(
      [listener(80, [forward([webA, 1], [webC, 1], [targetGroup('empty', []), 2])])],
      [webA, webC, targetGroup('empty', [])],
    );
    expect(expectedGroupShares(defaultRoute(snap) as RouteModel)).toEqual({
      [tgArn('web-a')]: 0.25,
      [tgArn('web-c')]: 0.25,
      [tgArn('empty')]: 0.5,
    });
  });

  it('is empty for a fixed response or redirect, which reach no group', () => {
    expect(
      expectedGroupShares(defaultRoute(snapshot([listener(80, [fixedResponse()])], [])) as RouteModel),
    ).toEqual({});
    expect(
      expectedGroupShares(defaultRoute(snapshot([listener(80, [redirectToHttps()])], [])) as RouteModel),
    ).toEqual({});
  });
});

describe('detectConfigSkew', () => {
  function model(snap: LbSnapshot) {
    return modelRouting(snap, healthOf(snap));
  }

  it('finds the postmortem outage: 50/50 over four targets became 100/0 on one', () => {
    const findings = detectConfigSkew(model(outageCurrent()), model(outageLastGood()));
    expect(findings).toEqual([
      {
        listenerArn: outageCurrent().listeners[0]?.arn,
        listenerPort: 80,
        ruleArn: 'default',
        priority: 'default',
        targetsNow: 1,
        targetsBefore: 4,
        heaviest: { key: 'i-0a:80', share: 1 },
        evidence:
          'listener :80 default action sends 100% to web-a (1 target: i-0a:80); last known good spread it over 4 targets in web-a, web-b',
      },
    ]);
  });

  it('reports an emptied route that now answers 503', () => {
    const empty = targetGroup('web-a', []);
    const now = snapshot([listener(80, [forward([empty, 1])])], [empty]);
    const [finding] = detectConfigSkew(model(now), model(outageLastGood()));
    expect(finding?.targetsNow).toBe(0);
    expect(finding?.heaviest).toEqual({ key: 'empty-group:web-a', share: 1 });
    expect(finding?.evidence).toBe(
      'listener :80 default action sends 100% to web-a (no targets: 503) (no target); last known good spread it over 4 targets in web-a, web-b',
    );
  });

  it('reports a route that now serves a fixed response', () => {
    const now = snapshot([listener(80, [fixedResponse('503')])], []);
    const [finding] = detectConfigSkew(model(now), model(outageLastGood()));
    expect(finding?.evidence).toContain('sends 100% fixed-response 503 (no target)');
  });

  it('matches rules by conditions even when their ARNs changed, and describes them', () => {
    const checkout = targetGroup('checkout', ['10.0.1.17:31337', '10.0.2.9:8443', '10.0.3.4:9001'], {
      targetType: 'ip',
    });
    const before = snapshot(
      [
        listener(
          443,
          [forward([webA, 1])],
          [rule(443, 10, [path('/checkout/*'), host('shop.example.com')], [forward([checkout, 1])])],
        ),
      ],
      [webA, checkout],
    );
    const shrunk = targetGroup('checkout', ['10.0.1.17:31337'], { targetType: 'ip' });
    const recreated = {
      ...rule(443, 12, [host('shop.example.com'), path('/checkout/*')], [forward([shrunk, 1])]),
      arn: 'arn:new',
    };
    const now = snapshot([listener(443, [forward([webA, 1])], [recreated])], [webA, shrunk]);
    const findings = detectConfigSkew(model(now), model(before));
    expect(findings.map((f) => [f.ruleArn, f.priority, f.targetsBefore, f.targetsNow])).toEqual([
      ['arn:new', 12, 3, 1],
    ]);
    expect(findings[0]?.evidence).toBe(
      'listener :443 rule 12 (host shop.example.com and path /checkout/*) sends 100% to checkout (1 target: 10.0.1.17:31337); last known good spread it over 3 targets in checkout',
    );
  });

  it('reports concentration on one target even when no target disappeared', () => {
    const big = targetGroup('big', ['i-1:80', 'i-2:80', 'i-3:80', 'i-4:80', 'i-5:80']);
    const solo = targetGroup('solo', ['i-9:80']);
    const before = snapshot([listener(80, [forward([big, 5], [solo, 1])])], [big, solo]);
    const now = snapshot([listener(80, [forward([big, 1], [solo, 5])])], [big, solo]);
    const [finding] = detectConfigSkew(model(now), model(before));
    expect(finding?.targetsNow).toBe(6);
    expect(finding?.heaviest.key).toBe('i-9:80');
    expect(finding?.evidence).toBe(
      'listener :80 default action sends 83% to solo, 17% to big (6 targets, heaviest i-9:80 at 83%); last known good spread it over 6 targets in big, solo; i-9:80 now takes 83% where last known good sent at most 17%',
    );
  });

  const benign: readonly { name: string; before: LbSnapshot; now: LbSnapshot }[] = [
    {
      name: 'reweighting 50/50 to 60/40 over the same targets',
      before: outageLastGood(),
      now: snapshot([listener(80, [forward([webA, 60], [webB, 40])])], [webA, webB]),
    },
    {
      name: 'adding targets to a group',
      before: outageLastGood(),
      now: snapshot(
        [listener(80, [forward([targetGroup('web-a', ['i-0a:80', 'i-0b:80', 'i-0x:80']), 50], [webB, 50])])],
        [targetGroup('web-a', ['i-0a:80', 'i-0b:80', 'i-0x:80']), webB],
      ),
    },
    {
      name: 'a blue/green swap to as many new targets',
      before: outageLastGood(),
      now: snapshot(
        [
          listener(80, [
            forward([targetGroup('web-green', ['i-1a:80', 'i-1b:80', 'i-1c:80', 'i-1d:80']), 1]),
          ]),
        ],
        [targetGroup('web-green', ['i-1a:80', 'i-1b:80', 'i-1c:80', 'i-1d:80'])],
      ),
    },
    {
      name: 'an unchanged routing',
      before: shopTopology(),
      now: shopTopology(),
    },
    {
      name: 'a rule that was removed (drift, not skew)',
      before: snapshot(
        [
          listener(
            80,
            [forward([webA, 1])],
            [rule(80, 5, [header('X-Env', 'canary')], [forward([webB, 1])])],
          ),
        ],
        [webA, webB],
      ),
      now: snapshot([listener(80, [forward([webA, 1])])], [webA]),
    },
    {
      name: 'a route whose last known good reached no target',
      before: snapshot([listener(80, [fixedResponse('200')])], []),
      now: snapshot([listener(80, [forward([webC, 1])])], [webC]),
    },
    {
      name: 'a weight-1-of-999 sliver that disappears',
      before: snapshot([listener(80, [forward([webA, 999], [webC, 1])])], [webA, webC]),
      now: snapshot([listener(80, [forward([webA, 1])])], [webA]),
    },
  ];

  it.each(benign)('finds nothing for $name', ({ before, now }) => {
    expect(detectConfigSkew(model(now), model(before))).toEqual([]);
  });

  it('ignores targets a hand-built model lists at share 0', () => {
    const route = (shares: RouteModel['shares']): RoutingModel => ({
      routes: [
        {
          listenerArn: 'l',
          listenerPort: 80,
          ruleArn: 'default',
          priority: 'default',
          conditions: [],
          failOpen: [],
          shares,
        },
      ],
    });
    const target = (id: string) => ({
      kind: 'target' as const,
      targetGroupArn: tgArn('w'),
      targetId: id,
      port: 80,
    });
    const before = route([
      { destination: target('i-1'), share: 0.5 },
      { destination: target('i-2'), share: 0.5 },
    ]);
    const now = route([
      { destination: target('i-1'), share: 1 },
      { destination: target('i-2'), share: 0 },
    ]);
    expect(detectConfigSkew(now, before).map((f) => [f.targetsBefore, f.targetsNow])).toEqual([[2, 1]]);
  });

  it('only compares the first of two rules with the same conditions, the one that matches', () => {
    const before = snapshot(
      [listener(80, [forward([webA, 1])], [rule(80, 1, [path('/a')], [forward([webB, 1])])])],
      [webA, webB],
    );
    const now = snapshot(
      [
        listener(
          80,
          [forward([webA, 1])],
          [rule(80, 1, [path('/a')], [forward([webB, 1])]), rule(80, 2, [path('/a')], [forward([webC, 1])])],
        ),
      ],
      [webA, webB, webC],
    );
    expect(detectConfigSkew(model(now), model(before))).toEqual([]);
  });

  it('never reports a finding when targets are only added', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), fc.nat(), ({ snapshot: snap }, pick) => {
        const grown: LbSnapshot = {
          ...snap,
          targetGroups: snap.targetGroups.map((g, i) =>
            i === pick % snap.targetGroups.length && g.targetType !== 'lambda'
              ? { ...g, targets: [...g.targets, { id: 'i-0new', port: 8080 }] }
              : g,
          ),
        };
        expect(detectConfigSkew(model(grown), model(snap)).map((f) => f.evidence)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('describing routes', () => {
  it.each([
    [[host('a.example.com', 'b.example.com')], 'rule 7 (host a.example.com or b.example.com)'],
    [[header('X-Env', 'canary')], 'rule 7 (header X-Env: canary)'],
    [[{ field: 'http-header' as const, values: ['x'] }], 'rule 7 (header ?: x)'],
    [[{ field: 'http-request-method' as const, values: ['POST'] }], 'rule 7 (method POST)'],
    [[{ field: 'query-string' as const, values: ['v=2'] }], 'rule 7 (query v=2)'],
    [[{ field: 'source-ip' as const, values: ['10.0.0.0/8'] }], 'rule 7 (source-ip 10.0.0.0/8)'],
    [[], 'rule 7'],
  ])('describes %j as "%s"', (conditions, text) => {
    const route: RouteModel = {
      listenerArn: 'l',
      listenerPort: 8080,
      ruleArn: 'r',
      priority: 7,
      conditions,
      failOpen: [],
      shares: [],
    };
    expect(describeRoute(route)).toBe(`listener :8080 ${text}`);
  });

  it.each([
    [1, '100%'],
    [0.5, '50%'],
    [0.001, '0.1%'],
    [0, '0%'],
  ])('formats share %d as %s', (share, text) => {
    expect(formatPercent(share)).toBe(text);
  });

  it('names target groups from their ARN and leaves other keys alone', () => {
    expect(targetGroupName(tgArn('web-a'))).toBe('web-a');
    expect(targetGroupName('web-a')).toBe('web-a');
  });
});
