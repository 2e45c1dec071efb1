import {
  type AwsClients,
  createCloudWatchClient,
  createDynamoDbClients,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { CloudWatchAlbMetricsReader } from '../adapters/cloudwatch.ts';
import { Elbv2LoadBalancerReader } from '../adapters/elbv2.ts';
import { SnsNotifier } from '../adapters/notifier.ts';
import { DynamoDbStateStore } from '../adapters/state-store.ts';
import type { Runtime } from './deps.ts';
import type { LbGuardEnv } from './env.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { logger, metrics } from './middleware.ts';
import { Elbv2TargetGroupDescriber } from '../flows/read-service.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';

/**
 * Inspect reads, notifies and hands off to remediate (through SNS); it never writes to the load
 * balancer.
 */
export type InspectClients = Pick<AwsClients, 'elbv2' | 'cloudwatch' | 'dynamodb' | 'documents' | 'sns'>;

export interface InspectRuntime
  extends Pick<
    Runtime,
    'env' | 'store' | 'reader' | 'describer' | 'notifier' | 'albMetrics' | 'metrics' | 'logger'
  > {
  readonly clients: InspectClients;
}

/** The SDK clients inspect uses, with the shared retry and timeout policy. */
export function createInspectClients(): InspectClients {
  return {
    elbv2: createElbv2Client(),
    cloudwatch: createCloudWatchClient(),
    ...createDynamoDbClients(),
    sns: createSnsClient(),
  };
}

/** `createRuntime` cut down to inspect's adapters, built the same way. */
export function createInspectRuntime(
  env: LbGuardEnv,
  clients: InspectClients = createInspectClients(),
): InspectRuntime {
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  return {
    env,
    clients,
    store: new DynamoDbStateStore(clients.documents, env.tableName),
    reader: new Elbv2LoadBalancerReader(clients.elbv2),
    describer: new Elbv2TargetGroupDescriber(clients.elbv2),
    notifier: new SnsNotifier(clients.sns, env.topicArn),
    albMetrics: new CloudWatchAlbMetricsReader(clients.cloudwatch),
    metrics: new EmfMetricsSink(metrics),
    logger,
  };
}
