import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorChance, latencyFactor, pathCost } from '../../drill/world/backend.ts';
import { DrillClock } from '../../drill/world/clock.ts';
import {
  type CounterSnapshot,
  HaproxyCounters,
  parseShowStat,
  type StatRow,
} from '../../drill/world/haproxy.ts';
import { renderHaproxy } from '../../drill/world/haproxy-config.ts';
import { UNRESOLVED_ADDRESS, WEIGHT_BUCKETS } from '../../drill/world/haproxy-plan.ts';
import {
  conditionCriterion,
  matcherToRegex,
  quoteWord,
  terminalAction,
  weightRanges,
  wildcardToRegex,
} from '../../drill/world/haproxy-translation.ts';
import {
  pickRequest,
  type ResponseRecord,
  shopPathMix,
  summarise,
  summariseBySecond,
} from '../../drill/world/loadgen.ts';
import { computeAlbFigures, toAlbDatums } from '../../drill/world/metrics-publisher.ts';
import { seededRandom } from '../../lib/random.ts';
import type { LbSnapshot, TargetGroup, TargetHealth } from '../../lib/types.ts';

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const tgArn = (name: string): string =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;

function group(name: string, ids: readonly string[]): TargetGroup {
  return {
    arn: tgArn(name),
    name,
    port: 80,
    targetType: 'instance',
    healthCheck: {
      path: '/health',
      intervalSeconds: 30,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      timeoutSeconds: 5,
    },
    targets: ids.map((id, i) => ({
      id,
      port: 80,
      availabilityZone: i % 2 === 0 ? 'us-east-1a' : 'us-east-1b',
    })),
  };
}

function shop(weights: { a: number; b: number }, a: readonly string[], b: readonly string[]): LbSnapshot {
  return {
    loadBalancerArn: LB,
    targetGroups: [group('web-a', a), group('web-b', b)],
    listeners: [
      {
        arn: 'listener-80',
        port: 80,
        protocol: 'HTTP',
        defaultActions: [
          {
            type: 'forward',
            targetGroups: [
              { targetGroupArn: tgArn('web-a'), weight: weights.a },
              { targetGroupArn: tgArn('web-b'), weight: weights.b },
            ],
          },
        ],
        rules: [],
      },
    ],
  };
}

const ports = new Map([
  ['i-a1', 41001],
  ['i-a2', 41002],
  ['i-b1', 41003],
  ['i-b2', 41004],
]);

function renderShop(
  snapshot: LbSnapshot,
  health: readonly TargetHealth[] = [],
  known?: Map<string, TargetGroup['targets']>,
) {
  return renderHaproxy({
    snapshot,
    health,
    listenerBinds: new Map([[80, 40080]]),
    resolve: (_g, t) => {
      const port = ports.get(t.id);
      return port === undefined ? undefined : { host: '127.0.0.1', port };
    },
    dir: '/tmp/drill',
    healthCheckScale: 60,
    ...(known === undefined ? {} : { knownTargets: known }),
  });
}

describe('weightRanges', () => {
  it.each([
    { weights: [50, 50], ranges: ['0:499', '500:999'] },
    { weights: [100, 0], ranges: ['0:999'] },
    { weights: [0, 1], ranges: ['0:999'] },
    { weights: [700, 250, 50], ranges: ['0:699', '700:949', '950:999'] },
    { weights: [1, 1, 1], ranges: ['0:332', '333:666', '667:999'] },
    { weights: [0, 0], ranges: [] },
  ])('splits weights $weights into $ranges', ({ weights, ranges }) => {
    const out = weightRanges(weights.map((weight, i) => ({ backend: `b${i}`, weight })));
    expect(out.map((e) => e.key)).toEqual(ranges);
  });

  it('partitions every draw exactly once, each group within one bucket of its share', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 5 }), (weights) => {
        const total = weights.reduce((a, b) => a + b, 0);
        fc.pre(total > 0);
        const out = weightRanges(weights.map((weight, i) => ({ backend: `b${i}`, weight })));
        let next = 0;
        for (const e of out) {
          const [lo, hi] = e.key.split(':').map(Number);
          expect(lo).toBe(next);
          next = (hi ?? -1) + 1;
          const w = weights[Number(e.value.slice(1))] ?? 0;
          expect(w).toBeGreaterThan(0);
          expect(Math.abs((hi ?? 0) - (lo ?? 0) + 1 - (WEIGHT_BUCKETS * w) / total)).toBeLessThanOrEqual(1);
        }
        expect(next).toBe(WEIGHT_BUCKETS);
      }),
    );
  });
});

describe('ALB patterns as HAProxy regexes', () => {
  it.each([
    { pattern: '/api/*', path: '/api/v1/orders', matches: true },
    { pattern: '/api/*', path: '/apix', matches: false },
    { pattern: '/img/?.png', path: '/img/a.png', matches: true },
    { pattern: '/img/?.png', path: '/img/ab.png', matches: false },
    { pattern: '/a.b', path: '/axb', matches: false },
    { pattern: '/(x)+', path: '/(x)+', matches: true },
  ])('pattern $pattern matching $path is $matches', ({ pattern, path, matches }) => {
    expect(new RegExp(`^${wildcardToRegex(pattern)}$`).test(path)).toBe(matches);
  });

  it.each([
    { matcher: '200', regex: '^(200)$' },
    { matcher: '200,302', regex: '^(200|302)$' },
    { matcher: '200-202', regex: '^(200|201|202)$' },
    { matcher: 'nonsense', regex: '^(200)$' },
  ])('turns health-check matcher $matcher into $regex', ({ matcher, regex }) => {
    expect(matcherToRegex(matcher)).toBe(regex);
  });

  it('quotes words so that haproxy.cfg never expands or splits them', () => {
    expect(quoteWord("it's $HOME")).toBe(`'it'\\''s $HOME'`);
  });

  it.each([
    { c: { field: 'path-pattern', values: ['/cart*'] }, criterion: "path -m reg '^/cart.*$'" },
    {
      c: { field: 'host-header', values: ['*.example.com'] },
      criterion: "req.hdr(host) -m reg -i '^.*\\.example\\.com(:[0-9]+)?$'",
    },
    {
      c: { field: 'http-header', headerName: 'X-Env', values: ['beta'] },
      criterion: "req.hdr(X-Env) -m reg -i '^beta$'",
    },
    { c: { field: 'http-request-method', values: ['GET', 'HEAD'] }, criterion: "method 'GET' 'HEAD'" },
    { c: { field: 'query-string', values: ['v=2'] }, criterion: "query -m reg -i '(^|&)v=2(&|$)'" },
    {
      c: { field: 'query-string', values: ['x*'] },
      criterion: "query -m reg -i '(^|&)([^=&]*=)?x[^&]*(&|$)'",
    },
    { c: { field: 'source-ip', values: ['10.0.0.0/8'] }, criterion: 'src 10.0.0.0/8' },
  ] as const)('renders a $c.field condition as an ACL criterion', ({ c, criterion }) => {
    expect(conditionCriterion(c)).toBe(criterion);
  });

  it('routes by the last non-authenticate action in order', () => {
    const forward = { type: 'forward', order: 2, targetGroups: [] } as const;
    expect(terminalAction([forward, { type: 'authenticate-oidc', order: 1, config: {} }])).toBe(forward);
    expect(terminalAction([{ type: 'authenticate-cognito', config: {} }])).toBeUndefined();
  });
});

describe('renderHaproxy', () => {
  const fourTargets = shop({ a: 50, b: 50 }, ['i-a1', 'i-a2'], ['i-b1', 'i-b2']);

  it('declares each target twice, checked and as a fail-open backup, with compressed health checks', () => {
    const plan = renderShop(fourTargets);
    expect(plan.servers.filter((s) => s.backup)).toHaveLength(4);
    expect(plan.servers.every((s) => s.desired === 'ready')).toBe(true);
    expect(plan.config).toContain('default-server inter 500 fastinter 500 downinter 500 rise 5 fall 2');
    expect(plan.config).toContain('server t_i-a1_80 127.0.0.1:41001 check');
    expect(plan.config).toContain('server fo_i-a1_80 127.0.0.1:41001 backup');
    expect(plan.config).toContain('if { nbsrv() eq 0 } !{ stopping }');
    expect(plan.config).toContain('retries 0');
    expect(plan.config).not.toMatch(/server .* maxconn/);
  });

  it('keeps the structure when only weights, registrations or instance states change', () => {
    const base = renderShop(fourTargets);
    const known = new Map(fourTargets.targetGroups.map((g) => [g.arn, g.targets]));
    const outage = renderShop(shop({ a: 100, b: 0 }, ['i-a1'], []), [], known);
    expect(outage.structureKey).toBe(base.structureKey);
    expect([...outage.maps.values()][0]).toEqual([{ key: '0:999', value: 'tg_web-a' }]);
    expect(outage.servers.filter((s) => s.desired === 'ready').map((s) => s.key)).toEqual([
      'tg_web-a/t_i-a1_80',
      'tg_web-a/fo_i-a1_80',
    ]);
  });

  it('takes a target on a stopped instance out of service like a deregistered one', () => {
    const plan = renderShop(fourTargets, [
      {
        targetGroupArn: tgArn('web-a'),
        targetId: 'i-a2',
        port: 80,
        state: 'unused',
        reason: 'Target.InvalidState',
      },
    ]);
    expect(plan.servers.filter((s) => s.targetId === 'i-a2').map((s) => s.desired)).toEqual([
      'maint',
      'maint',
    ]);
  });

  it('writes servers disabled unless their applied state is ready', () => {
    const plan = renderHaproxy({
      snapshot: fourTargets,
      health: [],
      listenerBinds: new Map([[80, 40080]]),
      resolve: () => undefined,
      dir: '/tmp/drill',
      configStates: new Map([['tg_web-a/t_i-a1_80', 'ready']]),
    });
    expect(plan.config).toContain(`server t_i-a1_80 127.0.0.1:${UNRESOLVED_ADDRESS.port} check\n`);
    expect(plan.config).toContain(`server t_i-a2_80 127.0.0.1:${UNRESOLVED_ADDRESS.port} check disabled`);
  });

  it('changes structure when a rule appears, and keeps rule priority order', () => {
    const withRules: LbSnapshot = {
      ...fourTargets,
      listeners: fourTargets.listeners.map((l) => ({
        ...l,
        rules: [
          {
            arn: 'r20',
            priority: 20,
            conditions: [{ field: 'path-pattern', values: ['/*'] }],
            actions: [{ type: 'fixed-response', statusCode: '503' }],
          },
          {
            arn: 'r10',
            priority: 10,
            conditions: [{ field: 'path-pattern', values: ['/cart'] }],
            actions: [{ type: 'redirect', statusCode: 'HTTP_302', path: '/basket' }],
          },
        ],
      })),
    };
    const plan = renderShop(withRules);
    expect(plan.structureKey).not.toBe(renderShop(fourTargets).structureKey);
    const order = [
      'use_backend redirect_80_10',
      'use_backend fixed_80_20',
      'map_int(/tmp/drill/maps/forward_80_default.map',
    ];
    const positions = order.map((s) => plan.config.indexOf(s));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(plan.backends.map((b) => b.kind)).toEqual([
      'redirect',
      'fixed-response',
      'target-group',
      'target-group',
      'no-route',
    ]);
  });

  it('refuses a work directory with whitespace, which haproxy.cfg cannot carry unquoted', () => {
    expect(() =>
      renderHaproxy({
        snapshot: fourTargets,
        health: [],
        listenerBinds: new Map(),
        resolve: () => undefined,
        dir: '/tmp/a b',
      }),
    ).toThrow(/whitespace/);
  });
});

function row(
  proxy: string,
  server: string,
  counters: Partial<StatRow['counters']>,
  status = 'UP',
  rtimeMs = 0,
): StatRow {
  const zero = {
    stot: 0,
    req_tot: 0,
    hrsp_1xx: 0,
    hrsp_2xx: 0,
    hrsp_3xx: 0,
    hrsp_4xx: 0,
    hrsp_5xx: 0,
    hrsp_other: 0,
    econ: 0,
    eresp: 0,
    ereq: 0,
  };
  return { proxy, server, status, counters: { ...zero, ...counters }, rtimeMs, weight: 100 };
}

describe('HAProxy counters', () => {
  it('parses show stat CSV by its header', () => {
    const rows = parseShowStat(
      '# pxname,svname,stot,status,hrsp_5xx,rtime\nlistener_80,FRONTEND,10,OPEN,1,\ntg_web-a,t_i-a1_80,7,UP,0,12\n',
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ proxy: 'tg_web-a', server: 't_i-a1_80', status: 'UP', rtimeMs: 12 });
    expect(rows[1]?.counters.stot).toBe(7);
    expect(parseShowStat('')).toEqual([]);
  });

  it('keeps totals monotonic across reloads, which restart every counter at zero', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ reload: fc.boolean(), add: fc.nat(50) }), { minLength: 1, maxLength: 30 }),
        (steps) => {
          const counters = new HaproxyCounters();
          let pid = 1;
          let current = 0;
          let sent = 0;
          let last = 0;
          for (const step of steps) {
            if (step.reload) {
              pid++;
              current = 0;
            }
            current += step.add;
            sent += step.add;
            const snap = counters.ingest(0, pid, [row('be', 'BACKEND', { stot: current })]);
            const total = snap.totals.get('be/BACKEND')?.stot ?? 0;
            expect(total).toBeGreaterThanOrEqual(last);
            last = total;
          }
          expect(last).toBe(sent);
        },
      ),
    );
  });
});

describe('ALB metrics from HAProxy counters', () => {
  const plan = renderShop(shop({ a: 50, b: 50 }, ['i-a1', 'i-a2'], []));
  const snapshot = (rows: StatRow[]): CounterSnapshot => new HaproxyCounters().ingest(0, 1, rows);

  it('separates ALB 503s for an empty group from target errors and refused connections', () => {
    const now = snapshot([
      row('listener_80', 'FRONTEND', { req_tot: 100 }),
      row('tg_web-a', 'BACKEND', { stot: 50, hrsp_2xx: 40, hrsp_5xx: 10 }),
      row('tg_web-a', 't_i-a1_80', { stot: 30, hrsp_2xx: 25, hrsp_5xx: 5 }, 'UP', 20),
      row('tg_web-a', 't_i-a2_80', { stot: 20, hrsp_2xx: 15, econ: 5 }, 'DOWN', 40),
      row('tg_web-b', 'BACKEND', { stot: 50, hrsp_5xx: 50 }),
      row('elb_no_route', 'BACKEND', {}),
    ]);
    const f = computeAlbFigures(plan, now, undefined, ['us-east-1a', 'us-east-1b']);
    expect(f.requestCount).toBe(100);
    expect(f.byTargetGroup.get(tgArn('web-a'))).toEqual({
      requestCount: 50,
      target5xx: 5,
      healthy: 1,
      unhealthy: 1,
    });
    expect(f.byTargetGroup.get(tgArn('web-b'))?.requestCount).toBe(50);
    expect(f.target['5XX']).toBe(5);
    expect(f.elb).toMatchObject({ '5XX': 55, '502': 5, '503': 50 });
    expect(f.byAvailabilityZone.get('us-east-1a')).toBe(30 + 25);
    expect(f.byAvailabilityZone.get('us-east-1b')).toBe(20 + 25);
    expect(f.targetResponseTime).toBeCloseTo((20 * 30 + 40 * 20) / 50 / 1000);

    const datums = toAlbDatums(plan, f, new Date('2026-11-24T08:00:00Z'));
    const names = datums.map((d) => `${d.MetricName}:${(d.Dimensions ?? []).map((x) => x.Name).join('+')}`);
    expect(names).toContain('RequestCount:LoadBalancer');
    expect(names).toContain('RequestCount:TargetGroup+LoadBalancer');
    expect(names).toContain('RequestCount:LoadBalancer+AvailabilityZone');
    expect(names).toContain('HTTPCode_ELB_503_Count:LoadBalancer');
    expect(names).toContain('HealthyHostCount:TargetGroup+LoadBalancer');
    expect(names).toContain('TargetResponseTime:LoadBalancer');
    expect(datums.find((d) => d.MetricName === 'HTTPCode_ELB_4XX_Count')).toBeUndefined();
  });

  it('reports only what happened since the previous sample', () => {
    const counters = new HaproxyCounters();
    const before = counters.ingest(0, 1, [row('listener_80', 'FRONTEND', { req_tot: 100 })]);
    const now = counters.ingest(1, 1, [row('listener_80', 'FRONTEND', { req_tot: 130 })]);
    expect(computeAlbFigures(plan, now, before, ['us-east-1a']).requestCount).toBe(30);
  });
});

describe('the drill clock', () => {
  it('maps one drill second to one AWS minute by default', () => {
    let now = 1_000_000;
    const clock = new DrillClock({ now: () => now, awsStart: '2026-11-24T08:00:00Z' });
    now += 2_500;
    expect(clock.awsIso()).toBe('2026-11-24T08:02:30.000Z');
    expect(clock.awsMinuteMs).toBe(1_000);
    expect(clock.drillMs(150_000)).toBe(2_500);
    expect(clock.realMsAt(Date.parse('2026-11-24T08:01:00Z'))).toBe(1_001_000);
    expect(clock.elapsedMs()).toBe(2_500);
  });

  it('floors the default AWS start to the minute and rejects nonsense', () => {
    expect(new DrillClock({ now: () => 90_500 }).awsStartMs).toBe(60_000);
    expect(() => new DrillClock({ awsSecondsPerDrillSecond: 0 })).toThrow();
    expect(() => new DrillClock({ awsStart: 'yesterday' })).toThrow();
  });
});

describe('the backend capacity model', () => {
  it('slows down past 70% and errs only past capacity', () => {
    expect(latencyFactor(0.5)).toBe(1);
    expect(latencyFactor(1)).toBeCloseTo(2.8);
    expect(errorChance(0.99)).toBe(0);
    expect(errorChance(1.5)).toBeCloseTo(0.6);
    expect(errorChance(5)).toBe(0.9);
  });

  it('knows the shop pages and nothing else', () => {
    expect(pathCost('/products/42')).toBe(1.5);
    expect(pathCost('/checkout')).toBe(4);
    expect(pathCost('/admin')).toBeUndefined();
  });
});

describe('the load generator', () => {
  it('sends mostly browsing with a few checkouts, reproducibly from a seed', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 2_000 }, () => pickRequest(shopPathMix, random));
    };
    const picks = draw(7);
    expect(draw(7)).toEqual(picks);
    const share = (p: (x: { path: string }) => boolean) => picks.filter(p).length / picks.length;
    expect(share((x) => x.path === '/' || x.path.startsWith('/products/'))).toBeGreaterThan(0.7);
    expect(share((x) => x.path === '/checkout')).toBeGreaterThan(0.02);
    expect(share((x) => x.path === '/checkout')).toBeLessThan(0.1);
  });

  it('summarises outcomes per second and per serving instance', () => {
    const records: ResponseRecord[] = [
      { t: 100, at: 0, method: 'GET', path: '/', status: 200, latencyMs: 10, servedBy: 'i-1' },
      { t: 900, at: 0, method: 'GET', path: '/', status: 503, latencyMs: 2 },
      { t: 1_200, at: 0, method: 'GET', path: '/cart', latencyMs: 5_000, error: 'timeout' },
      { t: 1_300, at: 0, method: 'GET', path: '/', status: 200, latencyMs: 30, servedBy: 'i-2' },
    ];
    const total = summarise(records);
    expect(total).toMatchObject({ requests: 4, ok: 2, status5xx: 1, errors: 1, failureRate: 0.5 });
    expect(total.byStatus).toEqual({ '200': 2, '503': 1, 'error:timeout': 1 });
    const seconds = summariseBySecond(records);
    expect(seconds.map((s) => [s.second, s.requests, s.byServedBy])).toEqual([
      [0, 2, { 'i-1': 1 }],
      [1, 2, { 'i-2': 1 }],
    ]);
    expect(summarise([]).failureRate).toBe(0);
  });
});
