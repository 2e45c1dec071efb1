import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../lambdas/adapters/clients.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { countStateWriteFailures } from '../../lambdas/adapters/state-write-failures.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';

const TABLE = 'lbguard-state';
const clients = { dynamodb: createDynamoDbClient(motoClientConfig()) };
const failures: string[] = [];
countStateWriteFailures(clients.dynamodb, (command) => failures.push(command));
afterAll(() => clients.dynamodb.destroy());

describe('counting state-table write failures (the "state table cannot be written" alarm), on moto', () => {
  beforeEach(async () => {
    await resetMoto();
    failures.length = 0;
  });

  it('counts a write the table refused after retries, through the DynamoDB client the store uses', async () => {
    const store = new DynamoDbStateStore(clients.dynamodb, 'no-such-table');
    await expect(store.setSoak('shop', { hash: 'h', since: '2026-11-03T14:00:00Z' })).rejects.toThrow(
      /PutItem failed.*ResourceNotFound/,
    );
    expect(failures).toEqual(['PutItemCommand']);
  });

  it('does not count reads, successful writes, or a condition that did not hold', async () => {
    await createStateTable(clients.dynamodb, TABLE);
    const store = new DynamoDbStateStore(clients.dynamodb, TABLE);
    await store.setSoak('shop', { hash: 'h', since: '2026-11-03T14:00:00Z' });
    // The lock is held by someone else: a conditional write refused, as designed.
    await store.acquireLock('shop', 'a', 60, '2026-11-03T14:00:00Z');
    const second = await store.acquireLock('shop', 'b', 60, '2026-11-03T14:00:01Z');
    expect(second.acquired).toBe(false);
    // A stale version of the hysteresis states: refused, not failed.
    expect((await store.putProbeHysteresis('shop', {}, undefined)).written).toBe(true);
    expect((await store.putProbeHysteresis('shop', {}, undefined)).written).toBe(false);
    await expect(new DynamoDbStateStore(clients.dynamodb, 'no-such-table').getSoak('shop')).rejects.toThrow();
    expect(failures).toEqual([]);
  });

  it('keeps the probe hysteresis states versioned: the writer with the stale version loses', async () => {
    await createStateTable(clients.dynamodb, TABLE);
    const store = new DynamoDbStateStore(clients.dynamodb, TABLE);
    const states = {
      home: {
        status: 'failing' as const,
        window: [],
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        changes: ['2026-11-03T14:03:00.000Z'],
        lastAt: '2026-11-03T14:03:00.000Z',
      },
    };
    expect(await store.getProbeHysteresis('shop')).toBeUndefined();
    expect((await store.putProbeHysteresis('shop', states, undefined)).written).toBe(true);
    const read = await store.getProbeHysteresis('shop');
    expect(read).toEqual({ states, version: 1 });
    expect((await store.putProbeHysteresis('shop', {}, 1)).written).toBe(true);
    expect((await store.putProbeHysteresis('shop', states, 1)).written).toBe(false);
    expect(await store.getProbeHysteresis('shop')).toEqual({ states: {}, version: 2 });
  });
});
