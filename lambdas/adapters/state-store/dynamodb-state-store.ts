import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteItemsCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { AwsApiError, LbGuardError } from '../../../lib/errors.ts';
import type { ProbeHysteresisStates } from '../../../lib/hysteresis.ts';
import type { Incident } from '../../../lib/incident.ts';
import type { LastGood, SoakMarker } from '../../../lib/last-good.ts';
import { checkRecord } from '../../../lib/stored-records.ts';
import type { ConfigChange, ProbeResult, ServedBySample, StoredSnapshot } from '../../../lib/types.ts';
import { call } from '../aws-call.ts';
import { attributeNumber, attributeString, fromItem, isConditionFailure, toItem } from './attributes.ts';
import { pk, type RecordKind, SK } from './layout.ts';
import type {
  LockResult,
  PutIncidentResult,
  ReleaseResult,
  StateStore,
  StoredProbeHysteresis,
} from './ports.ts';
import { ProtectedItems } from './protected-items.ts';
import type { StateSigner } from './state-signer.ts';

// One table, keyed pk = <writer's partition>#<service>, sk = <record kind>#… (layout.ts); see
// docs/state-table.md. It sends DynamoDB's own commands; attributes.ts marshals what they carry.

export interface DynamoDbStateStoreOptions {
  /** How long probe results and served-by samples live. Default 1 day. */
  readonly probeTtlSeconds?: number;
  /** How long CloudTrail change records live. Default 7 days: long enough for a postmortem. */
  readonly changeTtlSeconds?: number;
  /**
   * The state key: signs the snapshots and last known good this store writes and verifies those
   * it reads. Without it, reading or writing either fails (probe, which never touches them, has
   * none).
   */
  readonly signer?: StateSigner;
}

const BATCH_WRITE_MAX = 25;
const BATCH_WRITE_ATTEMPTS = 5;
const MAX_QUERY_PAGES = 50;

function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new LbGuardError(`not an ISO-8601 time: ${iso}`);
  return Math.floor(ms / 1000);
}

/**
 * The state store on one DynamoDB table. Locks are conditional writes with an expiry so a crashed
 * holder cannot block remediation forever; short-lived records carry a TTL (`expiresAt`).
 */
export class DynamoDbStateStore implements StateStore {
  readonly #db: DynamoDBClient;
  readonly #table: string;
  readonly #probeTtl: number;
  readonly #changeTtl: number;
  readonly #protected: ProtectedItems;

  constructor(dynamodb: DynamoDBClient, tableName: string, options: DynamoDbStateStoreOptions = {}) {
    this.#db = dynamodb;
    this.#table = tableName;
    this.#probeTtl = options.probeTtlSeconds ?? 86_400;
    this.#changeTtl = options.changeTtlSeconds ?? 7 * 86_400;
    this.#protected = new ProtectedItems(options.signer);
  }

  async putSnapshot(service: string, stored: StoredSnapshot): Promise<void> {
    const identity = { kind: 'snapshot', service, hash: stored.hash, takenAt: stored.takenAt } as const;
    const attributes = await this.#protected.encode(identity, stored);
    await this.#put({
      pk: pk(service, SK.snapshotPrefix),
      sk: `${SK.snapshotPrefix}${stored.takenAt}#${stored.hash}`,
      ...attributes,
    });
  }

  async getLatestSnapshot(service: string): Promise<StoredSnapshot | undefined> {
    return (await this.listSnapshots(service, 1))[0];
  }

  async listSnapshots(service: string, limit = 20): Promise<StoredSnapshot[]> {
    const items = await this.#query(service, SK.snapshotPrefix, { newestFirst: true, limit });
    const out: StoredSnapshot[] = [];
    for (const item of items) out.push(await this.#protected.decode('snapshot', service, item));
    return out;
  }

  /** Throws `StateIntegrityError` when the stored last good fails its check: it is never used then. */
  async getLastGood(service: string): Promise<LastGood | undefined> {
    const item = await this.#get(service, SK.lastGood);
    if (!item) return undefined;
    const promotedAt = String(item.promotedAt);
    const reason = String(item.reason);
    const stored = await this.#protected.decode('last-good', service, item, { promotedAt, reason });
    return { ...stored, promotedAt, reason };
  }

  async promoteLastGood(service: string, stored: StoredSnapshot, reason: string, at: string): Promise<void> {
    const record = { hash: stored.hash, takenAt: stored.takenAt, promotedAt: at, reason };
    const identity = { kind: 'last-good', service, ...record } as const;
    const attributes = await this.#protected.encode(identity, stored);
    // Both or neither: a last known good without its recorded reason would be unexplained.
    await call('TransactWriteItems', () =>
      this.#db.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: toItem({ pk: pk(service, SK.lastGood), sk: SK.lastGood, ...record, ...attributes }),
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: toItem({
                  pk: pk(service, SK.promotionPrefix),
                  sk: `${SK.promotionPrefix}${at}#${stored.hash}`,
                  ...record,
                }),
              },
            },
          ],
        }),
      ),
    );
  }

  async listPromotions(service: string, limit = 20): Promise<Omit<LastGood, 'snapshot'>[]> {
    const items = await this.#query(service, SK.promotionPrefix, { newestFirst: true, limit });
    return items.map((i) => ({
      hash: String(i.hash),
      takenAt: String(i.takenAt),
      promotedAt: String(i.promotedAt),
      reason: String(i.reason),
    }));
  }

  async putIncident(
    incident: Incident,
    options: { readonly expectUpdatedAt?: string } = {},
  ): Promise<PutIncidentResult> {
    const key = { pk: pk(incident.service, SK.incidentPrefix), sk: `${SK.incidentPrefix}${incident.id}` };
    const expected = options.expectUpdatedAt;
    const put = {
      TableName: this.#table,
      Item: toItem({ ...key, openedAt: incident.openedAt, state: incident.state, incident }),
      ...(expected === undefined
        ? {}
        : {
            ConditionExpression: 'attribute_not_exists(pk) OR #doc.#updatedAt = :expected',
            ExpressionAttributeNames: { '#doc': 'incident', '#updatedAt': 'updatedAt' },
            ExpressionAttributeValues: toItem({ ':expected': expected }),
          }),
    };
    const open = incident.closedAt === undefined;
    try {
      if (open) {
        await this.#db.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: put },
              {
                Put: {
                  TableName: this.#table,
                  Item: toItem({
                    pk: pk(incident.service, SK.openIncident),
                    sk: SK.openIncident,
                    incidentId: incident.id,
                  }),
                },
              },
            ],
          }),
        );
      } else {
        await this.#db.send(new PutItemCommand(put));
        await this.#clearOpenPointer(incident);
      }
      return { written: true };
    } catch (cause) {
      if (isConditionFailure(cause)) {
        const current = await this.getIncident(incident.service, incident.id);
        return current === undefined ? { written: false } : { written: false, current };
      }
      throw new AwsApiError(open ? 'TransactWriteItems' : 'PutItem', { cause });
    }
  }

  async #clearOpenPointer(incident: Incident): Promise<void> {
    try {
      await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: toItem({ pk: pk(incident.service, SK.openIncident), sk: SK.openIncident }),
          // A newer incident may own the pointer by now; leave it alone then.
          ConditionExpression: 'incidentId = :id',
          ExpressionAttributeValues: toItem({ ':id': incident.id }),
        }),
      );
    } catch (cause) {
      if (!isConditionFailure(cause)) throw cause;
    }
  }

  async getIncident(service: string, id: string): Promise<Incident | undefined> {
    const item = await this.#get(service, SK.incidentPrefix, `${SK.incidentPrefix}${id}`);
    return item ? checkRecord.incident(item.incident, `incident ${id} of ${service}`) : undefined;
  }

  async getOpenIncident(service: string): Promise<Incident | undefined> {
    const pointer = await this.#get(service, SK.openIncident);
    if (!pointer) return undefined;
    return this.getIncident(service, String(pointer.incidentId));
  }

  async listIncidents(service: string, limit = 20): Promise<Incident[]> {
    const items = await this.#query(service, SK.incidentPrefix, { newestFirst: true, limit: MAX_LIST });
    return items
      .map((i) => checkRecord.incident(i.incident, `incident ${String(i.sk)} of ${service}`))
      .sort((a, b) => (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0))
      .slice(0, limit);
  }

  async acquireLock(service: string, owner: string, ttlSeconds: number, now: string): Promise<LockResult> {
    const nowSeconds = epochSeconds(now);
    const expiresAt = nowSeconds + ttlSeconds;
    try {
      await this.#db.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: toItem({ pk: pk(service, SK.lock), sk: SK.lock, owner, acquiredAt: now, expiresAt }),
          // Free, expired, or already ours (a retried invocation re-acquires its own lock).
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: toItem({ ':now': nowSeconds, ':owner': owner }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, expiresAt: new Date(expiresAt * 1000).toISOString() };
    } catch (cause) {
      if (!isConditionFailure(cause)) throw new AwsApiError('PutItem', { cause });
      const old = cause instanceof ConditionalCheckFailedException ? cause.Item : undefined;
      return {
        acquired: false,
        heldBy: attributeString(old?.owner) ?? 'unknown',
        expiresAt: new Date(Number(attributeNumber(old?.expiresAt) ?? 0) * 1000).toISOString(),
      };
    }
  }

  async releaseLock(service: string, owner: string): Promise<ReleaseResult> {
    try {
      await this.#db.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: toItem({ pk: pk(service, SK.lock), sk: SK.lock }),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: toItem({ ':owner': owner }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { released: true };
    } catch (cause) {
      if (!isConditionFailure(cause)) throw new AwsApiError('DeleteItem', { cause });
      const heldBy = attributeString(
        cause instanceof ConditionalCheckFailedException ? cause.Item?.owner : undefined,
      );
      return heldBy === undefined ? { released: false } : { released: false, heldBy };
    }
  }

  async putProbeResults(service: string, results: readonly ProbeResult[]): Promise<void> {
    await this.#batchPut(
      results.map((r) => ({
        pk: pk(service, SK.probePrefix),
        sk: `${SK.probePrefix}${r.at}#${r.probe}`,
        expiresAt: epochSeconds(r.at) + this.#probeTtl,
        result: r,
      })),
    );
  }

  async recentProbeResults(service: string, since: string): Promise<ProbeResult[]> {
    const items = await this.#query(service, SK.probePrefix, { since });
    return items.map((i) => checkRecord.probeResult(i.result, `probe result ${String(i.sk)} of ${service}`));
  }

  async putServedBySample(sample: ServedBySample): Promise<void> {
    await this.#put({
      pk: pk(sample.service, SK.servedByPrefix),
      sk: `${SK.servedByPrefix}${sample.at}`,
      expiresAt: epochSeconds(sample.at) + this.#probeTtl,
      sample,
    });
  }

  async recentServedBySamples(service: string, since: string): Promise<ServedBySample[]> {
    const items = await this.#query(service, SK.servedByPrefix, { since });
    return items.map((i) =>
      checkRecord.servedBySample(i.sample, `served-by sample ${String(i.sk)} of ${service}`),
    );
  }

  async putConfigChange(service: string, change: ConfigChange): Promise<void> {
    await this.#put({
      pk: pk(service, SK.changePrefix),
      sk: `${SK.changePrefix}${change.at}#${change.eventName}`,
      expiresAt: epochSeconds(change.at) + this.#changeTtl,
      change,
    });
  }

  async recentConfigChanges(service: string, since: string): Promise<ConfigChange[]> {
    const items = await this.#query(service, SK.changePrefix, { since });
    return items.map((i) =>
      checkRecord.configChange(i.change, `change record ${String(i.sk)} of ${service}`),
    );
  }

  async getSoak(service: string): Promise<SoakMarker | undefined> {
    const item = await this.#get(service, SK.soak);
    return item
      ? checkRecord.soak({ hash: item.hash, since: item.since }, `soak marker of ${service}`)
      : undefined;
  }

  async setSoak(service: string, marker: SoakMarker): Promise<void> {
    await this.#put({ pk: pk(service, SK.soak), sk: SK.soak, hash: marker.hash, since: marker.since });
  }

  async clearSoak(service: string): Promise<void> {
    await call('DeleteItem', () =>
      this.#db.send(
        new DeleteItemCommand({
          TableName: this.#table,
          Key: toItem({ pk: pk(service, SK.soak), sk: SK.soak }),
        }),
      ),
    );
  }

  async getProbeHysteresis(service: string): Promise<StoredProbeHysteresis | undefined> {
    const item = await this.#get(service, SK.hysteresis);
    if (item === undefined) return undefined;
    return {
      states: checkRecord.hysteresis(item.states ?? {}, `probe hysteresis of ${service}`),
      version: typeof item.version === 'number' ? item.version : 0,
    };
  }

  async putProbeHysteresis(
    service: string,
    states: ProbeHysteresisStates,
    expectVersion: number | undefined,
  ): Promise<{ readonly written: boolean }> {
    try {
      await this.#db.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: toItem({
            pk: pk(service, SK.hysteresis),
            sk: SK.hysteresis,
            states,
            version: (expectVersion ?? 0) + 1,
          }),
          ...(expectVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: toItem({ ':expected': expectVersion }),
              }),
        }),
      );
      return { written: true };
    } catch (cause) {
      if (isConditionFailure(cause)) return { written: false };
      throw new AwsApiError('PutItem', { cause });
    }
  }

  async #put(item: Record<string, unknown>): Promise<void> {
    await call('PutItem', () =>
      this.#db.send(new PutItemCommand({ TableName: this.#table, Item: toItem(item) })),
    );
  }

  async #get(
    service: string,
    kind: RecordKind,
    sk: string = kind,
  ): Promise<Record<string, unknown> | undefined> {
    const out = await call('GetItem', () =>
      this.#db.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: toItem({ pk: pk(service, kind), sk }),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item === undefined ? undefined : fromItem(out.Item);
  }

  /** Items under one sk prefix; `since` reads a time range, oldest first. Bounded in pages. */
  async #query(
    service: string,
    prefix: RecordKind,
    opts: { readonly since?: string; readonly newestFirst?: boolean; readonly limit?: number },
  ): Promise<Record<string, unknown>[]> {
    const base: QueryCommandInput = {
      TableName: this.#table,
      ...(opts.since === undefined
        ? {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: toItem({ ':pk': pk(service, prefix), ':prefix': prefix }),
          }
        : {
            // '~' sorts after every character an ISO time uses, so this is "since … forever".
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: toItem({
              ':pk': pk(service, prefix),
              ':from': `${prefix}${opts.since}`,
              ':to': `${prefix}~`,
            }),
          }),
      ScanIndexForward: opts.newestFirst !== true,
      ConsistentRead: true,
    };
    const out: Record<string, unknown>[] = [];
    // The page key goes back as DynamoDB returned it: it is never read, so never unmarshalled.
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_QUERY_PAGES; page++) {
      const remaining = opts.limit === undefined ? undefined : opts.limit - out.length;
      const res = await call('Query', () =>
        this.#db.send(
          new QueryCommand({
            ...base,
            ...(remaining === undefined ? {} : { Limit: remaining }),
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      out.push(...(res.Items ?? []).map(fromItem));
      startKey = res.LastEvaluatedKey;
      if (startKey === undefined || (opts.limit !== undefined && out.length >= opts.limit)) break;
    }
    return out;
  }

  async #batchPut(items: readonly Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_MAX) {
      let pending: WriteRequest[] = items
        .slice(i, i + BATCH_WRITE_MAX)
        .map((item) => ({ PutRequest: { Item: toItem(item) } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= BATCH_WRITE_ATTEMPTS) {
          throw new LbGuardError(`BatchWriteItem left ${pending.length} items unprocessed`);
        }
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const res = await call('BatchWriteItem', () =>
          this.#db.send(new BatchWriteItemCommand({ RequestItems: { [this.#table]: pending } })),
        );
        // Unprocessed requests come back already marshalled: resent as they are.
        pending = res.UnprocessedItems?.[this.#table] ?? [];
      }
    }
  }
}

/** Incidents listed at most; a service with more has a bigger problem than this list. */
const MAX_LIST = 500;
