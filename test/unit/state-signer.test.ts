import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isPermanent } from '../../lambdas/adapters/aws-call.ts';
import { createElbv2Client } from '../../lambdas/adapters/clients.ts';
import { KmsStateSigner } from '../../lambdas/adapters/state-store/state-signer.ts';
import { AwsApiError } from '../../lib/errors.ts';

// The state table's MAC calls, signed by hand on a function's ELBv2 client (KMS's JSON 1.1
// protocol), against a local HTTP server standing in for `kms.{region}.amazonaws.com`: the request
// as KMS reads it, and which answers mean "forged" (false) and which "unknown" (a thrown
// AwsApiError naming the operation). The round trip on a real HMAC key runs on moto
// (test/integration/state-integrity.test.ts).

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0b5a2c6e-8d4f-4a3e-9d1b-2f3c4d5e6f70';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

let server: Server;
let seen: Seen[] = [];
let answers: Answer[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(text) });
      const answer = answers.shift() ?? { status: 500, body: '{"__type":"NoAnswerLeft"}' };
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  answers = [];
});

/** The signer as a function wires it: on its ELBv2 client's parts, not a KMS client's. */
function signer(options: { canSign?: boolean; maxAttempts?: number; port?: number } = {}) {
  const port = options.port ?? (server.address() as AddressInfo).port;
  const client = createElbv2Client({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    maxAttempts: options.maxAttempts ?? 1,
  });
  return new KmsStateSigner(client.config, KEY, { canSign: options.canSign ?? true });
}

const ok = (body: object): Answer => ({ status: 200, body: JSON.stringify(body) });
const kmsError = (status: number, type: string, message = 'no'): Answer => ({
  status,
  body: JSON.stringify({ __type: type, message }),
});
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('KmsStateSigner: the request KMS reads', () => {
  it('asks GenerateMac for the UTF-8 message under the key, signed for kms, and returns the MAC', async () => {
    answers = [ok({ KeyId: KEY, Mac: 'bWFjLWJ5dGVz', MacAlgorithm: 'HMAC_SHA_256' })];
    const message = 'lbguard/last-good/shop/ä€\n2026-11-02T10:00:00.000Z';
    await expect(signer().sign(message)).resolves.toBe('bWFjLWJ5dGVz');
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/');
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request?.headers['x-amz-target']).toBe('TrentService.GenerateMac');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/kms\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe('token');
    expect(request?.body).toEqual({ KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256', Message: b64(message) });
  });

  it('asks VerifyMac with the message and the MAC, re-encoded as the SDK sends the bytes', async () => {
    // The same 4 bytes in URL-safe, unpadded base64 as a stored MAC might spell them.
    const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x01]);
    answers = [ok({ KeyId: KEY, MacValid: true, MacAlgorithm: 'HMAC_SHA_256' })];
    await expect(signer({ canSign: false }).verify('m', bytes.toString('base64url'))).resolves.toBe(true);
    const [request] = seen;
    expect(request?.headers['x-amz-target']).toBe('TrentService.VerifyMac');
    expect(request?.body).toEqual({
      KeyId: KEY,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: b64('m'),
      Mac: bytes.toString('base64'),
    });
  });

  it('sends any message as its UTF-8 bytes in base64', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), async (message) => {
        seen = [];
        answers = [ok({ Mac: 'AA==' })];
        await signer().sign(message);
        const sent = seen[0]?.body.Message;
        expect(Buffer.from(String(sent), 'base64').toString('utf8')).toBe(message);
      }),
      { numRuns: 25 },
    );
  });

  it('never asks KMS to sign for a verify-only signer', async () => {
    await expect(signer({ canSign: false }).sign('m')).rejects.toThrow(/only verifies/);
    expect(seen).toEqual([]);
  });
});

describe('KmsStateSigner: forged or unknown', () => {
  it('reads KMSInvalidMacException as a MAC that does not verify, without retrying', async () => {
    answers = [kmsError(400, 'KMSInvalidMacException'), ok({ MacValid: true })];
    await expect(signer({ maxAttempts: 3 }).verify('m', 'AAAA')).resolves.toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('reads the error from the error-type header too, as KMS may send it', async () => {
    answers = [
      {
        status: 400,
        body: '{"message":"mac does not match"}',
        headers: { 'x-amzn-errortype': 'KMSInvalidMacException:http://internal.amazon.com/' },
      },
    ];
    await expect(signer().verify('m', 'AAAA')).resolves.toBe(false);
  });

  it('reads an explicit MacValid: false as false', async () => {
    answers = [ok({ MacValid: false })];
    await expect(signer().verify('m', 'AAAA')).resolves.toBe(false);
  });

  it.each([
    ['throttling', 400, 'ThrottlingException', false],
    ['an outage', 500, 'KMSInternalException', false],
    ['KMS unavailable', 503, 'ServiceUnavailable', false],
    ['a missing grant', 400, 'AccessDeniedException', true],
    ['a disabled key', 400, 'DisabledException', true],
    ['a key pending deletion', 400, 'KMSInvalidStateException', true],
    ['an unknown key', 400, 'NotFoundException', true],
    ['a key of the wrong kind', 400, 'InvalidKeyUsageException', true],
  ] as const)('throws on %s: unknown is never forged', async (_why, status, type, permanent) => {
    const attempts = 2;
    answers = [kmsError(status, type), kmsError(status, type)];
    const error = await signer({ maxAttempts: attempts })
      .verify('m', 'AAAA')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect(error).toMatchObject({ operation: 'VerifyMac', cause: { name: type } });
    expect(String(error)).toMatch(new RegExp(`AWS VerifyMac failed: ${type}`));
    expect(isPermanent(error)).toBe(permanent);
    // A retry may cure throttling and 5xx; it is not spent on what it cannot.
    expect(seen).toHaveLength(permanent ? 1 : attempts);
  });

  it('retries throttling within the attempts and takes the answer that follows', async () => {
    answers = [kmsError(400, 'ThrottlingException'), ok({ MacValid: true })];
    await expect(signer({ maxAttempts: 2 }).verify('m', 'AAAA')).resolves.toBe(true);
    expect(seen).toHaveLength(2);
  });

  it.each([
    ['no MacValid', ok({ KeyId: KEY })],
    ['MacValid that is not a boolean', ok({ MacValid: 'true' })],
    ['a body that is not JSON', { status: 200, body: '<html>proxy</html>' }],
    ['JSON that is not an object', { status: 200, body: 'null' }],
  ])('throws on a 200 answer with %s', async (_why, answer) => {
    answers = [answer];
    await expect(signer().verify('m', 'AAAA')).rejects.toMatchObject({
      name: 'AwsApiError',
      operation: 'VerifyMac',
    });
  });

  it('throws naming VerifyMac when KMS cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(signer({ port }).verify('m', 'AAAA')).rejects.toMatchObject({
      name: 'AwsApiError',
      operation: 'VerifyMac',
    });
  });

  it.each([
    ['throttling', kmsError(400, 'ThrottlingException')],
    ['a missing grant', kmsError(400, 'AccessDeniedException')],
    ['an answer without a MAC', ok({ KeyId: KEY })],
  ])('fails to sign on %s, naming GenerateMac', async (_why, answer) => {
    answers = [answer];
    await expect(signer().sign('m')).rejects.toMatchObject({ name: 'AwsApiError', operation: 'GenerateMac' });
  });
});
