import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { AwsApiError } from '../../../lib/errors.ts';
import { call } from '../aws-call.ts';

/**
 * Creates the state table: string keys pk/sk, on-demand billing, TTL on `expiresAt`. Idempotent:
 * an existing table is left as it is and only its TTL is ensured. Waits (bounded) until ACTIVE.
 */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (cause) {
    if (!(cause instanceof ResourceInUseException)) throw new AwsApiError('CreateTable', { cause });
  }
  for (let i = 0; i < 60; i++) {
    const d = await call('DescribeTable', () =>
      client.send(new DescribeTableCommand({ TableName: tableName })),
    );
    if (d.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const ttl = await call('DescribeTimeToLive', () =>
    client.send(new DescribeTimeToLiveCommand({ TableName: tableName })),
  );
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  await call('UpdateTimeToLive', () =>
    client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    ),
  );
}
