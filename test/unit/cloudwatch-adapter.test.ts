import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildAlbMetricQueries,
  foldAlbMetrics,
  loadBalancerDimension,
  targetGroupDimension,
} from '../../lambdas/adapters/cloudwatch.ts';

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const tg = (i: number) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/g${i}/${String(i).padStart(16, '0')}`;
const window = { start: '2026-11-02T14:00:00.000Z', end: '2026-11-02T14:05:00.000Z' };

describe('ALB metric queries', () => {
  it('uses the ARN suffixes CloudWatch names dimensions by', () => {
    expect(loadBalancerDimension(LB)).toBe('app/shop/50dc6c495c0c9188');
    expect(targetGroupDimension(tg(7))).toBe('targetgroup/g7/0000000000000007');
    expect(() => loadBalancerDimension(tg(1))).toThrow(/not a load balancer ARN/);
    expect(() => targetGroupDimension(LB)).toThrow(/not a target group ARN/);
  });

  it('costs 4 queries per load balancer, 1 per target group and 1 per AZ, with unique valid ids', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 6 }), (groups, azs) => {
        const queries = buildAlbMetricQueries({
          loadBalancerArn: LB,
          targetGroupArns: Array.from({ length: groups }, (_, i) => tg(i)),
          availabilityZones: Array.from({ length: azs }, (_, i) => `us-east-1${'abcdef'[i]}`),
          ...window,
          periodSeconds: 60,
        });
        expect(queries).toHaveLength(4 + groups + azs);
        const ids = queries.map((q) => q.query.Id ?? '');
        expect(new Set(ids).size).toBe(ids.length);
        for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
        for (const q of queries) expect(q.query.MetricStat?.Stat).toBe('Sum');
      }),
    );
  });

  it('puts TargetGroup and LoadBalancer dimensions on per-group queries', () => {
    const [, , , , perGroup] = buildAlbMetricQueries({
      loadBalancerArn: LB,
      targetGroupArns: [tg(1)],
      ...window,
      periodSeconds: 300,
    });
    expect(perGroup?.query.MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [
          { Name: 'TargetGroup', Value: 'targetgroup/g1/0000000000000001' },
          { Name: 'LoadBalancer', Value: 'app/shop/50dc6c495c0c9188' },
        ],
      },
      Period: 300,
      Stat: 'Sum',
    });
  });
});

describe('foldAlbMetrics', () => {
  const planned = buildAlbMetricQueries({
    loadBalancerArn: LB,
    targetGroupArns: [tg(1)],
    ...window,
    periodSeconds: 60,
  });

  it('reads neither target health nor response time: inspect reads health itself and no decision uses latency', () => {
    const metrics = planned.map((p) => p.query.MetricStat?.Metric?.MetricName);
    expect(metrics).toEqual([
      'RequestCount',
      'HTTPCode_ELB_5XX_Count',
      'HTTPCode_ELB_503_Count',
      'HTTPCode_Target_5XX_Count',
      'RequestCount',
    ]);
  });

  it('sums every datapoint of a count over the window', () => {
    const metrics = foldAlbMetrics(
      window,
      planned,
      new Map([
        ['rc', { timestamps: [1, 2], values: [3, 4] }],
        ['rc_tg0', { timestamps: [2, 1], values: [5, 2] }],
      ]),
    );
    expect(metrics.requestCount).toBe(7);
    expect(metrics.requestCountByTargetGroup).toEqual({ [tg(1)]: 7 });
  });
});
