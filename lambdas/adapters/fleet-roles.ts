import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { fleetRoleArn } from '../../lib/fleet/index.ts';

/** Temporary credentials for one account. */
export interface AccountCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** Gives the credentials the fan-out reads one account with. */
export interface RoleAssumer {
  credentialsFor(account: string): Promise<AccountCredentials>;
}

/**
 * `sts:AssumeRole` into `fleet.roleName` in each account, once per account per run (every region
 * of the account shares the session). Sessions last 15 minutes, the shortest STS grants: a run is
 * a few calls per load balancer. Build one per run: it never renews a session (the hub's warm
 * Lambda builds a fresh one each minute).
 */
export class StsRoleAssumer implements RoleAssumer {
  readonly #client: STSClient;
  readonly #roleName: string;
  readonly #region: string;
  readonly #sessionName: string;
  readonly #sessions = new Map<string, Promise<AccountCredentials>>();

  /** `sessionName` shows in each account's CloudTrail as who read it (`lbguard-cli`, `lbguard-hub`). */
  constructor(client: STSClient, roleName: string, region: string, sessionName = 'lbguard-cli') {
    this.#client = client;
    this.#roleName = roleName;
    this.#region = region;
    this.#sessionName = sessionName;
  }

  credentialsFor(account: string): Promise<AccountCredentials> {
    let session = this.#sessions.get(account);
    if (session === undefined) {
      session = this.#assume(account);
      this.#sessions.set(account, session);
    }
    return session;
  }

  async #assume(account: string): Promise<AccountCredentials> {
    const roleArn = fleetRoleArn(account, this.#roleName, this.#region);
    const answer = await this.#client.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: this.#sessionName, DurationSeconds: 900 }),
    );
    const c = answer.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined) {
      throw new Error(`sts:AssumeRole of ${roleArn} returned no credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  }
}
