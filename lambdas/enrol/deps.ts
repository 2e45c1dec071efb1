import {
  type AwsClientOptions,
  type AwsClients,
  createDynamoDbClient,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { Elbv2LoadBalancerDiscovery } from '../adapters/elbv2/discovery.ts';
import { NoHubReporter } from '../adapters/hub-reporter.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { SnsNotifier } from '../adapters/notifier.ts';
import { DynamoDbRegistryStore } from '../adapters/state-store/enrolment-registry-writer.ts';
import { KmsStateSigner } from '../adapters/state-store/state-signer.ts';
import type { EnrolmentDeps } from '../flows/enrolment.ts';
import { EnvironmentError, requireStateKey, requireTopic, type WiringEnv } from '../runtime/env.ts';
import { hubReporterFor } from '../runtime/hub.ts';
import { logger, metrics } from '../runtime/middleware.ts';

/** Enrol lists load balancers and tags, writes the registry and notifies: nothing else. */
export type EnrolClients = Pick<AwsClients, 'elbv2' | 'dynamodb' | 'sns'>;

export function enrolClients(opts: AwsClientOptions = {}): EnrolClients {
  return { elbv2: createElbv2Client(opts), dynamodb: createDynamoDbClient(opts), sns: createSnsClient(opts) };
}

export type EnrolOverrides = Partial<EnrolmentDeps> & { readonly clients?: EnrolClients };

/**
 * Enrol's deps. A config without `discovery` is refused here, at cold start: the function exists
 * to enrol tagged load balancers, and deployed without it would write an empty registry.
 */
export function enrolDeps(env: WiringEnv, overrides: EnrolOverrides = {}): EnrolmentDeps {
  const config = overrides.config ?? env.config;
  if (config.discovery === undefined) {
    throw new EnvironmentError(
      'lbguard: bad environment\nLBGUARD_CONFIG: has no discovery section; the enrol function guards tagged load balancers only with one',
    );
  }
  const clients = overrides.clients ?? enrolClients();
  return {
    config,
    discovery: overrides.discovery ?? new Elbv2LoadBalancerDiscovery(clients.elbv2),
    registry:
      overrides.registry ??
      new DynamoDbRegistryStore(
        clients.dynamodb,
        env.tableName,
        // Enrol alone vouches for the registry; signed like ELBv2's calls, with its credentials.
        new KmsStateSigner(clients.elbv2.config, requireStateKey(env), { canSign: true }),
      ),
    notifier: overrides.notifier ?? new SnsNotifier(clients.sns, requireTopic(env)),
    hub:
      overrides.hub ??
      hubReporterFor(env, clients.elbv2.config, overrides.logger ?? logger) ??
      new NoHubReporter(),
    metrics: overrides.metrics ?? new EmfMetricsSink(metrics),
    logger: overrides.logger ?? logger,
    now: overrides.now ?? (() => new Date()),
  };
}
