import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { stateKeyAlias } from '../lambdas/adapters/state-store/layout.ts';
import type { LbGuardConfig } from '../lib/config/index.ts';

/** What lbguard keeps and where it speaks: the state table, the topics and the dead-letter queue. */
export interface LbGuardState {
  readonly table: dynamodb.Table;
  /** People's topic: notifications and alarms. */
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  /**
   * Signs snapshots and last known good in the table (HMAC, `GenerateMac`) and verifies them
   * (`VerifyMac`): inspect signs, remediate only verifies, probe has no use of it.
   */
  readonly stateKey: kms.Key;
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

  const stateKey = new kms.Key(scope, 'StateKey', {
    description: 'lbguard state MAC key: vouches for the snapshots and last known good in the state table',
    keySpec: kms.KeySpec.HMAC_256,
    keyUsage: kms.KeyUsage.GENERATE_VERIFY_MAC,
    removalPolicy,
  });
  // The CLI finds the key beside the table by this alias (`alias/lbguard/<table>`), as `lbguard init` names it.
  stateKey.addAlias(stateKeyAlias(table.tableName));
  // No automatic rotation: KMS rotates only symmetric encryption keys (cdk-nag's KMS5 knows it).
  // Rotating by hand is a new key and a re-promotion of last known good (docs/threat-model.md).

  const topicKey = new kms.Key(scope, 'TopicKey', {
    description: 'lbguard notification topic',
    enableKeyRotation: true,
    removalPolicy,
  });
  const topic = new sns.Topic(scope, 'Topic', {
    displayName: 'lbguard',
    masterKey: topicKey,
    enforceSSL: true,
  });
  allowAlarmsToNotify(topic, topicKey);
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

  return { table, stateKey, topic, topicKey, remediationTopic, deadLetterQueue };
}

/**
 * CloudWatch alarms publish to the topic as the service `cloudwatch.amazonaws.com`, which has no
 * identity policy: a topic policy replaces SNS's default one (enforceSSL creates one), so without
 * this Allow no alarm would reach anyone, and on a KMS-encrypted topic CloudWatch must also be
 * able to make and open data keys. Both are limited to alarms of this account and region. The
 * alarms' names are generated by CloudFormation and carry no prefix lbguard controls, and users
 * may point their own alarms at `LbGuard.topic`, so the narrowest pattern that holds is
 * `arn:<partition>:cloudwatch:<region>:<account>:alarm:*`.
 */
export function allowAlarmsToNotify(topic: sns.Topic, key: kms.Key): void {
  const stack = Stack.of(topic);
  const fromAlarmsOfThisAccount = {
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
    StringEquals: { 'aws:SourceAccount': stack.account },
  };
  const alarms = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [alarms],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromAlarmsOfThisAccount,
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [alarms],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: fromAlarmsOfThisAccount,
    }),
  );
}
