import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { type AwsClientOptions, createDynamoDbClient } from '../adapters/clients.ts';
import type { Now } from '../adapters/clock.ts';
import { LambdaRemediationInvoker } from '../adapters/lambda-handoff.ts';
import type { Log } from '../adapters/log.ts';
import type { RemediationInvoker } from '../adapters/remediation-handoff.ts';
import { DynamoDbStateStore } from '../adapters/state-store/dynamodb-state-store.ts';
import type { IncidentStore } from '../adapters/state-store/ports.ts';
import { countStateWriteFailures, stateWriteFailureMetric } from '../adapters/state-write-failures.ts';
import { EnvironmentError } from '../runtime/environment-error.ts';
import { logger, metrics } from '../runtime/middleware.ts';

/**
 * What the approval endpoint reads from its environment. Not the config: it needs only which
 * services are in approve mode, and the config carries probe headers that may hold tokens, which
 * a function answering HTTP callers has no business holding.
 */
export interface ApproveEnv {
  readonly tableName: string;
  /** The remediate function an approval is handed to (asynchronous Invoke). */
  readonly remediateFunction: string;
  /** The services whose `remediation.mode` is `approve`: the only ones an approval may name. */
  readonly approveServices: readonly string[];
}

const envSchema = z.object({
  LBGUARD_TABLE: z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name')),
  LBGUARD_REMEDIATE_FUNCTION: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_:.-]{1,140}$/, 'must be a function name')),
  LBGUARD_APPROVE_SERVICES: z
    .string()
    .check(z.regex(/^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/, 'must list service names, comma-separated')),
});

/** Reads and checks the environment at cold start; throws naming each bad variable, never its value. */
export function readApproveEnv(env: Readonly<Record<string, string | undefined>>): ApproveEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `${String(i.path[0])}: ${i.code === 'invalid_type' ? 'is required' : i.message}`,
    );
    throw new EnvironmentError(`lbguard: bad environment\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    tableName: e.LBGUARD_TABLE,
    remediateFunction: e.LBGUARD_REMEDIATE_FUNCTION,
    approveServices: e.LBGUARD_APPROVE_SERVICES.split(','),
  };
}

export interface ApproveDeps {
  readonly approveServices: ReadonlySet<string>;
  readonly store: IncidentStore;
  readonly invoker: RemediationInvoker;
  readonly logger: Log;
  readonly now: Now;
}

/**
 * The endpoint's deps: the incident store on the state table (no state key: an approval touches
 * only the incident, which is not MAC-signed) and the hand-off to remediate, signed with the
 * DynamoDB client's parts (lambda-handoff.ts). Each default is built only when not overridden.
 */
export function approveDeps(
  env: ApproveEnv,
  overrides: Partial<ApproveDeps> & { readonly clientOptions?: AwsClientOptions } = {},
): ApproveDeps {
  const { clientOptions, ...given } = overrides;
  let dynamodb: DynamoDBClient | undefined;
  const client = () => {
    if (dynamodb === undefined) {
      dynamodb = createDynamoDbClient(clientOptions);
      // Counted towards StateTableWriteFailing like every function's writes (infra/alarms.ts).
      countStateWriteFailures(dynamodb, stateWriteFailureMetric(metrics));
    }
    return dynamodb;
  };
  return {
    approveServices: given.approveServices ?? new Set(env.approveServices),
    store: given.store ?? new DynamoDbStateStore(client(), env.tableName),
    invoker: given.invoker ?? new LambdaRemediationInvoker(client().config, env.remediateFunction),
    logger: given.logger ?? logger,
    now: given.now ?? (() => new Date()),
  };
}
