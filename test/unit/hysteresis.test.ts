import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advanceProbeHysteresis,
  breachesToConfirm,
  checkHysteresisSettings,
  DEFAULT_HYSTERESIS,
  type DeclaredStatus,
  evaluateHysteresis,
  type HysteresisNotification,
  type HysteresisSettings,
  initialHysteresisState,
  type ProbeOutcome,
  replayHysteresis,
} from '../../lib/hysteresis.ts';

const START = Date.parse('2026-11-03T14:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `'..xx.'` → outcomes one minute apart: `.` ok, `x` failed. */
function outcomes(pattern: string, stepMs = MINUTE, from = START): ProbeOutcome[] {
  return [...pattern].map((c, i) => ({ at: new Date(from + i * stepMs).toISOString(), ok: c === '.' }));
}

function kinds(notifications: readonly HysteresisNotification[]): string[] {
  return notifications.map((n) => n.kind);
}

describe('evaluateHysteresis: failing and recovering', () => {
  const cases: readonly { name: string; pattern: string; expected: string[]; status: string }[] = [
    { name: 'one blip does not page', pattern: '..x..', expected: [], status: 'passing' },
    { name: 'two in a row do not page', pattern: '.xx..', expected: [], status: 'passing' },
    { name: 'three in a row declare failing', pattern: '..xxx', expected: ['failing'], status: 'failing' },
    {
      name: 'five of the last ten declare failing without three in a row',
      pattern: 'x.x.xx.x',
      expected: ['failing'],
      status: 'failing',
    },
    { name: 'four of ten spread out never do', pattern: 'x..x..x..x..', expected: [], status: 'passing' },
    {
      name: 'failures older than the window are forgotten',
      pattern: 'x.x.x.x.......x',
      expected: [],
      status: 'passing',
    },
    {
      name: 'recovery waits for three successes in a row',
      pattern: 'xxx..',
      expected: ['failing'],
      status: 'failing',
    },
    {
      name: 'a failure resets the recovery count',
      pattern: 'xxx..x..',
      expected: ['failing'],
      status: 'failing',
    },
    {
      name: 'three successes in a row recover',
      pattern: 'xxx...',
      expected: ['failing', 'recovered'],
      status: 'passing',
    },
    {
      name: 'failures before a recovery do not count towards the next failing',
      pattern: 'x.x.xx.x...x',
      expected: ['failing', 'recovered'],
      status: 'passing',
    },
  ];

  it.each(cases)('$name ($pattern)', ({ pattern, expected, status }) => {
    const result = replayHysteresis(outcomes(pattern), DEFAULT_HYSTERESIS);
    expect(kinds(result.notifications)).toEqual(expected);
    expect(result.status).toBe(status);
  });

  it('says which rule was met and when', () => {
    const inARow = replayHysteresis(outcomes('.xxx'), DEFAULT_HYSTERESIS).notifications;
    expect(inARow).toEqual([
      { kind: 'failing', at: '2026-11-03T14:03:00.000Z', reason: '3 failures in a row' },
    ]);
    const window = replayHysteresis(outcomes('x.x.xx.x'), DEFAULT_HYSTERESIS).notifications;
    expect(window[0]).toMatchObject({ reason: '5 of the last 8 results failed' });
    const recovered = replayHysteresis(outcomes('xxx...'), DEFAULT_HYSTERESIS).notifications;
    expect(recovered[1]).toEqual({
      kind: 'recovered',
      at: '2026-11-03T14:05:00.000Z',
      reason: '3 successes in a row',
    });
  });

  it('can start from a probe already known to be failing', () => {
    const result = replayHysteresis(outcomes('...'), DEFAULT_HYSTERESIS, initialHysteresisState('failing'));
    expect(kinds(result.notifications)).toEqual(['recovered']);
  });

  it('honours tuned settings', () => {
    const strict: HysteresisSettings = {
      ...DEFAULT_HYSTERESIS,
      consecutiveFailures: 1,
      consecutiveSuccesses: 5,
    };
    expect(kinds(replayHysteresis(outcomes('x....'), strict).notifications)).toEqual(['failing']);
    expect(kinds(replayHysteresis(outcomes('x.....'), strict).notifications)).toEqual([
      'failing',
      'recovered',
    ]);
  });

  it('ignores an outcome older than the newest one seen, and rejects a time that is not one', () => {
    const { state } = replayHysteresis(outcomes('xx'), DEFAULT_HYSTERESIS);
    const late = evaluateHysteresis(state, { at: '2026-11-03T13:00:00Z', ok: false }, DEFAULT_HYSTERESIS);
    expect(late).toEqual({ state, status: 'passing', notifications: [] });
    expect(() => evaluateHysteresis(state, { at: 'yesterday', ok: false }, DEFAULT_HYSTERESIS)).toThrow(
      'probe result time is not an ISO-8601 timestamp: yesterday',
    );
  });
});

describe('evaluateHysteresis: flapping', () => {
  // Three failures then three successes, over and over: one declared change every 3 minutes.
  const flap = (cycles: number) => 'xxx...'.repeat(cycles);

  it('sends one flapping notification instead of a stream, then stays quiet', () => {
    const result = replayHysteresis(outcomes(flap(8)), DEFAULT_HYSTERESIS);
    expect(kinds(result.notifications)).toEqual([
      'failing',
      'recovered',
      'failing',
      'recovered',
      'failing',
      'flapping',
    ]);
    expect(result.notifications[5]).toMatchObject({ changesInLastHour: 6, status: 'passing' });
    expect(result.status).toBe('flapping');
  });

  it('reports it has settled once an hour has passed and changes have slowed, with the status it settled in', () => {
    const flapping = outcomes(flap(3));
    const after = START + flapping.length * MINUTE;
    const quiet = outcomes('x'.repeat(70), MINUTE, after);
    const result = replayHysteresis([...flapping, ...quiet], DEFAULT_HYSTERESIS);
    expect(kinds(result.notifications)).toEqual([
      'failing',
      'recovered',
      'failing',
      'recovered',
      'failing',
      'flapping',
      'settled',
    ]);
    const settled = result.notifications.at(-1);
    expect(settled).toMatchObject({ kind: 'settled', status: 'failing', flappingSince: flapping[17]?.at });
    expect(Date.parse(settled?.at ?? '') - Date.parse(flapping[17]?.at ?? '')).toBeGreaterThanOrEqual(HOUR);
    expect(result.status).toBe('failing');
  });

  it('stays flapping while changes keep coming, even after an hour', () => {
    const result = replayHysteresis(outcomes(flap(30)), DEFAULT_HYSTERESIS);
    expect(kinds(result.notifications)).toEqual([
      'failing',
      'recovered',
      'failing',
      'recovered',
      'failing',
      'flapping',
    ]);
    expect(result.state.flappingSince).toBeDefined();
  });

  it('ignores a late outcome while flapping and still shows flapping', () => {
    const { state } = replayHysteresis(outcomes(flap(3)), DEFAULT_HYSTERESIS);
    const late = evaluateHysteresis(
      state,
      { at: new Date(START).toISOString(), ok: true },
      DEFAULT_HYSTERESIS,
    );
    expect(late).toEqual({ state, status: 'flapping', notifications: [] });
  });

  it('keeps tracking the declared status underneath while flapping', () => {
    const result = replayHysteresis(outcomes(`${flap(3)}xxx`), DEFAULT_HYSTERESIS);
    expect(result.status).toBe('flapping');
    expect(result.state.status).toBe('failing');
  });
});

describe('checkHysteresisSettings', () => {
  it('accepts the defaults', () => {
    expect(checkHysteresisSettings(DEFAULT_HYSTERESIS)).toEqual([]);
  });

  it.each([
    [{ consecutiveFailures: 0 }, 'consecutiveFailures must be a whole number from 1 to 100'],
    [{ windowSize: 10.5 }, 'windowSize must be a whole number from 1 to 100'],
    [{ maxChangesPerHour: 1 }, 'maxChangesPerHour must be a whole number from 2 to 60'],
    [
      { failuresInWindow: 11 },
      'failuresInWindow must not exceed windowSize (it counts failures among the last windowSize results)',
    ],
  ])('rejects %o', (change, problem) => {
    expect(checkHysteresisSettings({ ...DEFAULT_HYSTERESIS, ...change })).toEqual([problem]);
  });

  it('matches the defaults documented in docs/hysteresis.md', () => {
    const doc = readFileSync('docs/hysteresis.md', 'utf8');
    // Table cells may be padded by the Markdown formatter.
    for (const [field, value] of Object.entries(DEFAULT_HYSTERESIS))
      expect(doc).toMatch(new RegExp(`\\|\\s*\`${field}\`\\s*\\|\\s*${value}\\s*\\|`));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random result sequences
// ---------------------------------------------------------------------------------------------

const arbSettings: fc.Arbitrary<HysteresisSettings> = fc
  .record({
    consecutiveFailures: fc.integer({ min: 1, max: 6 }),
    windowSize: fc.integer({ min: 1, max: 12 }),
    failuresFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    consecutiveSuccesses: fc.integer({ min: 1, max: 6 }),
    maxChangesPerHour: fc.integer({ min: 2, max: 10 }),
  })
  .map(({ failuresFraction, ...s }) => ({
    ...s,
    failuresInWindow: Math.max(1, Math.ceil(failuresFraction * s.windowSize)),
  }));

/**
 * Runs of equal results (so that changes happen), separated by gaps that are mostly short (bursts
 * of flapping) and sometimes long (quiet spells that let flapping end and start again).
 */
const arbOutcomes: fc.Arbitrary<ProbeOutcome[]> = fc
  .array(
    fc.record({
      ok: fc.boolean(),
      length: fc.integer({ min: 1, max: 6 }),
      gapSeconds: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 10, max: 120 }) },
        { weight: 1, arbitrary: fc.integer({ min: 600, max: 4200 }) },
      ),
    }),
    { maxLength: 120 },
  )
  .map((runs) => {
    let t = START;
    return runs.flatMap(({ ok, length, gapSeconds }) =>
      Array.from({ length }, () => {
        t += gapSeconds * 1000;
        return { at: new Date(t).toISOString(), ok };
      }),
    );
  });

interface Step {
  readonly outcome: ProbeOutcome;
  readonly before: DeclaredStatus;
  readonly after: DeclaredStatus;
  readonly notifications: readonly HysteresisNotification[];
}

function trace(sequence: readonly ProbeOutcome[], settings: HysteresisSettings): Step[] {
  let state = initialHysteresisState();
  return sequence.map((outcome) => {
    const result = evaluateHysteresis(state, outcome, settings);
    const step = {
      outcome,
      before: state.status,
      after: result.state.status,
      notifications: result.notifications,
    };
    state = result.state;
    return step;
  });
}

describe('hysteresis properties', () => {
  it('never sends more notifications in any hour than the cap', () => {
    fc.assert(
      fc.property(arbOutcomes, arbSettings, (sequence, settings) => {
        const times = trace(sequence, settings).flatMap((s) => s.notifications.map((n) => Date.parse(n.at)));
        for (const end of times) {
          const inHour = times.filter((t) => t > end - HOUR && t <= end).length;
          expect(inHour).toBeLessThanOrEqual(settings.maxChangesPerHour);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never recovers before the required successes in a row', () => {
    fc.assert(
      fc.property(arbOutcomes, arbSettings, (sequence, settings) => {
        trace(sequence, settings).forEach((step, i) => {
          if (step.before === 'failing' && step.after === 'passing') {
            const run = sequence.slice(Math.max(0, i + 1 - settings.consecutiveSuccesses), i + 1);
            expect(run.length).toBe(settings.consecutiveSuccesses);
            expect(run.every((o) => o.ok)).toBe(true);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never declares failing unless N in a row or X of the last Y (since the last change) failed', () => {
    fc.assert(
      fc.property(arbOutcomes, arbSettings, (sequence, settings) => {
        let sinceChange: boolean[] = [];
        trace(sequence, settings).forEach((step, i) => {
          sinceChange.push(step.outcome.ok);
          if (step.before === 'passing' && step.after === 'failing') {
            const lastN = sequence.slice(Math.max(0, i + 1 - settings.consecutiveFailures), i + 1);
            const inARow = lastN.length === settings.consecutiveFailures && lastN.every((o) => !o.ok);
            const window = sinceChange.slice(-settings.windowSize);
            const inWindow = window.filter((ok) => !ok).length >= settings.failuresInWindow;
            expect(step.outcome.ok).toBe(false);
            expect(inARow || inWindow).toBe(true);
          }
          if (step.before !== step.after) sinceChange = [];
        });
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic, and its state survives a JSON round trip (it is stored between runs)', () => {
    fc.assert(
      fc.property(arbOutcomes, arbSettings, (sequence, settings) => {
        const once = replayHysteresis(sequence, settings);
        expect(replayHysteresis(sequence, settings)).toEqual(once);
        let state = initialHysteresisState();
        const notifications: HysteresisNotification[] = [];
        for (const outcome of sequence) {
          const result = evaluateHysteresis(JSON.parse(JSON.stringify(state)), outcome, settings);
          notifications.push(...result.notifications);
          state = result.state;
        }
        expect(notifications).toEqual(once.notifications);
      }),
      { numRuns: 200 },
    );
  });

  it('announces each declared change once, as itself or as flapping, and nothing else while flapping', () => {
    fc.assert(
      fc.property(arbOutcomes, arbSettings, (sequence, settings) => {
        let flapping = false;
        for (const step of trace(sequence, settings)) {
          const announced = kinds(step.notifications);
          if (step.before === step.after) {
            expect(flapping ? [[], ['settled']] : [[]]).toContainEqual(announced);
          } else if (flapping) {
            expect(announced).toEqual([]);
          } else {
            expect([[step.after === 'failing' ? 'failing' : 'recovered'], ['flapping']]).toContainEqual(
              announced,
            );
          }
          if (announced.includes('flapping')) flapping = true;
          if (announced.includes('settled')) flapping = false;
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('advanceProbeHysteresis: stored states, overlapping windows', () => {
  const results = (probe: string, pattern: string, from = START) =>
    outcomes(pattern, MINUTE, from).map((o) => ({ probe, ...o }));

  it('raises each notification once however often an overlapping window is re-read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 20 }),
        (oks, window, step) => {
          const all = oks.map((ok, i) => ({
            probe: 'home',
            at: new Date(START + i * MINUTE).toISOString(),
            ok,
          }));
          const once = replayHysteresis(all, DEFAULT_HYSTERESIS);
          // Inspect re-reads the last `window` results every `step` results.
          let states = {};
          const sent: string[] = [];
          for (let end = step; end < all.length + step; end += step) {
            const seen = all.slice(Math.max(0, end - window), Math.min(end, all.length));
            const last = seen.at(-1)?.at ?? new Date(START).toISOString();
            const advanced = advanceProbeHysteresis(states, seen, DEFAULT_HYSTERESIS, last);
            states = advanced.states;
            sent.push(...advanced.notifications.map((n) => `${n.notification.kind}@${n.notification.at}`));
          }
          // A window shorter than the step loses results in between, never duplicates one.
          expect(new Set(sent).size).toBe(sent.length);
          if (window >= step) {
            expect(sent).toEqual(once.notifications.map((n) => `${n.kind}@${n.at}`));
          }
        },
      ),
    );
  });

  it('keeps probes apart and says when nothing changed', () => {
    const first = advanceProbeHysteresis(
      {},
      [...results('home', 'xxx'), ...results('checkout', '...')],
      DEFAULT_HYSTERESIS,
      new Date(START + 3 * MINUTE).toISOString(),
    );
    expect(first.notifications.map((n) => [n.probe, n.notification.kind])).toEqual([['home', 'failing']]);
    expect(first.states.checkout?.status).toBe('passing');
    const again = advanceProbeHysteresis(
      first.states,
      results('home', 'xxx'),
      DEFAULT_HYSTERESIS,
      new Date(START + 3 * MINUTE).toISOString(),
    );
    expect(again.changed).toBe(false);
    expect(again.notifications).toEqual([]);
  });

  it('forgets a probe not heard from for a day', () => {
    const first = advanceProbeHysteresis(
      {},
      results('gone', '..'),
      DEFAULT_HYSTERESIS,
      new Date(START).toISOString(),
    );
    const later = advanceProbeHysteresis(
      first.states,
      results('home', '.', START + 25 * HOUR),
      DEFAULT_HYSTERESIS,
      new Date(START + 25 * HOUR).toISOString(),
    );
    expect(Object.keys(later.states)).toEqual(['home']);
  });
});

describe('breachesToConfirm: configuration evidence skips the hysteresis, noisy signals keep it', () => {
  it.each([
    {
      what: 'a decisive load-balancer fault',
      decisive: 'reaches 1 of the 4 targets',
      lbFault: true,
      n: 3,
      want: 1,
    },
    { what: 'a load-balancer fault that is not decisive', decisive: undefined, lbFault: true, n: 3, want: 3 },
    { what: 'a cause outside the load balancer', decisive: undefined, lbFault: false, n: 2, want: 2 },
    {
      what: 'a cause outside the load balancer claiming decisiveness',
      decisive: 'x',
      lbFault: false,
      n: 2,
      want: 2,
    },
    {
      what: 'a decisive fault where one breach already confirms',
      decisive: 'x',
      lbFault: true,
      n: 1,
      want: 1,
    },
  ])('needs $want breach(es) for $what (consecutiveBreaches $n)', ({ decisive, lbFault, n, want }) => {
    const diagnosis = decisive === undefined ? { lbFault } : { lbFault, decisive };
    expect(breachesToConfirm(diagnosis, n)).toBe(want);
  });
});
