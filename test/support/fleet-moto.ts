import { createServer, request, type Server } from 'node:http';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { inject } from 'vitest';
import { queryBody, type SigningCredentials, signPost } from '../../drill/world/sigv4.ts';

// One moto holding several accounts, for the fleet tests (CLI fan-out, hub): moto keys its state
// by the account of the caller's access key, and its sts:AssumeRole hands out keys of the role's
// account (a role need not exist in moto 5.2.1). A real account refuses AssumeRole when the role
// or its trust policy is missing; moto never does, so `startDenyingProxy` plays STS for one
// account.
//
// The IAM proof (test/integration/iam-proof.test.ts) runs the hub's scenarios on an IAM-enforcing
// moto of its own: `redirectFleetMoto` points these helpers there, the set-up signed by each
// account's administrator and each hub function's calls sent through the proof's recording proxy
// under its role.

/** The IAM proof's moto, as the fleet helpers use it. */
export interface FleetMotoTarget {
  /** Where the set-up's calls go. */
  readonly url: string;
  /** The administrator of `account`: the set-up's identity there. */
  admin(account: string): SigningCredentials;
  /** Endpoint and credentials of a hub function's calls (its role, through the recorder). */
  functionOptions(fn: 'hub-ingest' | 'hub-coverage'): {
    readonly endpoint: string;
    readonly credentials: SigningCredentials;
  };
}

let target: FleetMotoTarget | undefined;

/** Points the helpers below at the IAM proof's moto, or back at the run's with `undefined`. */
export function redirectFleetMoto(to: FleetMotoTarget | undefined): void {
  target = to;
}

/** The moto the fleet tests' own calls go to. */
export function fleetMotoUrl(): string {
  return target?.url ?? inject('motoUrl');
}

/** The test's own identity in the hub account (`testing`, or the IAM proof's administrator). */
export function hubSetupCredentials(account: string): SigningCredentials {
  return target?.admin(account) ?? { accessKeyId: 'testing', secretAccessKey: 'testing' };
}

/** Client options of a hub function: moto as `testing`, or the IAM proof's role and recorder. */
export function hubFunctionOptions(
  fn: 'hub-ingest' | 'hub-coverage',
): { readonly endpoint: string; readonly credentials: SigningCredentials } | undefined {
  return target?.functionOptions(fn);
}

export interface AccountCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Absent for the IAM proof's administrator of the account (an IAM user's key). */
  readonly sessionToken?: string;
}

/**
 * Keys of `account` in moto, as the fleet role there would give them; the IAM proof's
 * administrator of the account instead, when redirected (the set-up is not the role's).
 */
export async function assumeIn(
  account: string,
  roleName = 'lbguard-fleet-reader',
): Promise<AccountCredentials> {
  if (target !== undefined) return target.admin(account);
  const sts = new STSClient({
    endpoint: inject('motoUrl'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const answer = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/${roleName}`,
      RoleSessionName: 'test-setup',
    }),
  );
  sts.destroy();
  const c = answer.Credentials;
  return {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken ?? '',
  };
}

/** Forwards to moto, but refuses sts:AssumeRole into `denied` the way STS does (403 AccessDenied). */
export async function startDenyingProxy(
  target: string,
  denied: string,
): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString());
      if (form.get('Action') === 'AssumeRole' && (form.get('RoleArn') ?? '').includes(`::${denied}:`)) {
        res.writeHead(403, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/operator is not authorized to perform: sts:AssumeRole on resource: ${form.get('RoleArn')}</Message></Error><RequestId>denied-1</RequestId></ErrorResponse>`,
        );
        return;
      }
      const forward = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// EventBridge and SQS have no SDK package in this repository (no function uses them), so the
// tests speak their wire protocols to moto directly. moto reads the caller's account from
// `x-moto-account-id` and the region from the credential scope of the Authorization header; it
// does not check signatures, unless it enforces IAM: then each call is signed by the account's
// administrator, whose key names the account.

/** Where one account and region's unsigned calls go. */
export interface MotoScope {
  readonly account: string;
  readonly region: string;
}

function headers(scope: MotoScope, service: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=testing/20261205/${scope.region}/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    'x-moto-account-id': scope.account,
  };
}

async function motoCall(
  scope: MotoScope,
  service: string,
  init: { headers: Record<string, string>; body: string },
) {
  const url = `${fleetMotoUrl()}/`;
  const signed =
    target === undefined
      ? { ...headers(scope, service), ...init.headers }
      : await signPost({
          url,
          region: scope.region,
          service,
          headers: init.headers,
          body: init.body,
          credentials: target.admin(scope.account),
        });
  const answer = await fetch(url, { method: 'POST', headers: signed, body: init.body });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${service} call failed (${answer.status}): ${text}`);
  return text;
}

/** An EventBridge JSON call (`PutRule`, `PutTargets`, `PutEvents`…) on moto as `scope`. */
export async function eventBridge(scope: MotoScope, operation: string, body: unknown): Promise<unknown> {
  const text = await motoCall(scope, 'events', {
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` },
    body: JSON.stringify(body),
  });
  return JSON.parse(text);
}

function sqs(scope: MotoScope, params: Record<string, string>): Promise<string> {
  return motoCall(scope, 'sqs', {
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    // Encoded as the SDKs do: an enforcing moto re-encodes the form so to check the signature.
    body: queryBody({ ...params, Version: '2012-11-05' }),
  });
}

const XML_ENTITIES: Readonly<Record<string, string>> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
const unescapeXml = (text: string) =>
  text.replace(/&(quot|amp|lt|gt|apos|#(\d+));/g, (_, name: string, code?: string) =>
    code === undefined ? (XML_ENTITIES[name] ?? '') : String.fromCharCode(Number(code)),
  );

/** An SQS queue of `scope` on moto: its ARN, and a way to drain what arrived. */
export interface MotoQueue {
  readonly arn: string;
  /** Every message body that arrives within `waitMs` (at least one poll), removed from the queue. */
  drain(waitMs?: number): Promise<string[]>;
}

export async function createQueue(scope: MotoScope, name: string): Promise<MotoQueue> {
  const created = await sqs(scope, { Action: 'CreateQueue', QueueName: name });
  const url = unescapeXml(/<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created)?.[1] ?? '');
  return {
    arn: `arn:aws:sqs:${scope.region}:${scope.account}:${name}`,
    async drain(waitMs = 1000) {
      const bodies: string[] = [];
      const until = Date.now() + waitMs;
      do {
        const got = await sqs(scope, { Action: 'ReceiveMessage', QueueUrl: url, MaxNumberOfMessages: '10' });
        const messages = [...got.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((m) => m[1] ?? '');
        for (const m of messages) {
          bodies.push(unescapeXml(/<Body>([\s\S]*?)<\/Body>/.exec(m)?.[1] ?? ''));
          const receipt = unescapeXml(/<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(m)?.[1] ?? '');
          await sqs(scope, { Action: 'DeleteMessage', QueueUrl: url, ReceiptHandle: receipt });
        }
        if (messages.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < until);
      return bodies;
    },
  };
}
