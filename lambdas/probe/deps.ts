import { type AwsClientOptions, type AwsClients, createDynamoDbClient } from '../adapters/clients.ts';
import { realSleep } from '../adapters/clock.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { PowertoolsSecretReader } from '../adapters/secrets.ts';
import { DynamoDbStateStore } from '../adapters/state-store/dynamodb-state-store.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';
import type { ProbeDeps } from '../flows/probe.ts';
import { directoryFor } from '../runtime/directory.ts';
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
  const config = overrides.config ?? env.config;
  const io = {
    logger: overrides.logger ?? logger,
    metrics: overrides.metrics ?? new EmfMetricsSink(metrics),
  };
  // With discovery, probe verifies the registry too: it needs the state key (VerifyMac only).
  const directory =
    overrides.directory ??
    directoryFor(env, config, { dynamodb: clients.dynamodb, signing: clients.dynamodb.config }, io);
  return {
    config,
    ...(directory === undefined ? {} : { directory }),
    prober: overrides.prober ?? new HttpProber(),
    // Only probe reads the secrets its probes send (grants for exactly those in the config).
    secrets: overrides.secrets ?? new PowertoolsSecretReader(),
    store: overrides.store ?? new DynamoDbStateStore(clients.dynamodb, env.tableName),
    metrics: io.metrics,
    logger: io.logger,
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? realSleep,
    ...(overrides.remainingTimeMs === undefined ? {} : { remainingTimeMs: overrides.remainingTimeMs }),
  };
}
