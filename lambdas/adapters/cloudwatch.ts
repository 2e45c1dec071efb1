import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { AwsApiError, LbGuardError } from '../../lib/errors.ts';
import {
  INSTANCE_COUNTER_METRIC,
  INSTANCE_COUNTER_NAMESPACE,
  INSTANCE_ID_DIMENSION,
} from '../../lib/instance-counters.ts';
import type { AlbMetrics } from '../../lib/types.ts';

export interface AlbMetricsRequest {
  readonly loadBalancerArn: string;
  readonly targetGroupArns: readonly string[];
  /** AZs to break `RequestCount` down by; none → no per-AZ queries. */
  readonly availabilityZones?: readonly string[];
  /**
   * Identities (`InstanceId` values) to read the application's `LbGuard/Instances InstanceRequests`
   * counter for, with `service` as the `Service` dimension; none, or no service → no such queries.
   */
  readonly instanceIds?: readonly string[];
  readonly service?: string;
  /** ISO-8601 window. */
  readonly start: string;
  readonly end: string;
  readonly periodSeconds: number;
}

/** ALB metrics plus the instance counters asked for. */
export interface AlbMetricsReading extends AlbMetrics {
  /** `InstanceRequests` summed over the window, only for identities that returned datapoints. */
  readonly instanceRequests?: Readonly<Record<string, number>>;
}

/** Reads the ALB metrics lbguard uses, summed over one window. */
export interface AlbMetricsReader {
  read(request: AlbMetricsRequest): Promise<AlbMetricsReading>;
}

/** What one query's values feed in `AlbMetrics`. */
export type QueryRole =
  | { readonly kind: 'request-count' }
  | { readonly kind: 'request-count-tg'; readonly targetGroupArn: string }
  | { readonly kind: 'request-count-az'; readonly availabilityZone: string }
  | { readonly kind: 'elb-5xx' }
  | { readonly kind: 'elb-503' }
  | { readonly kind: 'target-5xx' }
  | { readonly kind: 'instance-requests'; readonly instanceId: string };

export interface PlannedQuery {
  readonly role: QueryRole;
  readonly query: MetricDataQuery;
}

const NAMESPACE = 'AWS/ApplicationELB';
/** GetMetricData accepts at most 500 queries per call. */
export const MAX_QUERIES_PER_CALL = 500;
const MAX_PAGES = 20;

/** `app/shop/50dc6c495c0c9188` from a load balancer ARN: the `LoadBalancer` dimension value. */
export function loadBalancerDimension(arn: string): string {
  const i = arn.indexOf(':loadbalancer/');
  if (i < 0) throw new LbGuardError(`not a load balancer ARN: ${arn}`);
  return arn.slice(i + ':loadbalancer/'.length);
}

/** `targetgroup/web-a/73e2d6bc24d8a067` from a target group ARN: the `TargetGroup` dimension value. */
export function targetGroupDimension(arn: string): string {
  const i = arn.indexOf(':targetgroup/');
  if (i < 0) throw new LbGuardError(`not a target group ARN: ${arn}`);
  return arn.slice(i + 1);
}

/**
 * The queries for one window: 4 per load balancer, 1 per target group, 1 per AZ, 1 per instance
 * identity (when a service is named). Only `Sum`: the skew test and the diagnosis need counts.
 * GetMetricData bills per metric requested, so this count is the per-read cost: target health
 * is not read here (inspect reads DescribeTargetHealth every cycle, which is newer than a
 * metric), nor response time (no decision uses it).
 */
export function buildAlbMetricQueries(request: AlbMetricsRequest): PlannedQuery[] {
  const lb = { Name: 'LoadBalancer', Value: loadBalancerDimension(request.loadBalancerArn) };
  const period = request.periodSeconds;
  const stat = (
    id: string,
    metricName: string,
    dims: { Name: string; Value: string }[],
    s: 'Sum',
    namespace = NAMESPACE,
  ) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dims },
      Period: period,
      Stat: s,
    },
    ReturnData: true,
  });
  const planned: PlannedQuery[] = [
    { role: { kind: 'request-count' }, query: stat('rc', 'RequestCount', [lb], 'Sum') },
    { role: { kind: 'elb-5xx' }, query: stat('elb5xx', 'HTTPCode_ELB_5XX_Count', [lb], 'Sum') },
    { role: { kind: 'elb-503' }, query: stat('elb503', 'HTTPCode_ELB_503_Count', [lb], 'Sum') },
    { role: { kind: 'target-5xx' }, query: stat('target5xx', 'HTTPCode_Target_5XX_Count', [lb], 'Sum') },
  ];
  request.targetGroupArns.forEach((arn, i) => {
    const dims = [{ Name: 'TargetGroup', Value: targetGroupDimension(arn) }, lb];
    planned.push({
      role: { kind: 'request-count-tg', targetGroupArn: arn },
      query: stat(`rc_tg${i}`, 'RequestCount', dims, 'Sum'),
    });
  });
  (request.availabilityZones ?? []).forEach((az, i) => {
    planned.push({
      role: { kind: 'request-count-az', availabilityZone: az },
      query: stat(`rc_az${i}`, 'RequestCount', [lb, { Name: 'AvailabilityZone', Value: az }], 'Sum'),
    });
  });
  const service = request.service;
  if (service !== undefined) {
    request.instanceIds?.forEach((instanceId, i) => {
      const dims = [
        { Name: 'Service', Value: service },
        { Name: INSTANCE_ID_DIMENSION, Value: instanceId },
      ];
      planned.push({
        role: { kind: 'instance-requests', instanceId },
        query: stat(`ir${i}`, INSTANCE_COUNTER_METRIC, dims, 'Sum', INSTANCE_COUNTER_NAMESPACE),
      });
    });
  }
  return planned;
}

interface Series {
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
}

function sum(s: Series | undefined): number {
  return (s?.values ?? []).reduce((a, b) => a + b, 0);
}

/** Folds query results into `AlbMetrics`; exported so tests can check the arithmetic alone. */
export function foldAlbMetrics(
  request: Pick<AlbMetricsRequest, 'start' | 'end'>,
  planned: readonly PlannedQuery[],
  series: ReadonlyMap<string, Series>,
): AlbMetricsReading {
  const byTg: Record<string, number> = {};
  const byAz: Record<string, number> = {};
  const instanceRequests: Record<string, number> = {};
  let requestCount = 0;
  let elb5xx = 0;
  let elb503 = 0;
  let target5xx = 0;
  for (const { role, query } of planned) {
    const s = series.get(query.Id ?? '');
    switch (role.kind) {
      case 'request-count':
        requestCount = sum(s);
        break;
      case 'request-count-tg':
        byTg[role.targetGroupArn] = sum(s);
        break;
      case 'request-count-az':
        byAz[role.availabilityZone] = sum(s);
        break;
      case 'elb-5xx':
        elb5xx = sum(s);
        break;
      case 'elb-503':
        elb503 = sum(s);
        break;
      case 'target-5xx':
        target5xx = sum(s);
        break;
      // No datapoints means the instance prints no counter, not that it served nothing.
      case 'instance-requests':
        if (s !== undefined && s.values.length > 0) instanceRequests[role.instanceId] = sum(s);
        break;
    }
  }
  return {
    windowStart: request.start,
    windowEnd: request.end,
    requestCount,
    requestCountByTargetGroup: byTg,
    requestCountByAvailabilityZone: byAz,
    elb5xx,
    elb503,
    target5xx,
    ...(Object.keys(instanceRequests).length === 0 ? {} : { instanceRequests }),
  };
}

/**
 * Reads ALB metrics (and instance counters) with one GetMetricData call per 500 queries (one
 * call unless target groups, AZs and instances need more), following NextToken within a bounded
 * number of pages.
 */
export class CloudWatchAlbMetricsReader implements AlbMetricsReader {
  readonly #client: CloudWatchClient;

  constructor(client: CloudWatchClient) {
    this.#client = client;
  }

  async read(request: AlbMetricsRequest): Promise<AlbMetricsReading> {
    const planned = buildAlbMetricQueries(request);
    const collected = new Map<string, { timestamps: number[]; values: number[] }>();
    for (let i = 0; i < planned.length; i += MAX_QUERIES_PER_CALL) {
      const queries = planned.slice(i, i + MAX_QUERIES_PER_CALL).map((p) => p.query);
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await this.#send(request, queries, nextToken);
        for (const r of out.MetricDataResults ?? []) collect(collected, r);
        nextToken = out.NextToken;
        if (nextToken === undefined) break;
      }
    }
    return foldAlbMetrics(request, planned, collected);
  }

  async #send(request: AlbMetricsRequest, queries: MetricDataQuery[], nextToken: string | undefined) {
    try {
      return await this.#client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(request.start),
          EndTime: new Date(request.end),
          ScanBy: 'TimestampAscending',
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
    } catch (cause) {
      throw new AwsApiError('GetMetricData', { cause });
    }
  }
}

function collect(into: Map<string, { timestamps: number[]; values: number[] }>, r: MetricDataResult): void {
  if (r.Id === undefined) return;
  const entry = into.get(r.Id) ?? { timestamps: [], values: [] };
  (r.Values ?? []).forEach((v, i) => {
    entry.values.push(v);
    entry.timestamps.push(r.Timestamps?.[i]?.getTime() ?? Number.NaN);
  });
  into.set(r.Id, entry);
}
