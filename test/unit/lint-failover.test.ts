import { describe, expect, it } from 'vitest';
import { lintSnapshot } from '../../lib/lint.ts';
import type { TargetGroup, TargetHealthState } from '../../lib/types.ts';
import { forward, healthOf, listener, snapshot, targetGroup } from './fixtures/topologies.ts';

// LBG-L10 (weighted forward to a group with nothing healthy) and LBG-L11 (DNS failover below
// routing failover).

function findings(report: ReturnType<typeof lintSnapshot>, id: string) {
  return report.findings.filter((f) => f.ruleId === id);
}

describe('LBG-L10 weighted-forward-to-unhealthy-group', () => {
  const blue = targetGroup('blue', ['i-0a:80', 'i-0b:80']);
  const green = targetGroup('green', ['i-0c:80', 'i-0d:80']);
  const canary = snapshot([listener(80, [forward([blue, 90], [green, 10])])], [blue, green]);
  const states = (state: TargetHealthState) => ({ 'i-0c:80': state, 'i-0d:80': state });

  it.each(['initial', 'unhealthy'] as const)(
    'flags 10%% weighted onto a group whose targets are all %s',
    (state) => {
      const [finding, ...more] = findings(lintSnapshot(canary, healthOf(canary, states(state))), 'LBG-L10');
      expect(more).toEqual([]);
      expect(finding).toMatchObject({ level: 'error', resource: { kind: 'listener', name: 'listener :80' } });
      expect(finding?.message).toBe(
        `listener :80 default action sends 10% of requests to green, which has 2 registered targets and none healthy (2 ${state}): that share gets 503s or errors`,
      );
      expect(finding?.fix).toMatch(/Set green's weight to 0 in listener :80 default action/);
    },
  );

  it('is silent once one target of the group is healthy, or at weight 0', () => {
    const oneHealthy = healthOf(canary, { 'i-0c:80': 'initial' });
    expect(findings(lintSnapshot(canary, oneHealthy), 'LBG-L10')).toEqual([]);
    const parked = snapshot([listener(80, [forward([blue, 100], [green, 0])])], [blue, green]);
    expect(findings(lintSnapshot(parked, healthOf(parked, states('initial'))), 'LBG-L10')).toEqual([]);
  });

  it('is not applicable without live health (a template), and leaves empty groups to LBG-L2', () => {
    const report = lintSnapshot(canary);
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L10')?.outcome).toBe('not-applicable');
    const emptied = snapshot(
      [listener(80, [forward([blue, 50], [{ ...green, targets: [] }, 50])])],
      [blue, { ...green, targets: [] }],
    );
    const r = lintSnapshot(emptied, healthOf(emptied));
    expect(findings(r, 'LBG-L10')).toEqual([]);
    expect(findings(r, 'LBG-L2')).toHaveLength(1);
  });
});

describe('LBG-L11 dns-failover-below-routing-failover', () => {
  const four = ['i-0a:80', 'i-0b:80', 'i-0c:80', 'i-0d:80'];
  const lb = (g: TargetGroup) => snapshot([listener(80, [forward([g, 1])])], [g]);
  const group = (intent: Partial<TargetGroup>) => ({ ...targetGroup('web', four), ...intent });

  it.each([
    {
      name: 'DNS count 1 below routing count 2',
      dns: { minimumHealthyTargetsCount: 1, minimumHealthyTargetsPercentage: 25 },
      routing: { minimumHealthyTargetsCount: 2 },
      flagged: true,
    },
    {
      name: 'DNS 25% below routing 50% of 4 targets',
      dns: { minimumHealthyTargetsPercentage: 25 },
      routing: { minimumHealthyTargetsPercentage: 50 },
      flagged: true,
    },
    {
      name: 'DNS count 3 above routing 50% of 4 targets (measured in targets, not units)',
      dns: { minimumHealthyTargetsCount: 3 },
      routing: { minimumHealthyTargetsPercentage: 50 },
      flagged: false,
    },
    {
      name: 'equal minimums',
      dns: { minimumHealthyTargetsPercentage: 50 },
      routing: { minimumHealthyTargetsPercentage: 50 },
      flagged: false,
    },
  ])('$name → flagged: $flagged', ({ dns, routing, flagged }) => {
    const found = findings(
      lintSnapshot(lb(group({ dnsFailover: dns, unhealthyStateRouting: routing }))),
      'LBG-L11',
    );
    expect(found.length).toBe(flagged ? 1 : 0);
    if (flagged) {
      expect(found[0]?.level).toBe('warning');
      expect(found[0]?.message).toMatch(
        /^target group web \(4 targets\) fails over in DNS below 1 healthy target .* but fails open below 2 /,
      );
    }
  });

  it("does not flag DNS failover left at ALB's default: AWS states the requirement for both set", () => {
    const report = lintSnapshot(
      lb(group({ unhealthyStateRouting: { minimumHealthyTargetsPercentage: 50 } })),
    );
    expect(report.outcomes.find((o) => o.ruleId === 'LBG-L11')?.outcome).toBe('not-applicable');
  });
});
