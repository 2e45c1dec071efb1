import { partition } from '@aws-sdk/core/client';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  ChecksumConstructor,
  HashConstructor,
  HttpResponse,
  Provider,
  RequestHandler,
  HttpRequest as SmithyHttpRequest,
} from '@smithy/types';
import { AwsApiError } from '../../lib/errors.ts';
import { isPermanent } from './aws-call.ts';

// A few AWS calls made without their SDK client: one SigV4-signed HTTP request, sent with what a
// built client already carries (the signer, the Node HTTP handler and its timeouts, the region,
// credentials, attempts and endpoint override). ARC zonal shift has no SDK package here; the
// CloudFormation and CodeDeploy clients would add ~41 KB to remediate for five read calls
// (README "Deployments in flight").

/** What a signed call borrows from a built SDK client's resolved config (any client's will do). */
export interface BorrowedClientConfig {
  readonly region: Provider<string>;
  readonly credentials: Provider<AwsCredentialIdentity>;
  readonly sha256: ChecksumConstructor | HashConstructor;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK config types its handler options as any.
  readonly requestHandler: RequestHandler<SmithyHttpRequest, HttpResponse, any>;
  /** Total attempts per call; a call that failed in a way a retry may cure is tried again. */
  readonly maxAttempts?: Provider<number>;
  /** Set when the client's endpoint was overridden (tests, the CLI's `--endpoint-url`): asked there too. */
  readonly endpoint?: Provider<{
    readonly protocol: string;
    readonly hostname: string;
    readonly port?: number;
  }>;
}

/** One request; `operation` names it in errors. */
export interface SignedCall {
  readonly operation: string;
  readonly method?: 'GET' | 'POST';
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Statuses besides 200 the caller reads itself (ARC's 404); any other fails the call. */
  readonly accept?: readonly number[];
}

export interface SignedAnswer {
  readonly status: number;
  readonly text: string;
}

/** Calls to one AWS service (`service` is its SigV4 signing name and endpoint prefix). */
export class SignedRequests {
  readonly #config: BorrowedClientConfig;
  readonly #service: string;
  readonly #signer: SignatureV4;

  constructor(config: BorrowedClientConfig, service: string) {
    this.#config = config;
    this.#service = service;
    this.#signer = new SignatureV4({
      service,
      region: config.region,
      credentials: config.credentials,
      sha256: config.sha256,
    });
  }

  /**
   * Sends `call`, again while it fails in a way a retry may cure (throttling, 5xx, a timeout) and
   * attempts remain. A failure is an `AwsApiError` naming the operation, whose cause carries the
   * service's error code as `name` and the HTTP status, so `isPermanent` classifies it as it does
   * an SDK client's.
   */
  async send(call: SignedCall): Promise<SignedAnswer> {
    const attempts = (await this.#config.maxAttempts?.()) ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(call);
      } catch (error) {
        if (attempt >= attempts || isPermanent(error)) throw error;
        // Full jitter on an exponential base, as the SDK's standard retry does.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    }
  }

  async #once(call: SignedCall): Promise<SignedAnswer> {
    const region = await this.#config.region();
    const endpoint = (await this.#config.endpoint?.()) ?? {
      protocol: 'https:',
      hostname: `${this.#service}.${region}.${partition(region).dnsSuffix}`,
    };
    const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
    const request = new HttpRequest({
      method: call.method ?? 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
      path: call.path ?? '/',
      headers: { ...call.headers, host },
      ...(call.body === undefined ? {} : { body: call.body }),
    });
    let status: number;
    let headers: Record<string, string | undefined>;
    let text: string;
    try {
      const { response } = await this.#config.requestHandler.handle(await this.#signer.sign(request));
      ({ statusCode: status, headers } = response);
      text = await readBody(response.body);
    } catch (cause) {
      throw new AwsApiError(call.operation, { cause });
    }
    if (status === 200 || call.accept?.includes(status)) return { status, text };
    throw new AwsApiError(call.operation, { cause: serviceError(status, headers['x-amzn-errortype'], text) });
  }
}

/**
 * The service's error as the SDK would name it: the code from the error-type header, a JSON
 * body's `__type` or an XML body's `<Code>` (`com.amazonaws.codedeploy#ThrottlingException:…`
 * → `ThrottlingException`), else `HTTP <status>`.
 */
export function serviceError(status: number, errorType: string | undefined, text: string): Error {
  const find = (pattern: RegExp) => pattern.exec(text)?.[1];
  const code = errorType ?? find(/"__type":\s*"([^"]+)"/) ?? find(/<Code>([^<]+)</);
  return Object.assign(
    new Error(find(/"[Mm]essage":\s*"([^"]*)"/) ?? find(/<Message>([^<]*)</) ?? text.slice(0, 300)),
    {
      name: code?.split(':')[0]?.split('#').at(-1) || `HTTP ${status}`,
      $metadata: { httpStatusCode: status },
    },
  );
}

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
