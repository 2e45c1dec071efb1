import { type AwsClientOptions, createDynamoDbClient } from '../adapters/clients.ts';
import { createFleetMetrics } from '../adapters/fleet-metrics.ts';
import { DynamoDbHubTable } from '../adapters/hub-table.ts';
import type { HubIngestDeps } from '../flows/hub-ingest.ts';
import type { HubIngestEnv } from '../runtime/hub-env.ts';
import { logger } from '../runtime/middleware.ts';

export type HubIngestOverrides = Partial<HubIngestDeps> & { readonly clientOptions?: AwsClientOptions };

/** hub-ingest's deps: the Lambda's, and the tests', which override what must differ. */
export function hubIngestDeps(env: HubIngestEnv, overrides: HubIngestOverrides = {}): HubIngestDeps {
  return {
    table:
      overrides.table ??
      new DynamoDbHubTable(createDynamoDbClient(overrides.clientOptions), env.hubTableName),
    metrics: overrides.metrics ?? createFleetMetrics(),
    logger: overrides.logger ?? logger,
    now: overrides.now ?? (() => new Date()),
  };
}
