import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { COVERAGE_QUERY, HUB_METRICS, HUB_NAMESPACE } from './metrics.ts';

export interface HubAlarmsProps {
  readonly ingest: lambda.IFunction;
  readonly coverage: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** `fleet.hub.coverageMinutes`: how long a guard may be silent before its load balancer is uncovered. */
  readonly coverageMinutes: number;
}

/**
 * The hub's alarms: the coverage alarm (a load balancer that should be guarded and is not), the
 * coverage check itself silent, and the hub's functions failing.
 */
export class HubAlarms extends Construct {
  /** One contributor per uncovered (account, region, load balancer). */
  readonly uncovered: cloudwatch.Alarm;
  readonly coverageNotRunning: cloudwatch.Alarm;
  readonly all: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: HubAlarmsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    // A multi-time-series alarm: the GROUP BY makes one series per load balancer, each evaluated
    // on its own, and the notification names the contributor (Account, Region, LoadBalancer).
    this.uncovered = new cloudwatch.MathExpression({
      expression: COVERAGE_QUERY,
      usingMetrics: {},
      label: 'Uncovered',
      period: minute,
    }).createAlarm(this, 'Uncovered', {
      alarmDescription: `lbguard hub: a load balancer is not guarded. It is tagged lbguard:guard (or its account and region could not be read: LoadBalancer "(unreadable)") and no guard reported inspecting it within ${props.coverageMinutes} minutes, or its spoke refused its tags. The contributor names the account, region and load balancer; hub-coverage's message on this topic gives the reason (docs/fleet-hub.md "The coverage alarm").`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // hub-coverage emits 0 once when a load balancer is covered again, then nothing.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const window = Duration.minutes(props.coverageMinutes);
    this.coverageNotRunning = new cloudwatch.Metric({
      namespace: HUB_NAMESPACE,
      metricName: HUB_METRICS.coverageChecks,
      statistic: 'Sum',
      period: window,
    }).createAlarm(this, 'CoverageNotRunning', {
      alarmDescription: `lbguard hub: coverage is not being checked. No hub-coverage run completed in ${props.coverageMinutes} minutes (its schedule is off, it fails, or it cannot finish): the coverage alarm cannot fire, so every guard is unwatched. No data counts as breaching. See hub-coverage's log group.`,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    const errors = (fn: lambda.IFunction, alarmId: string, what: string) =>
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(this, alarmId, {
        alarmDescription: `lbguard hub: ${what} failing. At least one invocation failed in the last 5 minutes; see its log group.`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    const deadLetter = props.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' })
      .createAlarm(this, 'DeadLetterQueueNotEmpty', {
        alarmDescription:
          "lbguard hub: an event was lost. The hub's dead-letter queue holds a spoke event hub-ingest failed on after its retries, one the rule could not deliver, or a coverage run that could not start; the message's attributes carry the error.",
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.all = [
      this.uncovered,
      this.coverageNotRunning,
      errors(props.ingest, 'IngestErrors', 'hub-ingest (spoke events are not recorded)'),
      errors(props.coverage, 'CoverageErrors', 'hub-coverage (coverage is not checked)'),
      deadLetter,
    ];
  }
}
