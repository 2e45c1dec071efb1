// The state store once spoke through the DynamoDB document client (@aws-sdk/lib-dynamodb); it now
// sends DynamoDB's own commands and marshals with util-dynamodb (state-store/attributes.ts), which
// keeps ~7 KB out of every Lambda bundle. A table outlives a release, so both directions must hold:
// what the old code wrote reads back identically, and what the new code writes is what the old code
// would have written. On moto, against the document client built as the old code built it.
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand as DocumentScanCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { fromItem, toItem } from '../../lambdas/adapters/state-store/attributes.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { KmsStateSigner } from '../../lambdas/adapters/state-store/state-signer.ts';
import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { startIncident } from '../../lib/incident.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import type { LbSnapshot, ProbeResult, StoredSnapshot } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { documentClient } from '../support/document-client.ts';

const TABLE = 'lbguard-state';
const clients: AwsClients = createAwsClients(motoClientConfig());
const docs = documentClient(clients.dynamodb);
afterAll(() => destroyAwsClients(clients));

const SNAPSHOT: LbSnapshot = {
  loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/1',
  listeners: [],
  targetGroups: [
    {
      arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1',
      name: 'web',
      targetType: 'ip',
      healthCheck: { path: '/health' },
      targets: [
        { id: '10.0.1.10', port: 8443 },
        { id: '10.0.2.10', port: 8443 },
      ],
    },
  ],
};
const STORED: StoredSnapshot = {
  hash: hashSnapshot(SNAPSHOT),
  takenAt: '2026-11-02T10:00:00.000Z',
  snapshot: SNAPSHOT,
};

/** A probe result with what the old marshalling had to get right: floats, an omitted optional. */
const PROBE: ProbeResult = {
  service: 'shop',
  probe: 'home',
  at: '2026-11-02T10:00:00.000Z',
  ok: false,
  totalMs: 12.375,
  steps: [
    {
      name: 'home',
      url: 'https://shop.example/',
      method: 'GET',
      ok: false,
      status: 503,
      latencyMs: 0.1,
      failures: ['status 503 not in [200]'],
      servedBy: 'web-a',
    },
    {
      name: 'cart',
      url: 'https://shop.example/cart',
      method: 'GET',
      ok: false,
      latencyMs: 5000,
      failures: [],
    },
  ],
};

/** Every item in the table as DynamoDB holds it (attribute values), in key order. */
async function rawTable(): Promise<unknown[]> {
  const out = await clients.dynamodb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  const key = (i: Record<string, { S?: string }>) => `${i.pk?.S} ${i.sk?.S}`;
  return (out.Items ?? []).sort((a, b) => key(a).localeCompare(key(b)));
}

/** Everything the store can read back for service `shop`. */
async function readAll(store: DynamoDbStateStore) {
  const since = '2026-11-01T00:00:00.000Z';
  return {
    snapshots: await store.listSnapshots('shop'),
    lastGood: await store.getLastGood('shop'),
    promotions: await store.listPromotions('shop'),
    incidents: await store.listIncidents('shop'),
    open: await store.getOpenIncident('shop'),
    probes: await store.recentProbeResults('shop', since),
    servedBy: await store.recentServedBySamples('shop', since),
    changes: await store.recentConfigChanges('shop', since),
    soak: await store.getSoak('shop'),
    hysteresis: await store.getProbeHysteresis('shop'),
  };
}

describe('the state store without the document client, on moto', () => {
  let store: DynamoDbStateStore;
  beforeEach(async () => {
    await resetMoto();
    await createStateTable(clients.dynamodb, TABLE);
    const key = await createStateKey(clients.kms, TABLE);
    store = new DynamoDbStateStore(clients.dynamodb, TABLE, {
      signer: new KmsStateSigner(clients.kms.config, key, { canSign: true }),
    });
  });

  it('writes every record kind as the document client would, and reads its items back identically', async () => {
    await store.putSnapshot('shop', STORED);
    await store.promoteLastGood('shop', STORED, 'soaked 600 s', '2026-11-02T10:10:00.000Z');
    const incident = {
      ...startIncident('shop', '2026-11-02T10:00:00.000Z'),
      state: 'suspected' as const,
      breaches: 2,
    };
    await store.putIncident(incident);
    await store.acquireLock('shop', 'remediate-1', 120, '2026-11-02T10:00:00.000Z');
    await store.putProbeResults('shop', [PROBE]);
    await store.putServedBySample({
      service: 'shop',
      at: '2026-11-02T10:01:00.000Z',
      counts: { a: 3, b: 0 },
    });
    await store.putConfigChange('shop', {
      eventName: 'ModifyListener',
      principal: 'role deploy-pipeline',
      at: '2026-11-02T10:02:11.000Z',
      resources: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/2'],
    });
    await store.setSoak('shop', { hash: STORED.hash, since: '2026-11-02T10:00:00.000Z' });
    await store.putProbeHysteresis('shop', {}, undefined);
    const written = await rawTable();
    const read = await readAll(store);
    expect(written).toHaveLength(11);
    expect(read.probes).toEqual([PROBE]);

    // The old code: every item as the document client reads it, written back through it.
    const items =
      (await docs.send(new DocumentScanCommand({ TableName: TABLE, ConsistentRead: true }))).Items ?? [];
    expect(items).toHaveLength(11);
    for (const Item of items) await docs.send(new PutCommand({ TableName: TABLE, Item }));

    expect(await rawTable()).toEqual(written);
    expect(await readAll(store)).toEqual(read);
  });

  it('reads items the old code wrote: numbers exact, omitted optionals still omitted', async () => {
    const expiresAt = Date.parse('2026-11-02T10:02:00.000Z') / 1000;
    const states = {
      home: {
        status: 'failing' as const,
        window: [],
        consecutiveFailures: 3,
        consecutiveSuccesses: 0,
        changes: ['2026-11-02T10:00:00.000Z'],
        lastAt: '2026-11-02T10:00:00.000Z',
      },
    };
    for (const Item of [
      { pk: 'EVIDENCE#shop', sk: `PROBE#${PROBE.at}#home`, expiresAt: expiresAt + 86_400, result: PROBE },
      { pk: 'INCIDENTS#shop', sk: 'LOCK', owner: 'remediate-1', acquiredAt: PROBE.at, expiresAt },
      { pk: 'SERVICE#shop', sk: 'HYSTERESIS', states, version: 7, unset: undefined },
    ]) {
      await docs.send(new PutCommand({ TableName: TABLE, Item }));
    }
    expect(await store.recentProbeResults('shop', PROBE.at)).toEqual([PROBE]);
    expect(await store.getProbeHysteresis('shop')).toEqual({ states, version: 7 });
    // The lock the old code took holds against the new code, and names its holder and expiry.
    expect(await store.acquireLock('shop', 'remediate-2', 120, '2026-11-02T10:01:00.000Z')).toEqual({
      acquired: false,
      heldBy: 'remediate-1',
      expiresAt: '2026-11-02T10:02:00.000Z',
    });
    // And a version the old code wrote guards the new code's write.
    expect((await store.putProbeHysteresis('shop', {}, 6)).written).toBe(false);
    expect((await store.putProbeHysteresis('shop', {}, 7)).written).toBe(true);
    const hysteresis = await docs.send(
      new GetCommand({
        TableName: TABLE,
        Key: { pk: 'SERVICE#shop', sk: 'HYSTERESIS' },
        ConsistentRead: true,
      }),
    );
    expect(hysteresis.Item).toEqual({ pk: 'SERVICE#shop', sk: 'HYSTERESIS', states: {}, version: 8 });
  });
});

const name = fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,7}$/).filter((n) => n !== 'pk' && n !== 'sk');
const leaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  // Hundredths, epoch seconds and the largest safe integer: what lbguard's records hold.
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 100),
  fc.integer({ min: 0, max: 4_102_444_800 }),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ minLength: 1, maxLength: 8 }),
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(name, fc.option(tie('value'), { nil: undefined }), { maxKeys: 4, noNullPrototype: true }),
  ),
}));
const record = fc.dictionary(name, fc.option(value, { nil: undefined }), {
  maxKeys: 6,
  noNullPrototype: true,
});

describe("the store's marshalling against the document client's, on moto", () => {
  beforeEach(async () => {
    await resetMoto();
    await createStateTable(clients.dynamodb, TABLE);
  });

  it('writes any record to the same attribute values and reads it back to the same value', async () => {
    const raw = async (sk: string) =>
      (
        await clients.dynamodb.send(
          new GetItemCommand({ TableName: TABLE, Key: toItem({ pk: 'P', sk }), ConsistentRead: true }),
        )
      ).Item;
    await fc.assert(
      fc.asyncProperty(record, async (r) => {
        await docs.send(new PutCommand({ TableName: TABLE, Item: { ...r, pk: 'P', sk: 'old' } }));
        await clients.dynamodb.send(
          new PutItemCommand({ TableName: TABLE, Item: toItem({ ...r, pk: 'P', sk: 'new' }) }),
        );
        const [old, written] = [await raw('old'), await raw('new')];
        if (old === undefined || written === undefined) throw new Error('an item was not written');
        expect({ ...written, sk: { S: 'old' } }).toEqual(old);
        const byDocs = await docs.send(new GetCommand({ TableName: TABLE, Key: { pk: 'P', sk: 'old' } }));
        expect(fromItem(old)).toEqual(byDocs.Item);
      }),
      { numRuns: 40 },
    );
  });
});
