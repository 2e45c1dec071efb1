// Issue 14, finding 2: nothing read back from the state table is trusted without a check. A last
// known good edited in the table (the attack: point the listener at an outside host and register
// an outside address) must never yield a plan; it fails its check, and inspect says so as an
// incident of its own. On moto's real DynamoDB and KMS (GenerateMac/VerifyMac on an HMAC key).
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients, destroyAwsClients } from '../../lambdas/adapters/clients.ts';
import { DynamoDbStateStore } from '../../lambdas/adapters/state-store/dynamodb-state-store.ts';
import { KmsStateSigner } from '../../lambdas/adapters/state-store/state-signer.ts';
import { createStateKey, createStateTable } from '../../lambdas/adapters/state-store/table.ts';
import { inspect } from '../../lambdas/flows/inspect.ts';
import type { RemediateRequest } from '../../lambdas/runtime/events.ts';
import { AwsApiError } from '../../lib/errors.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import { StateIntegrityError } from '../../lib/state-integrity.ts';
import type { LbSnapshot, StoredSnapshot } from '../../lib/types.ts';
import { motoClientConfig, resetMoto } from '../support/aws-env.ts';
import { deregisterTargets, outageShop } from '../support/elbv2-fixtures.ts';
import { createMotoWorld, type MotoWorld, TABLE } from '../support/moto-lambdas.ts';

const clients: AwsClients = createAwsClients(motoClientConfig());
afterAll(() => destroyAwsClients(clients));

const ACCOUNT_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const SNAPSHOT: LbSnapshot = {
  loadBalancerArn: `${ACCOUNT_ARN}:loadbalancer/app/shop/1`,
  listeners: [
    {
      arn: `${ACCOUNT_ARN}:listener/app/shop/1/2`,
      port: 80,
      protocol: 'HTTP',
      defaultActions: [
        {
          type: 'forward',
          targetGroups: [{ targetGroupArn: `${ACCOUNT_ARN}:targetgroup/web/1`, weight: 1 }],
        },
      ],
      rules: [],
    },
  ],
  targetGroups: [
    {
      arn: `${ACCOUNT_ARN}:targetgroup/web/1`,
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

/** What the attacker wants restored: everything to an outside host, an outside address registered. */
function tampered(s: LbSnapshot): LbSnapshot {
  const [listener] = s.listeners;
  const [group] = s.targetGroups;
  if (listener === undefined || group === undefined) throw new Error('fixture has no listener or group');
  return {
    ...s,
    listeners: [
      {
        ...listener,
        defaultActions: [
          { type: 'redirect', statusCode: 'HTTP_302', host: 'evil.example', protocol: 'HTTPS' },
        ],
      },
    ],
    targetGroups: [{ ...group, targets: [...group.targets, { id: '203.0.113.9', port: 443 }] }],
  };
}

function stored(snapshot: LbSnapshot, takenAt = '2026-11-02T10:00:00.000Z'): StoredSnapshot {
  return { hash: hashSnapshot(snapshot), takenAt, snapshot };
}

async function rawItem(pk: string, sk: string): Promise<Record<string, unknown>> {
  const out = await clients.dynamodb.send(
    new GetItemCommand({ TableName: TABLE, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  if (out.Item === undefined) throw new Error(`no item ${pk} ${sk}`);
  return unmarshall(out.Item);
}

async function putRaw(item: Record<string, unknown>): Promise<void> {
  await clients.dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item) }));
}

describe('the state table: snapshots and last known good are checked when read', () => {
  let key: string;
  let store: DynamoDbStateStore;
  beforeEach(async () => {
    await resetMoto();
    await createStateTable(clients.dynamodb, TABLE);
    key = await createStateKey(clients.kms, TABLE);
    store = new DynamoDbStateStore(clients.dynamodb, TABLE, {
      signer: new KmsStateSigner(clients.elbv2.config, key, { canSign: true }),
    });
    await store.promoteLastGood('shop', stored(SNAPSHOT), 'soaked', '2026-11-02T10:10:00.000Z');
  });

  it('reads back what it signed', async () => {
    expect((await store.getLastGood('shop'))?.snapshot).toEqual(SNAPSHOT);
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    expect(item.mac).toEqual(expect.stringMatching(/^[A-Za-z0-9+/]+=*$/));
  });

  it('refuses a last known good whose snapshot was edited in the table', async () => {
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    await putRaw({ ...item, snapshotJson: JSON.stringify(tampered(SNAPSHOT)) });
    const read = store.getLastGood('shop');
    await expect(read).rejects.toBeInstanceOf(StateIntegrityError);
    await expect(store.getLastGood('shop')).rejects.toThrow(/does not match its recorded hash/);
  });

  it('refuses one edited with its hash recomputed: the MAC no longer verifies', async () => {
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    const forged = tampered(SNAPSHOT);
    await putRaw({ ...item, snapshotJson: JSON.stringify(forged), hash: hashSnapshot(forged) });
    await expect(store.getLastGood('shop')).rejects.toThrow(/last known good of shop .*MAC does not verify/);
  });

  it('refuses one written without a MAC, as a role other than inspect would write it', async () => {
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    const { mac: _, ...unsigned } = item;
    await putRaw(unsigned);
    await expect(store.getLastGood('shop')).rejects.toThrow(/carries no MAC/);
  });

  it("refuses a genuine item replayed in another place: another service's, or a snapshot as last good", async () => {
    await store.putSnapshot('blog', stored(SNAPSHOT));
    const blog = await rawItem('SERVICE#blog', `SNAPSHOT#2026-11-02T10:00:00.000Z#${hashSnapshot(SNAPSHOT)}`);
    const lastGood = await rawItem('SERVICE#shop', 'LASTGOOD');
    await putRaw({ ...lastGood, mac: blog.mac, promotedAt: lastGood.promotedAt });
    await expect(store.getLastGood('shop')).rejects.toThrow(/MAC does not verify/);
  });

  it('refuses a snapshot that is not a load-balancer snapshot, naming what is wrong', async () => {
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    const odd = { ...SNAPSHOT, extra: 'field' };
    await putRaw({ ...item, snapshotJson: JSON.stringify(odd) });
    await expect(store.getLastGood('shop')).rejects.toThrow(/not a load-balancer snapshot/);
  });

  it("lets remediate's verify-only signer read, never write", async () => {
    const reader = new DynamoDbStateStore(clients.dynamodb, TABLE, {
      signer: new KmsStateSigner(clients.elbv2.config, key, { canSign: false }),
    });
    expect((await reader.getLastGood('shop'))?.hash).toBe(hashSnapshot(SNAPSHOT));
    await expect(reader.putSnapshot('shop', stored(tampered(SNAPSHOT)))).rejects.toThrow(/only verifies/);
    expect(await store.listSnapshots('shop')).toEqual([]);
  });

  it('tells a KMS failure apart from tampering: an unknown key is an AWS error, not an incident', async () => {
    const lost = new DynamoDbStateStore(clients.dynamodb, TABLE, {
      signer: new KmsStateSigner(clients.elbv2.config, 'alias/lbguard/no-such-key', { canSign: false }),
    });
    const read = lost.getLastGood('shop');
    await expect(read).rejects.toBeInstanceOf(AwsApiError);
    await expect(lost.getLastGood('shop')).rejects.not.toBeInstanceOf(StateIntegrityError);
  });

  it('checks every other record too: a malformed probe result or incident is named, never used', async () => {
    await store.putProbeResults('shop', [
      { service: 'shop', probe: 'home', at: '2026-11-02T10:00:00.000Z', ok: true, steps: [], totalMs: 5 },
    ]);
    const probeItem = await rawItem('EVIDENCE#shop', 'PROBE#2026-11-02T10:00:00.000Z#home');
    await putRaw({ ...probeItem, result: { ...(probeItem.result as object), ok: 'yes' } });
    await expect(store.recentProbeResults('shop', '2026-11-02T00:00:00.000Z')).rejects.toThrow(
      /probe result PROBE#2026-11-02T10:00:00.000Z#home of shop failed its integrity check: it is not a valid record \(ok: /,
    );
    await putRaw({
      pk: 'INCIDENTS#shop',
      sk: 'INCIDENT#shop#2026-11-02T10:00:00.000Z',
      incident: { id: 'shop#2026-11-02T10:00:00.000Z', service: 'shop', state: 'approved-by-nobody' },
    });
    await expect(store.getIncident('shop', 'shop#2026-11-02T10:00:00.000Z')).rejects.toBeInstanceOf(
      StateIntegrityError,
    );
  });

  it('fails loudly without a key rather than trusting what it reads', async () => {
    const keyless = new DynamoDbStateStore(clients.dynamodb, TABLE);
    await expect(keyless.getLastGood('shop')).rejects.toThrow(/without the state key/);
  });
});

describe('a tampered last known good in the lambdas (moto)', () => {
  let w: MotoWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  it('never yields a plan: remediate escalates without a write, inspect opens an integrity incident', async () => {
    w = await createMotoWorld(outageShop, () => ({}));
    await w.promote();
    // The outage, confirmed: inspect hands remediate a plan towards last known good.
    await w.modifyListener({ forward: { 'web-a': 100, 'web-b': 0 } });
    const { groups } = w.shop;
    await deregisterTargets(w.admin, groups['web-b']?.arn ?? '', groups['web-b']?.targets ?? []);
    w.clock.advance(5_000);
    await inspect(w.changeEvent('ModifyListener', { listenerArn: w.shop.listenerArn }), w.inspectDeps());
    await w.tick();
    const request = w.invoker.requests[0] as RemediateRequest | undefined;
    if (request === undefined) throw new Error('inspect did not request remediation');

    // Meanwhile someone with write access to the table rewrites last known good.
    const item = await rawItem('SERVICE#shop', 'LASTGOOD');
    const forged = tampered(JSON.parse(String(item.snapshotJson)) as LbSnapshot);
    await putRaw({ ...item, snapshotJson: JSON.stringify(forged), hash: hashSnapshot(forged) });
    w.elbv2Calls.length = 0;

    const outcome = await w.remediate(request);
    expect(outcome).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/integrity check/) });
    expect(w.elbv2Writes()).toEqual([]);

    const requestsBefore = w.invoker.requests.length;
    const next = await w.tick();
    if (next.kind !== 'inspected') throw new Error(`inspect ${next.kind}`);
    const shop = next.services[0];
    expect(shop?.diagnosis).toMatchObject({
      cause: 'state-integrity',
      severity: 'critical',
      remediable: false,
    });
    expect(shop?.diagnosis.evidence[0]).toMatch(
      /last known good of shop failed its integrity check: its MAC does not verify/,
    );
    expect(shop?.planHash).toBeUndefined();
    expect(w.invoker.requests).toHaveLength(requestsBefore);
    expect(shop?.promoted).toBe(false);
  });
});
