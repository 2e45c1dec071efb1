import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';

// Signature Version 4 (the SDK's own signer) for the form-encoded Query requests the drill and the IAM proof send by hand
// (EC2, IAM, STS: services whose SDK clients lbguard does not depend on). moto ignores signatures
// until IAM enforcement is on (INITIAL_NO_AUTH_ACTION_COUNT); then it recomputes each one with
// botocore and refuses a mismatch, so this must sign exactly as the SDKs do.

/** Static credentials; `sessionToken` for those an `sts:AssumeRole` returned. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Form encoding as the SDKs' Query serializer writes it: RFC 3986, so `!'()*` are escaped too.
 * moto hashes the body it re-encodes this way, so `URLSearchParams`' encoding (which leaves `*`
 * and writes spaces as `+`) fails its signature check.
 */
export function queryBody(params: Readonly<Record<string, string>>): string {
  const encode = (v: string): string =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(params)
    .map(([k, v]) => `${encode(k)}=${encode(v)}`)
    .join('&');
}

/** SHA-256 (keyed: HMAC) from node:crypto, in the shape the SDK's signer asks for. */
class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = NodeSha256.#create(secret);
  }

  static #create(secret: SourceData | undefined): Hash | Hmac {
    return secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }

  update(data: Uint8Array): void {
    this.#hash.update(data);
  }

  reset(): void {
    this.#hash = NodeSha256.#create(this.#secret);
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/**
 * The headers that sign a POST of `body` (sent with `headers`, e.g. its content type and a JSON
 * protocol's `x-amz-target`) to `url` for `service` in `region`: `authorization`, `x-amz-date`,
 * the given headers and, for role credentials, the session token, signed by the SDK's own
 * Signature V4 signer. `host` is signed but not returned: fetch sends it.
 */
export async function signPost(request: {
  readonly url: string;
  readonly region: string;
  readonly service: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly credentials: SigningCredentials;
  readonly now?: Date;
}): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({
    service: request.service,
    region: request.region,
    credentials: { ...request.credentials },
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname === '' ? '/' : url.pathname,
      query: {},
      headers: { ...request.headers, host: url.host },
      body: request.body,
    },
    request.now === undefined ? {} : { signingDate: request.now },
  );
  const { host: _signedOnly, ...sent } = signed.headers;
  return sent;
}

/** `signPost` for a form-encoded Query request (`queryBody`). */
export function signQueryPost(request: {
  readonly url: string;
  readonly region: string;
  readonly service: string;
  readonly body: string;
  readonly credentials: SigningCredentials;
  readonly now?: Date;
}): Promise<Record<string, string>> {
  return signPost({
    ...request,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
  });
}
