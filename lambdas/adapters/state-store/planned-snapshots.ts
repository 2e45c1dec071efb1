import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { hashSnapshot } from '../../../lib/snapshot.ts';
import { checkStoredSnapshot } from '../../../lib/state-integrity.ts';
import type { LbSnapshot } from '../../../lib/types.ts';
import { call } from '../aws-call.ts';
import { fromItem, toItem } from './attributes.ts';
import { pk, SK } from './layout.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';

// Approve mode keeps the live snapshot a plan awaiting approval was made against, so that a
// refusal can say what changed. Apart from DynamoDbStateStore because only remediate writes or
// reads it: inspect's bundle has no room for methods it never calls.

/** The snapshot each incident's plan awaiting approval was planned against (one per incident). */
export interface PlannedSnapshotStore {
  putPlannedSnapshot(service: string, incidentId: string, snapshot: LbSnapshot): Promise<void>;
  /** That snapshot, checked (schema, and its hash); undefined when none was kept. */
  getPlannedSnapshot(service: string, incidentId: string): Promise<LbSnapshot | undefined>;
}

/** `PLANNED#<incident id>` in the service's incidents partition, which remediate may write. */
export class DynamoDbPlannedSnapshots implements PlannedSnapshotStore {
  readonly #db: DynamoDBClient;
  readonly #table: string;

  constructor(dynamodb: DynamoDBClient, tableName: string) {
    this.#db = dynamodb;
    this.#table = tableName;
  }

  async putPlannedSnapshot(service: string, incidentId: string, snapshot: LbSnapshot): Promise<void> {
    const key = { pk: pk(service, SK.plannedPrefix), sk: `${SK.plannedPrefix}${incidentId}` };
    const Item = toItem({ ...key, hash: hashSnapshot(snapshot), ...encodeSnapshot(snapshot) });
    await call('PutItem', () => this.#db.send(new PutItemCommand({ TableName: this.#table, Item })));
  }

  async getPlannedSnapshot(service: string, incidentId: string): Promise<LbSnapshot | undefined> {
    const Key = toItem({ pk: pk(service, SK.plannedPrefix), sk: `${SK.plannedPrefix}${incidentId}` });
    const out = await call('GetItem', () =>
      this.#db.send(new GetItemCommand({ TableName: this.#table, Key, ConsistentRead: true })),
    );
    if (out.Item === undefined) return undefined;
    const item = fromItem(out.Item);
    const what = `the snapshot planned against for incident ${incidentId} of ${service}`;
    return checkStoredSnapshot(decodeSnapshot(item), String(item.hash), what);
  }
}
