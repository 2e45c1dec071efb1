import { createDynamoDbClients, type DynamoDbClients } from '../adapters/clients.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { DynamoDbStateStore } from '../adapters/state-store.ts';
import type { Runtime } from './deps.ts';
import type { LbGuardEnv } from './env.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { logger, metrics } from './middleware.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';

/** What probe uses: its module graph holds the DynamoDB client alone, for a small, quick cold start. */
export interface ProbeRuntime extends Pick<Runtime, 'env' | 'store' | 'prober' | 'metrics' | 'logger'> {
  readonly clients: DynamoDbClients;
}

/** `createRuntime` cut down to probe's adapters, built the same way. */
export function createProbeRuntime(
  env: LbGuardEnv,
  clients: DynamoDbClients = createDynamoDbClients(),
): ProbeRuntime {
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  return {
    env,
    clients,
    store: new DynamoDbStateStore(clients.documents, env.tableName),
    prober: new HttpProber(),
    metrics: new EmfMetricsSink(metrics),
    logger,
  };
}
