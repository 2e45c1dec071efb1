// The remediate function's apply-at-most-once (Powertools Idempotency on the state table) against
// moto. The deployed bundle leaves Powertools' JMESPath engine out (lambdas/bundle-shims/
// no-jmespath.ts), so the key is handed over as the payload; the records it writes must be the ones
// the JMESPath-keyed configuration of earlier releases wrote, or an apply retried across an upgrade
// would run twice.
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createPowertoolsApplyOnce } from '../../lambdas/adapters/apply-once.ts';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { IDEMPOTENCY_PARTITION } from '../../lambdas/adapters/state-store/layout.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { documentClient } from '../support/document-client.ts';

const TABLE = 'lbguard-state';
const clients: AwsClients = createAwsClients(motoClientConfig());
afterAll(() => destroyAwsClients(clients));

async function storedKeys(): Promise<string[]> {
  const out = await documentClient(clients.dynamodb).send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': IDEMPOTENCY_PARTITION },
    }),
  );
  return (out.Items ?? []).map((i) => String(i.sk)).sort();
}

describe('createPowertoolsApplyOnce against moto', () => {
  beforeEach(async () => {
    await resetMoto();
    await createStateTable(clients.dynamodb, TABLE);
  });

  it('applies once per incident and plan, replays the record to a duplicate, and applies a new plan', async () => {
    const once = createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: TABLE });
    const calls: string[] = [];
    const apply = (name: string) => async () => {
      calls.push(name);
      return { applied: [name] };
    };
    expect(await once.run({ incidentId: 'inc-1', planHash: 'p1' }, apply('first'))).toEqual({
      applied: ['first'],
    });
    expect(await once.run({ incidentId: 'inc-1', planHash: 'p1' }, apply('again'))).toEqual({
      applied: ['first'],
    });
    expect(await once.run({ incidentId: 'inc-1', planHash: 'p2' }, apply('new plan'))).toEqual({
      applied: ['new plan'],
    });
    expect(await once.run({ incidentId: 'inc-2', planHash: 'p1' }, apply('new incident'))).toEqual({
      applied: ['new incident'],
    });
    expect(calls).toEqual(['first', 'new plan', 'new incident']);
    expect(await storedKeys()).toHaveLength(3);
  });

  it('leaves no record when the apply fails, so the retry applies', async () => {
    const once = createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: TABLE });
    await expect(
      once.run({ incidentId: 'inc-1', planHash: 'p1' }, async () => {
        throw new Error('ELBv2 throttled');
      }),
    ).rejects.toThrow('ELBv2 throttled');
    expect(
      await once.run({ incidentId: 'inc-1', planHash: 'p1' }, async () => ({ applied: ['retry'] })),
    ).toEqual({
      applied: ['retry'],
    });
  });

  it('writes the key the JMESPath-keyed configuration of earlier releases wrote', async () => {
    const once = createPowertoolsApplyOnce({ dynamodb: clients.dynamodb, tableName: TABLE });
    await once.run({ incidentId: 'inc-7', planHash: 'abc' }, async () => ({ applied: [] }));
    const earlier = new DynamoDBPersistenceLayer({
      tableName: TABLE,
      awsSdkV3Client: clients.dynamodb,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      staticPkValue: IDEMPOTENCY_PARTITION,
      expiryAttr: 'expiresAt',
    });
    earlier.configure({
      config: new IdempotencyConfig({
        eventKeyJmesPath: '[incidentId, planHash]',
        throwOnNoIdempotencyKey: true,
      }),
    });
    const [key] = await storedKeys();
    // The key Powertools derives from the record shape earlier releases passed: the real engine here.
    const derived = (
      earlier as unknown as { getHashedIdempotencyKey(data: unknown): string }
    ).getHashedIdempotencyKey({
      incidentId: 'inc-7',
      planHash: 'abc',
    });
    expect(key).toBe(derived);
  });
});
