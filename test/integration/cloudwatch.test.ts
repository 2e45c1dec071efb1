import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import {
  buildAlbMetricQueries,
  CloudWatchAlbMetricsReader,
  loadBalancerDimension,
  targetGroupDimension,
} from '../../lambdas/adapters/cloudwatch.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';

// Percentile statistics make moto answer HTTP 500; one attempt keeps such a mistake fast and loud.
const clients: AwsClients = createAwsClients({ ...motoClientConfig(), maxAttempts: 1 });
afterAll(() => destroyAwsClients(clients));

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const OTHER_LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog/1111111111111111';
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/73e2d6bc24d8a067';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/83e2d6bc24d8a068';

function datum(
  name: string,
  value: number,
  at: Date,
  dims: Record<string, string>,
  unit: MetricDatum['Unit'] = 'Count',
): MetricDatum {
  return {
    MetricName: name,
    Value: value,
    Timestamp: at,
    Unit: unit,
    Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
  };
}

describe('CloudWatchAlbMetricsReader against moto', () => {
  // Whole minutes shortly in the past: CloudWatch accepts datapoints up to two weeks old.
  const windowEnd = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
  const windowStart = new Date(windowEnd.getTime() - 10 * 60_000);
  const t1 = new Date(windowStart.getTime() + 2 * 60_000);
  const t2 = new Date(windowStart.getTime() + 5 * 60_000);

  beforeEach(async () => {
    await resetMoto();
    const lb = { LoadBalancer: loadBalancerDimension(LB) };
    const tgA = { TargetGroup: targetGroupDimension(TG_A), ...lb };
    const tgB = { TargetGroup: targetGroupDimension(TG_B), ...lb };
    const data: MetricDatum[] = [
      datum('RequestCount', 600, t1, lb),
      datum('RequestCount', 400, t2, lb),
      datum('RequestCount', 550, t1, tgA),
      datum('RequestCount', 350, t2, tgA),
      datum('RequestCount', 50, t1, tgB),
      datum('RequestCount', 50, t2, tgB),
      datum('RequestCount', 700, t1, { ...lb, AvailabilityZone: 'us-east-1a' }),
      datum('RequestCount', 300, t1, { ...lb, AvailabilityZone: 'us-east-1b' }),
      datum('HTTPCode_ELB_5XX_Count', 30, t2, lb),
      datum('HTTPCode_ELB_503_Count', 25, t2, lb),
      datum('HTTPCode_Target_5XX_Count', 5, t1, lb),
      datum('HealthyHostCount', 2, t1, tgA),
      datum('HealthyHostCount', 1, t2, tgA),
      datum('UnHealthyHostCount', 1, t2, tgA),
      datum('HealthyHostCount', 2, t2, tgB),
      datum('TargetResponseTime', 0.2, t1, lb, 'Seconds'),
      datum('TargetResponseTime', 0.7, t2, lb, 'Seconds'),
      datum('RequestCount', 99_999, t1, { LoadBalancer: loadBalancerDimension(OTHER_LB) }),
    ];
    await clients.cloudwatch.send(
      new PutMetricDataCommand({ Namespace: 'AWS/ApplicationELB', MetricData: data }),
    );
  });

  it('reads ALB-shaped metrics back, summing counts', async () => {
    const metrics = await new CloudWatchAlbMetricsReader(clients.cloudwatch).read({
      loadBalancerArn: LB,
      targetGroupArns: [TG_A, TG_B],
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      start: windowStart.toISOString(),
      end: windowEnd.toISOString(),
      periodSeconds: 60,
    });
    expect(metrics).toMatchObject({
      windowStart: windowStart.toISOString(),
      windowEnd: windowEnd.toISOString(),
      requestCountByTargetGroup: { [TG_A]: 900, [TG_B]: 100 },
      requestCountByAvailabilityZone: { 'us-east-1a': 700, 'us-east-1b': 300 },
      elb5xx: 30,
      elb503: 25,
      target5xx: 5,
    });
    expect(metrics.requestCount).toBe(1000);
  });

  it('reports zeros for a window with no traffic', async () => {
    const metrics = await new CloudWatchAlbMetricsReader(clients.cloudwatch).read({
      loadBalancerArn: LB,
      targetGroupArns: [TG_A],
      start: new Date(windowStart.getTime() - 3_600_000).toISOString(),
      end: new Date(windowStart.getTime() - 1_800_000).toISOString(),
      periodSeconds: 300,
    });
    expect(metrics).toEqual({
      windowStart: new Date(windowStart.getTime() - 3_600_000).toISOString(),
      windowEnd: new Date(windowStart.getTime() - 1_800_000).toISOString(),
      requestCount: 0,
      requestCountByTargetGroup: { [TG_A]: 0 },
      requestCountByAvailabilityZone: {},
      elb5xx: 0,
      elb503: 0,
      target5xx: 0,
    });
  });

  it('splits more than 500 queries over several calls and still answers every group', async () => {
    // One query per target group: 600 groups make 604 queries, more than one call holds.
    const many = Array.from(
      { length: 600 },
      (_, i) =>
        `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/g${i}/${String(i).padStart(16, '0')}`,
    );
    const request = {
      loadBalancerArn: LB,
      targetGroupArns: [TG_A, ...many],
      start: windowStart.toISOString(),
      end: windowEnd.toISOString(),
      periodSeconds: 60,
    };
    expect(buildAlbMetricQueries(request).length).toBe(4 + 601);
    let calls = 0;
    clients.cloudwatch.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        return next(args);
      },
      { step: 'initialize', name: 'count-get-metric-data' },
    );
    try {
      const metrics = await new CloudWatchAlbMetricsReader(clients.cloudwatch).read(request);
      expect(calls).toBe(2);
      expect(metrics.requestCountByTargetGroup[TG_A]).toBe(900);
      expect(Object.keys(metrics.requestCountByTargetGroup)).toHaveLength(601);
    } finally {
      clients.cloudwatch.middlewareStack.remove('count-get-metric-data');
    }
  });

  it('reads the instance counters in the same call, only for instances that printed one', async () => {
    // moto ignores the namespace of a query with dimensions; the counters go to their own anyway.
    const counter = (service: string, instanceId: string, value: number, at: Date) =>
      datum('InstanceRequests', value, at, { Service: service, InstanceId: instanceId });
    await clients.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'LbGuard/Instances',
        MetricData: [
          counter('shop', 'i-0a', 250, t1),
          counter('shop', 'i-0a', 50, t2),
          counter('shop', 'i-0b', 20, t2),
          counter('blog', 'i-0a', 7_777, t1),
        ],
      }),
    );
    let calls = 0;
    clients.cloudwatch.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        return next(args);
      },
      { step: 'initialize', name: 'count-get-metric-data' },
    );
    try {
      const metrics = await new CloudWatchAlbMetricsReader(clients.cloudwatch).read({
        loadBalancerArn: LB,
        targetGroupArns: [TG_A],
        instanceIds: ['i-0a', 'i-0b', 'i-0c'],
        service: 'shop',
        start: windowStart.toISOString(),
        end: windowEnd.toISOString(),
        periodSeconds: 60,
      });
      expect(calls).toBe(1);
      expect(metrics.instanceRequests).toEqual({ 'i-0a': 300, 'i-0b': 20 });
      expect(metrics.requestCount).toBe(1000);
    } finally {
      clients.cloudwatch.middlewareStack.remove('count-get-metric-data');
    }
  });

  it('asks for no instance counters without a service to scope them', () => {
    const queries = buildAlbMetricQueries({
      loadBalancerArn: LB,
      targetGroupArns: [],
      instanceIds: ['i-0a'],
      start: windowStart.toISOString(),
      end: windowEnd.toISOString(),
      periodSeconds: 60,
    });
    expect(queries.map((q) => q.role.kind)).not.toContain('instance-requests');
  });

  it('wraps a failed call in AwsApiError', async () => {
    const broken = createAwsClients({
      ...motoClientConfig(),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const err = await new CloudWatchAlbMetricsReader(broken.cloudwatch)
      .read({
        loadBalancerArn: LB,
        targetGroupArns: [],
        start: windowStart.toISOString(),
        end: windowEnd.toISOString(),
        periodSeconds: 60,
      })
      .catch((e: unknown) => e);
    destroyAwsClients(broken);
    expect(err).toBeInstanceOf(AwsApiError);
    expect((err as AwsApiError).operation).toBe('GetMetricData');
  });
});
