import { createHash } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { SNAPSHOT_GZIP_THRESHOLD_BYTES } from '../../lambdas/adapters/state-store/snapshot-codec.ts';
import { KmsStateSigner } from '../../lambdas/adapters/state-store/state-signer.ts';
import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { type Incident, startIncident } from '../../lib/incident.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import type { ConfigChange, LbSnapshot, ProbeResult, StoredSnapshot } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';

const TABLE = 'lbguard-state';
const clients: AwsClients = createAwsClients(motoClientConfig());
afterAll(() => destroyAwsClients(clients));

function snapshotWithTargets(n: number, idOf: (i: number) => string = (i) => `i-${i}`): LbSnapshot {
  return {
    loadBalancerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop/1',
    listeners: [],
    targetGroups: [
      {
        arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1',
        name: 'web',
        targetType: 'instance',
        healthCheck: { path: '/health' },
        targets: Array.from({ length: n }, (_, i) => ({ id: idOf(i), port: 8080 })),
      },
    ],
  };
}

/** A stored snapshot per label: different labels, different targets, different hashes. */
function stored(
  label: string,
  takenAt: string,
  snapshot = snapshotWithTargets(2, (i) => `${label}-${i}`),
): StoredSnapshot {
  return { hash: hashSnapshot(snapshot), takenAt, snapshot };
}

const hashOf = (label: string): string => stored(label, '').hash;

function probe(at: string, ok = true): ProbeResult {
  return { service: 'shop', probe: 'home', at, ok, steps: [], totalMs: 12 };
}

describe('DynamoDbStateStore against moto', () => {
  let store: DynamoDbStateStore;
  beforeEach(async () => {
    await resetMoto();
    await createStateTable(clients.dynamodb, TABLE);
    const key = await createStateKey(clients.kms, TABLE);
    store = new DynamoDbStateStore(clients.dynamodb, TABLE, {
      signer: new KmsStateSigner(clients.kms.config, key, { canSign: true }),
    });
  });

  it('creates an on-demand table with string keys and TTL on expiresAt, and tolerates a second create', async () => {
    await createStateTable(clients.dynamodb, TABLE);
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expiresAt',
    });
  });

  it('keeps snapshot history, newest first, per service', async () => {
    await store.putSnapshot('shop', stored('h1', '2026-11-02T10:00:00.000Z'));
    await store.putSnapshot('shop', stored('h2', '2026-11-02T10:05:00.000Z'));
    await store.putSnapshot('blog', stored('h9', '2026-11-02T10:07:00.000Z'));
    expect((await store.listSnapshots('shop')).map((s) => s.hash)).toEqual([hashOf('h2'), hashOf('h1')]);
    expect((await store.listSnapshots('shop', 1)).map((s) => s.hash)).toEqual([hashOf('h2')]);
    expect(await store.getLatestSnapshot('shop')).toEqual(stored('h2', '2026-11-02T10:05:00.000Z'));
    expect(await store.getLatestSnapshot('nobody')).toBeUndefined();
  });

  it('gzips a snapshot too large for a plain attribute and reads it back intact', async () => {
    const big = snapshotWithTargets(3000);
    expect(JSON.stringify(big).length).toBeGreaterThan(SNAPSHOT_GZIP_THRESHOLD_BYTES);
    await store.putSnapshot('shop', stored('big', '2026-11-02T10:00:00.000Z', big));
    const raw = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: {
          pk: { S: 'SERVICE#shop' },
          sk: { S: `SNAPSHOT#2026-11-02T10:00:00.000Z#${hashSnapshot(big)}` },
        },
      }),
    );
    expect(raw.Item?.snapshotGzip?.B).toBeInstanceOf(Uint8Array);
    expect(raw.Item?.snapshotJson).toBeUndefined();
    expect((await store.getLatestSnapshot('shop'))?.snapshot).toEqual(big);
  });

  it('refuses a snapshot that would not fit in an item even gzipped', async () => {
    const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex');
    const huge = snapshotWithTargets(12_000, (i) => `${hex(i)}${hex(-i)}`);
    await expect(store.putSnapshot('shop', stored('huge', '2026-11-02T10:00:00.000Z', huge))).rejects.toThrow(
      /over DynamoDB's item limit/,
    );
  });

  it('promotes last known good with its reason and keeps a record of every promotion', async () => {
    expect(await store.getLastGood('shop')).toBeUndefined();
    await store.promoteLastGood(
      'shop',
      stored('h1', '2026-11-02T10:00:00.000Z'),
      'soaked 600 s',
      '2026-11-02T10:10:00.000Z',
    );
    await store.promoteLastGood(
      'shop',
      stored('h2', '2026-11-02T11:00:00.000Z'),
      'operator',
      '2026-11-02T11:10:00.000Z',
    );
    expect(await store.getLastGood('shop')).toEqual({
      ...stored('h2', '2026-11-02T11:00:00.000Z'),
      promotedAt: '2026-11-02T11:10:00.000Z',
      reason: 'operator',
    });
    expect(await store.listPromotions('shop')).toEqual([
      {
        hash: hashOf('h2'),
        takenAt: '2026-11-02T11:00:00.000Z',
        promotedAt: '2026-11-02T11:10:00.000Z',
        reason: 'operator',
      },
      {
        hash: hashOf('h1'),
        takenAt: '2026-11-02T10:00:00.000Z',
        promotedAt: '2026-11-02T10:10:00.000Z',
        reason: 'soaked 600 s',
      },
    ]);
  });

  it('stores incidents as documents and points at the open one until it closes', async () => {
    const opened: Incident = {
      ...startIncident('shop', '2026-11-02T10:00:00.000Z'),
      state: 'suspected',
      breaches: 1,
    };
    expect(await store.putIncident(opened)).toEqual({ written: true });
    expect(await store.getIncident('shop', opened.id)).toEqual(opened);
    expect(await store.getOpenIncident('shop')).toEqual(opened);

    const closed: Incident = {
      ...opened,
      state: 'resolved',
      updatedAt: '2026-11-02T10:20:00.000Z',
      closedAt: '2026-11-02T10:20:00.000Z',
    };
    expect(await store.putIncident(closed, { expectUpdatedAt: opened.updatedAt })).toEqual({ written: true });
    expect(await store.getOpenIncident('shop')).toBeUndefined();

    const next: Incident = { ...startIncident('shop', '2026-11-02T12:00:00.000Z'), state: 'suspected' };
    await store.putIncident(next);
    expect((await store.listIncidents('shop')).map((i) => i.id)).toEqual([next.id, opened.id]);
    expect((await store.listIncidents('shop', 1)).map((i) => i.id)).toEqual([next.id]);
    expect((await store.getOpenIncident('shop'))?.id).toBe(next.id);
  });

  it('does not clear the open pointer when an older incident closes after a newer one opened', async () => {
    const older = { ...startIncident('shop', '2026-11-02T10:00:00.000Z'), state: 'suspected' as const };
    const newer = { ...startIncident('shop', '2026-11-02T11:00:00.000Z'), state: 'suspected' as const };
    await store.putIncident(older);
    await store.putIncident(newer);
    await store.putIncident({ ...older, state: 'resolved', closedAt: '2026-11-02T11:05:00.000Z' });
    expect((await store.getOpenIncident('shop'))?.id).toBe(newer.id);
  });

  it('refuses an incident write based on a stale read and returns the current incident', async () => {
    const first = { ...startIncident('shop', '2026-11-02T10:00:00.000Z'), state: 'suspected' as const };
    await store.putIncident(first);
    const byInspect = { ...first, state: 'confirmed' as const, updatedAt: '2026-11-02T10:01:00.000Z' };
    await store.putIncident(byInspect, { expectUpdatedAt: first.updatedAt });
    const stale = { ...first, breaches: 9, updatedAt: '2026-11-02T10:01:30.000Z' };
    expect(await store.putIncident(stale, { expectUpdatedAt: first.updatedAt })).toEqual({
      written: false,
      current: byInspect,
    });
  });

  it('lets exactly one of two concurrent lock requests win', async () => {
    const now = '2026-11-02T10:00:00.000Z';
    const results = await Promise.all([
      store.acquireLock('shop', 'remediate-1', 120, now),
      store.acquireLock('shop', 'remediate-2', 120, now),
    ]);
    const winners = results.filter((r) => r.acquired);
    const losers = results.filter((r) => !r.acquired);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const winner = results[0]?.acquired ? 'remediate-1' : 'remediate-2';
    expect(losers[0]).toEqual({ acquired: false, heldBy: winner, expiresAt: '2026-11-02T10:02:00.000Z' });
  });

  it('lets the holder re-acquire, and another owner take over only after expiry', async () => {
    expect(await store.acquireLock('shop', 'a', 60, '2026-11-02T10:00:00.000Z')).toEqual({
      acquired: true,
      expiresAt: '2026-11-02T10:01:00.000Z',
    });
    expect((await store.acquireLock('shop', 'a', 60, '2026-11-02T10:00:30.000Z')).acquired).toBe(true);
    expect((await store.acquireLock('shop', 'b', 60, '2026-11-02T10:01:00.000Z')).acquired).toBe(false);
    expect((await store.acquireLock('shop', 'b', 60, '2026-11-02T10:01:31.000Z')).acquired).toBe(true);
    expect(await store.acquireLock('other-service', 'c', 60, '2026-11-02T10:01:31.000Z')).toMatchObject({
      acquired: true,
    });
  });

  it('refuses release by anyone but the holder', async () => {
    await store.acquireLock('shop', 'a', 60, '2026-11-02T10:00:00.000Z');
    expect(await store.releaseLock('shop', 'b')).toEqual({ released: false, heldBy: 'a' });
    expect(await store.releaseLock('shop', 'a')).toEqual({ released: true });
    expect(await store.releaseLock('shop', 'a')).toEqual({ released: false });
    expect((await store.acquireLock('shop', 'b', 60, '2026-11-02T10:00:10.000Z')).acquired).toBe(true);
  });

  it('returns probe results since a time, oldest first, each with a TTL', async () => {
    const results = Array.from({ length: 30 }, (_, i) =>
      probe(`2026-11-02T10:${String(i).padStart(2, '0')}:00.000Z`, i % 2 === 0),
    );
    await store.putProbeResults('shop', results);
    const recent = await store.recentProbeResults('shop', '2026-11-02T10:25:00.000Z');
    expect(recent).toEqual(results.slice(25));
    const raw = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: TABLE,
        // Probe's own partition: its role may write nothing else (state-store/layout.ts).
        Key: { pk: { S: 'EVIDENCE#shop' }, sk: { S: 'PROBE#2026-11-02T10:00:00.000Z#home' } },
      }),
    );
    expect(raw.Item?.expiresAt?.N).toBe(String(Date.parse('2026-11-03T10:00:00.000Z') / 1000));
  });

  it('returns served-by samples and config changes since a time', async () => {
    await store.putServedBySample({ service: 'shop', at: '2026-11-02T10:00:00.000Z', counts: { a: 1 } });
    await store.putServedBySample({
      service: 'shop',
      at: '2026-11-02T10:01:00.000Z',
      counts: { a: 3, b: 2 },
    });
    expect(await store.recentServedBySamples('shop', '2026-11-02T10:00:30.000Z')).toEqual([
      { service: 'shop', at: '2026-11-02T10:01:00.000Z', counts: { a: 3, b: 2 } },
    ]);
    const change: ConfigChange = {
      eventName: 'ModifyListener',
      principal: 'role deploy-pipeline',
      at: '2026-11-02T14:02:11.000Z',
      resources: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/1/2'],
    };
    await store.putConfigChange('shop', change);
    expect(await store.recentConfigChanges('shop', '2026-11-02T14:00:00.000Z')).toEqual([change]);
    expect(await store.recentConfigChanges('shop', '2026-11-02T14:03:00.000Z')).toEqual([]);
  });

  it('sets, reads and clears the soak marker', async () => {
    expect(await store.getSoak('shop')).toBeUndefined();
    await store.setSoak('shop', { hash: hashOf('h1'), since: '2026-11-02T10:00:00.000Z' });
    expect(await store.getSoak('shop')).toEqual({ hash: hashOf('h1'), since: '2026-11-02T10:00:00.000Z' });
    await store.clearSoak('shop');
    expect(await store.getSoak('shop')).toBeUndefined();
  });
});
