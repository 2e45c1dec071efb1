import { GenerateMacCommand, type KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { AwsApiError, LbGuardError } from '../../../lib/errors.ts';
import { STATE_MAC_ALGORITHM } from '../../../lib/state-integrity.ts';
import { call, errorName } from '../aws-call.ts';

// Who may vouch for a snapshot or last known good in the state table: the holder of the KMS HMAC
// key's GenerateMac permission (inspect, and an operator's `lbguard snapshot`). Remediate and the
// CLI's readers only verify. The key never leaves KMS.

export interface StateSigner {
  /** The MAC of `message`, base64. Throws for a signer that may only verify. */
  sign(message: string): Promise<string>;
  /** Whether `mac` (base64) is the MAC of `message` under the key. */
  verify(message: string, mac: string): Promise<boolean>;
}

/** KMS refuses a MAC that does not match with this error rather than `MacValid: false`. */
const INVALID_MAC = 'KMSInvalidMacException';

export class KmsStateSigner implements StateSigner {
  readonly #kms: KMSClient;
  readonly #keyId: string;
  readonly #canSign: boolean;

  /** `keyId`: the key's ARN or alias; `canSign: false` for a function that only reads state. */
  constructor(kms: KMSClient, keyId: string, options: { readonly canSign: boolean }) {
    this.#kms = kms;
    this.#keyId = keyId;
    this.#canSign = options.canSign;
  }

  async sign(message: string): Promise<string> {
    if (!this.#canSign) {
      throw new LbGuardError('this function only verifies the state table; it never writes a snapshot');
    }
    const res = await call('GenerateMac', () =>
      this.#kms.send(
        new GenerateMacCommand({
          KeyId: this.#keyId,
          MacAlgorithm: STATE_MAC_ALGORITHM,
          Message: Buffer.from(message, 'utf8'),
        }),
      ),
    );
    if (res.Mac === undefined) throw new LbGuardError('KMS GenerateMac returned no MAC');
    return Buffer.from(res.Mac).toString('base64');
  }

  async verify(message: string, mac: string): Promise<boolean> {
    try {
      const res = await this.#kms.send(
        new VerifyMacCommand({
          KeyId: this.#keyId,
          MacAlgorithm: STATE_MAC_ALGORITHM,
          Message: Buffer.from(message, 'utf8'),
          Mac: Buffer.from(mac, 'base64'),
        }),
      );
      return res.MacValid === true;
    } catch (cause) {
      if (errorName(cause) === INVALID_MAC) return false;
      // Throttling, an outage, a missing grant: unknown, not forged. The caller's invocation fails.
      throw new AwsApiError('VerifyMac', { cause });
    }
  }
}
