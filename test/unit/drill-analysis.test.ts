import { describe, expect, it } from 'vitest';
import { baselineAlarm, DEFAULT_BASELINE_ALARM, detectionRatio } from '../../drill/baseline-alarm.ts';
import { DEFAULT_REBALANCE, judgeSpread, rebalancedAt, type SpreadBucket } from '../../drill/rebalance.ts';
import type { ResponseRecord } from '../../drill/world/loadgen.ts';

// The drill's measures on synthetic timelines: when the 5xx alarm most teams rely on would have
// fired, and "rebalanced" as a sustained property of the per-target spread.

const EVEN = new Map([
  ['i-a1', 0.25],
  ['i-a2', 0.25],
  ['i-b1', 0.25],
  ['i-b2', 0.25],
]);
const even = (n = 20): Record<string, number> => ({ 'i-a1': n, 'i-a2': n, 'i-b1': n, 'i-b2': n });
const lone = (n = 80): Record<string, number> => ({ 'i-a1': n });

/** 500 ms buckets from t = 0, one spread per bucket. */
function timeline(
  spreads: readonly Record<string, number>[],
  requests?: (i: number) => number,
): SpreadBucket[] {
  return spreads.map((byTarget, i) => ({
    start: i * 500,
    requests: requests?.(i) ?? Object.values(byTarget).reduce((a, b) => a + b, 0),
    byTarget,
  }));
}
const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);

describe('rebalanced: the first moment after which the spread holds like the baseline', () => {
  it('reads 2 s, not 11.5 s, when one skewed bucket late in the run follows a spread restored at 2 s', () => {
    // The pathological run: skewed until 2 s, spread from there, one 500 ms bucket at 11 s where a
    // restarted server's rejoin (or a reload) put most requests on one target.
    const buckets = timeline([...repeat(lone(), 4), ...repeat(even(), 18), lone(), ...repeat(even(), 8)]);
    expect(rebalancedAt(buckets, EVEN)).toBe(2_000);
  });

  it('ignores buckets with too few responses to say anything: an empty bucket and the cut last one', () => {
    const buckets = timeline(
      [...repeat(lone(), 4), ...repeat(even(), 10), {}, ...repeat(even(), 10), { 'i-a1': 2 }],
      (i) => (i === 14 ? 0 : i === 25 ? 2 : 80),
    );
    expect(judgeSpread(buckets[14] as SpreadBucket, EVEN)).toBe('unknown');
    expect(judgeSpread(buckets[25] as SpreadBucket, EVEN)).toBe('unknown');
    expect(rebalancedAt(buckets, EVEN)).toBe(2_000);
  });

  it('counts a bucket where customers sent requests and no target answered as skewed', () => {
    expect(judgeSpread({ start: 0, requests: 75, byTarget: {} }, EVEN)).toBe('skewed');
    // An outage of failures until 3 s, then the spread is back.
    const buckets = timeline([...repeat({}, 6), ...repeat(even(), 10)], (i) => (i < 6 ? 75 : 80));
    expect(rebalancedAt(buckets, EVEN)).toBe(3_000);
  });

  it('moves to the end of a sustained relapse: skew for longer than the hold counts', () => {
    const buckets = timeline([
      ...repeat(lone(), 4),
      ...repeat(even(), 6),
      ...repeat(lone(), 6), // 3 s of skew from 5 s: a real relapse
      ...repeat(even(), 8),
    ]);
    expect(rebalancedAt(buckets, EVEN)).toBe(8_000);
  });

  it('is undefined when the run ends skewed, or the spread never holds for the hold window', () => {
    expect(rebalancedAt(timeline([...repeat(even(), 6), ...repeat(lone(), 6)]), EVEN)).toBeUndefined();
    const flapping = timeline(Array.from({ length: 20 }, (_, i) => (i % 3 === 2 ? even() : lone())));
    expect(rebalancedAt(flapping, EVEN)).toBeUndefined();
    expect(rebalancedAt(timeline([...repeat(lone(), 6), ...repeat(even(), 3)]), EVEN)).toBeUndefined();
  });

  it('is 0 when the spread never left the baseline, and undefined without a baseline spread', () => {
    expect(rebalancedAt(timeline(repeat(even(), 10)), EVEN)).toBe(0);
    expect(rebalancedAt(timeline(repeat(even(), 10)), new Map())).toBeUndefined();
  });

  it('judges within the tolerance: three targets of four serving is a skew of 0.25', () => {
    const three = { 'i-a1': 27, 'i-a2': 27, 'i-b1': 26 };
    expect(judgeSpread({ start: 0, requests: 80, byTarget: three }, EVEN)).toBe('skewed');
    const noisy = { 'i-a1': 26, 'i-a2': 18, 'i-b1': 20, 'i-b2': 16 };
    expect(judgeSpread({ start: 0, requests: 80, byTarget: noisy }, EVEN)).toBe('balanced');
    expect(DEFAULT_REBALANCE.tolerance).toBe(0.2);
  });
});

/** A run on a clock with `factor` AWS ms per wall ms, started at an AWS minute boundary. */
function run(records: readonly Partial<ResponseRecord>[], faultAt: number, factor = 60) {
  const realStartMs = 1_000_000;
  return {
    clock: { factor, realStartMs, awsStartMs: Date.parse('2026-12-04T12:00:00Z') },
    loadStartedAt: realStartMs,
    faultAt: realStartMs + faultAt,
    records: records.map((r, i) => ({
      t: i,
      at: realStartMs + (r.t ?? 0),
      method: 'GET',
      path: '/',
      latencyMs: 1,
      ...r,
    })) as ResponseRecord[],
  };
}

describe('the baseline 5xx alarm, replayed on the drill’s own requests', () => {
  it('fires at the end of the first one-minute period with a 5xx, aligned to the AWS minute', () => {
    // Compressed clock: one AWS minute is 1 000 wall ms. Fault at 2.3 s; the first 503 at 2.6 s
    // falls in the minute that ends at 3.0 s, so the alarm fires 0.7 s after the fault.
    const r = run(
      [
        { t: 500, status: 200, servedBy: 'i-a1' },
        { t: 2_400, status: 200, servedBy: 'i-a1' },
        { t: 2_600, status: 503 },
        { t: 3_200, status: 500, servedBy: 'i-a1' },
      ],
      2_300,
    );
    const alarm = baselineAlarm(r);
    expect(alarm.firedAt).toBe(700);
    expect(alarm.elb5xx).toBe(1);
    expect(alarm.target5xx).toBe(0);
    expect(alarm.falseAlarmsBeforeFault).toBe(0);
    expect(alarm.spec).toEqual(DEFAULT_BASELINE_ALARM);
  });

  it('on the real clock waits for the minute to end: a 5xx 5 s after a fault at :10 fires at 50 s', () => {
    const r = run(
      [
        { t: 15_000, status: 502 },
        { t: 16_000, error: 'ECONNRESET' },
      ],
      10_000,
      1,
    );
    const alarm = baselineAlarm(r);
    expect(alarm.firedAt).toBe(50_000);
    expect(alarm.elb5xx).toBe(2);
  });

  it('counts target 5xx and unanswered requests, not 4xx, and honours a higher threshold', () => {
    const records = [
      { t: 1_100, status: 404 },
      { t: 1_200, status: 500, servedBy: 'i-b1' },
      { t: 2_100, status: 500, servedBy: 'i-b1' },
      { t: 2_200, error: 'timeout' },
      { t: 2_300, status: 503 },
    ];
    expect(baselineAlarm(run(records, 1_000)).firedAt).toBe(1_000);
    const strict = baselineAlarm(run(records, 1_000), { periodAwsMs: 60_000, threshold: 2 });
    expect(strict.firedAt).toBe(2_000);
    expect(strict).toMatchObject({ elb5xx: 2, target5xx: 1 });
  });

  it('reports pages in healthy traffic before the fault, and never fires on a run without 5xx', () => {
    const noisy = baselineAlarm(
      run(
        [
          { t: 300, status: 500, servedBy: 'i-a1' },
          { t: 4_500, status: 503 },
        ],
        3_000,
      ),
    );
    expect(noisy.falseAlarmsBeforeFault).toBe(1);
    expect(noisy.firedAt).toBe(2_000);
    const quiet = baselineAlarm(run([{ t: 4_500, status: 200, servedBy: 'i-a1' }], 3_000));
    expect(quiet.firedAt).toBeUndefined();
    expect(detectionRatio(900, quiet)).toBe('—');
  });

  it('states lbguard’s detection as a ratio of the alarm’s time', () => {
    const alarm = baselineAlarm(run([{ t: 61_000, status: 503 }], 30_000, 1));
    expect(alarm.firedAt).toBe(90_000);
    expect(detectionRatio(45_000, alarm)).toBe('0.50×');
    expect(detectionRatio(undefined, alarm)).toBe('—');
  });
});
