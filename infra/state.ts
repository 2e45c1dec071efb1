import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LbGuardConfig } from '../lib/config/index.ts';

/** What lbguard keeps and where it speaks: the state table, the topics and the dead-letter queue. */
export interface LbGuardState {
  readonly table: dynamodb.Table;
  /** People's topic: notifications and alarms. */
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  /** Inspect publishes remediation requests here; remediate is its only subscriber. */
  readonly remediationTopic: sns.Topic;
  readonly deadLetterQueue: sqs.Queue;
}

export interface LbGuardStateOptions {
  readonly config: LbGuardConfig;
  /** Applies to the table and the topic key. */
  readonly removalPolicy: RemovalPolicy;
}

/** Creates the state resources in `scope` itself, keeping their logical IDs (see `LbGuard`). */
export function createState(scope: Construct, options: LbGuardStateOptions): LbGuardState {
  const { config, removalPolicy } = options;
  const table = new dynamodb.Table(scope, 'Table', {
    ...(config.tableName === undefined ? {} : { tableName: config.tableName }),
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    // Locks and probe results expire; snapshots and incidents are kept (no expiresAt).
    timeToLiveAttribute: 'expiresAt',
    removalPolicy,
  });

  const topicKey = new kms.Key(scope, 'TopicKey', {
    description: 'lbguard notification topic',
    enableKeyRotation: true,
    removalPolicy,
  });
  // CloudWatch alarms publish to an encrypted topic only if the key lets them.
  topicKey.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  const topic = new sns.Topic(scope, 'Topic', {
    displayName: 'lbguard',
    masterKey: topicKey,
    enforceSSL: true,
  });
  for (const email of new Set(config.services.flatMap((s) => s.notifications.emails))) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  for (const url of new Set(config.services.flatMap((s) => s.notifications.httpsEndpoints))) {
    topic.addSubscription(
      new subscriptions.UrlSubscription(url, { protocol: sns.SubscriptionProtocol.HTTPS }),
    );
  }

  // Inspect → remediate. Inspect alone may publish, remediate alone is subscribed (SNS invokes it
  // asynchronously, with SNS's delivery retries before Lambda's own). A topic rather than
  // lambda:InvokeFunction keeps the Lambda client out of inspect's bundle (70 KiB): inspect
  // already speaks SNS. Not the notification topic: people must never receive these.
  const remediationTopic = new sns.Topic(scope, 'RemediationTopic', {
    displayName: 'lbguard remediation requests',
    masterKey: topicKey,
    enforceSSL: true,
  });

  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the three functions and of the EventBridge targets; a DLQ of a DLQ would only move the problem. The DeadLetterQueueNotEmpty alarm pages on the first message.',
  });

  return { table, topic, topicKey, remediationTopic, deadLetterQueue };
}
