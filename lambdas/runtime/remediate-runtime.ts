import {
  type AwsClients,
  createDynamoDbClients,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { Elbv2LoadBalancerReader, Elbv2LoadBalancerWriter } from '../adapters/elbv2.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { SnsNotifier } from '../adapters/notifier.ts';
import { DynamoDbStateStore } from '../adapters/state-store.ts';
import type { Runtime } from './deps.ts';
import type { LbGuardEnv } from './env.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { logger, metrics } from './middleware.ts';
import { Elbv2TargetGroupDescriber } from '../flows/read-service.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';

/** Remediate reads and writes routing, records, and notifies; no CloudWatch, no Lambda. */
export type RemediateClients = Pick<AwsClients, 'elbv2' | 'dynamodb' | 'documents' | 'sns'>;

export interface RemediateRuntime
  extends Pick<
    Runtime,
    'env' | 'store' | 'reader' | 'describer' | 'writer' | 'notifier' | 'prober' | 'metrics' | 'logger'
  > {
  readonly clients: RemediateClients;
}

/** The SDK clients remediate uses, with the shared retry and timeout policy. */
export function createRemediateClients(): RemediateClients {
  return { elbv2: createElbv2Client(), ...createDynamoDbClients(), sns: createSnsClient() };
}

/** `createRuntime` cut down to remediate's adapters, built the same way. */
export function createRemediateRuntime(
  env: LbGuardEnv,
  clients: RemediateClients = createRemediateClients(),
): RemediateRuntime {
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  return {
    env,
    clients,
    store: new DynamoDbStateStore(clients.documents, env.tableName),
    reader: new Elbv2LoadBalancerReader(clients.elbv2),
    describer: new Elbv2TargetGroupDescriber(clients.elbv2),
    writer: new Elbv2LoadBalancerWriter(clients.elbv2),
    notifier: new SnsNotifier(clients.sns, env.topicArn),
    prober: new HttpProber(),
    metrics: new EmfMetricsSink(metrics),
    logger,
  };
}
