import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LBGUARD_DEPLOYMENT_METRICS } from '../lib/metrics.ts';
import type { LoadBalancerArnParts } from './arns.ts';
import {
  albMetric,
  LBGUARD_METRICS,
  LBGUARD_NAMESPACE,
  lbguardMetric,
  targetGroupMetric,
} from './metrics.ts';

/** Thresholds of the alarms lbguard creates. Every field is optional. */
export interface LbGuardAlarmOptions {
  /**
   * ALB-generated 5xx responses (503 included) per minute that count as a breaching minute.
   * @default 5
   */
  readonly elb5xxPerMinute?: number;
  /**
   * Minutes drift from last known good may persist before it alarms. Longer than the service's
   * soak period so a deliberate, healthy change is promoted before it pages anyone.
   * @default - the service's `thresholds.soakSeconds` in minutes, plus 5
   */
  readonly driftToleranceMinutes?: number;
  /**
   * Minutes without a probe invocation before "probe not running" alarms.
   * @default 5
   */
  readonly probeSilenceMinutes?: number;
}

/** What one service's alarms watch. */
export interface ServiceAlarmsProps {
  readonly service: string;
  readonly loadBalancer: LoadBalancerArnParts;
  /** Target groups with an unhealthy-host alarm; ALB publishes health only per target group. */
  readonly targetGroupArns: readonly string[];
  /** Period of inspect's metrics (`SkewDetected`, `DriftCount`): its schedule rate. */
  readonly inspectPeriod: Duration;
  /** The service's soak period: how long a healthy change takes to become last known good. */
  readonly soakSeconds: number;
  readonly options: LbGuardAlarmOptions;
}

/**
 * One guarded service's alarms. `incidentAlarms` are the ones that mean customers are (or are
 * about to be) hurt; the composite "service degraded" alarm and the inspect wake-up rule use them.
 */
export class ServiceAlarms extends Construct {
  readonly all: cloudwatch.Alarm[] = [];
  readonly incidentAlarms: cloudwatch.Alarm[] = [];
  readonly degraded: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { service, loadBalancer, inspectPeriod, options } = props;
    const minute = Duration.minutes(1);
    const name = (what: string) => `lbguard ${service}: ${what}`;

    this.add(
      true,
      lbguardMetric(service, LBGUARD_METRICS.probeSuccess, 'Average', minute).createAlarm(
        this,
        'ProbeFailing',
        {
          alarmDescription: `${name('synthetic probes failing')}. Fewer than half of the probe runs passed in 2 of the last 3 minutes. No data counts as failing: a silent probe is a blind guard.`,
          threshold: 0.5,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      ),
    );

    this.add(
      true,
      albMetric(loadBalancer.fullName, 'HTTPCode_ELB_5XX_Count', 'Sum').createAlarm(this, 'Elb5xx', {
        alarmDescription: `${name('load balancer answering 5xx')}. The ALB itself generated at least ${options.elb5xxPerMinute ?? 5} 5xx responses (503 = no healthy or no registered target) a minute in 2 of the last 3 minutes.`,
        ...atLeast(options.elb5xxPerMinute ?? 5, 3),
        datapointsToAlarm: 2,
      }),
    );

    if (props.targetGroupArns.length > 0) {
      // One alarm over all guarded target groups: health is published per group, and a math
      // expression keeps the alarm count (and its price) at one.
      const usingMetrics: Record<string, cloudwatch.IMetric> = {};
      props.targetGroupArns.forEach((arn, i) => {
        usingMetrics[`u${i}`] = targetGroupMetric(
          loadBalancer.fullName,
          arn,
          'UnHealthyHostCount',
          'Maximum',
        );
      });
      const expression = Object.keys(usingMetrics)
        .map((k) => `FILL(${k}, 0)`)
        .join(' + ');
      this.add(
        true,
        new cloudwatch.MathExpression({
          expression,
          usingMetrics,
          label: 'Unhealthy targets',
          period: minute,
        }).createAlarm(this, 'UnhealthyHosts', {
          alarmDescription: `${name('unhealthy targets')}. At least one registered target failed its health check for 3 consecutive minutes.`,
          ...atLeast(1, 3),
        }),
      );
    }

    this.add(
      true,
      lbguardMetric(service, LBGUARD_METRICS.skewDetected, 'Maximum', inspectPeriod).createAlarm(
        this,
        'Skew',
        {
          alarmDescription: `${name('routing skew')}. inspect found traffic concentrated on fewer targets than the service is meant to use (the statistical test already requires a minimum sample and effect size).`,
          ...atLeast(1),
        },
      ),
    );

    const driftMinutes = options.driftToleranceMinutes ?? Math.ceil(props.soakSeconds / 60) + 5;
    const driftPeriods = Math.max(1, Math.ceil(driftMinutes / inspectPeriod.toMinutes()));
    this.add(
      false,
      lbguardMetric(service, LBGUARD_METRICS.driftCount, 'Maximum', inspectPeriod).createAlarm(
        this,
        'ConfigDrift',
        {
          alarmDescription: `${name('configuration drift')}. The routing configuration has differed from last known good for ${driftMinutes} minutes without being promoted.`,
          ...atLeast(1, driftPeriods),
        },
      ),
    );

    this.add(
      false,
      lbguardMetric(service, LBGUARD_METRICS.remediationFailed, 'Sum', minute).createAlarm(
        this,
        'RemediationFailed',
        {
          alarmDescription: `${name('remediation failed')}. remediate could not apply or verify a plan.`,
          ...atLeast(1),
        },
      ),
    );

    this.add(
      true,
      lbguardMetric(service, LBGUARD_METRICS.incidentEscalated, 'Sum', minute).createAlarm(
        this,
        'IncidentEscalated',
        {
          alarmDescription: `${name('incident escalated')}. lbguard handed the incident to people (budget spent, verification failed, or not an LB fault).`,
          ...atLeast(1),
        },
      ),
    );

    this.degraded = new cloudwatch.CompositeAlarm(this, 'ServiceDegraded', {
      alarmDescription: `${name('service degraded')}. Any of: probes failing, ALB 5xx, unhealthy targets, routing skew, incident escalated.`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...this.incidentAlarms),
    });
  }

  private add(incident: boolean, alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    this.all.push(alarm);
    if (incident) {
      this.incidentAlarms.push(alarm);
    }
    return alarm;
  }
}

/** Alarms on the machinery itself: function errors and throttles, silent schedules, state writes, the DLQ. */
export interface OperationalAlarmsProps {
  readonly probe: lambda.IFunction;
  readonly inspect: lambda.IFunction;
  readonly remediate: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  readonly inspectPeriod: Duration;
  readonly options: LbGuardAlarmOptions;
}

/** lbguard watching itself: a guard that stopped running must page like an outage. */
export class OperationalAlarms extends Construct {
  readonly all: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const functions = { Probe: props.probe, Inspect: props.inspect, Remediate: props.remediate };
    for (const [label, fn] of Object.entries(functions)) {
      this.all.push(
        fn
          .metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
          .createAlarm(this, `${label}Errors`, {
            alarmDescription: `lbguard: ${label.toLowerCase()} function errors. At least one invocation failed in the last 5 minutes; see its log group.`,
            ...atLeast(1),
          }),
      );
      // remediate runs one at a time by design, so a few throttles while a run verifies are normal.
      const throttleThreshold = label === 'Remediate' ? 5 : 1;
      this.all.push(
        fn
          .metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' })
          .createAlarm(this, `${label}Throttles`, {
            alarmDescription: `lbguard: ${label.toLowerCase()} function throttled at least ${throttleThreshold} time(s) in 5 minutes.`,
            ...atLeast(throttleThreshold),
          }),
      );
    }

    const probeSilence = props.options.probeSilenceMinutes ?? 5;
    this.all.push(
      props.probe
        .metricInvocations({ period: Duration.minutes(probeSilence), statistic: 'Sum' })
        .createAlarm(this, 'ProbeNotRunning', {
          alarmDescription: `lbguard: probe not running. No probe invocation in ${probeSilence} minutes; the schedule is disabled or broken. No data counts as breaching.`,
          ...notOnce(),
        }),
    );
    // Two inspect periods (at least 5 minutes) so one late scheduled run does not page.
    const inspectSilence = Duration.minutes(Math.max(5, 2 * props.inspectPeriod.toMinutes()));
    this.all.push(
      props.inspect
        .metricInvocations({ period: inspectSilence, statistic: 'Sum' })
        .createAlarm(this, 'InspectNotRunning', {
          alarmDescription: `lbguard: inspect not running. No inspect invocation in ${inspectSilence.toMinutes()} minutes. No data counts as breaching.`,
          ...notOnce(),
        }),
    );

    // Every function writes the state table (probe results, snapshots, incidents, locks); a write
    // that fails after retries is counted wherever it happens, even on a path that carries on.
    this.all.push(
      new cloudwatch.Metric({
        namespace: LBGUARD_NAMESPACE,
        metricName: LBGUARD_DEPLOYMENT_METRICS.stateWriteFailed,
        statistic: 'Sum',
        period: Duration.minutes(5),
      }).createAlarm(this, 'StateTableWriteFailing', {
        alarmDescription:
          "lbguard: the state table cannot be written. At least one write failed after retries in the last 5 minutes (throttling, access denied, a disabled key or a deleted table): lbguard cannot record probes, snapshots or incidents, so it is blind. See the functions' logs for the error.",
        ...atLeast(1),
      }),
    );

    this.all.push(
      props.deadLetterQueue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
        .createAlarm(this, 'DeadLetterQueueNotEmpty', {
          alarmDescription:
            'lbguard: dead-letter queue not empty. An asynchronous invocation failed after its retries; the message holds the event that was lost.',
          ...atLeast(1),
        }),
    );
  }
}

type AlarmCondition = Pick<
  cloudwatch.CreateAlarmOptions,
  'threshold' | 'comparisonOperator' | 'evaluationPeriods' | 'treatMissingData'
>;

/** Alarms when the metric reaches `threshold` in `evaluationPeriods` consecutive periods; no data never alarms. */
function atLeast(threshold: number, evaluationPeriods = 1): AlarmCondition {
  return {
    threshold,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}

/** Alarms on a period without a single occurrence; no data alarms too, since silence is the failure. */
function notOnce(): AlarmCondition {
  return {
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  };
}
