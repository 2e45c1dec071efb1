import { ListAccountsCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';

/** Where Organizations answers in each partition (it has one endpoint per partition). */
const ORGANIZATIONS_REGION: Readonly<Record<string, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-northwest-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** The region to build an Organizations client in, for a partition (`aws`, `aws-cn`…). */
export function organizationsRegion(partition: string): string {
  return ORGANIZATIONS_REGION[partition] ?? 'us-east-1';
}

/** Where the fan-out learns which accounts to read. */
export interface AccountDirectory {
  /** Account ids, in a stable order. */
  listAccounts(): Promise<string[]>;
}

/** `fleet.accounts`, as written. */
export class ListedAccounts implements AccountDirectory {
  readonly #accounts: readonly string[];

  constructor(accounts: readonly string[]) {
    this.#accounts = accounts;
  }

  async listAccounts(): Promise<string[]> {
    return [...this.#accounts];
  }
}

/**
 * Every active account of the organisation (`organizations:ListAccounts`, from the management
 * account or a delegated administrator). Suspended and closing accounts are skipped: no role can
 * be assumed there, and reporting them as errors on every run would bury real ones.
 */
export class OrganizationsAccounts implements AccountDirectory {
  readonly #client: OrganizationsClient;

  constructor(client: OrganizationsClient) {
    this.#client = client;
  }

  async listAccounts(): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.#client.send(
        new ListAccountsCommand(nextToken === undefined ? {} : { NextToken: nextToken }),
      );
      for (const account of page.Accounts ?? []) {
        // `State` replaces the deprecated `Status`; an emulator may give either.
        const state = account.State ?? account.Status;
        if (account.Id !== undefined && (state === undefined || state === 'ACTIVE')) ids.push(account.Id);
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return ids.sort();
  }
}
