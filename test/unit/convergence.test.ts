import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import {
  convergenceSinceWrite,
  type DataPlaneLook,
  type DataPlaneSample,
  describeConvergence,
  judgeDataPlane,
  lagToPublish,
  lastWriteAt,
  trackConvergence,
} from '../../lib/convergence.ts';
import type { Intent } from '../../lib/intent.ts';
import type { LbSnapshot } from '../../lib/types.ts';
import { forward, healthOf, listener, outageLastGood, snapshot, targetGroup } from './fixtures/topologies.ts';

const WRITTEN = '2026-12-04T14:00:00.000Z';
const thresholds = DEFAULTS.thresholds.skew;

/** `at` seconds after the write. */
function secondsIn(seconds: number): string {
  return new Date(Date.parse(WRITTEN) + seconds * 1000).toISOString();
}

function served(counts: Record<string, number>, at = secondsIn(10)): DataPlaneSample {
  return { source: 'served-by', at, counts };
}

function intentOf(snap: LbSnapshot, lastGood?: LbSnapshot): Intent {
  return {
    snapshot: snap,
    health: healthOf(snap),
    zonalShifts: [],
    ...(lastGood === undefined ? {} : { lastGood }),
  };
}

describe('judgeDataPlane', () => {
  const restored = intentOf(outageLastGood());

  it('finds the data plane following when a burst spreads as the 50/50 forward models', () => {
    const look = judgeDataPlane(
      [served({ 'i-0a': 13, 'i-0b': 12, 'i-0c': 12, 'i-0d': 13 })],
      restored,
      thresholds,
      secondsIn(10),
    );
    expect(look.kind).toBe('following');
  });

  it('finds it not following when the burst still lands on the one target the broken config used', () => {
    const look = judgeDataPlane([served({ 'i-0a': 50 })], restored, thresholds, secondsIn(10));
    expect(look.kind).toBe('not-following');
    expect(look.kind === 'not-following' && look.evidence.join('\n')).toMatch(/i-0a:80 received 100%/);
  });

  it('lets one departing sample outweigh a balanced one taken at the same moment', () => {
    const look = judgeDataPlane(
      [served({ 'i-0a': 13, 'i-0b': 12, 'i-0c': 12, 'i-0d': 13 }), served({ 'i-0a': 50 })],
      restored,
      thresholds,
      secondsIn(10),
    );
    expect(look.kind).toBe('not-following');
  });

  // The drill's stuck data plane: the canary's 100/0 still served, two of four targets idle.
  // At 30 requests the skew test's Bonferroni-corrected p is 1.4e-3, "balanced" at 1e-4: it
  // cannot see this, so a target set answering nothing is tested on its own.
  it('finds it not following when two of four targets the model gives 25% each answered none of 30', () => {
    const look = judgeDataPlane([served({ 'i-0a': 15, 'i-0b': 15 })], restored, thresholds, secondsIn(10));
    expect(look.kind).toBe('not-following');
    expect(look.kind === 'not-following' && look.evidence.join('\n')).toMatch(
      /2 of 4 targets .*answered none of 30 requests/,
    );
  });

  it('finds one idle target of ten not telling at 30 requests, and five idle of ten telling', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `i-1${i}:80`);
    const web = targetGroup('web', ids);
    const ten = intentOf(snapshot([listener(80, [forward([web, 1])])], [web]));
    const oneIdle = Object.fromEntries(
      ids.slice(0, 9).map((id, i) => [id.replace(':80', ''), i < 3 ? 4 : 3]),
    );
    const fiveIdle = Object.fromEntries(ids.slice(0, 5).map((id) => [id.replace(':80', ''), 6]));
    expect(judgeDataPlane([served(oneIdle)], ten, thresholds, secondsIn(10)).kind).toBe('following');
    expect(judgeDataPlane([served(fiveIdle)], ten, thresholds, secondsIn(10)).kind).toBe('not-following');
  });

  it.each([
    ['no sample', [], /no per-target sample/],
    ['a thin burst', [served({ 'i-0a': 5, 'i-0b': 5 })], /10 request\(s\) counted, fewer than 30/],
    ['values that name no target', [served({ 'web-1': 25, 'web-2': 25 })], /names a target/],
  ])('reports %s as unobserved, never as following', (_, samples, reason) => {
    const look = judgeDataPlane(samples, restored, thresholds, secondsIn(10));
    expect(look).toMatchObject({ kind: 'unobserved' });
    expect(look.kind === 'unobserved' && look.reason).toMatch(reason);
  });

  it('finds it not following while targets the configuration deregistered still answer', () => {
    const webA = targetGroup('web-a', ['i-0a:80']);
    const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
    const live = snapshot([listener(80, [forward([webA, 50], [webB, 50])])], [webA, webB]);
    const look = judgeDataPlane(
      [served({ 'i-0a': 12, 'i-0b': 13, 'i-0c': 12, 'i-0d': 13 })],
      intentOf(live, outageLastGood()),
      thresholds,
      secondsIn(10),
    );
    expect(look.kind).toBe('not-following');
    expect(look.kind === 'not-following' && look.evidence[0]).toMatch(
      /13 of 50 answered by targets the configuration no longer registers/,
    );
  });

  it('takes unevenness the load balancer intends (least outstanding requests) as following', () => {
    const web = { ...targetGroup('web', ['i-0a:80', 'i-0b:80', 'i-0c:80']) };
    const counts = { 'i-0a': 70, 'i-0b': 20, 'i-0c': 10 };
    const roundRobin = snapshot([listener(80, [forward([web, 1])])], [web]);
    const lor = { ...web, loadBalancingAlgorithm: 'least_outstanding_requests' as const };
    const latencyLed = snapshot([listener(80, [forward([lor, 1])])], [lor]);
    // The same counts depart from round robin: the excuse is the intent, not the test's leniency.
    expect(judgeDataPlane([served(counts)], intentOf(roundRobin), thresholds, secondsIn(10)).kind).toBe(
      'not-following',
    );
    const look = judgeDataPlane([served(counts)], intentOf(latencyLed), thresholds, secondsIn(10));
    expect(look.kind).toBe('following');
    expect(look.kind === 'following' && look.evidence[0]).toMatch(/least outstanding requests/);
  });

  it('judges per-instance counters as well as served-by bursts', () => {
    const counters: DataPlaneSample = {
      source: 'instance-counters',
      at: secondsIn(60),
      counts: { 'i-0a:80': 400, 'i-0b:80': 0, 'i-0c:80': 0, 'i-0d:80': 0 },
    };
    expect(judgeDataPlane([counters], restored, thresholds, secondsIn(60)).kind).toBe('not-following');
  });
});

function look(kind: DataPlaneLook['kind'], seconds: number): DataPlaneLook {
  const at = secondsIn(seconds);
  return kind === 'unobserved'
    ? { kind, at, reason: 'thin burst' }
    : { kind, at, evidence: [`${kind} ${seconds}`] };
}

describe('trackConvergence', () => {
  it('measures the propagation lag from the write to the first following look', () => {
    const looks = [
      look('not-following', 5),
      look('not-following', 15),
      look('following', 25),
      look('following', 35),
    ];
    const c = trackConvergence(looks, WRITTEN, secondsIn(35), 300);
    expect(c).toEqual({
      kind: 'converged',
      writtenAt: WRITTEN,
      convergedAt: secondsIn(25),
      lagSeconds: 25,
      evidence: ['following 35'],
    });
    expect(describeConvergence(c, 300)).toMatch(
      /25 s after the write at 2026-12-04T14:00:00.000Z \(propagation lag\)/,
    );
  });

  it('restarts the lag when the data plane falls back after following once', () => {
    const looks = [look('following', 5), look('not-following', 15), look('following', 25)];
    expect(trackConvergence(looks, WRITTEN, secondsIn(25), 300)).toMatchObject({
      kind: 'converged',
      lagSeconds: 25,
    });
  });

  it('lets an unobserved look neither start nor break a run of following looks', () => {
    const looks = [look('not-following', 5), look('following', 15), look('unobserved', 25)];
    expect(trackConvergence(looks, WRITTEN, secondsIn(25), 300)).toMatchObject({
      kind: 'converged',
      lagSeconds: 15,
    });
  });

  it('ignores looks taken before the write', () => {
    const looks = [look('following', -30), look('not-following', 10)];
    expect(trackConvergence(looks, WRITTEN, secondsIn(10), 300).kind).toBe('converging');
  });

  it('is converging inside the deadline and not following from the deadline on', () => {
    const looks = [look('not-following', 10), look('not-following', 290)];
    expect(trackConvergence(looks, WRITTEN, secondsIn(299), 300)).toMatchObject({
      kind: 'converging',
      evidence: ['not-following 290'],
    });
    const stuck = trackConvergence(looks, WRITTEN, secondsIn(300), 300);
    expect(stuck).toEqual({ kind: 'not-following', writtenAt: WRITTEN, evidence: ['not-following 290'] });
    expect(describeConvergence(stuck, 300)).toMatch(/^data plane is not following the configuration/);
  });

  it('answers unobserved at once when no look could be judged, so verification need not wait it out', () => {
    const c = trackConvergence([look('unobserved', 10)], WRITTEN, secondsIn(10), 300);
    expect(c).toEqual({ kind: 'unobserved', writtenAt: WRITTEN, reason: 'thin burst' });
  });

  it('refuses a negative deadline and a time that is not ISO-8601, naming the field', () => {
    expect(() => trackConvergence([], WRITTEN, secondsIn(1), -1)).toThrow(/deadlineSeconds is -1/);
    expect(() => trackConvergence([], 'yesterday', secondsIn(1), 300)).toThrow(
      /writtenAt is not an ISO-8601 time/,
    );
  });
});

describe("inspect's view of the newest write", () => {
  const restored = intentOf(outageLastGood());
  const burst = (seconds: number, counts: Record<string, number>) => ({
    service: 'shop',
    at: secondsIn(seconds),
    counts,
  });
  const spread = { 'i-0a': 13, 'i-0b': 12, 'i-0c': 12, 'i-0d': 13 };
  const since = (seconds: number, servedBy: ReturnType<typeof burst>[]) =>
    convergenceSinceWrite({
      writtenAt: WRITTEN,
      at: secondsIn(seconds),
      deadlineSeconds: 120,
      graceMs: 300_000,
      servedBy,
      intent: restored,
      thresholds,
    });

  it('dates the write by the CloudTrail call when one is near, else by when the routing was first seen', () => {
    const base = { routingSince: secondsIn(30), firstObservation: false, inspectPeriodMs: 60_000 };
    expect(lastWriteAt({ ...base, changes: [{ at: secondsIn(-600) }, { at: WRITTEN }] })).toEqual({
      at: WRITTEN,
      source: 'cloudtrail',
    });
    expect(lastWriteAt({ ...base, changes: [{ at: secondsIn(-600) }] })).toEqual({
      at: secondsIn(30),
      source: 'first-seen',
    });
    expect(lastWriteAt({ ...base, changes: [], firstObservation: true })).toBeUndefined();
  });

  it('gives a write with no judged burst yet its deadline, then says it was not observed', () => {
    expect(since(60, [])).toEqual({ kind: 'converging', writtenAt: WRITTEN, evidence: [] });
    expect(since(130, [])).toMatchObject({ kind: 'unobserved' });
  });

  it('keeps naming a stuck data plane however old the write, and forgets a converged one after the grace', () => {
    const stuck = [burst(10, { 'i-0a': 40 }), burst(2_000, { 'i-0a': 40 })];
    expect(since(2_000, stuck)?.kind).toBe('not-following');
    const followed = [burst(10, spread), burst(400, spread)];
    expect(since(400, followed)).toMatchObject({ kind: 'converged', lagSeconds: 10 });
    expect(since(2_000, followed)).toBeUndefined();
  });

  it('publishes a lag once, and only when CloudTrail dated the write', () => {
    const c = since(60, [burst(10, { 'i-0a': 40 }), burst(50, spread)]);
    expect(c).toMatchObject({ kind: 'converged', lagSeconds: 50 });
    const cloudtrail = { at: WRITTEN, source: 'cloudtrail' as const };
    expect(lagToPublish(c, cloudtrail, secondsIn(0))).toBe(50_000);
    expect(lagToPublish(c, cloudtrail, secondsIn(50))).toBeUndefined();
    expect(lagToPublish(c, { at: WRITTEN, source: 'first-seen' }, secondsIn(0))).toBeUndefined();
  });
});
