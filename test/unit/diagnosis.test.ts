import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../lib/diagnosis.ts';
import type {
  AlbMetrics,
  ConfigChange,
  LbSnapshot,
  ProbeResult,
  RootCause,
  Severity,
  Signals,
  TargetHealth,
  Thresholds,
} from '../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  fixedResponse,
  forward,
  healthOf,
  listener,
  outageCurrent,
  outageLastGood,
  shopTopology,
  snapshot,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

const thresholds: Thresholds = {
  skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
  errorRate: 0.05,
  consecutiveBreaches: 3,
  soakSeconds: 600,
};

const AT = '2025-02-25T14:05:00.000Z';

function probe(
  ok: boolean,
  i: number,
  step: { status?: number; error?: string; failures?: string[] } = { status: 503 },
  name = 'checkout',
): ProbeResult {
  return {
    service: 'shop',
    probe: name,
    at: `2025-02-25T14:0${i}:00.000Z`,
    ok,
    totalMs: 20,
    steps: [
      {
        name: 'home',
        url: 'https://shop.example.com/',
        method: 'GET',
        ok,
        latencyMs: 20,
        failures: ok
          ? []
          : (step.failures ?? (step.status === undefined ? [] : [`status ${step.status} not in [200]`])),
        ...(ok ? { status: 200 } : step.status === undefined ? {} : { status: step.status }),
        ...(ok || step.error === undefined ? {} : { error: step.error }),
      },
    ],
  };
}

/** 10 checkout probes, the last `failed` of them failing with `step`. */
function probes(failed: number, step?: Parameters<typeof probe>[2]): ProbeResult[] {
  return Array.from({ length: 10 }, (_, i) => probe(i < 10 - failed, i, step));
}

function metrics(overrides: Partial<AlbMetrics> = {}): AlbMetrics {
  return {
    windowStart: '2025-02-25T14:00:00.000Z',
    windowEnd: '2025-02-25T14:05:00.000Z',
    requestCount: 1000,
    requestCountByTargetGroup: {},
    requestCountByAvailabilityZone: {},
    elb5xx: 0,
    elb503: 0,
    target5xx: 0,
    healthyHostCount: {},
    unhealthyHostCount: {},
    ...overrides,
  };
}

const deploy = (resources: string[]): ConfigChange => ({
  eventName: 'ModifyListener',
  principal: 'role deploy-pipeline',
  at: '2025-02-25T14:02:11Z',
  resources,
});

function signals(
  current: LbSnapshot,
  lastGood: LbSnapshot | undefined,
  extra: Partial<Omit<Signals, 'snapshot' | 'lastGood'>> = {},
): Signals {
  return {
    at: AT,
    service: 'shop',
    snapshot: current,
    ...(lastGood === undefined
      ? {}
      : { lastGood: { hash: 'h0', takenAt: '2025-02-25T13:00:00.000Z', snapshot: lastGood } }),
    health: healthOf(current),
    probes: probes(0),
    ...extra,
  };
}

/** The shop with its /checkout/* rule flipped to send everything to the one canary target. */
function checkoutFlipped(): LbSnapshot {
  const shop = shopTopology();
  const https = shop.listeners.find((l) => l.port === 443);
  if (https === undefined) throw new Error('fixture has no :443 listener');
  const canary = tgArn('checkout-canary');
  const rules = https.rules.map((r) =>
    r.priority === 10
      ? { ...r, actions: [forward([tgArn('checkout'), 0], [canary, 1], [tgArn('web'), 0])] }
      : r,
  );
  return { ...shop, listeners: shop.listeners.map((l) => (l === https ? { ...https, rules } : l)) };
}

/** The outage's last known good with web-b emptied (weights still 50/50). */
function webBEmptied(): LbSnapshot {
  const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const webB = targetGroup('web-b', []);
  return snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
}

function withWeb(targets: string[], base = shopTopology()): LbSnapshot {
  return {
    ...base,
    targetGroups: base.targetGroups.map((g) =>
      g.name === 'web' ? { ...g, targets: targetGroup('web', targets, { port: 8080 }).targets } : g,
    ),
  };
}

function unhealthy(snap: LbSnapshot, keys: string[], reason = 'Target.FailedHealthChecks'): TargetHealth[] {
  return healthOf(snap).map((h) =>
    keys.includes(`${h.targetId}:${h.port}`) ? { ...h, state: 'unhealthy', reason } : h,
  );
}

interface Case {
  readonly name: string;
  readonly signals: Signals;
  readonly cause: RootCause;
  readonly lbFault: boolean;
  readonly remediable: boolean;
  readonly severity: Severity;
  /** Substrings the first evidence line must contain. */
  readonly first?: string;
  /** Substrings that must each appear in some evidence line. */
  readonly evidence: readonly string[];
  readonly absent?: readonly string[];
}

const outage = outageCurrent();
const good = outageLastGood();
const shop = shopTopology();

const cases: readonly Case[] = [
  {
    name: 'the outage: weights 100/0 and deregistered targets, customers getting 503',
    signals: signals(outage, good, {
      probes: probes(7),
      metrics: metrics({ requestCount: 100, elb5xx: 412, elb503: 412, target5xx: 3 }),
      lastChange: deploy([outage.listeners[0]?.arn ?? '']),
    }),
    cause: 'routing-skew',
    lbFault: true,
    remediable: true,
    severity: 'critical',
    first: 'ModifyListener by role deploy-pipeline at 14:02:11Z (listener/app/shop/…/',
    evidence: [
      'listener :80 default action sends 100% to web-a (1 target: i-0a:80); last known good spread it over 4 targets in web-a, web-b',
      'listener :80 default action forwards 100% to web-a; web-a has 1 registered target of 2 in last known good',
      'listener :80 default action weights web-a/web-b 50/50 → 100/0',
      'probe checkout: 7 of 10 failed, last: status 503 not in [200]',
      'ELB 503: 412 in window; target 5xx: 3',
    ],
  },
  {
    name: 'the outage caught before the lone server falls over',
    signals: signals(outage, good),
    cause: 'routing-skew',
    lbFault: true,
    remediable: true,
    severity: 'warning',
    first: 'listener :80 default action sends 100% to web-a',
    evidence: ['weights web-a/web-b 50/50 → 100/0'],
  },
  {
    name: 'the single /checkout/* rule flipped to one canary target',
    signals: signals(checkoutFlipped(), shop, { probes: probes(3, { status: 502 }) }),
    cause: 'routing-skew',
    lbFault: true,
    remediable: true,
    severity: 'critical',
    first: 'listener :443 rule 10 (host shop.example.com and path /checkout/*) sends 100% to checkout-canary',
    evidence: ['probe checkout: 3 of 10 failed, last: status 502 not in [200]'],
  },
  {
    name: 'a routed group emptied with weights unchanged',
    signals: signals(webBEmptied(), good),
    cause: 'missing-targets',
    lbFault: true,
    remediable: true,
    severity: 'critical',
    first:
      'listener :80 default action forwards 50% to web-b; web-b has no registered targets (2 in last known good), so ALB answers 503',
    evidence: ['target group web-b: 2 target(s) deregistered'],
  },
  {
    name: 'a routed group cut to a single survivor before anyone noticed',
    signals: signals(withWeb(['i-0a:8080']), shop),
    cause: 'missing-targets',
    lbFault: true,
    remediable: true,
    severity: 'warning',
    first:
      'listener :443 default action forwards 100% to web; web has 1 registered target of 3 in last known good',
    evidence: [],
  },
  {
    name: 'one target fewer with failing probes',
    signals: signals(withWeb(['i-0a:8080', 'i-0b:8080']), shop, { probes: probes(4) }),
    cause: 'missing-targets',
    lbFault: true,
    remediable: true,
    severity: 'critical',
    evidence: ['web has 2 registered targets of 3 in last known good'],
  },
  {
    name: 'auto scaling replacing one target with no customer impact',
    signals: signals(withWeb(['i-0a:8080', 'i-0b:8080', 'i-0z:8080']), shop),
    cause: 'healthy',
    lbFault: false,
    remediable: false,
    severity: 'info',
    evidence: [
      'target group web: 1 target(s) deregistered (i-0c:8080)',
      'target group web: 1 target(s) registered',
    ],
  },
  {
    name: 'a rule switched to a fixed 503',
    signals: signals(
      {
        ...shop,
        listeners: shop.listeners.map((l) =>
          l.port === 443
            ? {
                ...l,
                rules: l.rules.map((r) =>
                  r.priority === 30 ? { ...r, actions: [fixedResponse('503')] } : r,
                ),
              }
            : l,
        ),
      },
      shop,
    ),
    cause: 'listener-drift',
    lbFault: true,
    remediable: true,
    severity: 'warning',
    first: 'listener :443 rule 30 (host img.example.com) now answers fixed-response:503',
    evidence: ['actions forward thumbs → fixed-response 503'],
  },
  {
    name: 'a default action moved to another group while probes fail',
    signals: (() => {
      const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
      const c = targetGroup('web-c', ['i-0e:80', 'i-0f:80']);
      const moved = snapshot([listener(80, [forward([c, 1])])], [a, c]);
      const before = snapshot([listener(80, [forward([a, 1])])], [a, c]);
      return signals(moved, before, { probes: probes(5, { status: 404 }) });
    })(),
    cause: 'listener-drift',
    lbFault: true,
    remediable: true,
    severity: 'critical',
    evidence: [
      'default action forward web-a → forward web-c',
      'probe checkout: 5 of 10 failed, last: status 404 not in [200]',
    ],
  },
  {
    name: 'a deliberate reweight that keeps the spread',
    signals: (() => {
      const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
      const b = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
      return signals(snapshot([listener(80, [forward([a, 60], [b, 40])])], [a, b]), good);
    })(),
    cause: 'healthy',
    lbFault: false,
    remediable: false,
    severity: 'info',
    first: 'probes: 10 result(s), none failing',
    evidence: ['weights web-a/web-b 50/50 → 60/40'],
  },
  {
    name: 'every target unhealthy with routing unchanged',
    signals: signals(good, good, {
      health: unhealthy(good, ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80']),
      probes: probes(10, { status: 502 }),
    }),
    cause: 'no-healthy-targets',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first:
      'The load balancer is not the cause: routing matches last known good; every target of web-a, web-b fails its health check',
    evidence: ['web-b: 0 of 2 targets healthy (Target.FailedHealthChecks)'],
  },
  {
    name: 'every target unhealthy after a health check change',
    signals: (() => {
      const changed = {
        ...good,
        targetGroups: good.targetGroups.map((g) => ({
          ...g,
          healthCheck: { ...g.healthCheck, path: '/healthz' },
        })),
      };
      return signals(changed, good, {
        health: unhealthy(changed, ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80']),
        probes: probes(10, { status: 502 }),
      });
    })(),
    cause: 'no-healthy-targets',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first:
      'Health check settings changed since last known good (target group web-a: healthCheck.path "/health" → "/healthz")',
    evidence: [],
    absent: ['The load balancer is not the cause'],
  },
  {
    name: 'one target failing health checks behind balanced routing',
    signals: signals(good, good, {
      health: unhealthy(good, ['i-0d:80']),
      probes: probes(2, { status: 502 }),
    }),
    cause: 'targets-unhealthy-balanced',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first:
      'The load balancer is not the cause: routing matches last known good and spreads traffic over 3 healthy targets.',
    evidence: ['web-b: 1 of 2 targets healthy (Target.FailedHealthChecks)', 'probe checkout: 2 of 10 failed'],
  },
  {
    name: 'a bad health check leaving a single survivor without minimum-healthy protection',
    signals: signals(shop, shop, {
      // Only web reports health; the other groups have no records yet.
      health: unhealthy(shop, ['i-0a:8080', 'i-0b:8080']).filter((h) => h.targetGroupArn === tgArn('web')),
    }),
    cause: 'targets-unhealthy-balanced',
    lbFault: false,
    remediable: false,
    severity: 'warning',
    evidence: [
      'web: 1 of 3 targets healthy (Target.FailedHealthChecks)',
      'web: a single healthy target takes all of its traffic, and no minimum-healthy-targets requirement',
    ],
  },
  {
    name: 'a balanced site whose backends answer 500 (the database)',
    signals: signals(good, good, {
      probes: probes(6, { status: 500 }),
      metrics: metrics({ target5xx: 180 }),
      lastChange: {
        eventName: 'RegisterTargets',
        principal: 'role asg',
        at: '2025-02-25T13:40:00Z',
        resources: [],
      },
    }),
    cause: 'backend-errors-balanced',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first:
      'The load balancer is not the cause: routing matches last known good and spreads traffic over 4 healthy targets.',
    evidence: [
      'probe checkout: 6 of 10 failed, last: status 500 not in [200]',
      'ELB 503: 0 in window; target 5xx: 180 (5xx rate 18% of 1000 requests, 14:00:00–14:05:00)',
      'RegisterTargets by role asg at 13:40:00Z',
    ],
  },
  {
    name: 'backend 5xx above the error rate with no probe failing',
    signals: signals(good, good, { metrics: metrics({ target5xx: 60, elb5xx: 7, elb503: 0 }) }),
    cause: 'backend-errors-balanced',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    evidence: ['ELB 503: 0 in window; ELB 5xx: 7; target 5xx: 60'],
  },
  {
    name: 'probes timing out with nothing else wrong',
    signals: signals(good, good, { probes: probes(10, { error: 'timeout after 5000 ms' }) }),
    cause: 'unknown',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first: 'probe checkout: 10 of 10 failed, last: timeout after 5000 ms',
    evidence: ['No explanation found'],
  },
  {
    name: 'the outage state on a first run with no last known good',
    signals: signals(outage, undefined, { probes: probes(7) }),
    cause: 'unknown',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    evidence: [
      'No last known good snapshot yet: configuration skew and drift cannot be compared (first run)',
    ],
  },
  {
    name: 'an empty routed group on a first run',
    signals: signals(webBEmptied(), undefined),
    cause: 'missing-targets',
    lbFault: true,
    remediable: false,
    severity: 'critical',
    first:
      'listener :80 default action forwards 50% to web-b; web-b has no registered targets, so ALB answers 503',
    evidence: ['No last known good snapshot yet'],
  },
  {
    name: 'backend errors on a first run',
    signals: signals(good, undefined, { probes: probes(5, { status: 500 }) }),
    cause: 'backend-errors-balanced',
    lbFault: false,
    remediable: false,
    severity: 'critical',
    first:
      'The load balancer is not the cause: routing has no configuration fault lbguard can see (no last known good to compare with yet) and spreads traffic over 4 healthy targets.',
    evidence: [],
  },
  {
    name: 'CloudWatch showing one group taking 95% of a 50/50 forward',
    signals: signals(good, good, {
      metrics: metrics({
        requestCountByTargetGroup: {
          [tgArn('web-a').slice(tgArn('web-a').indexOf('targetgroup/'))]: 950,
          [tgArn('web-b').slice(tgArn('web-b').indexOf('targetgroup/'))]: 50,
        },
      }),
    }),
    cause: 'routing-skew',
    lbFault: true,
    remediable: false,
    severity: 'warning',
    first: 'CloudWatch RequestCount per target group for listener :80 default action:',
    evidence: ['  web-a received 95% of 1,000 requests (expected 50%)'],
  },
  {
    name: 'served-by samples showing one server answering everything',
    signals: signals(good, good, {
      servedBy: { service: 'shop', at: AT, counts: { 'i-0a': 400, 'i-0b': 0, 'i-0c:80': 0 } },
    }),
    cause: 'routing-skew',
    lbFault: true,
    remediable: false,
    severity: 'warning',
    first: 'served-by sample for listener :80 default action:',
    evidence: [],
  },
  {
    name: 'balanced per-group counts and served-by samples',
    signals: signals(good, good, {
      metrics: metrics({ requestCountByTargetGroup: { [tgArn('web-a')]: 505, 'web-b': 495 } }),
      servedBy: {
        service: 'shop',
        at: AT,
        counts: { 'i-0a:80': 100, 'i-0a': 1, 'i-0b:80': 99, 'i-0c:80': 100, 'i-0d:80': 100 },
      },
    }),
    cause: 'healthy',
    lbFault: false,
    remediable: false,
    severity: 'info',
    first: 'probes: 10 result(s), none failing',
    evidence: [],
  },
  {
    name: 'a forward to a target group that no longer exists',
    signals: signals(snapshot([listener(80, [forward([tgArn('ghost'), 1])])], []), undefined),
    cause: 'missing-targets',
    lbFault: true,
    remediable: false,
    severity: 'critical',
    first:
      'listener :80 default action forwards 100% to ghost; ghost has no registered targets, so ALB answers 503',
    evidence: [],
  },
  {
    name: 'per-group counts of groups that several routes share are not tested',
    signals: signals(shop, shop, {
      metrics: metrics({ requestCountByTargetGroup: { [tgArn('web')]: 1000, [tgArn('checkout')]: 0 } }),
    }),
    cause: 'healthy',
    lbFault: false,
    remediable: false,
    severity: 'info',
    evidence: [],
  },
  {
    name: 'served-by samples of the checkout rule all from one IP target',
    signals: signals(shop, shop, {
      servedBy: { service: 'shop', at: AT, counts: { '10.0.1.17:31337': 500 } },
    }),
    cause: 'routing-skew',
    lbFault: true,
    remediable: false,
    severity: 'warning',
    first: 'served-by sample for listener :443 rule 10 (host shop.example.com and path /checkout/*):',
    evidence: [],
  },
  {
    name: 'served-by values that name no target are not tested',
    signals: signals(good, good, {
      servedBy: { service: 'shop', at: AT, counts: { 'web-1.internal': 900 } },
    }),
    cause: 'healthy',
    lbFault: false,
    remediable: false,
    severity: 'info',
    evidence: [],
  },
];

describe('diagnose', () => {
  it.each(cases)('classifies $name as $cause', (c) => {
    const d = diagnose(c.signals, thresholds);
    expect({ cause: d.cause, lbFault: d.lbFault, remediable: d.remediable, severity: d.severity }).toEqual({
      cause: c.cause,
      lbFault: c.lbFault,
      remediable: c.remediable,
      severity: c.severity,
    });
    if (c.first !== undefined) expect(d.evidence[0]).toContain(c.first);
    for (const line of c.evidence)
      expect(
        d.evidence.some((e) => e.includes(line)),
        line,
      ).toBe(true);
    for (const line of c.absent ?? [])
      expect(
        d.evidence.some((e) => e.includes(line)),
        line,
      ).toBe(false);
    expect(d.summary.length).toBeGreaterThan(0);
    expect(new Set(d.evidence).size).toBe(d.evidence.length);
  });

  it('names who changed what in the summary of a load balancer fault', () => {
    const d = diagnose(
      signals(outage, good, { lastChange: deploy([outage.listeners[0]?.arn ?? '']) }),
      thresholds,
    );
    expect(d.summary).toBe(
      'Routing skew on listener :80 default action: 1 of 4 targets receive traffic, i-0a:80 takes 100% after ModifyListener by role deploy-pipeline',
    );
  });

  it('shortens ARNs in the change line and keeps what it cannot parse', () => {
    const change: ConfigChange = {
      eventName: 'DeregisterTargets',
      principal: 'user alice',
      at: 'just now',
      resources: [tgArn('web-b'), 'web-b'],
    };
    const d = diagnose(signals(webBEmptied(), good, { lastChange: change }), thresholds);
    expect(d.evidence[0]).toBe(
      `DeregisterTargets by user alice at just nowZ (targetgroup/web-b/${tgArn('web-b').split('/').at(-1)}, web-b)`,
    );
    expect(d.summary).toBe(
      'Missing targets: web-b has 0 registered targets of 2 in last known good after DeregisterTargets by user alice',
    );
  });

  it('carries every drift from last known good for the planner', () => {
    const d = diagnose(signals(outage, good), thresholds);
    expect(d.drift.map((x) => x.kind).sort()).toEqual([
      'targets-deregistered',
      'targets-deregistered',
      'weights-changed',
    ]);
  });

  it('reports the failing step of a multi-step journey', () => {
    const journey: ProbeResult = {
      ...probe(false, 1),
      steps: [
        {
          name: 'home',
          url: 'https://shop.example.com/',
          method: 'GET',
          ok: true,
          status: 200,
          latencyMs: 5,
          failures: [],
        },
        {
          name: 'cart',
          url: 'https://shop.example.com/cart',
          method: 'POST',
          ok: false,
          status: 500,
          latencyMs: 9,
          failures: [],
        },
      ],
    };
    const d = diagnose(signals(good, good, { probes: [journey] }), thresholds);
    expect(d.evidence).toContain('probe checkout: 1 of 1 failed, last: step cart: status 500');
    expect(d.cause).toBe('backend-errors-balanced');
  });

  it('says a probe failed even when no step explains why', () => {
    const bare: ProbeResult = { ...probe(false, 1), steps: [] };
    const d = diagnose(signals(good, good, { probes: [bare] }), thresholds);
    expect(d.evidence[0]).toBe('probe checkout: 1 of 1 failed, last: failed');
  });

  it('writes a step with neither status nor error as status none', () => {
    const silent = probe(false, 1, {});
    const d = diagnose(signals(good, good, { probes: [silent] }), thresholds);
    expect(d.evidence[0]).toBe('probe checkout: 1 of 1 failed, last: status none');
  });

  it('summarises each diagnosis class in one sentence', () => {
    const summaries = cases
      .map((c) => diagnose(c.signals, thresholds))
      .map((d) => [d.cause, d.summary] as const);
    const byCause = new Map(summaries);
    expect(byCause.get('missing-targets')).toMatch(/^Missing targets: /);
    expect(byCause.get('listener-drift')).toMatch(/^Listener drift: /);
    expect(byCause.get('no-healthy-targets')).toMatch(/^No healthy targets in web-a, web-b/);
    expect(byCause.get('targets-unhealthy-balanced')).toMatch(
      /targets failing health checks with balanced routing; not a load balancer fault$/,
    );
    expect(byCause.get('backend-errors-balanced')).toMatch(/not a load balancer fault$/);
    expect(byCause.get('unknown')).toMatch(/^Probes failing/);
    expect(summaries).toContainEqual(['healthy', 'Healthy: probes green and routing as expected']);
    expect(summaries).toContainEqual([
      'routing-skew',
      expect.stringMatching(/^Routing skew: observed traffic/),
    ]);
  });
});

describe('diagnose properties', () => {
  const arbProbes = fc.array(
    fc.tuple(fc.boolean(), fc.constantFrom<number | undefined>(200, 500, 502, 503, undefined)),
    { maxLength: 4 },
  );

  it('only ever calls a load balancer fault remediable, and never without a last known good', () => {
    fc.assert(
      fc.property(
        arbSnapshotWithHealth(),
        arbSnapshotWithHealth(),
        fc.boolean(),
        arbProbes,
        (now, before, hasLastGood, ps) => {
          const d = diagnose(
            {
              at: AT,
              service: 'shop',
              snapshot: now.snapshot,
              ...(hasLastGood ? { lastGood: { hash: 'h', takenAt: AT, snapshot: before.snapshot } } : {}),
              health: now.health,
              probes: ps.map(([ok, status], i) => probe(ok, i, status === undefined ? {} : { status })),
            },
            thresholds,
          );
          if (d.remediable) {
            expect(d.lbFault).toBe(true);
            expect(hasLastGood).toBe(true);
            expect(d.drift.some((x) => x.remediable)).toBe(true);
          }
          const lb =
            d.cause === 'routing-skew' || d.cause === 'missing-targets' || d.cause === 'listener-drift';
          expect(d.lbFault).toBe(lb);
          expect(d.severity === 'info').toBe(d.cause === 'healthy');
          expect(d.evidence.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('never finds a remediable fault when the configuration equals last known good', () => {
    fc.assert(
      fc.property(arbSnapshotWithHealth(), arbProbes, (now, ps) => {
        const d = diagnose(
          {
            at: AT,
            service: 'shop',
            snapshot: now.snapshot,
            lastGood: { hash: 'h', takenAt: AT, snapshot: now.snapshot },
            health: now.health,
            probes: ps.map(([ok, status], i) => probe(ok, i, status === undefined ? {} : { status })),
          },
          thresholds,
        );
        expect(d.remediable).toBe(false);
        expect(d.drift).toEqual([]);
      }),
    );
  });
});
