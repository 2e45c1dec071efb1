// What each cost lever of issue 18 saves: the layout before it (recorded) against the layout the
// bench measures now, line by line, so the report shows which lever bought which dollars. Pure:
// the "before" figures are constants with their source, the "after" ones come in measured.
import { type CostInputs, type CostSchedule, metricReadsPerMonth } from './cost-model.ts';
import { PRICES } from './prices.ts';

/** The billable layout a lever changes, per deployment and per guarded service. */
export interface LeverLayout {
  /** Custom metric names a service publishes in steady state. */
  readonly customMetrics: number;
  /** Metrics read by one service's metric alarms (one target group). */
  readonly serviceAlarmMetrics: number;
  readonly serviceComposites: number;
  /** Metrics read by the deployment's own (operational) alarms. */
  readonly deploymentAlarmMetrics: number;
  readonly dashboards: number;
  /** Metrics requested per GetMetricData read of one service (one target group). */
  readonly metricQueries: number;
  readonly kmsKeys: number;
}

/**
 * The layout before issue 18, as bench/results.json recorded it at commit 618cb2e (1 target
 * group): 6 metric names, 7 service alarms and a composite, 10 operational alarms, a dashboard,
 * 8 GetMetricData metrics a read, 2 KMS keys.
 */
export const BEFORE_ISSUE_18: LeverLayout = {
  customMetrics: 6,
  serviceAlarmMetrics: 7,
  serviceComposites: 1,
  deploymentAlarmMetrics: 10,
  dashboards: 1,
  metricQueries: 8,
  kmsKeys: 2,
};

/** The layout the bench measured: template counts and emitted metric names. */
export function measuredLayout(inputs: CostInputs): LeverLayout {
  return {
    customMetrics: inputs.customMetrics,
    serviceAlarmMetrics: inputs.service.alarmMetrics,
    serviceComposites: inputs.service.compositeAlarms,
    deploymentAlarmMetrics: inputs.deployment.alarmMetrics,
    dashboards: inputs.deployment.dashboards + inputs.service.dashboards,
    metricQueries: inputs.metricQueries,
    kmsKeys: inputs.deployment.kmsKeys + inputs.service.kmsKeys,
  };
}

/** One lever: what it changed and the monthly dollars before and after, for each bill. */
export interface Lever {
  readonly lever: string;
  /** Whether the default uses it. */
  readonly taken: boolean;
  readonly change: string;
  readonly firstBeforeUsd: number;
  readonly firstAfterUsd: number;
  readonly additionalBeforeUsd: number;
  readonly additionalAfterUsd: number;
  readonly why: string;
}

/**
 * Every lever of the issue with its saving, from the layout before and the layout now. A lever
 * on shared resources moves only the first service's bill; one on per-service resources moves
 * both. Levers that save nothing are listed too, with the reason.
 */
export function costLevers(
  before: LeverLayout,
  after: LeverLayout,
  schedule: Pick<CostSchedule, 'inspectRateMinutes' | 'metricsPeriodSeconds'>,
): Lever[] {
  const reads = metricReadsPerMonth(schedule);
  const metric = PRICES.customMetricMonth.usd;
  const alarm = PRICES.standardAlarmMonth.usd;
  const perService = (b: number, a: number) => ({
    firstBeforeUsd: b,
    firstAfterUsd: a,
    additionalBeforeUsd: b,
    additionalAfterUsd: a,
  });
  const shared = (b: number, a: number) => ({
    firstBeforeUsd: b,
    firstAfterUsd: a,
    additionalBeforeUsd: 0,
    additionalAfterUsd: 0,
  });
  const gmd = (queries: number) => reads * queries * PRICES.getMetricDataMetric.usd;
  return [
    {
      lever: 'fewer custom metric names',
      taken: true,
      change: `${before.customMetrics} → ${after.customMetrics} names a service publishes in steady state`,
      ...perService(before.customMetrics * metric, after.customMetrics * metric),
      why: 'ProbeSuccess is the only gauge; drift, the Signal verdict and propagation lag publish only in the hours they happen; latency, probe 503s and served-by spread stay EMF properties (Logs Insights)',
    },
    {
      lever: 'one Signal alarm for three verdicts',
      taken: true,
      change: `${before.serviceAlarmMetrics} → ${after.serviceAlarmMetrics} alarm metrics a service`,
      ...perService(before.serviceAlarmMetrics * alarm, after.serviceAlarmMetrics * alarm),
      why: 'skew, remediation failed and incident escalated share one metric whose value names the verdict; probe, 5xx, unhealthy hosts and drift keep an alarm each',
    },
    {
      lever: 'one composite per service',
      taken: after.serviceComposites === 0,
      change: `${before.serviceComposites} → ${after.serviceComposites} composite a service (alarms.serviceComposite opts in)`,
      ...perService(
        before.serviceComposites * PRICES.compositeAlarmMonth.usd,
        after.serviceComposites * PRICES.compositeAlarmMonth.usd,
      ),
      why: 'every child alarm already notifies the topic under its own name; the composite only summarised them',
    },
    {
      lever: 'operational alarms folded',
      taken: true,
      change: `${before.deploymentAlarmMetrics} → ${after.deploymentAlarmMetrics} alarm metrics a deployment`,
      ...shared(before.deploymentAlarmMetrics * alarm, after.deploymentAlarmMetrics * alarm),
      why: 'errors and throttles page through the dead-letter queue once retries are spent and through "not running"; alarms.functionErrors brings back a first-error alarm (one math alarm naming the function, $0.30)',
    },
    {
      lever: 'opt-in dashboard',
      taken: after.dashboards === 0,
      change: `${before.dashboards} → ${after.dashboards} dashboard (dashboard: true opts in)`,
      ...shared(before.dashboards * PRICES.dashboardMonth.usd, after.dashboards * PRICES.dashboardMonth.usd),
      why: "the alarms and the topic carry the on-call's signal; the dashboard is for digging in afterwards",
    },
    {
      lever: 'fewer GetMetricData metrics',
      taken: true,
      change: `${before.metricQueries} → ${after.metricQueries} metrics a read, ${Math.round(reads).toLocaleString('en-US')} reads`,
      ...perService(gmd(before.metricQueries), gmd(after.metricQueries)),
      why: 'target health comes from DescribeTargetHealth every cycle and no decision used response time',
    },
    {
      lever: 'GetMetricData batched across services',
      taken: false,
      change: 'not changed: one call per service',
      ...perService(gmd(after.metricQueries), gmd(after.metricQueries)),
      why: 'GetMetricData bills per metric requested, not per call: one call for every service would save requests, not dollars',
    },
    {
      lever: 'one KMS key for topic and state',
      taken: false,
      change: `${before.kmsKeys} → ${after.kmsKeys} keys`,
      ...shared(before.kmsKeys * PRICES.kmsKeyMonth.usd, after.kmsKeys * PRICES.kmsKeyMonth.usd),
      why: "the state key is an HMAC key (GenerateMac/VerifyMac) and cannot encrypt; SNS's AWS managed key admits no CloudWatch alarm",
    },
  ];
}
