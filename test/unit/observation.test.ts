import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../../lib/config/index.ts';
import { DEFAULT_HYSTERESIS, type HysteresisSettings } from '../../lib/hysteresis.ts';
import {
  ATTRIBUTE_REREAD_PERIOD_CYCLES,
  attributeRereadPeriod,
  attributeRotation,
  counterIdentities,
  isMetricsTick,
  isoBefore,
  judgeProbes,
  type MetricsFetch,
  probeWindowMs,
  routingSince,
  targetZones,
  wantsMetrics,
} from '../../lib/observation.ts';
import type { ProbeResult, StoredSnapshot, TargetGroup } from '../../lib/types.ts';
import {
  forward,
  listener,
  outageLastGood,
  snapshot,
  target,
  targetGroup,
  tgArn,
} from './fixtures/topologies.ts';

// Some of these functions are also exercised by test/unit/lambdas/inspect*.test.ts (the 3- and
// 11-minute probe windows, the 90 s floor, three metrics ticks around 14:05, the rotation's
// coverage property over sorted unique ARNs). The cases here are the ones those leave out.

const START = Date.parse('2026-11-03T14:00:00.000Z');
const MINUTE = 60_000;

function schedule(overrides: Partial<ScheduleConfig> = {}): ScheduleConfig {
  return {
    probeIntervalSeconds: 10,
    probeLoopSeconds: 50,
    inspectRateMinutes: 1,
    metricsPeriodSeconds: 300,
    ...overrides,
  };
}

describe('probeWindowMs', () => {
  const arbSchedule: fc.Arbitrary<ScheduleConfig> = fc
    .record({
      probeIntervalSeconds: fc.integer({ min: 5, max: 59 }),
      extra: fc.integer({ min: 0, max: 54 }),
    })
    .map(({ probeIntervalSeconds, extra }) =>
      schedule({ probeIntervalSeconds, probeLoopSeconds: Math.min(59, probeIntervalSeconds + extra) }),
    );
  const arbSettings: fc.Arbitrary<HysteresisSettings> = fc.record({
    consecutiveFailures: fc.integer({ min: 1, max: 100 }),
    failuresInWindow: fc.integer({ min: 1, max: 100 }),
    windowSize: fc.integer({ min: 1, max: 100 }),
    consecutiveSuccesses: fc.integer({ min: 1, max: 100 }),
    maxChangesPerHour: fc.integer({ min: 2, max: 60 }),
  });
  const COUNTS = ['consecutiveFailures', 'windowSize', 'consecutiveSuccesses'] as const;

  it('never reads less than 90 s and always whole minutes beyond it, for any valid schedule', () => {
    fc.assert(
      fc.property(arbSchedule, arbSettings, (s, h) => {
        const ms = probeWindowMs(s, h);
        expect(ms).toBeGreaterThanOrEqual(90_000);
        if (ms > 90_000) expect(ms % MINUTE).toBe(0);
      }),
    );
  });

  it('with one probe round a minute, holds one minute more than the largest hysteresis count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 59 }), arbSettings, (interval, h) => {
        // 30–59 s between rounds in a loop of at most 59 s: one round per invocation.
        const s = schedule({ probeIntervalSeconds: interval, probeLoopSeconds: 59 });
        const largest = Math.max(h.consecutiveFailures, h.windowSize, h.consecutiveSuccesses);
        expect(probeWindowMs(s, h)).toBe(Math.max(90_000, (largest + 1) * MINUTE));
      }),
    );
  });

  it('grows, never shrinks, as any hysteresis count grows', () => {
    fc.assert(
      fc.property(
        arbSchedule,
        arbSettings,
        fc.constantFrom(...COUNTS),
        fc.integer({ min: 1, max: 50 }),
        (s, h, field, more) => {
          const larger = { ...h, [field]: h[field] + more };
          expect(probeWindowMs(s, larger)).toBeGreaterThanOrEqual(probeWindowMs(s, h));
        },
      ),
    );
  });

  it.each(COUNTS)('lengthens the window for a large %s alone', (field) => {
    const h = { ...DEFAULT_HYSTERESIS, consecutiveFailures: 1, windowSize: 1, consecutiveSuccesses: 1 };
    const s = schedule({ probeIntervalSeconds: 60, probeLoopSeconds: 59 });
    expect(probeWindowMs(s, { ...h, [field]: 20 })).toBe(21 * MINUTE);
  });

  it('ignores failuresInWindow and maxChangesPerHour, which need no more results than windowSize', () => {
    const s = schedule();
    const base = probeWindowMs(s, DEFAULT_HYSTERESIS);
    expect(probeWindowMs(s, { ...DEFAULT_HYSTERESIS, failuresInWindow: 1, maxChangesPerHour: 60 })).toBe(
      base,
    );
  });
});

describe('isoBefore', () => {
  it.each([
    ['2026-11-03T14:00:00.000Z', 90_000, '2026-11-03T13:58:30.000Z'],
    ['2026-11-03T14:00:00.000Z', 0, '2026-11-03T14:00:00.000Z'],
    ['2026-01-01T00:00:00.000Z', 1, '2025-12-31T23:59:59.999Z'],
    ['2026-11-03T14:00:00.000Z', 60 * MINUTE, '2026-11-03T13:00:00.000Z'],
  ])('gives the instant before %s by %i ms as %s', (at, ms, expected) => {
    expect(isoBefore(new Date(at), ms)).toBe(expected);
  });

  it('gives ISO strings that sort as the instants do, as the state store windows need', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), fc.nat(86_400_000), (a, b) => {
        const at = new Date(START);
        const [nearer, further] = [isoBefore(at, Math.min(a, b)), isoBefore(at, Math.max(a, b))];
        expect(further <= nearer).toBe(true);
      }),
    );
  });
});

describe('attributeRotation', () => {
  const arns = (n: number) => Array.from({ length: n }, (_, i) => tgArn(`g-${String(i).padStart(3, '0')}`));

  it('re-reads each group exactly once in any period of consecutive cycles, whatever the order or duplicates of the ARNs, before 1970 too', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        fc.nat(),
        fc.func(fc.integer()),
        (n, perCycle, rateMinutes, firstCycle, repeats, order) => {
          const sorted = arns(n);
          // Shuffled and with duplicates, as ARNs gathered from several listeners arrive.
          const given = [...sorted, ...sorted.slice(0, repeats % (n + 1))]
            .map((arn, i) => ({ arn, key: order(i) }))
            .toSorted((a, b) => a.key - b.key)
            .map(({ arn }) => arn);
          const cycles = attributeRereadPeriod(n, perCycle);
          const read: string[] = [];
          for (let c = 0; c < cycles; c++) {
            const at = new Date((firstCycle + c) * rateMinutes * MINUTE + 1);
            const slice = attributeRotation(given, at, rateMinutes, perCycle);
            expect(slice.length).toBeLessThanOrEqual(perCycle);
            expect(slice).toEqual(slice.toSorted());
            read.push(...slice);
          }
          expect(read.toSorted()).toEqual(sorted);
        },
      ),
    );
  });

  it('reads the same slice at any moment within one cycle', () => {
    const groups = arns(12);
    const cycleStart = 1_000 * 5 * MINUTE;
    const first = attributeRotation(groups, new Date(cycleStart), 5, 4);
    expect(attributeRotation(groups, new Date(cycleStart + 5 * MINUTE - 1), 5, 4)).toEqual(first);
    expect(attributeRotation(groups, new Date(cycleStart + 5 * MINUTE), 5, 4)).not.toEqual(first);
  });

  it('reads a small fleet over the period, once per group and sorted, whatever the order given', () => {
    const [a, b, c] = arns(3);
    const read = Array.from({ length: ATTRIBUTE_REREAD_PERIOD_CYCLES }, (_, i) =>
      attributeRotation([c ?? '', a ?? '', c ?? '', b ?? ''], new Date(START + i * MINUTE), 1),
    ).flat();
    expect(read.toSorted()).toEqual(arns(3));
  });

  it('reads nothing for a load balancer with no target groups', () => {
    expect(attributeRotation([], new Date(START), 1)).toEqual([]);
  });
});

describe('routingSince', () => {
  const stored = (hash: string): StoredSnapshot => ({
    hash,
    takenAt: '2026-11-03T13:00:00.000Z',
    snapshot: outageLastGood(),
  });
  const at = new Date(START);

  it.each([
    {
      name: 'when the live routing was stored earlier',
      latest: stored('abc'),
      since: '2026-11-03T13:00:00.000Z',
    },
    { name: 'when the live routing is new', latest: stored('old'), since: '2026-11-03T14:00:00.000Z' },
    { name: 'when nothing was ever stored', latest: undefined, since: '2026-11-03T14:00:00.000Z' },
  ])('counts evidence from the right moment $name', ({ latest, since }) => {
    expect(routingSince(latest, 'abc', at)).toBe(since);
  });
});

/** `'..xx.'` → one result a minute for `probe`: `.` passed, `x` failed (with a failure line). */
function results(pattern: string, probe = 'home', from = START): ProbeResult[] {
  return [...pattern].map((c, i) => {
    const ok = c === '.';
    return {
      service: 'shop',
      probe,
      at: new Date(from + i * MINUTE).toISOString(),
      ok,
      totalMs: 10,
      steps: [
        {
          name: 'get',
          url: 'https://shop.example.com/',
          method: 'GET',
          ok,
          status: ok ? 200 : 503,
          latencyMs: 10,
          failures: ok ? [] : ['status 503 not in [200]'],
        },
      ],
    };
  });
}

describe('judgeProbes', () => {
  const cases: readonly { name: string; pattern: string; kept: string }[] = [
    { name: 'drops a single blip from a probe still passing', pattern: '..x..', kept: '....' },
    { name: 'drops two failures in a row, short of the rule', pattern: '.xx.', kept: '..' },
    { name: 'keeps every result of a probe declared failing', pattern: '..xxx', kept: '..xxx' },
    {
      name: 'keeps the failures of a probe declared failing on 5 of the last 10',
      pattern: 'x.x.xx.x',
      kept: 'x.x.xx.x',
    },
    {
      name: 'drops the failures of a probe that recovered within the window',
      pattern: 'xxx...',
      kept: '...',
    },
    {
      name: 'keeps every result of a probe that is flapping',
      pattern: 'xxx...'.repeat(8),
      kept: 'xxx...'.repeat(8),
    },
    { name: 'keeps an all-green window whole', pattern: '.....', kept: '.....' },
  ];

  it.each(cases)('$name ($pattern)', ({ pattern, kept }) => {
    const judged = judgeProbes(results(pattern), DEFAULT_HYSTERESIS);
    expect(judged.map((r) => (r.ok ? '.' : 'x')).join('')).toBe(kept);
  });

  it('hands over a failing probe with its step failures, as diagnosis reads them', () => {
    const judged = judgeProbes(results('xxx'), DEFAULT_HYSTERESIS);
    expect(judged.flatMap((r) => r.steps.flatMap((s) => s.failures))).toEqual([
      'status 503 not in [200]',
      'status 503 not in [200]',
      'status 503 not in [200]',
    ]);
  });

  it('judges each probe on its own results', () => {
    const judged = judgeProbes(
      [...results('..x..', 'home'), ...results('..xxx', 'checkout')],
      DEFAULT_HYSTERESIS,
    );
    expect(judged.filter((r) => !r.ok).map((r) => r.probe)).toEqual(['checkout', 'checkout', 'checkout']);
  });

  it('applies the tuned rule: one failure is enough when consecutiveFailures is 1', () => {
    const judged = judgeProbes(results('..x..'), { ...DEFAULT_HYSTERESIS, consecutiveFailures: 1 });
    expect(judged).toHaveLength(5);
  });

  it('keeps a success stored twice at one instant, and still drops the blip before it', () => {
    const [first, blip, after] = results('.x.');
    const twice = [after, first, blip, after].flatMap((r) => (r === undefined ? [] : [r]));
    const judged = judgeProbes(twice, DEFAULT_HYSTERESIS);
    expect(judged.map((r) => (r.ok ? '.' : 'x')).join('')).toBe('...');
  });

  it('keeps every success, drops only failures, and gives the same verdict whatever order results arrive in', () => {
    const arbPattern = fc.stringMatching(/^[.x]{0,14}$/);
    fc.assert(
      fc.property(fc.tuple(arbPattern, arbPattern, arbPattern), fc.func(fc.integer()), ([a, b, c], key) => {
        const all = [...results(a, 'home'), ...results(b, 'cart'), ...results(c, 'search')];
        const shuffled = all
          .map((r, i) => ({ r, k: key(i) }))
          .toSorted((x, y) => x.k - y.k)
          .map(({ r }) => r);
        const judged = judgeProbes(all, DEFAULT_HYSTERESIS);
        const id = (r: ProbeResult) => `${r.probe}@${r.at}`;
        expect(judged.filter((r) => r.ok)).toEqual(all.filter((r) => r.ok));
        expect(judgeProbes(shuffled, DEFAULT_HYSTERESIS).map(id).toSorted()).toEqual(
          judged.map(id).toSorted(),
        );
      }),
    );
  });
});

describe('isMetricsTick', () => {
  const arbTiming = fc
    .record({
      rateMinutes: fc.integer({ min: 1, max: 60 }),
      periodMinutes: fc.integer({ min: 1, max: 60 }),
      start: fc.integer({ min: 0, max: 4_000_000_000_000 }),
      inspections: fc.integer({ min: 1, max: 200 }),
    })
    .filter(({ rateMinutes, periodMinutes }) => periodMinutes >= rateMinutes);

  it('ticks exactly once per metrics period, on the first inspection after each boundary', () => {
    fc.assert(
      fc.property(arbTiming, ({ rateMinutes, periodMinutes, start, inspections }) => {
        const s = schedule({ inspectRateMinutes: rateMinutes, metricsPeriodSeconds: periodMinutes * 60 });
        const rate = rateMinutes * MINUTE;
        const period = periodMinutes * MINUTE;
        const times = Array.from({ length: inspections }, (_, i) => start + i * rate);
        const ticks = times.filter((t) => isMetricsTick(new Date(t), s));
        // Each period boundary in (first − rate, last] belongs to exactly one inspection interval.
        const last = times.at(-1) ?? start;
        const boundaries = Math.floor(last / period) - Math.floor((start - rate) / period);
        expect(ticks).toHaveLength(boundaries);
        for (const t of ticks) {
          const boundary = Math.floor(t / period) * period;
          expect(t - boundary).toBeLessThan(rate);
        }
      }),
    );
  });

  it('reads metrics on every inspection when inspections are further apart than the period', () => {
    const s = schedule({ inspectRateMinutes: 10, metricsPeriodSeconds: 60 });
    for (let i = 0; i < 6; i++)
      expect(isMetricsTick(new Date(START + 7_000 + i * 10 * MINUTE), s)).toBe(true);
  });
});

describe('wantsMetrics', () => {
  const OFF_TICK = new Date('2026-11-03T14:06:00.000Z');
  const ON_TICK = new Date('2026-11-03T14:05:00.000Z');
  const green = results('..');
  const failing = results('.x');

  const cases: readonly {
    fetch: MetricsFetch;
    probes: readonly ProbeResult[];
    at: Date;
    tick: string;
    probesSay: string;
    wanted: boolean;
  }[] = [
    { fetch: 'always', probes: green, at: OFF_TICK, tick: 'off', probesSay: 'green', wanted: true },
    { fetch: 'always', probes: [], at: OFF_TICK, tick: 'off', probesSay: 'nothing', wanted: true },
    { fetch: 'never', probes: failing, at: ON_TICK, tick: 'on', probesSay: 'a failure', wanted: false },
    { fetch: 'never', probes: green, at: ON_TICK, tick: 'on', probesSay: 'green', wanted: false },
    {
      fetch: 'on-schedule-or-suspicion',
      probes: green,
      at: ON_TICK,
      tick: 'on',
      probesSay: 'green',
      wanted: true,
    },
    {
      fetch: 'on-schedule-or-suspicion',
      probes: [],
      at: ON_TICK,
      tick: 'on',
      probesSay: 'nothing',
      wanted: true,
    },
    {
      fetch: 'on-schedule-or-suspicion',
      probes: green,
      at: OFF_TICK,
      tick: 'off',
      probesSay: 'green',
      wanted: false,
    },
    {
      fetch: 'on-schedule-or-suspicion',
      probes: [],
      at: OFF_TICK,
      tick: 'off',
      probesSay: 'nothing',
      wanted: false,
    },
    {
      fetch: 'on-schedule-or-suspicion',
      probes: failing,
      at: OFF_TICK,
      tick: 'off',
      probesSay: 'a failure',
      wanted: true,
    },
    { fetch: 'on-suspicion', probes: green, at: ON_TICK, tick: 'on', probesSay: 'green', wanted: false },
    { fetch: 'on-suspicion', probes: [], at: ON_TICK, tick: 'on', probesSay: 'nothing', wanted: false },
    { fetch: 'on-suspicion', probes: failing, at: ON_TICK, tick: 'on', probesSay: 'a failure', wanted: true },
    {
      fetch: 'on-suspicion',
      probes: failing,
      at: OFF_TICK,
      tick: 'off',
      probesSay: 'a failure',
      wanted: true,
    },
  ];

  it.each(cases)(
    'in mode $fetch, $tick the tick, with probes saying $probesSay: reads metrics = $wanted',
    ({ fetch, probes, at, wanted }) => {
      expect(wantsMetrics(fetch, probes, at, schedule())).toBe(wanted);
    },
  );
});

describe('counterIdentities', () => {
  const lb = (...groups: readonly TargetGroup[]) =>
    snapshot([listener(80, [forward(...groups.map((g) => [g, 1] as const))])], groups);

  it('asks instance targets by instance id', () => {
    expect(counterIdentities(lb(targetGroup('web', ['i-0b:80', 'i-0a:80'])))).toEqual(['i-0a', 'i-0b']);
  });

  it('asks IP targets by ip:port, taking the group port when a target has none', () => {
    const api = targetGroup('api', [], { targetType: 'ip', port: 8443 });
    const withTargets = { ...api, targets: [target('10.0.1.17:31337'), target('10.0.2.9')] };
    expect(counterIdentities(lb(withTargets))).toEqual(['10.0.1.17:31337', '10.0.2.9:8443']);
  });

  it('asks an IP target with no port anywhere by its bare address', () => {
    const { port: _port, ...portless } = targetGroup('api', ['10.0.2.9'], { targetType: 'ip' });
    expect(counterIdentities(lb(portless))).toEqual(['10.0.2.9']);
  });

  it('asks an instance on several ports by id:port for each, and by its bare id', () => {
    const web = targetGroup('web', ['i-0a:8080', 'i-0a:8081', 'i-0b:8080']);
    expect(counterIdentities(lb(web))).toEqual(['i-0a', 'i-0a:8080', 'i-0a:8081', 'i-0b']);
  });

  it('counts the ports of an instance across target groups', () => {
    const blue = targetGroup('blue', ['i-0a:80']);
    const green = targetGroup('green', ['i-0a:81']);
    expect(counterIdentities(lb(blue, green))).toEqual(['i-0a', 'i-0a:80', 'i-0a:81']);
  });

  it('asks an IP on several ports by ip:port only', () => {
    const api = targetGroup('api', ['10.0.1.1:80', '10.0.1.1:81'], { targetType: 'ip' });
    expect(counterIdentities(lb(api))).toEqual(['10.0.1.1:80', '10.0.1.1:81']);
  });

  it('asks once for an instance registered in two groups on the same port', () => {
    expect(
      counterIdentities(lb(targetGroup('blue', ['i-0a:80']), targetGroup('green', ['i-0a:80']))),
    ).toEqual(['i-0a']);
  });

  it('asks a lambda target by its function ARN', () => {
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:thumbs';
    expect(counterIdentities(lb(targetGroup('thumbs', [fn], { targetType: 'lambda' })))).toEqual([fn]);
  });

  it('asks nothing of a load balancer without targets', () => {
    expect(counterIdentities(lb(targetGroup('empty', [])))).toEqual([]);
  });
});

describe('targetZones', () => {
  it('lists each zone once, sorted, skipping targets whose zone is not known', () => {
    const web = targetGroup('web', []);
    const api = targetGroup('api', [], { targetType: 'ip' });
    const snap = snapshot(
      [],
      [
        {
          ...web,
          targets: [
            { id: 'i-0a', port: 80, availabilityZone: 'eu-west-1c' },
            { id: 'i-0b', port: 80, availabilityZone: 'eu-west-1a' },
            { id: 'i-0c', port: 80 },
          ],
        },
        {
          ...api,
          targets: [
            { id: '10.0.1.1', port: 80, availabilityZone: 'eu-west-1a' },
            { id: '10.0.2.1', port: 80, availabilityZone: 'eu-west-1b' },
          ],
        },
      ],
    );
    expect(targetZones(snap)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('lists no zone when no target says where it is', () => {
    expect(targetZones(outageLastGood())).toEqual([]);
  });
});
