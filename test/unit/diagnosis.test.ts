import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../lib/diagnosis.ts';
import type {
  AlbMetrics,
  ConfigChange,
  HealthCheck,
  LbSnapshot,
  ProbeResult,
  RootCause,
  Severity,
  Signals,
  TargetGroup,
  TargetHealth,
  Thresholds,
} from '../../lib/types.ts';
import {
  arbSnapshotWithHealth,
  fixedResponse,
  forward,
  healthOf,
  listener,
  listenerArn,
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
    first:
      'ModifyListener by role deploy-pipeline at 14:02:11Z changed listener :80 default action weights web-a/web-b 50/50 → 100/0',
    evidence: [
      'changed between 13:00:00Z and 14:05:00Z on 2025-02-25 (no CloudTrail event seen): target group web-a: 1 target(s) deregistered',
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
    cause: 'single-survivor',
    lbFault: false,
    remediable: false,
    severity: 'warning',
    first:
      'Traffic is concentrated by health, not by configuration: listener :443 default action sends all of its traffic to i-0c:8080, the only one of the 3 targets of web passing health checks; routing matches last known good',
    evidence: [
      'web: 1 of 3 targets healthy (Target.FailedHealthChecks)',
      'web: 2 of 3 targets out of service: i-0a:8080 Target.FailedHealthChecks, i-0b:8080 Target.FailedHealthChecks',
      'web health check: path /health, interval 30 s, healthy threshold 5, unhealthy threshold 2 (a target is out after 60 s of failed checks and back after 150 s of passing ones)',
      'web has no minimum-healthy-targets guard',
      'lint rule LBG-L7: add target_group_health.unhealthy_state_routing.minimum_healthy_targets.count=2 so ALB fails open instead of piling everything on one target',
      'no per-target counts: CloudWatch counts requests per target group only',
      'Not remediated',
    ],
  },
  {
    name: 'one of three web targets failing while only web reports health',
    signals: signals(shop, shop, {
      health: unhealthy(shop, ['i-0a:8080']).filter((h) => h.targetGroupArn === tgArn('web')),
    }),
    cause: 'targets-unhealthy-balanced',
    lbFault: false,
    remediable: false,
    severity: 'warning',
    evidence: ['web: 2 of 3 targets healthy (Target.FailedHealthChecks)'],
    absent: ['single healthy target'],
  },
  {
    name: 'one of two targets of one group failing while the route still reaches three healthy targets',
    signals: signals(good, good, { health: unhealthy(good, ['i-0d:80']) }),
    cause: 'targets-unhealthy-balanced',
    lbFault: false,
    remediable: false,
    severity: 'warning',
    evidence: [
      'web-b: a single healthy target takes all of its traffic, and no minimum-healthy-targets requirement makes ALB fail open instead (lint rule LBG-L7)',
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
    first:
      'per-target shares from 400 served-by samples for listener :80 default action (95% intervals): i-0a:80 100% [99–100%], i-0b:80 0% [0–1.0%], i-0c:80 0% [0–1.0%], i-0d:80 0% [0–1.0%]:',
    evidence: ['  i-0a:80 received 100% of 400 requests (expected 25%)'],
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
    first:
      'per-target shares from 500 served-by samples for listener :443 rule 10 (host shop.example.com and path /checkout/*) (95% intervals): 10.0.1.17:31337 100% [99–100%]',
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

  it('names the call that deregistered targets, with what it removed, and keeps a time it cannot parse', () => {
    const change: ConfigChange = {
      eventName: 'DeregisterTargets',
      principal: 'user alice',
      at: 'just now',
      resources: [tgArn('web-b'), 'web-b'],
    };
    const d = diagnose(signals(webBEmptied(), good, { lastChange: change }), thresholds);
    expect(d.evidence[0]).toBe(
      'DeregisterTargets by user alice at just now changed target group web-b: 2 target(s) deregistered (i-0c:80, i-0d:80); 0 of 2 last-known-good targets remain',
    );
    expect(d.summary).toBe(
      'Missing targets: web-b has 0 registered targets of 2 in last known good after DeregisterTargets by user alice',
    );
  });

  it('shortens the ARNs of a call that explains no drift and keeps what it cannot parse', () => {
    const change: ConfigChange = {
      eventName: 'AddTags',
      principal: 'user alice',
      sourceIp: '2001:db8::7',
      at: '2025-02-25T14:01:00Z',
      resources: [tgArn('web-a'), 'web-a'],
    };
    const d = diagnose(signals(good, good, { lastChange: change }), thresholds);
    expect(d.evidence).toContain(
      `AddTags by user alice from 2001:db8::7 at 14:01:00Z (targetgroup/web-a/${tgArn('web-a').split('/').at(-1)}, web-a)`,
    );
    expect(d.summary).toBe('Healthy: probes green and routing as expected');
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
          // Only configuration compared with last known good can skip the hysteresis.
          if (d.decisive !== undefined) expect(d.lbFault && hasLastGood).toBe(true);
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
        expect(d.decisive).toBeUndefined();
        expect(d.drift).toEqual([]);
      }),
    );
  });
});

describe('diagnose: change attribution', () => {
  const listenerChange: ConfigChange = {
    eventName: 'ModifyListener',
    principal: 'role deploy-pipeline',
    principalArn: 'arn:aws:sts::123456789012:assumed-role/deploy-pipeline/session',
    sourceIp: '10.0.0.5',
    at: '2025-02-25T14:02:11Z',
    resources: [outage.listeners[0]?.arn ?? ''],
  };
  const deregistration: ConfigChange = {
    eventName: 'DeregisterTargets',
    principal: 'role deploy-pipeline',
    sourceIp: 'codedeploy.amazonaws.com',
    at: '2025-02-25T14:02:13Z',
    resources: [tgArn('web-a'), tgArn('web-b')],
  };

  it('names every call of a deployment with the drift it left, before → after', () => {
    const d = diagnose(signals(outage, good, { changes: [listenerChange, deregistration] }), thresholds);
    expect(d.evidence.slice(0, 2)).toEqual([
      'ModifyListener by role deploy-pipeline from 10.0.0.5 at 14:02:11Z changed listener :80 default action weights web-a/web-b 50/50 → 100/0',
      'DeregisterTargets by role deploy-pipeline via codedeploy.amazonaws.com at 14:02:13Z changed target group web-a: 1 target(s) deregistered (i-0b:80); 1 of 2 last-known-good targets remain; target group web-b: 2 target(s) deregistered (i-0c:80, i-0d:80); 0 of 2 last-known-good targets remain',
    ]);
    expect(d.evidence.some((e) => e.includes('no CloudTrail event seen'))).toBe(false);
    expect(d.summary).toMatch(/after DeregisterTargets by role deploy-pipeline$/);
  });

  it('records the oldest call that explains a drift as the first change, where the outage began', () => {
    const d = diagnose(signals(outage, good, { changes: [deregistration, listenerChange] }), thresholds);
    expect(d.firstChange).toEqual({
      at: '2025-02-25T14:02:11Z',
      eventName: 'ModifyListener',
      principal: 'role deploy-pipeline',
    });
    const unexplained = { ...listenerChange, eventName: 'AddTags', resources: [tgArn('web-c')] };
    const none = diagnose(signals(outage, good, { changes: [unexplained] }), thresholds);
    expect(none.firstChange).toBeUndefined();
  });

  it('counts lastChange once when it is also among the changes', () => {
    const d = diagnose(
      signals(outage, good, { changes: [listenerChange], lastChange: listenerChange }),
      thresholds,
    );
    expect(d.evidence.filter((e) => e.startsWith('ModifyListener by'))).toHaveLength(1);
  });

  it('attributes a rule change to the call naming the rule, not to one naming its listener', () => {
    const https = shop.listeners.find((l) => l.port === 443)?.arn ?? '';
    const rule10 = shop.listeners.flatMap((l) => l.rules).find((r) => r.priority === 10)?.arn ?? '';
    const d = diagnose(
      signals(checkoutFlipped(), shop, {
        previousObservationAt: '2025-02-25T13:59:00.000Z',
        changes: [
          { ...listenerChange, resources: [https] },
          { ...listenerChange, eventName: 'ModifyRule', at: '2025-02-25T14:03:00Z', resources: [rule10] },
        ],
      }),
      thresholds,
    );
    expect(d.evidence[0]).toBe(
      'ModifyRule by role deploy-pipeline from 10.0.0.5 at 14:03:00Z changed listener :443 rule 10 (host shop.example.com and path /checkout/*) weights checkout-canary/checkout/web 1/1/2 → 1/0/0',
    );
    expect(d.evidence.some((e) => e.startsWith('ModifyListener'))).toBe(false);
  });

  it('dates drift no event explains between the last matching observation and now', () => {
    const d = diagnose(
      signals(outage, good, { previousObservationAt: '2025-02-25T14:01:00.000Z', probes: probes(7) }),
      thresholds,
    );
    expect(d.evidence).toContain(
      'changed between 14:01:00Z and 14:05:00Z on 2025-02-25 (no CloudTrail event seen): listener :80 default action weights web-a/web-b 50/50 → 100/0; target group web-a: 1 target(s) deregistered (i-0b:80); 1 of 2 last-known-good targets remain; target group web-b: 2 target(s) deregistered (i-0c:80, i-0d:80); 0 of 2 last-known-good targets remain',
    );
    expect(d.summary).toMatch(
      /; changed between 14:01:00Z and 14:05:00Z on 2025-02-25 \(no CloudTrail event seen\)$/,
    );
  });

  it('falls back to last known good for the start of the window, writing both dates across midnight', () => {
    const d = diagnose(
      {
        ...signals(webBEmptied(), good),
        at: '2025-02-26T00:01:00.000Z',
        lastGood: { hash: 'h0', takenAt: '2025-02-25T23:50:00.000Z', snapshot: good },
      },
      thresholds,
    );
    expect(d.evidence).toContain(
      'changed between 2025-02-25 23:50:00Z and 2025-02-26 00:01:00Z (no CloudTrail event seen): target group web-b: 2 target(s) deregistered (i-0c:80, i-0d:80); 0 of 2 last-known-good targets remain',
    );
  });

  it('keeps times it cannot parse as they are', () => {
    const d = diagnose(signals(webBEmptied(), good, { previousObservationAt: 'earlier' }), thresholds);
    expect(d.evidence.some((e) => e.startsWith(`changed between earlier and ${AT} (no CloudTrail`))).toBe(
      true,
    );
  });

  it('lists at most three changes per line', () => {
    const four = targetGroup('web-c', ['i-1a:80', 'i-1b:80']);
    const five = targetGroup('web-d', ['i-2a:80', 'i-2b:80']);
    const before = snapshot(
      [listener(80, [forward([tgArn('web-a'), 1], [tgArn('web-b'), 1], [four, 1], [five, 1])])],
      [...good.targetGroups, four, five],
    );
    const after = {
      ...before,
      targetGroups: before.targetGroups.map((g) => ({ ...g, targets: g.targets.slice(0, 1) })),
    };
    const d = diagnose(signals(after, before, { probes: probes(3) }), thresholds);
    expect(
      d.evidence.some((e) => e.includes('no CloudTrail event seen') && e.endsWith('; … and 1 more')),
    ).toBe(true);
  });

  it('names the newest call in the summary when the calls explain only benign drift', () => {
    const extra = listener(8080, [forward([tgArn('web-a'), 1])]);
    const now = { ...outage, listeners: [...outage.listeners, extra] };
    const d = diagnose(
      signals(now, good, {
        changes: [{ ...listenerChange, eventName: 'CreateListener', resources: [extra.arn] }],
      }),
      thresholds,
    );
    expect(d.cause).toBe('routing-skew');
    expect(d.summary).toMatch(/after CreateListener by role deploy-pipeline$/);
    expect(d.evidence[0]).toMatch(/^CreateListener by .* changed listener :8080 HTTP added/);
  });

  it('still names the last call on a first run, when nothing can be matched to it', () => {
    const d = diagnose(signals(webBEmptied(), undefined, { lastChange: deregistration }), thresholds);
    expect(d.summary).toMatch(/after DeregisterTargets by role deploy-pipeline$/);
    expect(d.evidence[0]).toMatch(
      /^DeregisterTargets by role deploy-pipeline via codedeploy.amazonaws.com at 14:02:13Z \(targetgroup\/web-a\//,
    );
  });

  it('does not blame a call that explains no drift for a load balancer fault', () => {
    const d = diagnose(
      signals(outage, good, {
        lastChange: { ...listenerChange, eventName: 'AddTags', resources: [listenerArn(8080)] },
      }),
      thresholds,
    );
    expect(d.summary).not.toContain('AddTags');
    expect(d.summary).toContain('no CloudTrail event seen');
    expect(d.evidence).toContain(
      `AddTags by role deploy-pipeline from 10.0.0.5 at 14:02:11Z (listener/app/shop/…/${listenerArn(8080).split('/').at(-1)})`,
    );
  });
});

/** One group of four behind listener :80, as a real fleet; `guard` sets unhealthy-state routing. */
function fleetOfFour(guard?: TargetGroup['unhealthyStateRouting'], healthCheck?: HealthCheck): LbSnapshot {
  const base = targetGroup('web', ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80'], {
    ...(guard === undefined ? {} : { unhealthyStateRouting: guard }),
  });
  const web = healthCheck === undefined ? base : { ...base, healthCheck };
  return snapshot([listener(80, [forward([web, 1])])], [web]);
}

const FOUR = ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80'];

describe('diagnose: the single survivor', () => {
  const fleet = fleetOfFour();

  it('diagnoses three of four targets unhealthy with unchanged routing as single-survivor, not remediable', () => {
    const d = diagnose(
      signals(fleet, fleet, { health: unhealthy(fleet, ['i-0b:80', 'i-0c:80', 'i-0d:80']) }),
      thresholds,
    );
    expect({ cause: d.cause, lbFault: d.lbFault, remediable: d.remediable, severity: d.severity }).toEqual({
      cause: 'single-survivor',
      lbFault: false,
      remediable: false,
      severity: 'warning',
    });
    expect(d.summary).toBe(
      'Single survivor: web sends all its traffic to i-0a:80, 3 of 4 targets out of service (Target.FailedHealthChecks); not a routing fault, not remediated',
    );
    expect(d.drift).toEqual([]);
  });

  it('counts stopped instances as out of service, as a crashed fleet shows up', () => {
    const health = healthOf(fleet, { 'i-0b:80': 'unused', 'i-0c:80': 'unused', 'i-0d:80': 'unused' }).map(
      (h) =>
        h.state === 'unused'
          ? { ...h, reason: 'Target.InvalidState', description: 'Target is in the stopped state' }
          : h,
    );
    const d = diagnose(signals(fleet, fleet, { health }), thresholds);
    expect(d.cause).toBe('single-survivor');
    expect(d.summary).toContain('3 of 4 targets out of service (Target.InvalidState)');
    expect(d.evidence).toContain(
      'web: 3 of 4 targets out of service: i-0b:80 Target.InvalidState (Target is in the stopped state), i-0c:80 Target.InvalidState (Target is in the stopped state), i-0d:80 Target.InvalidState (Target is in the stopped state)',
    );
  });

  it('does not count draining targets as out of service', () => {
    const health = healthOf(fleet, { 'i-0b:80': 'draining', 'i-0c:80': 'draining', 'i-0d:80': 'unused' });
    expect(diagnose(signals(fleet, fleet, { health }), thresholds).cause).toBe('healthy');
  });

  it('is critical when probes fail', () => {
    const d = diagnose(
      signals(fleet, fleet, {
        health: unhealthy(fleet, ['i-0b:80', 'i-0c:80', 'i-0d:80']),
        probes: probes(4, { status: 502 }),
      }),
      thresholds,
    );
    expect([d.cause, d.severity]).toEqual(['single-survivor', 'critical']);
  });

  interface SurvivorCase {
    readonly name: string;
    readonly snap: LbSnapshot;
    readonly failing: readonly string[];
    readonly extra?: Partial<Omit<Signals, 'snapshot' | 'lastGood'>>;
    readonly lastGood?: LbSnapshot | null;
    readonly cause: RootCause;
    readonly evidence: readonly string[];
  }

  const describedCheck: HealthCheck = {
    protocol: 'HTTP',
    port: 'traffic-port',
    path: '/healthz',
    intervalSeconds: 10,
    timeoutSeconds: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 2,
    matcher: '200-299',
  };

  const survivorCases: readonly SurvivorCase[] = [
    {
      name: 'a percentage guard the lone survivor still meets',
      snap: fleetOfFour({ minimumHealthyTargetsPercentage: 20 }),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'single-survivor',
      evidence: [
        'web requires minimum healthy targets 20%, which its one healthy target of 4 still meets, so ALB does not fail open; lint rule LBG-L7',
      ],
    },
    {
      name: 'a count-1 guard, which is no guard',
      snap: fleetOfFour({ minimumHealthyTargetsCount: 1 }),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'single-survivor',
      evidence: ['web requires minimum healthy targets count 1'],
    },
    {
      name: 'a count-2 guard making ALB fail open',
      snap: fleetOfFour({ minimumHealthyTargetsCount: 2 }),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'targets-unhealthy-balanced',
      evidence: ['web: 1 of 4 targets healthy (Target.FailedHealthChecks)'],
    },
    {
      name: 'two of four failing, traffic still on two healthy targets',
      snap: fleet,
      failing: ['i-0c:80', 'i-0d:80'],
      cause: 'targets-unhealthy-balanced',
      evidence: ['spreads traffic over 2 healthy targets'],
    },
    {
      name: 'all four failing, so ALB fails open',
      snap: fleet,
      failing: FOUR,
      cause: 'no-healthy-targets',
      evidence: ['every target of web fails its health check'],
    },
    {
      name: 'every health check setting reported',
      snap: fleetOfFour(undefined, describedCheck),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'single-survivor',
      evidence: [
        'web health check: protocol HTTP, path /healthz, port traffic-port, interval 10 s, timeout 5 s, healthy threshold 3, unhealthy threshold 2, matcher 200-299 (a target is out after 20 s of failed checks and back after 30 s of passing ones)',
      ],
    },
    {
      name: 'no health check setting reported',
      snap: fleetOfFour(undefined, {}),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'single-survivor',
      evidence: ['web health check: settings not reported'],
    },
    {
      name: 'a health check path changed since last known good, by a named call',
      snap: fleetOfFour(undefined, { path: '/ready', intervalSeconds: 30 }),
      lastGood: fleetOfFour(undefined, { path: '/health', intervalSeconds: 30 }),
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      extra: {
        lastChange: {
          eventName: 'ModifyTargetGroup',
          principal: 'user bob',
          sourceIp: '198.51.100.7',
          at: '2025-02-25T14:00:30Z',
          resources: [tgArn('web')],
        },
      },
      cause: 'single-survivor',
      evidence: [
        'Health check settings changed since last known good (target group web: healthCheck.path "/health" → "/ready"); lbguard reports this but does not restore it',
        'ModifyTargetGroup by user bob from 198.51.100.7 at 14:00:30Z changed target group web: healthCheck.path "/health" → "/ready"',
        'web health check: path /ready, interval 30 s',
      ],
    },
    {
      name: 'a survivor on a first run',
      snap: fleet,
      lastGood: null,
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      cause: 'single-survivor',
      evidence: [
        'routing has no configuration fault lbguard can see (no last known good to compare with yet)',
        'No last known good snapshot yet',
      ],
    },
    {
      name: 'a survivor measured by served-by sampling',
      snap: fleet,
      failing: ['i-0b:80', 'i-0c:80', 'i-0d:80'],
      extra: { servedBy: { service: 'shop', at: AT, counts: { 'i-0a': 118, 'i-0b': 2 } } },
      cause: 'single-survivor',
      evidence: [
        'per-target shares from 120 served-by samples for listener :80 default action (95% intervals): i-0a:80 98% [94–100%], i-0b:80 2% [0.5–6%]',
      ],
    },
    {
      name: 'a survivor next to a reweight that keeps the spread',
      snap: (() => {
        const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
        const b = targetGroup('web-b', []);
        return snapshot([listener(80, [forward([a, 1], [b, 0])])], [a, b]);
      })(),
      lastGood: (() => {
        const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
        const b = targetGroup('web-b', []);
        return snapshot([listener(80, [forward([a, 2], [b, 0])])], [a, b]);
      })(),
      failing: ['i-0b:80'],
      cause: 'single-survivor',
      evidence: ['routing spreads traffic as last known good did'],
    },
  ];

  it.each(survivorCases)('diagnoses $name as $cause', (c) => {
    const lastGood = c.lastGood === null ? undefined : (c.lastGood ?? c.snap);
    const d = diagnose(
      signals(c.snap, lastGood, { health: unhealthy(c.snap, [...c.failing]), ...c.extra }),
      thresholds,
    );
    expect(d.cause).toBe(c.cause);
    expect(d.lbFault).toBe(false);
    expect(d.remediable).toBe(false);
    for (const line of c.evidence)
      expect(
        d.evidence.some((e) => e.includes(line)),
        line,
      ).toBe(true);
  });

  it('lists the reasons and descriptions of failing targets, five at most', () => {
    const seven = ['i-00:80', 'i-01:80', 'i-02:80', 'i-03:80', 'i-04:80', 'i-05:80', 'i-06:80'];
    const web = targetGroup('web', seven);
    const snap = snapshot([listener(80, [forward([web, 1])])], [web]);
    const health = healthOf(snap).map((h, i): TargetHealth => {
      if (i === 0) return h;
      const { reason: _drop, ...rest } = { ...h, state: 'unhealthy' as const, reason: '' };
      return i === 1
        ? {
            ...rest,
            reason: 'Target.ResponseCodeMismatch',
            description: 'Health checks failed with these codes: [404]',
          }
        : rest;
    });
    const d = diagnose(signals(snap, snap, { health }), thresholds);
    expect(d.cause).toBe('single-survivor');
    expect(d.evidence).toContain(
      'web: 6 of 7 targets out of service: i-01:80 Target.ResponseCodeMismatch (Health checks failed with these codes: [404]), i-02:80 no reason given, i-03:80 no reason given, i-04:80 no reason given, i-05:80 no reason given, … and 1 more',
    );
  });

  it('reports a survivor once when two listeners route to it', () => {
    const web = targetGroup('web', ['i-0a:80', 'i-0b:80']);
    const snap = snapshot([listener(80, [forward([web, 1])]), listener(443, [forward([web, 1])])], [web]);
    const d = diagnose(signals(snap, snap, { health: unhealthy(snap, ['i-0b:80']) }), thresholds);
    expect(d.cause).toBe('single-survivor');
    expect(d.evidence.filter((e) => e.startsWith('Traffic is concentrated by health'))).toHaveLength(1);
  });

  it('classifies the failing-count of any fleet: N−1 → single-survivor, all → no-healthy-targets, fewer → balanced', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 8 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }), fc.boolean(), fc.boolean())),
        ([n, failing, probesFail, hasLastGood]) => {
          const keys = Array.from({ length: n }, (_, i) => `i-0${i}:8080`);
          const web = targetGroup('web', keys, { port: 8080 });
          const snap = snapshot([listener(443, [forward([web, 1])])], [web]);
          const d = diagnose(
            signals(snap, hasLastGood ? snap : undefined, {
              health: unhealthy(snap, keys.slice(0, failing)),
              probes: probes(probesFail ? 3 : 0, { status: 502 }),
            }),
            thresholds,
          );
          const expected: RootCause =
            failing === n
              ? 'no-healthy-targets'
              : failing === n - 1
                ? 'single-survivor'
                : 'targets-unhealthy-balanced';
          expect(d.cause).toBe(expected);
          expect(d.severity).toBe(probesFail ? 'critical' : 'warning');
        },
      ),
    );
  });

  it('never calls a health-driven or backend class remediable or a load balancer fault', () => {
    const healthClasses: ReadonlySet<RootCause> = new Set([
      'single-survivor',
      'no-healthy-targets',
      'targets-unhealthy-balanced',
      'backend-errors-balanced',
    ]);
    fc.assert(
      fc.property(
        arbSnapshotWithHealth(),
        fc.boolean(),
        fc.constantFrom<number | undefined>(200, 500, 502, undefined),
        (now, sameAsLastGood, status) => {
          const d = diagnose(
            {
              at: AT,
              service: 'shop',
              snapshot: now.snapshot,
              ...(sameAsLastGood ? { lastGood: { hash: 'h', takenAt: AT, snapshot: now.snapshot } } : {}),
              health: now.health,
              probes: [probe(status === 200, 1, status === undefined ? {} : { status })],
            },
            thresholds,
          );
          if (healthClasses.has(d.cause)) {
            expect(d.remediable).toBe(false);
            expect(d.lbFault).toBe(false);
          }
        },
      ),
    );
  });
});

describe('diagnose: per-target sources', () => {
  it('tests instance counters against the route and says they were the source', () => {
    const d = diagnose(
      signals(good, good, { instanceCounts: { 'i-0a': 900, 'i-0b': 40, 'i-0c': 30, 'i-0d': 30 } }),
      thresholds,
    );
    expect(d.cause).toBe('routing-skew');
    expect(d.evidence[0]).toMatch(
      /^per-target shares from 1,000 requests counted by the instances \(EMF InstanceRequests\) for listener :80 default action \(95% intervals\): i-0a:80 90% \[88–92%\]/,
    );
  });

  it('writes a metrics window it cannot parse as it came', () => {
    const d = diagnose(
      signals(good, good, { metrics: metrics({ target5xx: 60, windowStart: 'start', windowEnd: 'end' }) }),
      thresholds,
    );
    expect(d.evidence.some((e) => e.endsWith('of 1000 requests, start–end)'))).toBe(true);
  });

  it('ignores an empty set of instance counters', () => {
    const d = diagnose(signals(good, good, { instanceCounts: {} }), thresholds);
    expect(d.cause).toBe('healthy');
  });

  it('shows per-target shares as evidence when targets are unhealthy behind balanced routing', () => {
    const d = diagnose(
      signals(good, good, {
        health: unhealthy(good, ['i-0d:80']),
        servedBy: { service: 'shop', at: AT, counts: { 'i-0a': 30, 'i-0b': 30, 'i-0c': 60 } },
      }),
      thresholds,
    );
    expect(d.cause).toBe('targets-unhealthy-balanced');
    expect(d.evidence.some((e) => e.startsWith('per-target shares from 120 served-by samples'))).toBe(true);
  });

  it('shows per-target shares as evidence behind backend errors', () => {
    const d = diagnose(
      signals(good, good, {
        probes: probes(5, { status: 500 }),
        servedBy: { service: 'shop', at: AT, counts: { 'i-0a': 30, 'i-0b': 30, 'i-0c': 30, 'i-0d': 30 } },
      }),
      thresholds,
    );
    expect(d.cause).toBe('backend-errors-balanced');
    expect(d.evidence.some((e) => e.startsWith('per-target shares from 120 served-by samples'))).toBe(true);
  });
});
