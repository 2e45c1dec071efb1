import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LBGUARD_DEPLOYMENT_METRICS } from '../../lib/metrics.ts';

/** DynamoDB operations that write; a read that fails is not "the state table cannot be written". */
const WRITE_COMMANDS: ReadonlySet<string> = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

/** A condition that did not hold is the store working as designed (locks, versions), not a failure. */
function isExpectedRefusal(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ConditionalCheckFailedException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (error as { CancellationReasons?: readonly { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.length > 0 && reasons.every((r) => r.Code === 'None' || r.Code === 'ConditionalCheckFailed');
}

/**
 * Counts every write to the state table that failed after the SDK's retries (throttling beyond
 * retries, access denied, a disabled KMS key, a deleted table…), whichever code path made it and
 * whether or not that path went on to fail the invocation. Registered on the client's middleware
 * stack at `initialize`, outside the retry loop, so a throttle that a retry absorbed is not counted.
 */
export function countStateWriteFailures(client: DynamoDBClient, onFailure: (command: string) => void): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const command = context.commandName ?? '';
        if (WRITE_COMMANDS.has(command) && !isExpectedRefusal(error)) onFailure(command);
        throw error;
      }
    },
    { step: 'initialize', name: 'lbguardStateWriteFailures', override: true },
  );
}

/**
 * Publishes `StateWriteFailed` = 1 (namespace `LbGuard`, no dimension: one alarm for the whole
 * deployment) at once, in its own EMF record, so it never picks up a service's dimension.
 */
export function stateWriteFailureMetric(metrics: Metrics): (command: string) => void {
  return () => {
    metrics.addMetric(LBGUARD_DEPLOYMENT_METRICS.stateWriteFailed, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
  };
}
