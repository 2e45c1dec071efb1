import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The document client, built as lambdas/adapters/clients.ts built it before the state store did
 * its own marshalling (state-store/attributes.ts). Tests read the table through it, and prove with
 * it that items written by the old store and the new one read back the same. Never in a Lambda.
 */
export function documentClient(dynamodb: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
