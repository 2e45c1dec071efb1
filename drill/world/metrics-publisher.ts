import { type CloudWatchClient, type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { loadBalancerDimension, targetGroupDimension } from '../../lambdas/adapters/cloudwatch.ts';
import type { DrillClock } from './clock.ts';
import type { CounterName, CounterSnapshot, StatRow } from './haproxy.ts';
import type { HaproxyPlan } from './haproxy-plan.ts';

// Publishes what ALB would publish to CloudWatch (namespace AWS/ApplicationELB), computed
// from HAProxy's counters, once per drill period (one AWS minute: 1 s by default), with the
// timestamp of that minute on the AWS-side clock. Mapping:
// - RequestCount (LoadBalancer) = requests the listeners' frontends received;
//   (TargetGroup, LoadBalancer) = requests routed to the group's backend, its 503s included;
//   (LoadBalancer, AvailabilityZone) = by the AZ of the target that served it (one HAProxy
//   plays every ALB node); requests the LB answered itself are spread evenly over the AZs.
// - HTTPCode_Target_nXX_Count = the servers' rows (checked and fail-open copies).
// - HTTPCode_ELB_5XX_Count = every backend's hrsp_5xx minus its servers' rows (ALB's own);
//   of those, refused connections and broken responses (econ, eresp) are ALB's 502s and the
//   rest its 503s (empty group, no route, fixed-response 503) → HTTPCode_ELB_503_Count.
// - HealthyHostCount / UnHealthyHostCount per group = checked servers not in maintenance,
//   UP vs DOWN by HAProxy's own checks (a gauge, published every period, as ALB does).
// - TargetResponseTime (seconds) = servers' rtime weighted by the requests they served.
// Count metrics are published only when non-zero, as ALB does.

export interface PublishedPeriod {
  /** AWS timestamp of the datapoints (start of the AWS minute). */
  readonly timestamp: string;
  /** Wall-clock epoch ms at which the period ended. */
  readonly at: number;
  readonly datums: number;
  readonly requestCount: number;
  readonly requestCountByTargetGroup: Readonly<Record<string, number>>;
  readonly elb5xx: number;
  readonly elb503: number;
  readonly target5xx: number;
}

/** What a period's counter deltas mean in ALB terms, before they become datums. */
export interface AlbPeriodFigures {
  readonly requestCount: number;
  readonly byTargetGroup: ReadonlyMap<string, TargetGroupFigures>;
  readonly byAvailabilityZone: ReadonlyMap<string, number>;
  readonly target: Readonly<Record<'2XX' | '3XX' | '4XX' | '5XX', number>>;
  readonly elb: Readonly<Record<'3XX' | '4XX' | '5XX' | '502' | '503', number>>;
  readonly fixedResponses: number;
  readonly redirects: number;
  /** Seconds; undefined when no target answered. */
  readonly targetResponseTime?: number;
}

export interface TargetGroupFigures {
  readonly requestCount: number;
  readonly target5xx: number;
  readonly healthy: number;
  readonly unhealthy: number;
}

type Totals = ReadonlyMap<string, Readonly<Record<CounterName, number>>>;

function delta(now: Totals, before: Totals | undefined, key: string, name: CounterName): number {
  return (now.get(key)?.[name] ?? 0) - (before?.get(key)?.[name] ?? 0);
}

/**
 * Turns the counter deltas between two samples into ALB figures, using the plan to know
 * which HAProxy backend and server stands for which target group, target and AZ.
 */
export function computeAlbFigures(
  plan: HaproxyPlan,
  now: CounterSnapshot,
  before: CounterSnapshot | undefined,
  availabilityZones: readonly string[],
): AlbPeriodFigures {
  const d = (key: string, name: CounterName): number =>
    Math.max(0, delta(now.totals, before?.totals, key, name));
  const status = new Map(now.rows.map((r: StatRow) => [`${r.proxy}/${r.server}`, r]));
  const requestCount = plan.frontends.reduce((a, f) => a + d(`${f.name}/FRONTEND`, 'req_tot'), 0);

  const target = { '2XX': 0, '3XX': 0, '4XX': 0, '5XX': 0 };
  const elb = { '3XX': 0, '4XX': 0, '5XX': 0, '502': 0, '503': 0 };
  const byAz = new Map<string, number>(availabilityZones.map((az) => [az, 0]));
  const byTg = new Map<string, TargetGroupFigures>();
  let fixedResponses = 0;
  let redirects = 0;
  let servedByTargets = 0;
  let rtWeighted = 0;
  let rtRequests = 0;

  for (const backend of plan.backends) {
    const be = `${backend.name}/BACKEND`;
    const servers = plan.servers.filter((s) => s.backend === backend.name);
    const srv = (name: CounterName): number => servers.reduce((a, s) => a + d(s.key, name), 0);
    const own5xx = Math.max(0, d(be, 'hrsp_5xx') - srv('hrsp_5xx'));
    switch (backend.kind) {
      case 'target-group': {
        const broken = Math.min(own5xx, srv('econ') + srv('eresp'));
        elb['5XX'] += own5xx;
        elb['502'] += broken;
        elb['503'] += own5xx - broken;
        elb['4XX'] += Math.max(0, d(be, 'hrsp_4xx') - srv('hrsp_4xx'));
        target['2XX'] += srv('hrsp_2xx');
        target['3XX'] += srv('hrsp_3xx');
        target['4XX'] += srv('hrsp_4xx');
        target['5XX'] += srv('hrsp_5xx');
        let healthy = 0;
        let unhealthy = 0;
        for (const s of servers) {
          const served = d(s.key, 'stot');
          servedByTargets += served;
          if (served > 0 && s.availabilityZone !== undefined) {
            byAz.set(s.availabilityZone, (byAz.get(s.availabilityZone) ?? 0) + served);
          }
          const row = status.get(s.key);
          if (served > 0 && row) {
            rtWeighted += row.rtimeMs * served;
            rtRequests += served;
          }
          if (s.backup || row === undefined || row.status === 'MAINT') continue;
          if (row.status.startsWith('UP') || row.status === 'no check') healthy++;
          else unhealthy++;
        }
        byTg.set(backend.targetGroupArn, {
          requestCount: d(be, 'stot'),
          target5xx: srv('hrsp_5xx'),
          healthy,
          unhealthy,
        });
        break;
      }
      case 'fixed-response':
        fixedResponses += d(be, 'stot');
        elb['4XX'] += d(be, 'hrsp_4xx');
        elb['5XX'] += own5xx;
        if (backend.statusCode === '503') elb['503'] += own5xx;
        break;
      case 'redirect':
        redirects += d(be, 'stot');
        elb['3XX'] += d(be, 'hrsp_3xx');
        break;
      case 'no-route':
        elb['5XX'] += own5xx;
        elb['503'] += own5xx;
        break;
    }
  }

  // Requests the LB answered itself have no target AZ; spread them like DNS spreads clients.
  const lbOnly = Math.max(0, requestCount - servedByTargets);
  const azs = [...byAz.keys()];
  azs.forEach((az, i) => {
    const share = Math.floor(lbOnly / azs.length) + (i < lbOnly % azs.length ? 1 : 0);
    byAz.set(az, (byAz.get(az) ?? 0) + share);
  });

  return {
    requestCount,
    byTargetGroup: byTg,
    byAvailabilityZone: byAz,
    target,
    elb,
    fixedResponses,
    redirects,
    ...(rtRequests > 0 ? { targetResponseTime: rtWeighted / rtRequests / 1000 } : {}),
  };
}

/** ALB datums for one period's figures. */
export function toAlbDatums(plan: HaproxyPlan, figures: AlbPeriodFigures, timestamp: Date): MetricDatum[] {
  const lb = { Name: 'LoadBalancer', Value: loadBalancerDimension(plan.loadBalancerArn) };
  const out: MetricDatum[] = [];
  const put = (
    name: string,
    value: number,
    dims: { Name: string; Value: string }[],
    always = false,
    unit = 'Count',
  ): void => {
    if (value === 0 && !always) return;
    out.push({
      MetricName: name,
      Dimensions: dims,
      Timestamp: timestamp,
      Value: value,
      Unit: unit as 'Count',
    });
  };
  put('RequestCount', figures.requestCount, [lb]);
  for (const [arn, g] of figures.byTargetGroup) {
    const dims = [{ Name: 'TargetGroup', Value: targetGroupDimension(arn) }, lb];
    put('RequestCount', g.requestCount, dims);
    put('HTTPCode_Target_5XX_Count', g.target5xx, dims);
    put('HealthyHostCount', g.healthy, dims, true);
    put('UnHealthyHostCount', g.unhealthy, dims, true);
  }
  for (const [az, n] of figures.byAvailabilityZone)
    put('RequestCount', n, [lb, { Name: 'AvailabilityZone', Value: az }]);
  for (const code of ['2XX', '3XX', '4XX', '5XX'] as const)
    put(`HTTPCode_Target_${code}_Count`, figures.target[code], [lb]);
  for (const code of ['3XX', '4XX', '5XX', '502', '503'] as const)
    put(`HTTPCode_ELB_${code}_Count`, figures.elb[code], [lb]);
  put('HTTP_Fixed_Response_Count', figures.fixedResponses, [lb]);
  put('HTTP_Redirect_Count', figures.redirects, [lb]);
  if (figures.targetResponseTime !== undefined) {
    out.push({
      MetricName: 'TargetResponseTime',
      Dimensions: [lb],
      Timestamp: timestamp,
      Value: figures.targetResponseTime,
      Unit: 'Seconds',
    });
  }
  return out;
}

export interface MetricsPublisherOptions {
  readonly cloudwatch: CloudWatchClient;
  readonly clock: DrillClock;
  /** Current routing plan (which backend is which target group). */
  readonly plan: () => HaproxyPlan;
  /** A fresh cumulative counter sample. */
  readonly sample: () => Promise<CounterSnapshot>;
  readonly availabilityZones: readonly string[];
  /** Wall-clock ms per period. Default the clock's AWS minute (1000 ms by default). */
  readonly periodMs?: number;
}

/** PutMetricData accepts this many datums per call (moto and AWS both take 20 safely). */
const DATUMS_PER_CALL = 20;

export class MetricsPublisher {
  readonly published: PublishedPeriod[] = [];
  readonly errors: string[] = [];
  readonly #opts: MetricsPublisherOptions;
  #timer: NodeJS.Timeout | undefined;
  #previous: CounterSnapshot | undefined;
  #periodIndex = 0;
  #inFlight: Promise<unknown> = Promise.resolve();
  #running = false;

  constructor(opts: MetricsPublisherOptions) {
    this.#opts = opts;
  }

  get periodMs(): number {
    return this.#opts.periodMs ?? this.#opts.clock.awsMinuteMs;
  }

  /** Takes the baseline sample and publishes at every period boundary of the drill clock. */
  async start(): Promise<void> {
    this.#previous = await this.#opts.sample();
    this.#periodIndex = Math.floor(this.#opts.clock.elapsedMs() / this.periodMs);
    this.#running = true;
    this.#schedule();
  }

  /** Publishes the period that ends now (also used by tests to flush). */
  async publishOnce(): Promise<PublishedPeriod> {
    const { clock } = this.#opts;
    const now = await this.#opts.sample();
    const plan = this.#opts.plan();
    const figures = computeAlbFigures(plan, now, this.#previous, this.#opts.availabilityZones);
    this.#previous = now;
    // The datapoint carries the AWS minute the period stands for.
    const periodStartReal = clock.realStartMs + this.#periodIndex * this.periodMs;
    this.#periodIndex++;
    const timestamp = clock.awsDate(periodStartReal);
    const datums = toAlbDatums(plan, figures, timestamp);
    for (let i = 0; i < datums.length; i += DATUMS_PER_CALL) {
      await this.#opts.cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/ApplicationELB',
          MetricData: datums.slice(i, i + DATUMS_PER_CALL),
        }),
      );
    }
    const period: PublishedPeriod = {
      timestamp: timestamp.toISOString(),
      at: now.at,
      datums: datums.length,
      requestCount: figures.requestCount,
      requestCountByTargetGroup: Object.fromEntries(
        [...figures.byTargetGroup].map(([arn, g]) => [arn, g.requestCount]),
      ),
      elb5xx: figures.elb['5XX'],
      elb503: figures.elb['503'],
      target5xx: figures.target['5XX'],
    };
    this.published.push(period);
    return period;
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#inFlight;
  }

  #schedule(): void {
    if (!this.#running) return;
    const { clock } = this.#opts;
    const nextBoundary = clock.realStartMs + (this.#periodIndex + 1) * this.periodMs;
    this.#timer = setTimeout(
      () => {
        this.#inFlight = this.publishOnce()
          .catch((err: Error) => {
            this.errors.push(err.message);
            if (this.errors.length > 100) this.errors.shift();
          })
          .finally(() => this.#schedule());
      },
      Math.max(0, nextBoundary - clock.nowMs()),
    );
  }
}
