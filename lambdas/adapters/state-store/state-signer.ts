import { AwsApiError, LbGuardError } from '../../../lib/errors.ts';
import { STATE_MAC_ALGORITHM } from '../../../lib/state-integrity.ts';
import { errorName } from '../aws-call.ts';
import { type BorrowedClientConfig, SignedRequests } from '../signed-request.ts';

// Who may vouch for a snapshot or last known good in the state table: the holder of the KMS HMAC
// key's GenerateMac permission (inspect, and an operator's `lbguard snapshot`). Remediate and the
// CLI's readers only verify. The key never leaves KMS.
//
// The two calls are signed by hand (signed-request.ts, KMS's JSON 1.1 protocol) with a built
// client's parts rather than sent through @aws-sdk/client-kms, which put ~18 KB into inspect's and
// remediate's bundles for these two operations (README "Deployments in flight").

export interface StateSigner {
  /** The MAC of `message`, base64. Throws for a signer that may only verify. */
  sign(message: string): Promise<string>;
  /** Whether `mac` (base64) is the MAC of `message` under the key. */
  verify(message: string, mac: string): Promise<boolean>;
}

/** KMS refuses a MAC that does not match with this error rather than `MacValid: false`. */
const INVALID_MAC = 'KMSInvalidMacException';

type MacOperation = 'GenerateMac' | 'VerifyMac';

export class KmsStateSigner implements StateSigner {
  readonly #kms: SignedRequests;
  readonly #keyId: string;
  readonly #canSign: boolean;

  /**
   * `config`: any built client's resolved config (the function's ELBv2 client's; the CLI's KMS
   * client's); `keyId`: the key's ARN or alias; `canSign: false` for a function that only reads state.
   */
  constructor(config: BorrowedClientConfig, keyId: string, options: { readonly canSign: boolean }) {
    this.#kms = new SignedRequests(config, 'kms');
    this.#keyId = keyId;
    this.#canSign = options.canSign;
  }

  async sign(message: string): Promise<string> {
    if (!this.#canSign) {
      throw new LbGuardError('this function only verifies the state table; it never writes a snapshot');
    }
    const { Mac } = await this.#call('GenerateMac', { Message: base64(message) });
    if (typeof Mac !== 'string' || Mac === '') throw malformed('GenerateMac', 'no Mac');
    return Mac;
  }

  async verify(message: string, mac: string): Promise<boolean> {
    let answer: Readonly<Record<string, unknown>>;
    try {
      // Re-encoded as the SDK would send the bytes: a stored MAC in another base64 spelling (no
      // padding, URL-safe letters) is the same MAC.
      answer = await this.#call('VerifyMac', {
        Message: base64(message),
        Mac: Buffer.from(mac, 'base64').toString('base64'),
      });
    } catch (error) {
      if (error instanceof AwsApiError && errorName(error.cause) === INVALID_MAC) return false;
      // Throttling, an outage, a missing grant: unknown, not forged. The caller's invocation fails.
      throw error;
    }
    // KMS answers a mismatch with the error above; an answer that says neither is unknown too.
    if (typeof answer.MacValid !== 'boolean') throw malformed('VerifyMac', 'no MacValid');
    return answer.MacValid;
  }

  /** One JSON 1.1 call (`TrentService` is KMS's target prefix); a failure names the operation. */
  async #call(
    operation: MacOperation,
    input: Readonly<Record<string, string>>,
  ): Promise<Readonly<Record<string, unknown>>> {
    const { text } = await this.#kms.send({
      operation,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `TrentService.${operation}`,
      },
      body: JSON.stringify({ KeyId: this.#keyId, MacAlgorithm: STATE_MAC_ALGORITHM, ...input }),
    });
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw malformed(operation, 'not JSON');
    }
    if (typeof answer !== 'object' || answer === null) throw malformed(operation, 'not a JSON object');
    return answer as Readonly<Record<string, unknown>>;
  }
}

function base64(message: string): string {
  return Buffer.from(message, 'utf8').toString('base64');
}

/** A 200 answer without what lbguard reads: a failure of the call, never a verdict on the MAC. */
function malformed(operation: MacOperation, issue: string): AwsApiError {
  return new AwsApiError(operation, { cause: new Error(`KMS answered with ${issue}`) });
}
