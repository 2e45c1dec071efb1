import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LBGUARD_DEPLOYMENT_METRICS, SIGNAL_CODES } from '../lib/metrics.ts';
import type { LoadBalancerArnParts } from './arns.ts';
import {
  albMetric,
  LBGUARD_METRICS,
  LBGUARD_NAMESPACE,
  lbguardMetric,
  targetGroupMetric,
} from './metrics.ts';

/** Thresholds of the alarms lbguard creates, and the alarms it creates only when asked. */
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
  /**
   * One composite "service degraded" alarm per service over its incident alarms ($0.50 a month
   * each). Every child already notifies the topic under its own name, so the composite only
   * summarises; turn it on for a single per-service status to page on or to show.
   * @default false
   */
  readonly serviceComposite?: boolean;
  /**
   * One metric-math alarm on the three functions' `Errors` that pages on the first failed
   * invocation, its value naming the functions (1 probe + 2 inspect + 4 remediate): 3 alarm
   * metrics, $0.30 a month. Without it a failure pages once retries are spent, through
   * `DeadLetterQueueNotEmpty` (probe at once: it is not retried; inspect after 1 retry;
   * remediate after 2).
   * @default false
   */
  readonly functionErrors?: boolean;
}

/** The on-call's signals for one service, each with an alarm that notifies the topic. */
export type OnCallSignal =
  | 'probe-failing'
  | 'elb-5xx'
  | 'unhealthy-hosts'
  | 'routing-skew'
  | 'config-drift'
  | 'remediation-failed'
  | 'incident-escalated';

/** Where a signal shows: its alarm, and for the shared `Signal` alarm the value that names it. */
export interface SignalAlarm {
  readonly alarm: cloudwatch.Alarm;
  readonly value?: number;
}

/** What one service's alarms watch. */
export interface ServiceAlarmsProps {
  readonly service: string;
  readonly loadBalancer: LoadBalancerArnParts;
  /** Target groups with an unhealthy-host alarm; ALB publishes health only per target group. */
  readonly targetGroupArns: readonly string[];
  /** Period of inspect's metrics (`Signal`, `DriftCount`): its schedule rate. */
  readonly inspectPeriod: Duration;
  /** The service's soak period: how long a healthy change takes to become last known good. */
  readonly soakSeconds: number;
  readonly options: LbGuardAlarmOptions;
}

/**
 * One guarded service's alarms, priced per metric they read ($0.10 each): probe failing and the
 * two ALB alarms (on the load balancer's own metrics, so they page even if lbguard is broken),
 * configuration drift, and one `Signal` alarm whose value names which of lbguard's verdicts
 * fired. `incidentAlarms` are the ones that mean customers are (or are about to be) hurt; they
 * wake inspect, and the optional composite summarises them.
 */
export class ServiceAlarms extends Construct {
  readonly all: cloudwatch.Alarm[] = [];
  readonly incidentAlarms: cloudwatch.Alarm[] = [];
  /** Every on-call signal of the service, by name (`unhealthy-hosts` only with target groups). */
  readonly signals: Partial<Record<OnCallSignal, SignalAlarm>> = {};
  /** The composite "service degraded" alarm, when `serviceComposite` is on. */
  readonly degraded?: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const { service, loadBalancer, inspectPeriod, options } = props;
    const minute = Duration.minutes(1);
    const name = (what: string) => `lbguard ${service}: ${what}`;

    const probeFailing = this.add(
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
    this.signals['probe-failing'] = { alarm: probeFailing };

    const elb5xx = this.add(
      true,
      albMetric(loadBalancer.fullName, 'HTTPCode_ELB_5XX_Count', 'Sum').createAlarm(this, 'Elb5xx', {
        alarmDescription: `${name('load balancer answering 5xx')}. The ALB itself generated at least ${options.elb5xxPerMinute ?? 5} 5xx responses (503 = no healthy or no registered target) a minute in 2 of the last 3 minutes.`,
        ...atLeast(options.elb5xxPerMinute ?? 5, 3),
        datapointsToAlarm: 2,
      }),
    );
    this.signals['elb-5xx'] = { alarm: elb5xx };

    if (props.targetGroupArns.length > 0) {
      // One alarm over all guarded target groups: health is published per group, and a math
      // expression keeps the alarm count at one (CloudWatch still bills each metric it reads).
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
      const unhealthy = this.add(
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
      this.signals['unhealthy-hosts'] = { alarm: unhealthy };
    }

    // Three verdicts, one metric, one alarm: lbguard publishes `Signal` only when it has a
    // verdict, its value ranked so that the period's Maximum is the most severe one.
    const signal = this.add(
      true,
      lbguardMetric(service, LBGUARD_METRICS.signal, 'Maximum', inspectPeriod).createAlarm(this, 'Signal', {
        alarmDescription: `${name('lbguard verdict')}. The value in the reason names it: ${SIGNAL_CODES.routingSkew} = routing skew (inspect found traffic concentrated on fewer targets than the service is meant to use), ${SIGNAL_CODES.remediationFailed} = remediation failed (remediate could not apply or verify a plan), ${SIGNAL_CODES.incidentEscalated} = incident escalated (handed to people: budget spent, verification failed, or not an LB fault). A period with several reports the highest; lbguard's own message on this topic has the detail.`,
        ...atLeast(1),
      }),
    );
    this.signals['routing-skew'] = { alarm: signal, value: SIGNAL_CODES.routingSkew };
    this.signals['remediation-failed'] = { alarm: signal, value: SIGNAL_CODES.remediationFailed };
    this.signals['incident-escalated'] = { alarm: signal, value: SIGNAL_CODES.incidentEscalated };

    const driftMinutes = options.driftToleranceMinutes ?? Math.ceil(props.soakSeconds / 60) + 5;
    const driftPeriods = Math.max(1, Math.ceil(driftMinutes / inspectPeriod.toMinutes()));
    const drift = this.add(
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
    this.signals['config-drift'] = { alarm: drift };

    if (options.serviceComposite === true) {
      this.degraded = new cloudwatch.CompositeAlarm(this, 'ServiceDegraded', {
        alarmDescription: `${name('service degraded')}. Any of: probes failing, ALB 5xx, unhealthy targets, an lbguard verdict (skew, remediation failed, incident escalated).`,
        alarmRule: cloudwatch.AlarmRule.anyOf(...this.incidentAlarms),
      });
    }
  }

  private add(incident: boolean, alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    this.all.push(alarm);
    if (incident) {
      this.incidentAlarms.push(alarm);
    }
    return alarm;
  }
}

/** Alarms on the machinery itself: silent schedules, state writes, the DLQ (and, if asked, errors). */
export interface OperationalAlarmsProps {
  readonly probe: lambda.IFunction;
  readonly inspect: lambda.IFunction;
  readonly remediate: lambda.IFunction;
  /** Discovery mode's enrol function: its errors join `FunctionErrors` (8) and reach the DLQ. */
  readonly enrol?: lambda.IFunction;
  /**
   * Discovery mode: the services listed in the config. Every other service publishing `Signal`
   * was enrolled by tag, and one account-level alarm stands in for their per-service alarms.
   * @default - not in discovery mode: no account-level alarm
   */
  readonly listedServices?: readonly string[];
  readonly deadLetterQueue: sqs.IQueue;
  readonly inspectPeriod: Duration;
  readonly options: LbGuardAlarmOptions;
}

/** The operational signals, each with an alarm that notifies the topic. */
export type OperationalSignal =
  | 'probe-not-running'
  | 'inspect-not-running'
  | 'function-failed'
  | 'state-write-failing'
  | 'dead-letter';

/**
 * lbguard watching itself: a guard that stopped running must page like an outage. Four alarms
 * by default, each reading one metric. Throttles have no alarm of their own: a throttled
 * scheduled run is retried and, if it never starts, "not running" fires; a throttled remediate
 * run is retried by Lambda and lands in the dead-letter queue when retries are spent.
 */
export class OperationalAlarms extends Construct {
  readonly all: cloudwatch.Alarm[] = [];
  readonly signals: Partial<Record<OperationalSignal, cloudwatch.Alarm>> = {};
  /**
   * Discovery mode: lbguard's verdicts (`Signal`) for the services enrolled by tag, which have no
   * alarms of their own (they are not known at synth).
   */
  readonly enrolledSignal?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    const probeSilence = props.options.probeSilenceMinutes ?? 5;
    this.signals['probe-not-running'] = this.add(
      props.probe
        .metricInvocations({ period: Duration.minutes(probeSilence), statistic: 'Sum' })
        .createAlarm(this, 'ProbeNotRunning', {
          alarmDescription: `lbguard: probe not running. No probe invocation in ${probeSilence} minutes: the schedule is disabled or broken, or every run was throttled. No data counts as breaching.`,
          ...notOnce(),
        }),
    );
    // Two inspect periods (at least 5 minutes) so one late scheduled run does not page.
    const inspectSilence = Duration.minutes(Math.max(5, 2 * props.inspectPeriod.toMinutes()));
    this.signals['inspect-not-running'] = this.add(
      props.inspect
        .metricInvocations({ period: inspectSilence, statistic: 'Sum' })
        .createAlarm(this, 'InspectNotRunning', {
          alarmDescription: `lbguard: inspect not running. No inspect invocation in ${inspectSilence.toMinutes()} minutes: the schedule is disabled or broken, or every run was throttled. No data counts as breaching.`,
          ...notOnce(),
        }),
    );

    // Every function writes the state table (probe results, snapshots, incidents, locks); a write
    // that fails after retries is counted wherever it happens, even on a path that carries on.
    this.signals['state-write-failing'] = this.add(
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

    this.signals['dead-letter'] = this.add(
      props.deadLetterQueue
        .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
        .createAlarm(this, 'DeadLetterQueueNotEmpty', {
          alarmDescription:
            "lbguard: a function failed after its retries. The dead-letter queue holds the lost event: a probe run that failed (probe is not retried), an inspect run that failed twice, a remediation that failed three times, or an event EventBridge could not deliver. The message's attributes carry the error; the function's log group has the rest.",
          ...atLeast(1),
        }),
    );
    this.signals['function-failed'] = this.signals['dead-letter'];

    if (props.listedServices !== undefined) {
      this.enrolledSignal = this.add(enrolledSignalAlarm(this, props.listedServices, props.inspectPeriod));
    }

    if (props.options.functionErrors === true) {
      const functions = {
        p: props.probe,
        i: props.inspect,
        r: props.remediate,
        ...(props.enrol === undefined ? {} : { e: props.enrol }),
      };
      const usingMetrics = Object.fromEntries(
        Object.entries(functions).map(([k, fn]) => [
          k,
          fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        ]),
      );
      this.signals['function-failed'] = this.add(
        new cloudwatch.MathExpression({
          // Distinct powers of two, so the value names every function that failed.
          expression: `IF(FILL(p, 0) > 0, 1, 0) + IF(FILL(i, 0) > 0, 2, 0) + IF(FILL(r, 0) > 0, 4, 0)${props.enrol === undefined ? '' : ' + IF(FILL(e, 0) > 0, 8, 0)'}`,
          usingMetrics,
          label: `Functions with errors (1 probe + 2 inspect + 4 remediate${props.enrol === undefined ? '' : ' + 8 enrol'})`,
          period: Duration.minutes(5),
        }).createAlarm(this, 'FunctionErrors', {
          alarmDescription: `lbguard: function errors. At least one invocation failed in the last 5 minutes; the value names the functions: 1 probe, 2 inspect, 4 remediate${props.enrol === undefined ? '' : ', 8 enrol'}, summed (6 = inspect and remediate). See their log groups.`,
          ...atLeast(1),
        }),
      );
    }
  }

  private add(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    this.all.push(alarm);
    return alarm;
  }
}

/**
 * One alarm over the `Signal` of every service not listed in the config (those enrolled by tag):
 * a Metrics Insights query grouped by `Service`, so each contributor names its service, read at
 * inspect's period. The metric is the one inspect and remediate already publish per service, so
 * it costs one alarm and nothing in the functions.
 */
function enrolledSignalAlarm(
  scope: Construct,
  listedServices: readonly string[],
  period: Duration,
): cloudwatch.Alarm {
  const quoted = (name: string) => `'${name.replace(/'/g, "''")}'`;
  const where =
    listedServices.length === 0
      ? ''
      : ` WHERE ${listedServices.map((n) => `Service != ${quoted(n)}`).join(' AND ')}`;
  return new cloudwatch.MathExpression({
    expression: `SELECT MAX(${LBGUARD_METRICS.signal}) FROM SCHEMA("${LBGUARD_NAMESPACE}", Service)${where} GROUP BY Service`,
    usingMetrics: {},
    label: 'lbguard verdict of a service enrolled by tag',
    period,
  }).createAlarm(scope, 'EnrolledServicesSignal', {
    alarmDescription: `lbguard: a verdict on a load balancer enrolled by tag (lbguard:guard). The contributor names the service; the value names the verdict: ${SIGNAL_CODES.routingSkew} = routing skew, ${SIGNAL_CODES.remediationFailed} = remediation failed, ${SIGNAL_CODES.incidentEscalated} = incident escalated. Services enrolled by tag have no per-service alarms (they are not known at deployment); lbguard's own message on this topic has the detail.`,
    ...atLeast(1),
  });
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
