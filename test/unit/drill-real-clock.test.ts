import { describe, expect, it } from 'vitest';
import { drill, parseDrillArgs } from '../../drill/main.ts';
import { DrillClock, REAL_TIME } from '../../drill/world/clock.ts';

// `lbguard drill --real-clock`: the honest clock and the flag that asks for it.

describe('the real clock', () => {
  it('is one AWS second per drill second: a schedule minute is a wall-clock minute', () => {
    let now = 1_000_000;
    const clock = new DrillClock({ ...REAL_TIME, awsStart: '2026-12-04T12:00:00Z', now: () => now });
    expect(clock.realTime).toBe(true);
    expect(clock.awsMinuteMs).toBe(60_000);
    expect(clock.drillMs(150_000)).toBe(150_000);
    now += 42_000;
    expect(clock.awsIso()).toBe('2026-12-04T12:00:42.000Z');
    expect(new DrillClock().realTime).toBe(false);
  });

  it('is asked for with --real-clock, beside the other drill flags', () => {
    expect(parseDrillArgs(['--real-clock', '--observe-seconds', '300'])).toMatchObject({
      scenario: 'seed-outage',
      realClock: true,
      observeSeconds: 300,
    });
    expect(parseDrillArgs([])).not.toHaveProperty('realClock');
  });

  it('refuses scenarios whose waits are written in compressed time, naming the one it runs', async () => {
    const outcome = await drill(
      { scenario: 'blue-green-shift', out: 'unused', compareUnguarded: false, realClock: true },
      () => {},
    );
    expect(outcome.exitCode).toBe(2);
    expect(outcome.summary).toMatch(/--real-clock runs seed-outage only \(blue-green-shift/);
  });
});
