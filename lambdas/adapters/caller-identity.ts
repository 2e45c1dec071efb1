import { LbGuardError } from '../../lib/errors.ts';
import { type BorrowedClientConfig, SignedRequests } from './signed-request.ts';

// Who is calling: STS GetCallerIdentity, signed with a built client's parts rather than through
// @aws-sdk/client-sts, a package lbguard would carry for this one call (signed-request.ts).

/** The identity AWS sees for the credentials in use. */
export interface CallerIdentity {
  /** The caller's ARN (an assumed role's session ARN names the person's session). */
  whoAmI(): Promise<string>;
}

export class StsCallerIdentity implements CallerIdentity {
  readonly #api: SignedRequests;

  constructor(config: BorrowedClientConfig) {
    this.#api = new SignedRequests(config, 'sts');
  }

  async whoAmI(): Promise<string> {
    const { text } = await this.#api.send({
      operation: 'GetCallerIdentity',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Action: 'GetCallerIdentity', Version: '2011-06-15' }).toString(),
    });
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (arn === undefined) {
      // An approval is recorded with who gave it, or not at all.
      throw new LbGuardError('AWS GetCallerIdentity answered without an Arn; the approver is unknown');
    }
    return arn;
  }
}
