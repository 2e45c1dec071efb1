import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { describeReference, referenceKey, type SecretReference } from '../../lib/config/secrets.ts';
import { LbGuardError } from '../../lib/errors.ts';
import { errorName } from './aws-call.ts';
import { type AwsClientOptions, awsClientConfig } from './clients.ts';

// Reads the secrets probe sends (issue 14, finding 6): Powertools Parameters over the SDK's
// Secrets Manager and SSM clients, cached in memory for `maxAgeSeconds` (a rotated secret is used
// within that time). Values are never logged, stored, or put in an error message.

export interface SecretReader {
  /** Each reference's value, keyed by `referenceKey`. Throws naming the reference that failed. */
  read(refs: readonly SecretReference[]): Promise<ReadonlyMap<string, string>>;
}

/** A secret probe could not read: the probe function fails (and alarms) rather than probe without it. */
export class SecretUnreadableError extends LbGuardError {
  constructor(ref: SecretReference, why: string, cause?: unknown) {
    super(`lbguard probe: cannot read ${describeReference(ref)}: ${why}`, { cause });
    this.name = 'SecretUnreadableError';
  }
}

/** For runs whose probes send no secret (the drill, the bench): any reference is refused. */
export const NO_SECRETS: SecretReader = {
  async read(refs) {
    const [first] = refs;
    if (first !== undefined) throw new SecretUnreadableError(first, 'this run reads no secrets');
    return new Map();
  },
};

/** A rotated secret reaches the probes within this many seconds. */
const DEFAULT_MAX_AGE_SECONDS = 300;

export class PowertoolsSecretReader implements SecretReader {
  readonly #secrets: SecretsProvider;
  readonly #parameters: SSMProvider;
  readonly #maxAge: number;

  constructor(opts: AwsClientOptions & { readonly maxAgeSeconds?: number } = {}) {
    // Clients built with lbguard's own policy (timeouts, retries, endpoint) and handed over.
    this.#secrets = new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient(awsClientConfig(opts)) });
    this.#parameters = new SSMProvider({ awsSdkV3Client: new SSMClient(awsClientConfig(opts)) });
    this.#maxAge = opts.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  }

  async read(refs: readonly SecretReference[]): Promise<ReadonlyMap<string, string>> {
    const values = await Promise.all(
      refs.map(async (ref) => [referenceKey(ref), await this.#one(ref)] as const),
    );
    return new Map(values);
  }

  async #one(ref: SecretReference): Promise<string> {
    let raw: unknown;
    try {
      raw =
        'parameter' in ref
          ? await this.#parameters.get(ref.parameter, { decrypt: true, maxAge: this.#maxAge })
          : await this.#secrets.get(ref.secret, { maxAge: this.#maxAge });
    } catch (error) {
      // Powertools wraps the SDK's error; its name (AccessDeniedException…) is what a person acts on.
      const cause = (error as { cause?: unknown }).cause ?? error;
      throw new SecretUnreadableError(
        ref,
        `${errorName(cause) || 'error'}; check it exists and that probe's role may read it (it is granted exactly the secrets the config names)`,
        cause,
      );
    }
    if (typeof raw !== 'string')
      throw new SecretUnreadableError(ref, 'it holds no text value (a binary secret?)');
    if (!('secret' in ref) || ref.jsonKey === undefined) return raw;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new SecretUnreadableError(ref, 'jsonKey is set but the secret is not JSON');
    }
    const value = (parsed as Record<string, unknown> | null)?.[ref.jsonKey];
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new SecretUnreadableError(ref, `the secret's JSON has no text value at ${ref.jsonKey}`);
    }
    return String(value);
  }
}
