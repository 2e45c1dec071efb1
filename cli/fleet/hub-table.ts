import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CliError } from '../exit.ts';

/** The hub table's items, every kind (lib/fleet/hub-items.ts sorts and checks them). */
export interface HubTableReader {
  readAll(): Promise<Record<string, unknown>[]>;
}

/**
 * One paginated Scan: the table holds a few items per load balancer and one per spoke and
 * service, and the reader needs all of them, across partitions it does not know in advance.
 * Strongly consistent, so a status right after a heartbeat shows it.
 */
export class DynamoDbHubTableReader implements HubTableReader {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#tableName = tableName;
  }

  async readAll(): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    try {
      do {
        const page = await this.#client.send(
          new ScanCommand({
            TableName: this.#tableName,
            ConsistentRead: true,
            ...(start === undefined ? {} : { ExclusiveStartKey: start as never }),
          }),
        );
        for (const item of page.Items ?? []) items.push(unmarshall(item));
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      // Other failures (credentials, network) are the CLI's usual ones (exit.ts classifies them).
      if (name !== 'ResourceNotFoundException' && name !== 'AccessDeniedException') throw error;
      throw new CliError('aws', `the hub table ${this.#tableName} could not be read (${name})`, {
        cause: error,
        hints: [
          'name the hub table with --hub-table NAME (the hub stack lists it in its outputs)',
          'with the hub region (--region) and credentials of the hub account (--profile NAME)',
        ],
      });
    }
    return items;
  }
}
