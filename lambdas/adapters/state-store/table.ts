import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  type KMSClient,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { AwsApiError } from '../../../lib/errors.ts';
import { call } from '../aws-call.ts';
import { stateKeyAlias } from './layout.ts';

/**
 * The state key beside `tableName` (alias `alias/lbguard/<table>`), created if missing: an HMAC
 * key for GenerateMac/VerifyMac, as the construct deploys it. Idempotent. For `lbguard init`,
 * the drill and tests; a deployment gets its key from the stack. Returns the key's ARN.
 */
export async function createStateKey(kms: KMSClient, tableName: string): Promise<string> {
  const alias = stateKeyAlias(tableName);
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    if (existing.KeyMetadata?.Arn !== undefined) return existing.KeyMetadata.Arn;
  } catch (cause) {
    if (!(cause instanceof NotFoundException)) throw new AwsApiError('DescribeKey', { cause });
  }
  const created = await call('CreateKey', () =>
    kms.send(
      new CreateKeyCommand({
        Description: `lbguard state MAC key for table ${tableName}`,
        KeySpec: 'HMAC_256',
        KeyUsage: 'GENERATE_VERIFY_MAC',
      }),
    ),
  );
  const arn = created.KeyMetadata?.Arn;
  const id = created.KeyMetadata?.KeyId;
  if (arn === undefined || id === undefined)
    throw new AwsApiError('CreateKey', { cause: new Error('no key returned') });
  await call('CreateAlias', () => kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: id })));
  return arn;
}

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
