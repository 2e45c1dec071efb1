import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../lib/config/defaults.ts';
import { diagnose } from '../../lib/diagnosis.ts';
import { healthWindowMs, judgeGate } from '../../lib/gate.ts';
import type { LbSnapshot, ProbeResult, Signals, TargetHealth, Thresholds } from '../../lib/types.ts';
import { forward, healthOf, listener, outageLastGood, snapshot, targetGroup } from './fixtures/topologies.ts';

const thresholds: Thresholds = {
  skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
  errorRate: 0.05,
  consecutiveBreaches: 3,
  soakSeconds: 600,
};
const AT = '2025-02-25T14:05:00.000Z';
const SINCE = '2025-02-25T14:04:20.000Z';

function probe(ok: boolean, at = '2025-02-25T14:04:50.000Z'): ProbeResult {
  return {
    service: 'shop',
    probe: 'home',
    at,
    ok,
    totalMs: 12,
    steps: [
      {
        name: 'home',
        url: 'https://shop.example.com/',
        method: 'GET',
        ok,
        latencyMs: 12,
        failures: ok ? [] : ['status 503 not in [200]'],
        status: ok ? 200 : 503,
      },
    ],
  };
}

function gate(
  current: LbSnapshot,
  options: { health?: TargetHealth[]; probes?: ProbeResult[]; servedBy?: Record<string, number> } = {},
) {
  const signals: Signals = {
    at: AT,
    service: 'shop',
    snapshot: current,
    lastGood: { hash: 'h0', takenAt: '2025-02-25T13:00:00.000Z', snapshot: outageLastGood() },
    health: options.health ?? healthOf(current),
    probes: [],
    ...(options.servedBy === undefined
      ? {}
      : { servedBy: { service: 'shop', at: AT, counts: options.servedBy } }),
  };
  return judgeGate({
    signals,
    thresholds,
    diagnosis: diagnose(signals, thresholds),
    probes: options.probes ?? [probe(true)],
    since: SINCE,
  });
}

const webA = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
const webB = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
const weighted = (a: number, b: number, groups = [webA, webB]) =>
  snapshot([listener(80, [forward([groups[0] ?? webA, a], [groups[1] ?? webB, b])])], groups);

describe('judgeGate', () => {
  it('passes a balanced, probed service and lists no difference', () => {
    const v = gate(outageLastGood());
    expect(v).toMatchObject({
      ok: true,
      cause: null,
      concentrations: [],
      differences: [],
      health: { kind: 'green' },
    });
  });

  it('passes a benign reweight and still lists it with its verdict', () => {
    const v = gate(weighted(60, 40));
    expect(v.ok).toBe(true);
    expect(v.differences).toEqual([
      expect.objectContaining({
        kind: 'weights-changed',
        verdict: 'benign',
        why: expect.stringMatching(/over 4 targets/),
      }),
    ]);
  });

  it('fails on configuration when weights and a deregistration put one target behind the route', () => {
    const lone = targetGroup('web-a', ['i-0a:80']);
    const v = gate(weighted(100, 0, [lone, webB]));
    expect(v).toMatchObject({ ok: false, cause: 'configuration' });
    expect(v.concentrations[0]).toMatchObject({ cause: 'configuration', target: 'i-0a:80', share: 1 });
    expect(v.summary).toMatch(/sends 100% of its traffic to i-0a:80 \(cause: configuration\)/);
    expect(v.differences.find((d) => d.kind === 'weights-changed')?.verdict).toBe('harmful');
    expect(v.action).toMatch(/lbguard restore/);
  });

  it('fails on health when every target but one fails its checks, configuration unchanged', () => {
    const current = outageLastGood();
    const v = gate(current, {
      health: healthOf(current, { 'i-0b:80': 'unhealthy', 'i-0c:80': 'unhealthy', 'i-0d:80': 'unhealthy' }),
    });
    // web-b fails open (all unhealthy), so the default route is not on one target; web-a alone is.
    expect(v.ok).toBe(false);
    expect(v.cause).toBe('health');
  });

  it('names health as the cause of a single survivor', () => {
    const web = targetGroup('web', ['i-1:80', 'i-2:80', 'i-3:80']);
    const one = snapshot([listener(80, [forward([web, 1])])], [web]);
    const signals: Signals = {
      at: AT,
      service: 'shop',
      snapshot: one,
      lastGood: { hash: 'h0', takenAt: '2025-02-25T13:00:00.000Z', snapshot: one },
      health: healthOf(one, { 'i-2:80': 'unhealthy', 'i-3:80': 'unhealthy' }),
      probes: [],
    };
    const v = judgeGate({
      signals,
      thresholds,
      diagnosis: diagnose(signals, thresholds),
      probes: [probe(true)],
      since: SINCE,
    });
    expect(v).toMatchObject({ ok: false, cause: 'health' });
    expect(v.concentrations[0]).toMatchObject({ cause: 'health', target: 'i-1:80', share: 1 });
    expect(v.action).toMatch(/health check/);
  });

  it('fails on capacity when the observed shares pile on one target that configuration and health spread', () => {
    const v = gate(outageLastGood(), {
      servedBy: { 'i-0a:80': 400, 'i-0b:80': 5, 'i-0c:80': 5, 'i-0d:80': 5 },
    });
    expect(v).toMatchObject({ ok: false, cause: 'capacity' });
    expect(v.concentrations[0]).toMatchObject({ cause: 'capacity', target: 'i-0a:80' });
    expect(v.action).toMatch(/does not change the load balancer/);
  });

  it('names capacity for observed skew that piles on no single target when the configuration spreads traffic', () => {
    const web = targetGroup('web', ['i-1:80', 'i-2:80', 'i-3:80']);
    const pair = snapshot([listener(80, [forward([web, 1])])], [web]);
    const signals: Signals = {
      at: AT,
      service: 'shop',
      snapshot: pair,
      lastGood: { hash: 'h0', takenAt: '2025-02-25T13:00:00.000Z', snapshot: pair },
      health: healthOf(pair),
      probes: [],
      servedBy: { service: 'shop', at: AT, counts: { 'i-1:80': 450, 'i-2:80': 450, 'i-3:80': 100 } },
    };
    const diagnosis = diagnose(signals, thresholds);
    expect(diagnosis.cause).toBe('routing-skew');
    const v = judgeGate({ signals, thresholds, diagnosis, probes: [probe(true)], since: SINCE });
    expect(v).toMatchObject({ ok: false, cause: 'capacity', concentrations: [] });
  });

  it('does not call an even observed spread concentration', () => {
    const v = gate(outageLastGood(), {
      servedBy: { 'i-0a:80': 100, 'i-0b:80': 104, 'i-0c:80': 98, 'i-0d:80': 101 },
    });
    expect(v.ok).toBe(true);
  });

  it('says health is unknown, and fails, when no probe result is recent', () => {
    const v = gate(outageLastGood(), { probes: [probe(true, '2025-02-25T14:00:00.000Z')] });
    expect(v).toMatchObject({
      ok: false,
      cause: 'health-unknown',
      health: { kind: 'unknown', since: SINCE },
    });
    expect(v.summary).toBe(`no probe results since ${SINCE}: health unknown`);
  });

  it('judges health on the newest result of each probe', () => {
    expect(gate(outageLastGood(), { probes: [probe(true, SINCE), probe(false)] })).toMatchObject({
      ok: false,
      cause: 'health',
      health: { kind: 'failing' },
    });
    expect(gate(outageLastGood(), { probes: [probe(false, SINCE), probe(true)] }).ok).toBe(true);
  });

  it('says when there is no last known good to list differences against', () => {
    const current = outageLastGood();
    const signals: Signals = {
      at: AT,
      service: 'shop',
      snapshot: current,
      health: healthOf(current),
      probes: [],
    };
    const v = judgeGate({
      signals,
      thresholds,
      diagnosis: diagnose(signals, thresholds),
      probes: [probe(true)],
      since: SINCE,
    });
    expect(v).toMatchObject({ ok: true, lastGood: false, differences: [] });
    expect(gate(current).lastGood).toBe(true);
  });

  it('takes twice the longest gap between probe rounds as the health window', () => {
    expect(healthWindowMs(DEFAULTS.schedule)).toBe(40_000);
    expect(healthWindowMs({ ...DEFAULTS.schedule, probeIntervalSeconds: 30, probeLoopSeconds: 30 })).toBe(
      120_000,
    );
  });
});

describe('diagnose without probe results', () => {
  it('does not call the site healthy on probes that never ran', () => {
    const signals: Signals = {
      at: AT,
      service: 'shop',
      snapshot: outageLastGood(),
      health: healthOf(outageLastGood()),
      probes: [],
    };
    const d = diagnose(signals, thresholds);
    expect(d.summary).toBe('Routing as expected; no probe results, health unknown');
    expect(d.summary).not.toMatch(/probes green/);
  });
});
