import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AccountRegionScope } from './arns.ts';
import { alarmStateChangePattern, enrolmentPattern, routingChangePattern } from './event-patterns.ts';
import type { LbGuardFunctions } from './functions.ts';
import type { ResolvedService } from './services.ts';

// What wakes the functions: two schedules, routing changes seen by CloudTrail (from an existing
// trail, or one created here) and guarded alarms. Every rule is created in `scope` itself so the
// logical IDs stay those of the one-file construct (see `LbGuard`).

export interface SchedulesOptions {
  readonly functions: LbGuardFunctions;
  /** Receives the events a target could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
  readonly inspectRateMinutes: number;
  /** Whose routing changes wake inspect. */
  readonly services: readonly ResolvedService[];
  /**
   * Discovery mode: routing changes anywhere in this account and region wake inspect.
   * @default - only the listed services' load balancers
   */
  readonly accountWide?: AccountRegionScope;
}

/** Probe every minute, inspect at its rate, and inspect again whenever guarded routing changes. */
export function createSchedules(scope: Construct, options: SchedulesOptions): void {
  const { functions, deadLetterQueue, inspectRateMinutes } = options;
  new events.Rule(scope, 'ProbeSchedule', {
    description: 'lbguard: run probe every minute (it loops inside the minute)',
    schedule: events.Schedule.rate(Duration.minutes(1)),
    targets: [lambdaTarget(functions.probe, deadLetterQueue, Duration.minutes(2), 0)],
  });
  new events.Rule(scope, 'InspectSchedule', {
    description: `lbguard: run inspect every ${inspectRateMinutes} minute(s)`,
    schedule: events.Schedule.rate(Duration.minutes(inspectRateMinutes)),
    targets: [inspectTarget(functions.inspect, deadLetterQueue)],
  });
  new events.Rule(scope, 'RoutingChange', {
    description: 'lbguard: wake inspect when a guarded load balancer listener, rule or target group changes',
    eventPattern: routingChangePattern(
      options.services,
      functions.remediate.role === undefined ? [] : [functions.remediate.role.roleArn],
      options.accountWide,
    ),
    targets: [lambdaTarget(functions.inspect, deadLetterQueue, Duration.minutes(15), 2)],
  });
}

/**
 * Discovery mode: enrol sweeps the account and region when CloudTrail reports a load balancer
 * created, deleted or (un)tagged, or a target group created, and every `sweepMinutes` in any case,
 * which catches what an event missed (a trail outage, an event lost after retries).
 */
export function createEnrolmentTriggers(
  scope: Construct,
  options: {
    readonly enrol: lambda.IFunction;
    readonly deadLetterQueue: sqs.IQueue;
    readonly sweepMinutes: number;
  },
): void {
  const { enrol, deadLetterQueue, sweepMinutes } = options;
  new events.Rule(scope, 'EnrolmentChange', {
    description:
      'lbguard: sweep for load balancers tagged lbguard:guard when one is created, deleted or (un)tagged',
    eventPattern: enrolmentPattern(),
    targets: [lambdaTarget(enrol, deadLetterQueue, Duration.minutes(sweepMinutes), 2)],
  });
  new events.Rule(scope, 'EnrolmentSweep', {
    description: `lbguard: sweep for load balancers tagged lbguard:guard every ${sweepMinutes} minutes`,
    schedule: events.Schedule.rate(Duration.minutes(sweepMinutes)),
    targets: [lambdaTarget(enrol, deadLetterQueue, Duration.minutes(sweepMinutes), 0)],
  });
}

/** Wakes inspect when one of the guarded services' incident alarms fires. */
export function createAlarmWakeUp(
  scope: Construct,
  options: {
    readonly inspect: lambda.IFunction;
    readonly deadLetterQueue: sqs.IQueue;
    readonly alarmArns: readonly string[];
  },
): void {
  new events.Rule(scope, 'AlarmStateChange', {
    description: 'lbguard: wake inspect when a guarded service alarm fires',
    eventPattern: alarmStateChangePattern(options.alarmArns),
    targets: [inspectTarget(options.inspect, options.deadLetterQueue)],
  });
}

/**
 * The smallest trail that feeds EventBridge the routing-change events: single region, write-only
 * management events, into an encrypted bucket that expires them after 90 days.
 */
export function createTrail(scope: Construct, removalPolicy: RemovalPolicy): cloudtrail.Trail {
  const bucket = new s3.Bucket(scope, 'TrailBucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: false,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This bucket only receives CloudTrail log files so that ELBv2 write events reach EventBridge; CloudTrail itself records who wrote what, and an access-log bucket for it would need its own access-log bucket.',
  });
  return new cloudtrail.Trail(scope, 'Trail', {
    // aws-cdk-lib's own types disagree under exactOptionalPropertyTypes; a Bucket is an IBucket.
    bucket: bucket as s3.IBucket,
    isMultiRegionTrail: false,
    includeGlobalServiceEvents: false,
    managementEvents: cloudtrail.ReadWriteType.WRITE_ONLY,
    enableFileValidation: true,
    sendToCloudWatchLogs: false,
  });
}

/** Inspect's scheduled and alarm wake-ups share one delivery policy. */
function inspectTarget(inspect: lambda.IFunction, deadLetterQueue: sqs.IQueue): targets.LambdaFunction {
  return lambdaTarget(inspect, deadLetterQueue, Duration.minutes(5), 2);
}

function lambdaTarget(
  fn: lambda.IFunction,
  deadLetterQueue: sqs.IQueue,
  maxEventAge: Duration,
  retryAttempts: number,
): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, { deadLetterQueue, maxEventAge, retryAttempts });
}
