import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { HUB_EVENT_SOURCE } from '../../lib/fleet/hub-events.ts';
import type { HubSettings } from './hub-config.ts';

/** The hub's bus, who may put events on it, and the rule that takes lbguard's events off it. */
export interface HubBus {
  readonly bus: events.EventBus;
  /** `source: ['lbguard']` on the hub bus: hub-ingest and the history log group are its targets. */
  readonly rule: events.Rule;
  /** Every event as received, for the dashboard's Logs Insights widgets and for digging in. */
  readonly history: logs.LogGroup;
}

export interface HubBusOptions {
  readonly settings: HubSettings;
  readonly deadLetterQueue: sqs.IQueue;
  readonly historyRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bus spokes forward to (each spoke's default-bus rule puts events here with a role of its
 * own account), admitting `events:PutEvents` from the organisation when `fleet.hub.organizationId`
 * is given, else from the listed accounts alone: a stranger's events never reach the rule.
 */
export function createHubBus(scope: Construct, options: HubBusOptions): HubBus {
  const { settings } = options;
  const bus = new events.EventBus(scope, 'Bus', {
    eventBusName: settings.hub.busName,
    description: 'lbguard hub: heartbeats, findings, incident transitions and enrolments from every spoke',
  });
  // Built from the name: the bus's own Arn attribute inside its own policy would be a cycle.
  const busArn = Stack.of(scope).formatArn({
    service: 'events',
    resource: 'event-bus',
    resourceName: settings.hub.busName,
  });
  // On the bus itself (AWS::Events::EventBus Policy) rather than through addToResourcePolicy, whose
  // separate AWS::Events::EventBusPolicy resource synthesizes with a deprecation warning.
  (bus.node.defaultChild as events.CfnEventBus).policy = {
    Version: '2012-10-17',
    Statement: [Stack.of(scope).resolve(busStatement(busArn, settings).toStatementJson())],
  };

  const rule = new events.Rule(scope, 'IngestRule', {
    eventBus: bus,
    description: 'lbguard hub: every lbguard event to hub-ingest and the history log group',
    eventPattern: { source: [HUB_EVENT_SOURCE] },
  });

  // EventBridge writes only to log groups named /aws/events/…, under a resource policy of the
  // account (CloudWatch Logs has no per-group policy); the one below admits this rule alone.
  const history = new logs.LogGroup(scope, 'History', {
    logGroupName: `/aws/events/lbguard-hub/${settings.hub.busName}`,
    retention: options.historyRetention,
    removalPolicy: options.removalPolicy,
  });
  new logs.ResourcePolicy(scope, 'HistoryPolicy', {
    policyStatements: [
      new iam.PolicyStatement({
        sid: 'HubRuleWritesHistory',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [history.logGroupArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    ],
  });
  const historyArn = Stack.of(scope).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: history.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  rule.addTarget({
    bind: (boundRule) => {
      targets.addToDeadLetterQueueResourcePolicy(boundRule, options.deadLetterQueue);
      return {
        arn: historyArn,
        deadLetterConfig: { arn: options.deadLetterQueue.queueArn },
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: Duration.hours(1).toSeconds() },
      };
    },
  });
  return { bus, rule, history };
}

/** Who may put events on the hub bus: the organisation, else each listed account. */
function busStatement(busArn: string, settings: HubSettings): iam.PolicyStatement {
  const { organizationId } = settings.hub;
  if (organizationId !== undefined) {
    return new iam.PolicyStatement({
      sid: 'PutEventsFromTheOrganization',
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
    });
  }
  // The schema requires accounts when there is no organisation (fleet.accounts xor organization).
  return new iam.PolicyStatement({
    sid: 'PutEventsFromTheListedAccounts',
    principals: (settings.fleet.accounts ?? []).map((account) => new iam.AccountPrincipal(account)),
    actions: ['events:PutEvents'],
    resources: [busArn],
  });
}
