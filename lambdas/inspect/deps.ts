import {
  type AwsClientOptions,
  type AwsClients,
  createCloudWatchClient,
  createDynamoDbClient,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { CloudWatchAlbMetricsReader } from '../adapters/cloudwatch.ts';
import { Elbv2LoadBalancerReader } from '../adapters/elbv2/reader.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { SnsNotifier } from '../adapters/notifier.ts';
import { SnsRemediationInvoker } from '../adapters/remediation-handoff.ts';
import { DynamoDbStateStore } from '../adapters/state-store/dynamodb-state-store.ts';
import { KmsStateSigner } from '../adapters/state-store/state-signer.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';
import { ArcZonalShifts } from '../adapters/zonal-shifts.ts';
import type { InspectDeps } from '../flows/inspect.ts';
import { directoryFor } from '../runtime/directory.ts';
import { requireStateKey, requireTopic, type WiringEnv } from '../runtime/env.ts';
import { hubReporterFor } from '../runtime/hub.ts';
import { logger, metrics } from '../runtime/middleware.ts';

/**
 * Inspect reads, notifies and hands off to remediate (through SNS); it never writes to the load
 * balancer. Only these clients are built, so its bundle carries no other SDK package: its KMS and
 * ARC calls are signed with the ELBv2 client's parts (signed-request.ts).
 */
export type InspectClients = Pick<AwsClients, 'elbv2' | 'cloudwatch' | 'dynamodb' | 'sns'>;

/** The SDK clients inspect uses, with the shared retry and timeout policy. */
export function inspectClients(opts: AwsClientOptions = {}): InspectClients {
  return {
    elbv2: createElbv2Client(opts),
    cloudwatch: createCloudWatchClient(opts),
    dynamodb: createDynamoDbClient(opts),
    sns: createSnsClient(opts),
  };
}

export type InspectOverrides = Partial<InspectDeps> & { readonly clients?: InspectClients };

/**
 * Inspect's deps: the Lambda handler's, and the CLI's, the drill's and the tests', which override
 * what must differ (a clock, a silent logger, a notifier that collects). Each default is built only
 * when not overridden; constructing clients and adapters opens no connection.
 */
export function inspectDeps(env: WiringEnv, overrides: InspectOverrides = {}): InspectDeps {
  const clients = overrides.clients ?? inspectClients();
  countStateWriteFailures(clients.dynamodb, stateWriteFailureMetric(metrics));
  const config = overrides.config ?? env.config;
  const io = {
    logger: overrides.logger ?? logger,
    metrics: overrides.metrics ?? new EmfMetricsSink(metrics),
  };
  const directory =
    overrides.directory ??
    directoryFor(env, config, { dynamodb: clients.dynamodb, signing: clients.elbv2.config }, io);
  const hub = overrides.hub ?? hubReporterFor(env, clients.elbv2.config, io.logger);
  return {
    config,
    ...(directory === undefined ? {} : { directory }),
    ...(hub === undefined ? {} : { hub }),
    reader: overrides.reader ?? new Elbv2LoadBalancerReader(clients.elbv2),
    albMetrics: overrides.albMetrics ?? new CloudWatchAlbMetricsReader(clients.cloudwatch),
    store:
      overrides.store ??
      new DynamoDbStateStore(clients.dynamodb, env.tableName, {
        // Inspect alone (with an operator) vouches for snapshots and last known good. Signed like
        // ELBv2's calls, with its credentials, region, handler and any endpoint override.
        signer: new KmsStateSigner(clients.elbv2.config, requireStateKey(env), { canSign: true }),
      }),
    notifier: overrides.notifier ?? new SnsNotifier(clients.sns, requireTopic(env)),
    invoker:
      overrides.invoker ?? new SnsRemediationInvoker(clients.sns, requireTopic(env, 'remediationTopicArn')),
    metrics: io.metrics,
    logger: io.logger,
    now: overrides.now ?? (() => new Date()),
    // Signed like ELBv2's calls, with its credentials, region, handler and any endpoint override.
    zonalShifts: overrides.zonalShifts ?? new ArcZonalShifts(clients.elbv2.config),
  };
}
