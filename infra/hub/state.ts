import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { allowAlarmsToNotify } from '../state.ts';

/** What the hub keeps and where it speaks. */
export interface HubState {
  /** Heartbeats, spokes, latest finding and transition per service, the coverage result. */
  readonly table: dynamodb.Table;
  /** Coverage changes (hub-coverage) and the hub's alarms. */
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly deadLetterQueue: sqs.Queue;
}

export interface HubStateOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly emails: readonly string[];
}

export function createHubState(scope: Construct, options: HubStateOptions): HubState {
  const { removalPolicy } = options;
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    // Heartbeats and spokes expire a week after the last one: a spoke removed leaves no ghost.
    timeToLiveAttribute: 'expiresAt',
    removalPolicy,
  });

  const topicKey = new kms.Key(scope, 'TopicKey', {
    description: 'lbguard hub notification topic',
    enableKeyRotation: true,
    removalPolicy,
  });
  const topic = new sns.Topic(scope, 'Topic', {
    displayName: 'lbguard hub',
    masterKey: topicKey,
    enforceSSL: true,
  });
  allowAlarmsToNotify(topic, topicKey);
  for (const email of new Set(options.emails)) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }

  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(deadLetterQueue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      "This queue is itself the dead-letter queue of the hub's functions and of the hub rule's targets; the hub's DeadLetterQueueNotEmpty alarm pages on the first message.",
  });
  return { table, topic, topicKey, deadLetterQueue };
}
