import { type AwsClients, createAwsClients } from '../adapters/clients.ts';
import { type AlbMetricsReader, CloudWatchAlbMetricsReader } from '../adapters/cloudwatch.ts';
import {
  Elbv2LoadBalancerReader,
  Elbv2LoadBalancerWriter,
  type LoadBalancerReader,
  type LoadBalancerWriter,
} from '../adapters/elbv2.ts';
import { HttpProber, type Prober } from '../adapters/http-prober.ts';
import { type Notifier, SnsNotifier } from '../adapters/notifier.ts';
import { DynamoDbStateStore, type StateStore } from '../adapters/state-store.ts';
import type { LbGuardEnv } from './env.ts';
import type { Log } from '../adapters/log.ts';
import { EmfMetricsSink, type MetricsSink } from '../adapters/metrics-sink.ts';
import { logger, metrics } from './middleware.ts';
import { Elbv2TargetGroupDescriber, type TargetGroupDescriber } from '../flows/read-service.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';

/** Every adapter a function may need, around one set of SDK clients. */
export interface Runtime {
  readonly env: LbGuardEnv;
  readonly clients: AwsClients;
  readonly store: StateStore;
  readonly reader: LoadBalancerReader;
  readonly describer: TargetGroupDescriber;
  readonly writer: LoadBalancerWriter;
  readonly notifier: Notifier;
  readonly albMetrics: AlbMetricsReader;
  readonly prober: Prober;
  readonly metrics: MetricsSink;
  readonly logger: Log;
}

/** Builds adapters only: constructing SDK clients opens no connection, so cold start stays cheap. */
export function createRuntime(env: LbGuardEnv, clients: AwsClients = createAwsClients()): Runtime {
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  return {
    env,
    clients,
    store: new DynamoDbStateStore(clients.documents, env.tableName),
    reader: new Elbv2LoadBalancerReader(clients.elbv2),
    describer: new Elbv2TargetGroupDescriber(clients.elbv2),
    writer: new Elbv2LoadBalancerWriter(clients.elbv2),
    notifier: new SnsNotifier(clients.sns, env.topicArn),
    albMetrics: new CloudWatchAlbMetricsReader(clients.cloudwatch),
    prober: new HttpProber(),
    metrics: new EmfMetricsSink(metrics),
    logger,
  };
}

// Kept here for the drill, bench and tests that build a whole runtime; the functions import it
// from cold-start.ts so that their bundles leave out the adapters they never use.
export { atColdStart } from './cold-start.ts';
