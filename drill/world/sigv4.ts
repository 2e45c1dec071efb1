import { createHash, createHmac } from 'node:crypto';

// Signature Version 4 for the form-encoded Query requests the drill and the IAM proof send by hand
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

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/**
 * The headers that sign a form-encoded POST of `body` to `url` for `service` in `region`
 * (`authorization`, `x-amz-date`, the content type and, for role credentials, the session token).
 * `host` is signed but not returned: fetch sends it itself.
 */
export function signQueryPost(request: {
  readonly url: string;
  readonly region: string;
  readonly service: string;
  readonly body: string;
  readonly credentials: SigningCredentials;
  readonly now?: Date;
}): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = (request.now ?? new Date())
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const { credentials } = request;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: url.host,
    'x-amz-date': amzDate,
    ...(credentials.sessionToken === undefined ? {} : { 'x-amz-security-token': credentials.sessionToken }),
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    'POST',
    url.pathname === '' ? '/' : url.pathname,
    '',
    ...names.map((n) => `${n}:${headers[n]}`),
    '',
    names.join(';'),
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [day, request.region, request.service, 'aws4_request'].reduce<Buffer | string>(
    (k, part) => hmac(k, part),
    `AWS4${credentials.secretAccessKey}`,
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  const { host: _signedOnly, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
