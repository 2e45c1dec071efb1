import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type {
  CoverageResult,
  LoadBalancerHeartbeat,
  SpokeHeartbeat,
  UncoveredLoadBalancer,
} from '../../lib/fleet/coverage.ts';
import type { RefusedLoadBalancer } from '../../lib/fleet/hub-events.ts';
import type { HubWrite, LoadBalancerRecord } from '../../lib/fleet/hub-records.ts';
import type { Scope } from '../../lib/fleet/scope.ts';
import { mapBounded } from './map-bounded.ts';
import { fromItem, isConditionFailure, toItem } from './state-store/attributes.ts';

/** What happened to one event's writes. `stale`: the table already held something newer. */
export type HubWriteOutcome = 'written' | 'stale' | 'nothing-to-write';

/** The hub table (contract 19 "Hub table layout"): what ingest writes and coverage reads. */
export interface HubTable {
  write(write: HubWrite): Promise<HubWriteOutcome>;
  /** The heartbeat entries of these scopes and every spoke's newest heartbeat. */
  readHeartbeats(
    scopes: readonly Scope[],
  ): Promise<{ loadBalancers: LoadBalancerHeartbeat[]; spokes: SpokeHeartbeat[] }>;
  readCoverage(): Promise<CoverageResult | undefined>;
  /**
   * Writes `result` only if the stored one is still `previous` (by its `at`): of two overlapping
   * checks, one claims the change and notifies. Returns false when another got there first.
   */
  replaceCoverage(previous: CoverageResult | undefined, result: CoverageResult): Promise<boolean>;
}

/** TransactWriteItems takes at most 100 items. */
const ITEMS_PER_TRANSACTION = 100;
const COVERAGE_KEY = { pk: 'COVERAGE', sk: 'LATEST' } as const;

const lbPartition = (account: string, region: string) => `LB#${account}#${region}`;

/** Keeps the newer of stored and written: `<=` so a redelivery of the same event rewrites harmlessly. */
function newerThanStored(
  attribute: string,
  at: string,
): Pick<
  TransactWriteItem['Put'] & {},
  'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
> {
  return {
    ConditionExpression: 'attribute_not_exists(pk) OR #at <= :at',
    ExpressionAttributeNames: { '#at': attribute },
    ExpressionAttributeValues: toItem({ ':at': at }),
  };
}

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

/** A stored item as an LB heartbeat entry; the table holds only what ingest validated, still checked. */
function toEntry(item: Record<string, unknown>): LoadBalancerHeartbeat | undefined {
  const { account, region, loadBalancerArn, status, heartbeatAt } = item;
  if (!isString(account) || !isString(region) || !isString(loadBalancerArn) || !isString(heartbeatAt))
    return undefined;
  if (status !== 'inspected' && status !== 'failed') return undefined;
  return { account, region, loadBalancerArn, status, heartbeatAt };
}

function toSpoke(item: Record<string, unknown>): SpokeHeartbeat | undefined {
  const { account, region, lastHeartbeatAt, refused } = item;
  if (!isString(account) || !isString(region) || !isString(lastHeartbeatAt)) return undefined;
  const list = Array.isArray(refused) ? (refused as RefusedLoadBalancer[]) : [];
  return { account, region, lastHeartbeatAt, refused: list.filter((r) => isString(r?.loadBalancerArn)) };
}

/** DynamoDB, one table, keys `pk`/`sk`, TTL `expiresAt`. */
export class DynamoDbHubTable implements HubTable {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
  }

  async write(write: HubWrite): Promise<HubWriteOutcome> {
    switch (write.kind) {
      case 'none':
        return 'nothing-to-write';
      case 'heartbeat':
        return this.#writeHeartbeat(write);
      case 'service':
        return this.#writeService(write);
    }
  }

  /**
   * The spoke item and one item per load balancer, in transactions of 100 with the spoke item in
   * the first: a heartbeat older than the stored spoke item changes nothing at all.
   */
  async #writeHeartbeat(write: Extract<HubWrite, { kind: 'heartbeat' }>): Promise<HubWriteOutcome> {
    const { spoke } = write;
    const spokePut: TransactWriteItem = {
      Put: {
        TableName: this.#table,
        Item: toItem({ pk: 'SPOKE', sk: `${spoke.account}#${spoke.region}`, ...spoke }),
        ...newerThanStored('lastHeartbeatAt', spoke.lastHeartbeatAt),
      },
    };
    const lbPut = (lb: LoadBalancerRecord): TransactWriteItem => ({
      Put: {
        TableName: this.#table,
        Item: toItem({ pk: lbPartition(lb.account, lb.region), sk: lb.loadBalancerArn, ...lb }),
        ...newerThanStored('heartbeatAt', lb.heartbeatAt),
      },
    });
    const items = [spokePut, ...write.loadBalancers.map(lbPut)];
    for (let i = 0; i < items.length; i += ITEMS_PER_TRANSACTION) {
      try {
        await this.#client.send(
          new TransactWriteItemsCommand({ TransactItems: items.slice(i, i + ITEMS_PER_TRANSACTION) }),
        );
      } catch (error) {
        // Only the first transaction holds the spoke item; a later one failing its condition means
        // a newer heartbeat landed meanwhile, and its items are the ones to keep.
        if (isConditionFailure(error)) {
          if (i === 0) return 'stale';
          continue;
        }
        throw error;
      }
    }
    return 'written';
  }

  /** Finding and transition update their own attribute, so neither overwrites the other. */
  async #writeService(write: Extract<HubWrite, { kind: 'service' }>): Promise<HubWriteOutcome> {
    const field = write.update.field;
    const stamp = `${field}At`;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: toItem({ pk: `SERVICE#${write.account}#${write.region}`, sk: write.service }),
          UpdateExpression: 'SET #field = :detail, #stamp = :at, loadBalancerArn = :arn, updatedAt = :at',
          ConditionExpression: 'attribute_not_exists(#stamp) OR #stamp <= :at',
          ExpressionAttributeNames: { '#field': field, '#stamp': stamp },
          ExpressionAttributeValues: toItem({
            ':detail': write.update.detail,
            ':at': write.at,
            ':arn': write.loadBalancerArn,
          }),
        }),
      );
      return 'written';
    } catch (error) {
      if (isConditionFailure(error)) return 'stale';
      throw error;
    }
  }

  async #query(pk: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: toItem({ ':pk': pk }),
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) items.push(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }

  async readHeartbeats(
    scopes: readonly Scope[],
  ): Promise<{ loadBalancers: LoadBalancerHeartbeat[]; spokes: SpokeHeartbeat[] }> {
    const [spokeItems, lbItems] = await Promise.all([
      this.#query('SPOKE'),
      // One partition per scope; a few at a time keeps a large fleet under the table's burst.
      mapBounded(scopes, 8, (s) => this.#query(lbPartition(s.account, s.region))).then((r) => r.flat()),
    ]);
    return {
      loadBalancers: lbItems.flatMap((i) => toEntry(i) ?? []),
      spokes: spokeItems.flatMap((i) => toSpoke(i) ?? []),
    };
  }

  async readCoverage(): Promise<CoverageResult | undefined> {
    const answer = await this.#client.send(
      new GetItemCommand({ TableName: this.#table, Key: toItem(COVERAGE_KEY), ConsistentRead: true }),
    );
    if (answer.Item === undefined) return undefined;
    const item = fromItem(answer.Item);
    // Only this function writes it; a malformed one still yields its `at`, so the next write can
    // replace it rather than fail its condition forever.
    return {
      at: String(item.at),
      scopes: typeof item.scopes === 'number' ? item.scopes : 0,
      covered: [],
      uncovered: Array.isArray(item.uncovered) ? (item.uncovered as UncoveredLoadBalancer[]) : [],
      unreadable: Array.isArray(item.unreadable) ? (item.unreadable as CoverageResult['unreadable']) : [],
    };
  }

  async replaceCoverage(previous: CoverageResult | undefined, result: CoverageResult): Promise<boolean> {
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          // The covered list stays out: at ~250 bytes a load balancer it would cap the fleet at the
          // item's 400 KB; people need the uncovered ones, and the metrics have the rest.
          Item: toItem({
            ...COVERAGE_KEY,
            at: result.at,
            scopes: result.scopes,
            coveredCount: result.covered.length,
            uncovered: result.uncovered,
            unreadable: result.unreadable,
          }),
          ...(previous === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: '#at = :previous',
                ExpressionAttributeNames: { '#at': 'at' },
                ExpressionAttributeValues: toItem({ ':previous': previous.at }),
              }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
