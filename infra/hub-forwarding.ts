import { CfnCondition, CfnResource, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HUB_EVENT_SOURCE } from '../lib/fleet/hub-events.ts';

/**
 * What `HubEventBusArn` accepts: empty (no hub) or an EventBridge bus ARN. CloudFormation checks it
 * before any resource changes, so a typo fails the stack (instance) update, not the forwarding.
 */
export const HUB_EVENT_BUS_ARN_PATTERN =
  '^$|^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]+$';

/** Props of `HubForwarding`. */
export interface HubForwardingProps {
  /** The hub's bus ARN, usually a token (the `HubEventBusArn` parameter); '' means no hub. */
  readonly hubEventBusArn: string;
  /** `hubCondition(…, hubEventBusArn)`: made first, since the functions' environment names it. */
  readonly condition: CfnCondition;
  /** The functions that report to the hub (inspect, remediate, enrol): they may put events on the default bus. */
  readonly reporters: readonly lambda.IFunction[];
}

/**
 * The spoke's half of the hub: lbguard's functions put their `lbguard` events (lib/fleet/hub-events.ts)
 * on this account and region's default bus, and a rule forwards them to the hub's bus. Every
 * resource here carries the `condition` (the bus ARN is not ''), so a stack or StackSet instance
 * without a hub has none of them; `hubEventsEnvironment` tells the functions which it is.
 *
 * Through the default bus rather than straight to the hub: a function's role then never needs a
 * grant naming another account, and the forwarding (retries, dead letters) is EventBridge's.
 */
export class HubForwarding extends Construct {
  /** True when a hub bus is given; every resource of this construct is conditional on it. */
  readonly condition: CfnCondition;
  /** The role EventBridge assumes to put events on the hub's bus, and nothing else. */
  readonly role: iam.Role;
  readonly rule: events.Rule;
  /** Events the hub's bus refused after EventBridge's retries. */
  readonly deadLetterQueue: sqs.Queue;
  /** Pages when the forwarding dead-letter queue holds a message (conditional too). */
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HubForwardingProps) {
    super(scope, id);
    this.condition = props.condition;
    const stack = Stack.of(this);

    const publish = new iam.Policy(this, 'PutEventsOnDefaultBus', {
      statements: [
        new iam.PolicyStatement({
          sid: 'ReportToHub',
          actions: ['events:PutEvents'],
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        }),
      ],
    });
    for (const fn of props.reporters) {
      if (fn.role !== undefined) publish.attachToRole(fn.role);
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter queue of the rule forwarding lbguard's events to the hub; HubForwardingDeadLetters pages on its first message.",
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: "lbguard: forwards lbguard's events from the default bus to the hub's bus",
    });
    this.rule = new events.Rule(this, 'Rule', {
      description: "lbguard: forward lbguard's heartbeats, findings, transitions and enrolments to the hub",
      eventPattern: { source: [HUB_EVENT_SOURCE] },
      targets: [
        // EventBridge grants the role events:PutEvents on exactly this ARN (its RoleDefaultPolicy).
        new targets.EventBus(events.EventBus.fromEventBusArn(this, 'HubBus', props.hubEventBusArn), {
          role: this.role,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
    Validations.of(this.rule).acknowledge({
      id: 'CloudFormation-Validate::W1030',
      reason:
        "The target is the HubEventBusArn parameter, whose default '' means no hub; the rule then does not exist (the HasHub condition), so the empty ARN is never sent to EventBridge.",
    });
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' })
      .createAlarm(this, 'HubForwardingDeadLetters', {
        alarmDescription:
          "lbguard: events did not reach the hub. EventBridge could not put lbguard's events on the hub's bus after its retries (the bus policy refuses this account, the bus was deleted, or throttling); the hub's coverage will report this spoke uncovered. The message's attributes carry the error.",
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    for (const child of this.node.findAll()) {
      if (child instanceof CfnResource) {
        child.cfnOptions.condition = this.condition;
      }
    }
  }
}

/** True where the hub bus ARN is not '': the condition of every hub forwarding resource. */
export function hubCondition(scope: Construct, id: string, hubEventBusArn: string): CfnCondition {
  return new CfnCondition(scope, id, {
    expression: Fn.conditionNot(Fn.conditionEquals(hubEventBusArn, '')),
  });
}

/**
 * `LBGUARD_HUB_EVENTS` for a function that reports to the hub: `on` where the stack (instance) has a
 * hub bus, `off` elsewhere, chosen by CloudFormation so that one template serves both.
 */
export function hubEventsEnvironment(condition: CfnCondition): string {
  return Fn.conditionIf(condition.logicalId, 'on', 'off').toString();
}
