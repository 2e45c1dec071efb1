import { type AwsClientOptions, type AwsClients, createDynamoDbClient } from '../adapters/clients.ts';
import { realSleep } from '../adapters/clock.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { PowertoolsSecretReader } from '../adapters/secrets.ts';
import { DynamoDbStateStore } from '../adapters/state-store/dynamodb-state-store.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';
import type { ProbeDeps } from '../flows/probe.ts';
import type { WiringEnv } from '../runtime/env.ts';
import { logger, metrics } from '../runtime/middleware.ts';

/** Probe writes results and samples only: its module graph holds the DynamoDB client alone. */
export type ProbeClients = Pick<AwsClients, 'dynamodb'>;

/** The SDK clients probe uses, with the shared retry and timeout policy. */
export function probeClients(opts: AwsClientOptions = {}): ProbeClients {
  return { dynamodb: createDynamoDbClient(opts) };
}

export type ProbeOverrides = Partial<ProbeDeps> & { readonly clients?: ProbeClients };

/** Probe's deps, for the Lambda handler, the drill and tests; defaults built only when not overridden. */
export function probeDeps(env: WiringEnv, overrides: ProbeOverrides = {}): ProbeDeps {
  const clients = overrides.clients ?? probeClients();
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  return {
    config: overrides.config ?? env.config,
    prober: overrides.prober ?? new HttpProber(),
    // Only probe reads the secrets its probes send (grants for exactly those in the config).
    secrets: overrides.secrets ?? new PowertoolsSecretReader(),
    store: overrides.store ?? new DynamoDbStateStore(clients.dynamodb, env.tableName),
    metrics: overrides.metrics ?? new EmfMetricsSink(metrics),
    logger: overrides.logger ?? logger,
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? realSleep,
    ...(overrides.remainingTimeMs === undefined ? {} : { remainingTimeMs: overrides.remainingTimeMs }),
  };
}
