import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LbGuardConfig } from '../../lib/config/index.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import { registryDirectory, type ServiceDirectory, scopeOfTopic } from '../adapters/service-directory.ts';
import type { BorrowedClientConfig } from '../adapters/signed-request.ts';
import { DynamoDbRegistryReader } from '../adapters/state-store/enrolment-registry.ts';
import { KmsStateSigner } from '../adapters/state-store/state-signer.ts';
import { requireStateKey, type WiringEnv } from './env.ts';

/**
 * The directory of inspect, probe and remediate: with `discovery`, the config's services and the
 * enrol function's registry, verified with the state key (never signed: enrol alone vouches for
 * it). The scope (this account and region) comes from the stack's own notification topic; a
 * caller without one (a CLI run with no topic) guards its config's services alone.
 */
export function directoryFor(
  env: WiringEnv,
  config: LbGuardConfig,
  clients: { readonly dynamodb: DynamoDBClient; readonly signing: BorrowedClientConfig },
  io: { readonly logger: Log; readonly metrics: MetricsSink },
): ServiceDirectory | undefined {
  if (config.discovery === undefined) return undefined;
  const scope = env.topicArn === undefined ? undefined : scopeOfTopic(env.topicArn);
  if (scope === undefined) return undefined;
  const signer = new KmsStateSigner(clients.signing, requireStateKey(env), { canSign: false });
  const store = new DynamoDbRegistryReader(clients.dynamodb, env.tableName, signer);
  return registryDirectory(config.services, store, scope, io);
}
