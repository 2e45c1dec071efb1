import { createPowertoolsApplyOnce } from '../adapters/apply-once.ts';
import {
  type AwsClientOptions,
  type AwsClients,
  createDynamoDbClient,
  createElbv2Client,
  createSnsClient,
} from '../adapters/clients.ts';
import { realSleep } from '../adapters/clock.ts';
import { AwsDeploymentOwners } from '../adapters/deployment-owners.ts';
import { Elbv2LoadBalancerTags } from '../adapters/elbv2/guard-tags.ts';
import { Elbv2LoadBalancerReader } from '../adapters/elbv2/reader.ts';
import { Elbv2LoadBalancerWriter } from '../adapters/elbv2/writer.ts';
import { HttpProber } from '../adapters/http-prober.ts';
import { EmfMetricsSink } from '../adapters/metrics-sink.ts';
import { SnsNotifier } from '../adapters/notifier.ts';
import { CloudFormationApi, CodeDeployApi } from '../adapters/owner-apis.ts';
import { DynamoDbStateStore } from '../adapters/state-store/dynamodb-state-store.ts';
import { DynamoDbPlannedSnapshots } from '../adapters/state-store/planned-snapshots.ts';
import { KmsStateSigner } from '../adapters/state-store/state-signer.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';
import { ArcZonalShifts } from '../adapters/zonal-shifts.ts';
import type { RemediateDeps } from '../flows/remediate.ts';
import { directoryFor } from '../runtime/directory.ts';
import { requireStateKey, requireTopic, type WiringEnv } from '../runtime/env.ts';
import { hubReporterFor } from '../runtime/hub.ts';
import { logger, metrics } from '../runtime/middleware.ts';

/**
 * Remediate reads and writes routing, records, verifies last good and notifies; no CloudWatch, no
 * Lambda. Its calls to CloudFormation, CodeDeploy (a deployment in flight), ARC (zonal shifts) and
 * KMS (the state table's MAC) are signed with the ELBv2 client's parts (signed-request.ts), not
 * made through SDK clients.
 */
export type RemediateClients = Pick<AwsClients, 'elbv2' | 'dynamodb' | 'sns'>;

/** The SDK clients remediate uses, with the shared retry and timeout policy. */
export function remediateClients(opts: AwsClientOptions = {}): RemediateClients {
  return {
    elbv2: createElbv2Client(opts),
    dynamodb: createDynamoDbClient(opts),
    sns: createSnsClient(opts),
  };
}

/** Who holds the lock has no default: two runs sharing an owner would both get it. */
export type RemediateOverrides = Partial<RemediateDeps> & {
  readonly clients?: RemediateClients;
  readonly lockOwner: string;
};

/**
 * Remediate's deps, for the Lambda handler (once per invocation, around clients built once, since
 * the lock owner is the invocation's request id), the CLI's `restore --apply`, the drill and tests.
 * Each default is built only when not overridden.
 */
export function remediateDeps(env: WiringEnv, overrides: RemediateOverrides): RemediateDeps {
  const clients = overrides.clients ?? remediateClients();
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
    tags: overrides.tags ?? new Elbv2LoadBalancerTags(clients.elbv2),
    reader: overrides.reader ?? new Elbv2LoadBalancerReader(clients.elbv2),
    writer: overrides.writer ?? new Elbv2LoadBalancerWriter(clients.elbv2),
    store:
      overrides.store ??
      new DynamoDbStateStore(clients.dynamodb, env.tableName, {
        // Remediate verifies the last known good it restores; it can never vouch for one.
        signer: new KmsStateSigner(clients.elbv2.config, requireStateKey(env), { canSign: false }),
      }),
    notifier: overrides.notifier ?? new SnsNotifier(clients.sns, requireTopic(env)),
    planned: overrides.planned ?? new DynamoDbPlannedSnapshots(clients.dynamodb, env.tableName),
    owners:
      overrides.owners ??
      new AwsDeploymentOwners(
        new CloudFormationApi(clients.elbv2.config),
        new CodeDeployApi(clients.elbv2.config),
      ),
    // The re-plan under the lock respects a zone shifted away, as inspect's plan does.
    zonalShifts: overrides.zonalShifts ?? new ArcZonalShifts(clients.elbv2.config),
    prober: overrides.prober ?? new HttpProber(),
    metrics: io.metrics,
    logger: io.logger,
    applyOnce:
      overrides.applyOnce ??
      createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: env.tableName }),
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? realSleep,
    lockOwner: overrides.lockOwner,
  };
}
