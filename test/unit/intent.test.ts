import { describe, expect, it } from 'vitest';
import { diagnose } from '../../lib/diagnosis.ts';
import { planRemediation } from '../../lib/plan.ts';
import type {
  AlbMetrics,
  LbSnapshot,
  RemediationPolicy,
  Signals,
  TargetGroup,
  TargetHealth,
  Thresholds,
  ZonalShift,
} from '../../lib/types.ts';
import { ownAttachments } from './fixtures/attachments.ts';
import { forward, healthOf, listener, snapshot, targetGroup } from './fixtures/topologies.ts';

// The load balancer's own intent: unevenness it produces on purpose is not skew, skew the
// configuration causes still is, and no plan sends traffic back to what it steers away from.

const thresholds: Thresholds = {
  skew: { minSamples: 100, falsePositiveRate: 0.001, minEffectSize: 0.2 },
  errorRate: 0.05,
  consecutiveBreaches: 3,
  soakSeconds: 600,
};
const AT = '2026-12-04T10:05:00.000Z';
const TARGETS = ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80'];

function web(intent: Partial<TargetGroup> = {}, targets = TARGETS): TargetGroup {
  return { ...targetGroup('web', targets), ...intent };
}

function lb(group: TargetGroup): LbSnapshot {
  return snapshot([listener(80, [forward([group, 1])])], [group]);
}

function signals(current: LbSnapshot, extra: Partial<Signals> = {}, lastGood: LbSnapshot = current): Signals {
  return {
    at: AT,
    service: 'shop',
    snapshot: current,
    lastGood: { hash: 'h0', takenAt: '2026-12-04T09:00:00.000Z', snapshot: lastGood },
    health: healthOf(current),
    probes: [],
    ...extra,
  };
}

/** Requests per instance, by instance id, in the order of TARGETS. */
function counts(...perTarget: number[]): Record<string, number> {
  return Object.fromEntries(perTarget.map((n, i) => [`i-0${'abcd'[i]}`, n]));
}

function mitigated(s: LbSnapshot, key: string): TargetHealth[] {
  return healthOf(s).map((h) =>
    `${h.targetId}:${h.port}` === key
      ? { ...h, anomaly: { result: 'anomalous', mitigationInEffect: true } }
      : { ...h, anomaly: { result: 'normal', mitigationInEffect: false } },
  );
}

const UNEVEN = counts(550, 150, 150, 150);

describe('diagnose: unevenness the load balancer intends is not skew', () => {
  it('pages uneven per-instance counts under round robin (today)', () => {
    expect(diagnose(signals(lb(web()), { instanceCounts: UNEVEN }), thresholds).cause).toBe('routing-skew');
  });

  it.each([
    [
      'least outstanding requests',
      { loadBalancingAlgorithm: 'least_outstanding_requests' },
      /least outstanding requests/,
    ],
    ['the target optimizer', { targetControlPort: 3000 }, /target optimizer/],
    ['sticky sessions', { stickiness: { type: 'lb_cookie', durationSeconds: 60 } }, /sticky sessions/],
  ] as const)('does not page the same counts under %s, and says why', (_name, intent, why) => {
    const d = diagnose(signals(lb(web(intent)), { instanceCounts: UNEVEN }), thresholds);
    expect(d.cause).toBe('healthy');
    expect(d.evidence.some((e) => why.test(e))).toBe(true);
  });

  it('still pages all traffic on one target of four under sticky sessions: sessions do not do that', () => {
    const sticky = lb(web({ stickiness: { type: 'lb_cookie' } }));
    const d = diagnose(signals(sticky, { instanceCounts: counts(970, 10, 10, 10) }), thresholds);
    expect(d.cause).toBe('routing-skew');
  });

  it('still pages configuration skew under least outstanding requests', () => {
    const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
    const b = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
    const lor = { loadBalancingAlgorithm: 'least_outstanding_requests' };
    const [la, lbb] = [
      { ...a, ...lor },
      { ...b, ...lor },
    ];
    const good = snapshot([listener(80, [forward([la, 50], [lbb, 50])])], [la, lbb]);
    const flipped = snapshot([listener(80, [forward([la, 100], [lbb, 0])])], [la, lbb]);
    const d = diagnose(signals(flipped, { instanceCounts: counts(500, 500, 0, 0) }, good), thresholds);
    expect(d.cause).toBe('routing-skew');
    expect(d.lbFault).toBe(true);
  });

  it('says the load balancer is protecting you from a mitigated target, and does not remediate', () => {
    const s = lb(web({ loadBalancingAlgorithm: 'weighted_random', anomalyMitigation: true }));
    const d = diagnose(
      signals(s, { health: mitigated(s, 'i-0d:80'), instanceCounts: counts(330, 330, 330, 10) }),
      thresholds,
    );
    expect(d).toMatchObject({
      cause: 'lb-protecting',
      lbFault: false,
      remediable: false,
      severity: 'warning',
    });
    expect(d.summary).toMatch(/protecting you from target i-0d:80 of web/);
    expect(d.evidence.some((e) => /anomaly mitigation lowers i-0d:80/.test(e))).toBe(true);
  });

  it('still pages skew the mitigation does not explain: another target taking the surplus alone', () => {
    const s = lb(web({ loadBalancingAlgorithm: 'weighted_random', anomalyMitigation: true }));
    const d = diagnose(
      signals(s, { health: mitigated(s, 'i-0d:80'), instanceCounts: counts(700, 150, 140, 10) }),
      thresholds,
    );
    expect(d.cause).toBe('routing-skew');
  });

  it('does not excuse a mitigated target that takes more than its share', () => {
    const s = lb(web({ loadBalancingAlgorithm: 'weighted_random', anomalyMitigation: true }));
    const d = diagnose(
      signals(s, { health: mitigated(s, 'i-0d:80'), instanceCounts: counts(100, 100, 100, 700) }),
      thresholds,
    );
    expect(d.cause).toBe('routing-skew');
  });

  it('says zone Z is shifted away, and excuses its targets receiving nothing', () => {
    const zoned = web();
    const withZones: TargetGroup = {
      ...zoned,
      targets: zoned.targets.map((t, i) => ({ ...t, availabilityZone: i < 2 ? 'eu-west-1a' : 'eu-west-1b' })),
    };
    const shift: ZonalShift = { id: 'zs-1', kind: 'autoshift', zone: 'eu-west-1b' };
    const d = diagnose(
      signals(lb(withZones), { zonalShifts: [shift], instanceCounts: counts(500, 500, 0, 0) }),
      thresholds,
    );
    expect(d.cause).toBe('lb-protecting');
    expect(d.summary).toMatch(/zone eu-west-1b is shifted away \(zonal autoshift zs-1\)/);
  });

  it('treats any target as possibly shifted when no target names the zone (ARC names zones by id)', () => {
    const shift: ZonalShift = { id: 'zs-2', kind: 'zonal-shift', zone: 'euw1-az2' };
    const d = diagnose(
      signals(lb(web()), { zonalShifts: [shift], instanceCounts: counts(500, 500, 0, 0) }),
      thresholds,
    );
    expect(d.cause).toBe('lb-protecting');
    expect(d.evidence.some((e) => /i-0c:80 may be in a zone shifted away/.test(e))).toBe(true);
  });

  it('ignores anomaly results of a group the snapshot does not hold', () => {
    const s = lb(web());
    const stray: TargetHealth = {
      targetGroupArn: `${s.targetGroups[0]?.arn}-other`,
      targetId: 'i-0z',
      state: 'healthy',
      anomaly: { result: 'anomalous', mitigationInEffect: true },
    };
    expect(diagnose(signals(s, { health: [...healthOf(s), stray] }), thresholds).cause).toBe('healthy');
  });

  it('excuses a target new since last known good under slow start, not an old one', () => {
    const before = lb(web({ slowStartSeconds: 300 }, TARGETS.slice(0, 3)));
    const now = lb(web({ slowStartSeconds: 300 }));
    const ramping = diagnose(signals(now, { instanceCounts: counts(330, 330, 330, 10) }, before), thresholds);
    expect(ramping.cause).toBe('healthy');
    expect(ramping.evidence.some((e) => /i-0d:80 is new in web .*300 s slow start/.test(e))).toBe(true);
    const old = diagnose(signals(now, { instanceCounts: counts(10, 330, 330, 330) }, before), thresholds);
    expect(old.cause).toBe('routing-skew');
  });
});

describe('diagnose: target-group stickiness on a weighted forward', () => {
  const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const b = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  function withCounts(sticky: boolean, countA: number, countB: number) {
    const fwd = forward([a, 50], [b, 50]);
    const s = snapshot(
      [listener(80, [sticky ? { ...fwd, stickiness: { enabled: true, durationSeconds: 3600 } } : fwd])],
      [a, b],
    );
    const metrics: AlbMetrics = {
      windowStart: '2026-12-04T10:00:00.000Z',
      windowEnd: '2026-12-04T10:05:00.000Z',
      requestCount: countA + countB,
      requestCountByTargetGroup: { [a.arn]: countA, [b.arn]: countB },
      requestCountByAvailabilityZone: {},
      elb5xx: 0,
      elb503: 0,
      target5xx: 0,
    };
    return diagnose(signals(s, { metrics }), thresholds);
  }

  it('pages uneven group counts without stickiness, and not with it, saying why', () => {
    expect(withCounts(false, 750, 250).cause).toBe('routing-skew');
    const sticky = withCounts(true, 750, 250);
    expect(sticky.cause).toBe('healthy');
    expect(sticky.evidence.some((e) => /group stickiness/.test(e))).toBe(true);
  });

  it('still pages everything on one group under stickiness', () => {
    expect(withCounts(true, 995, 5).cause).toBe('routing-skew');
  });
});

const policy: RemediationPolicy = {
  mode: 'auto',
  cooldownSeconds: 300,
  maxPerHour: 3,
  maxSteps: 10,
  allowCreateRule: false,
  verifyDeadlineSeconds: 300,
};

describe('planRemediation: never sends traffic back to what the load balancer steers away from', () => {
  const a = targetGroup('web-a', ['i-0a:80', 'i-0b:80']);
  const b = targetGroup('web-b', ['i-0c:80', 'i-0d:80']);
  const good = snapshot([listener(80, [forward([a, 50], [b, 50])])], [a, b]);
  const flipped = snapshot([listener(80, [forward([a, 100], [b, 0])])], [a, b]);

  function withAnomaly(keys: readonly string[]): TargetHealth[] {
    return healthOf(flipped).map((h) =>
      keys.includes(`${h.targetId}:${h.port}`)
        ? { ...h, anomaly: { result: 'anomalous', mitigationInEffect: true } }
        : h,
    );
  }

  it('refuses to re-weight toward a group whose every serving target is mitigated, and says why', () => {
    const outcome = planRemediation({
      current: flipped,
      lastGood: good,
      health: withAnomaly(['i-0c:80', 'i-0d:80']),
      attachments: ownAttachments(flipped),
      policy,
    });
    expect(outcome.kind).toBe('nothing-to-do');
    const left = outcome.kind === 'nothing-to-do' ? outcome.leftAlone : [];
    expect(left.map((l) => l.why).join('\n')).toMatch(
      /web-b, whose every serving target .*anomaly mitigation is in effect on i-0c:80; anomaly mitigation is in effect on i-0d:80/,
    );
  });

  it('restores the weights when the group still has an unprotected serving target', () => {
    const outcome = planRemediation({
      current: flipped,
      lastGood: good,
      health: withAnomaly(['i-0d:80']),
      attachments: ownAttachments(flipped),
      policy,
    });
    expect(outcome.kind).toBe('plan');
    expect(outcome.kind === 'plan' ? outcome.plan.steps.map((s) => s.op) : []).toEqual(['ModifyListener']);
  });

  it('leaves out of RegisterTargets a target in a zone shifted away, and registers the others', () => {
    const zoned = (t: TargetGroup): TargetGroup => ({
      ...t,
      targets: t.targets.map((x) => ({
        ...x,
        availabilityZone: x.id === 'i-0d' ? 'eu-west-1b' : 'eu-west-1a',
      })),
    });
    const goodZoned = snapshot([listener(80, [forward([a, 50], [b, 50])])], [a, zoned(b)]);
    const shrunk = snapshot([listener(80, [forward([a, 50], [b, 50])])], [a, { ...b, targets: [] }]);
    const outcome = planRemediation({
      current: shrunk,
      lastGood: goodZoned,
      health: healthOf(shrunk),
      attachments: ownAttachments(shrunk),
      policy,
      zonalShifts: [{ id: 'zs-9', kind: 'zonal-shift', zone: 'eu-west-1b', expiry: '2026-12-04T12:00:00Z' }],
    });
    expect(outcome.kind).toBe('plan');
    if (outcome.kind !== 'plan') return;
    expect(outcome.plan.steps).toEqual([
      {
        op: 'RegisterTargets',
        targetGroupArn: b.arn,
        targets: [{ id: 'i-0c', port: 80, availabilityZone: 'eu-west-1a' }],
      },
    ]);
    expect(outcome.plan.leftAlone.map((l) => l.why)).toContain(
      'i-0d:80 is in zone eu-west-1b, shifted away (zs-9)',
    );
  });
});
