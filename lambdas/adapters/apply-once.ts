import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { IDEMPOTENCY_PARTITION } from './state-store/layout.ts';

/** What makes two applies "the same": one incident, one plan. */
export interface ApplyKey {
  readonly incidentId: string;
  readonly planHash: string;
}

/** What an apply returns; stored, and replayed to a duplicate. */
export interface ApplyRecord {
  readonly applied: readonly string[];
}

/** Runs an apply at most once per key; a failed run leaves no record, so a retry runs again. */
export interface ApplyOnce {
  run(key: ApplyKey, apply: () => Promise<ApplyRecord>): Promise<ApplyRecord>;
  /** Lets an in-progress record expire with the invocation, so a crashed run does not block its retry. */
  registerContext?(context: Context): void;
}

export interface PowertoolsApplyOnceOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** How long a completed apply is remembered. Default one day, longer than any retry. */
  readonly expiresAfterSeconds?: number;
}

/**
 * Powertools Idempotency on the state table: its own partition (`pk = IDEMPOTENCY#remediate`,
 * `sk` = the hashed key) beside the per-service items, expiring through the table's TTL
 * attribute `expiresAt`, keyed on `[incidentId, planHash]`. The key is the payload itself rather than
 * a JMESPath selection of it: the hash is the same (Powertools hashes the selected value), and the
 * deployed bundles leave the JMESPath engine out (lambdas/bundle-shims/no-jmespath.ts).
 */
export function createPowertoolsApplyOnce(options: PowertoolsApplyOnceOptions): ApplyOnce {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.dynamodb,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: IDEMPOTENCY_PARTITION,
    expiryAttr: 'expiresAt',
  });
  const config = new IdempotencyConfig({
    expiresAfterSeconds: options.expiresAfterSeconds ?? 86_400,
    throwOnNoIdempotencyKey: true,
  });
  const once = makeIdempotent(
    async (_key: readonly [string, string], apply: () => Promise<ApplyRecord>): Promise<ApplyRecord> =>
      apply(),
    { persistenceStore, config, dataIndexArgument: 0 },
  );
  return {
    run: (key, apply) => once([key.incidentId, key.planHash], apply),
    registerContext: (context) => config.registerLambdaContext(context),
  };
}
