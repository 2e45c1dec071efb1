import { describe, expect, it } from 'vitest';
import { diagnose } from '../../lib/diagnosis.ts';
import type {
  LbSnapshot,
  ProbeResult,
  RootCause,
  Signals,
  TargetHealth,
  Thresholds,
} from '../../lib/types.ts';
import {
  fixedResponse,
  forward,
  healthOf,
  host,
  listener,
  outageCurrent,
  outageLastGood,
  path,
  redirectToHttps,
  rule,
  snapshot,
  targetGroup,
} from './fixtures/topologies.ts';

// Which diagnoses the configuration alone settles (lib/diagnosis/decisive.ts): those are
// confirmed on the first breach; everything else keeps `consecutiveBreaches`.

const thresholds: Thresholds = {
  skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
  errorRate: 0.05,
  consecutiveBreaches: 2,
  soakSeconds: 600,
};
const AT = '2025-02-25T14:05:00.000Z';

function probeRun(ok: boolean, i: number, status = 503): ProbeResult {
  return {
    service: 'shop',
    probe: 'home',
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
        failures: ok ? [] : [`status ${status} not in [200]`],
        status: ok ? 200 : status,
      },
    ],
  };
}

/** Ten probe runs, the last `failed` of them failing. */
const probes = (failed: number): ProbeResult[] =>
  Array.from({ length: 10 }, (_, i) => probeRun(i < 10 - failed, i));

function signals(
  now: LbSnapshot,
  lastGood: LbSnapshot,
  extra: Partial<Omit<Signals, 'snapshot' | 'lastGood'>> = {},
): Signals {
  return {
    at: AT,
    service: 'shop',
    snapshot: now,
    lastGood: { hash: 'h0', takenAt: '2025-02-25T13:00:00.000Z', snapshot: lastGood },
    health: healthOf(now),
    probes: probes(0),
    ...extra,
  };
}

const webA = (targets: string[] = ['i-0a:80', 'i-0b:80']) => targetGroup('web-a', targets);
const webB = (targets = ['i-0c:80', 'i-0d:80']) => targetGroup('web-b', targets);
const good = outageLastGood();

/** Last known good with `web-a` and `web-b` as given, both on the default action at the given weights. */
function weighted(a: number, b: number, groups = { a: webA(), b: webB() }): LbSnapshot {
  return snapshot([listener(80, [forward([groups.a, a], [groups.b, b])])], [groups.a, groups.b]);
}

const FOUR = ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80'];

const canaryOf = (targets: string[]) => targetGroup('canary', targets, { targetType: 'ip', port: 9001 });

/** :443 forwards to web; its /checkout/* rule (priority 10) forwards to `to`: checkout (2 targets) or an empty canary. */
function checkout(to: 'checkout' | 'canary'): LbSnapshot {
  const web = targetGroup('web', ['i-0a:8080', 'i-0b:8080']);
  const group =
    to === 'checkout' ? targetGroup('checkout', ['10.0.1.17:31337', '10.0.2.9:8443']) : canaryOf([]);
  return snapshot(
    [listener(443, [forward([web, 1])], [rule(443, 10, [path('/checkout/*')], [forward([group, 1])])])],
    [web, group],
  );
}

/** One group, `web-a` with `targets`, taking all of listener :80. */
function single(targets: readonly string[]): LbSnapshot {
  const group = webA([...targets]);
  return snapshot([listener(80, [forward([group, 1])])], [group]);
}

interface Case {
  readonly name: string;
  readonly signals: Signals;
  readonly cause: RootCause;
  /** Substring of the decisive reason, or undefined when the diagnosis must not be decisive. */
  readonly decisive?: string;
}

const decisive: readonly Case[] = [
  {
    name: 'the seed outage: 100/0 to web-a with three of four targets deregistered, before any customer fails',
    signals: signals(outageCurrent(), good),
    cause: 'routing-skew',
    decisive: 'listener :80 default action reaches 1 of the 4 targets last known good spread it over',
  },
  {
    name: 'the seed outage with customers already getting 503',
    signals: signals(outageCurrent(), good, { probes: probes(6) }),
    cause: 'routing-skew',
    decisive: 'reaches 1 of the 4 targets',
  },
  {
    name: 'a group emptied while the weights still send it half the traffic',
    signals: signals(weighted(50, 50, { a: webA(), b: webB([]) }), good),
    cause: 'missing-targets',
    decisive: 'target group web-b keeps 0 of its 2 last-known-good targets and still takes traffic',
  },
  {
    name: 'three of four targets deregistered with the weights untouched',
    signals: signals(weighted(50, 50, { a: webA(['i-0a:80']), b: webB([]) }), good),
    cause: 'missing-targets',
    decisive: 'reaches 1 of the 4 targets',
  },
  {
    name: 'the default action replaced by a fixed 503',
    signals: signals(snapshot([listener(80, [fixedResponse('503')])], [webA(), webB()]), good),
    cause: 'listener-drift',
    decisive: 'reaches 0 of the 4 targets',
  },
  {
    name: 'a path rule flipped to an empty canary group',
    signals: signals(checkout('canary'), checkout('checkout')),
    cause: 'missing-targets',
    decisive: 'listener :443 rule 10 reaches 0 of the 2 targets',
  },
  {
    name: 'a group cut from four targets to one while it takes all the traffic',
    signals: signals(single(['i-0a:80']), single(FOUR)),
    cause: 'missing-targets',
    decisive: 'reaches 1 of the 4 targets',
  },
];

/** Blue/green: `blue` served everything in last known good, `green` (as large, healthy) now does. */
function blueGreen(): { now: LbSnapshot; before: LbSnapshot } {
  const blue = targetGroup('blue', ['i-0a:80', 'i-0b:80', 'i-0c:80']);
  const green = targetGroup('green', ['10.0.1.5:8081', '10.0.2.6:8081', '10.0.3.7:8081'], {
    targetType: 'ip',
    port: 8081,
  });
  return {
    before: snapshot([listener(443, [forward([blue, 1], [green, 0])])], [blue, green]),
    now: snapshot([listener(443, [forward([blue, 0], [green, 1])])], [blue, green]),
  };
}

function newRule(): { now: LbSnapshot; before: LbSnapshot } {
  const web = targetGroup('web', ['i-0a:80', 'i-0b:80']);
  const api = targetGroup('api', ['10.0.1.9:9000', '10.0.2.9:9000'], { targetType: 'ip', port: 9000 });
  return {
    before: snapshot([listener(443, [forward([web, 1])])], [web]),
    now: snapshot(
      [listener(443, [forward([web, 1])], [rule(443, 10, [host('api.example.com')], [forward([api, 1])])])],
      [web, api],
    ),
  };
}

const bg = blueGreen();
const added = newRule();

const notDecisive: readonly Case[] = [
  {
    name: 'a blue/green switch to a fully healthy group as large as the old one',
    signals: signals(bg.now, bg.before),
    cause: 'healthy',
  },
  {
    name: 'a blue/green switch after which the old group is scaled away',
    signals: signals(
      snapshot(
        [listener(443, [forward([targetGroup('blue', []), 0], [bg.now.targetGroups[1] ?? webB(), 1])])],
        [targetGroup('blue', []), bg.now.targetGroups[1] ?? webB()],
      ),
      bg.before,
    ),
    cause: 'healthy',
  },
  {
    name: 'a weight change within policy (50/50 → 70/30)',
    signals: signals(weighted(70, 30), good),
    cause: 'healthy',
  },
  { name: 'a new rule to a new healthy group', signals: signals(added.now, added.before), cause: 'healthy' },
  {
    name: 'a scale-in of one target of four',
    signals: signals(single(['i-0a:80', 'i-0b:80', 'i-0c:80']), single(FOUR)),
    cause: 'healthy',
  },
  {
    name: 'half of a group scaled in (a warning with hysteresis, not most of it gone)',
    signals: signals(single(['i-0a:80', 'i-0b:80']), single(FOUR)),
    cause: 'missing-targets',
  },
  {
    name: 'a forward that drops one of two equal groups, all targets registered (half the reach)',
    signals: signals(weighted(100, 0), good),
    cause: 'routing-skew',
  },
  {
    name: 'an emptied canary group that takes a sliver (1 in 1000) of the traffic',
    signals: signals(
      snapshot([listener(80, [forward([webA(), 999], [canaryOf([]), 1])])], [webA(), canaryOf([])]),
      snapshot(
        [listener(80, [forward([webA(), 999], [canaryOf(['10.0.3.4:9001']), 1])])],
        [webA(), canaryOf(['10.0.3.4:9001'])],
      ),
    ),
    cause: 'missing-targets',
  },
  {
    name: 'a route that now redirects, with probes failing',
    signals: signals(snapshot([listener(80, [redirectToHttps()])], [webA(), webB()]), good, {
      probes: probes(6),
    }),
    cause: 'listener-drift',
  },
];

function unhealthy(snap: LbSnapshot, keys: readonly string[]): TargetHealth[] {
  return healthOf(snap).map((h) =>
    keys.includes(`${h.targetId}:${h.port}`)
      ? { ...h, state: 'unhealthy', reason: 'Target.FailedHealthChecks' }
      : h,
  );
}

const noisy: readonly Case[] = [
  {
    name: 'traffic observed on one target while the configuration equals last known good (served-by)',
    signals: signals(good, good, {
      servedBy: { service: 'shop', at: AT, counts: { 'i-0a:80': 500 } },
    }),
    cause: 'routing-skew',
  },
  {
    name: 'health concentrating traffic on one survivor (not the configuration)',
    signals: signals(single(FOUR), single(FOUR), {
      health: unhealthy(single(FOUR), ['i-0b:80', 'i-0c:80', 'i-0d:80']),
    }),
    cause: 'single-survivor',
  },
  {
    name: 'probes failing with routing as last known good',
    signals: signals(good, good, { probes: probes(6) }),
    cause: 'unknown',
  },
];

describe('decisive configuration evidence', () => {
  it.each(decisive)('is decisive for $name', (c) => {
    const d = diagnose(c.signals, thresholds);
    expect(d.cause).toBe(c.cause);
    expect(d.decisive).toContain(c.decisive);
  });

  it.each(notDecisive)('is not decisive for $name', (c) => {
    const d = diagnose(c.signals, thresholds);
    expect(d.cause).toBe(c.cause);
    expect(d.decisive).toBeUndefined();
  });

  it.each(noisy)('leaves noisy signals to hysteresis: $name', (c) => {
    const d = diagnose(c.signals, thresholds);
    expect(d.cause).toBe(c.cause);
    expect(d.decisive).toBeUndefined();
  });

  it('is never decisive without a last known good to compare with', () => {
    const { lastGood: _none, ...first } = signals(outageCurrent(), good, { probes: probes(6) });
    const d = diagnose(first, thresholds);
    expect(d.decisive).toBeUndefined();
  });
});
