import { Readable } from 'node:stream';
import type {
  DeserializeHandler,
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  HandlerExecutionContext,
  HttpRequest,
  HttpResponse,
  MetadataBearer,
  MiddlewareStack,
} from '@smithy/types';
import { AUTHORISED_AS_PARTS, type FunctionName, SIGNING_NAMES } from './template-grants.ts';

// Records, per function, the IAM actions its SDK clients actually made moto authorise, and every
// call moto refused. The middleware sits innermost (deserialize step, low priority): it sees the
// signed request as sent and the raw HTTP answer, after retries and test fault injection have done
// their part, so an injected "AccessDenied" never reaches it and a real refusal always does.
//
// The action is named as IAM names it: the prefix from the request's SigV4 signing name (what
// moto authorises against; `monitoring` is IAM's `cloudwatch`), the operation from the command
// (a document client, should a client set hold one, runs as the low-level commands: GetItem).
//
// Calls a function signs by hand with a client's parts (lambdas/adapters/signed-request.ts: the
// owner lookup's CloudFormation and CodeDeploy reads, the state MAC's KMS GenerateMac and
// VerifyMac) pass no middleware: they are recorded at the client's request handler instead, the
// operation read from the request as AWS reads it (`X-Amz-Target`, or the Query protocol's
// `Action=`), the prefix from the signing name (`kms`, whichever client lent its parts). ARC's
// REST call names neither, and moto has no ARC, so it is not recorded (infra/iam-unused-grants.ts).

/** A call moto refused (HTTP 403): the function, the action and moto's error code and message. */
export interface Refusal {
  readonly fn: FunctionName;
  readonly action: string;
  readonly code: string;
  readonly message: string;
}

const IAM_PREFIX: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SIGNING_NAMES).map(([prefix, signing]) => [signing, prefix]),
);

/** The slice of an SDK client the recorder needs: any client's stack takes this middleware. */
type Stack = MiddlewareStack<object, MetadataBearer>;

async function bodyText(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return new Uint8Array(Buffer.concat(chunks));
}

/** moto's error code and message, from its XML (Query, and its JSON services' refusals) or JSON. */
function errorOf(text: string): { code: string; message: string } {
  const xml = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(text)?.[1];
  const json = (key: string) => new RegExp(`"${key}"\\s*:\\s*"([^"]*)"`).exec(text)?.[1];
  return {
    code: xml('Code') ?? json('__type')?.split('#').at(-1) ?? 'HTTP 403',
    message: xml('Message') ?? json('message') ?? json('Message') ?? text.slice(0, 200),
  };
}

/** The IAM actions a transaction is authorised as, from its JSON body; undefined for other calls. */
function partsOf(action: string, body: unknown): string[] | undefined {
  const parts = AUTHORISED_AS_PARTS[action];
  if (parts === undefined) return undefined;
  const items =
    (JSON.parse(String(body)) as { TransactItems?: Record<string, unknown>[] }).TransactItems ?? [];
  const names = items.flatMap((item) => Object.keys(item));
  const unknown = names.filter((n) => parts[n] === undefined);
  if (unknown.length > 0)
    throw new Error(`IAM proof: ${action} item kinds ${unknown.join(', ')} are not mapped to IAM actions`);
  return [...new Set(names.map((n) => parts[n] ?? n))];
}

/** The operation of a request no SDK command made: JSON protocols' target, the Query `Action`. */
function operationOf(request: HttpRequest): string | undefined {
  const target = request.headers['x-amz-target'];
  if (target !== undefined) return target.split('.').at(-1);
  return typeof request.body === 'string'
    ? (new URLSearchParams(request.body).get('Action') ?? undefined)
    : undefined;
}

/** The slice of a built client the handler-level recording needs. */
type HandlerOwner = {
  config?: {
    requestHandler?: {
      handle: (request: HttpRequest, options?: unknown) => Promise<{ response: HttpResponse }>;
    };
  };
};

export class ActionRecorder {
  /** Requests an SDK command made (its middleware recorded them): the handler skips these. */
  readonly #fromCommands = new WeakSet<object>();
  readonly #handlers = new WeakSet<object>();
  /** Per function, each action used and the suites (scenario groups) that used it. */
  readonly used = new Map<FunctionName, Map<string, Set<string>>>();
  readonly refusals: Refusal[] = [];
  /** The label the next calls are recorded under (`lambdas scenarios`, `seed drill`). */
  suite = 'unlabelled';

  /**
   * Adds the recorder to every SDK client among `clients`' values (each stack once: a document
   * client would share its DynamoDB client's) and returns `clients`.
   */
  instrument<T extends object>(fn: FunctionName, clients: T): T {
    const stacks = new Set<Stack>();
    for (const value of Object.values(clients)) {
      const stack = (value as { middlewareStack?: Stack } | null)?.middlewareStack;
      if (stack !== undefined) stacks.add(stack);
    }
    for (const stack of stacks) {
      stack.add((next, context) => (args) => this.#observe(fn, context, next, args), {
        step: 'deserialize',
        priority: 'low',
        name: 'lbguardIamProofRecorder',
      });
    }
    for (const value of Object.values(clients)) this.#instrumentHandler(fn, value as HandlerOwner | null);
    return clients;
  }

  /** Records the hand-signed calls sent through a client's request handler. */
  #instrumentHandler(fn: FunctionName, client: HandlerOwner | null): void {
    const handler = client?.config?.requestHandler;
    if (handler === undefined || this.#handlers.has(handler)) return;
    this.#handlers.add(handler);
    const handle = handler.handle.bind(handler);
    handler.handle = async (request, options) => {
      const operation = this.#fromCommands.has(request) ? undefined : operationOf(request);
      const out = await handle(request, options);
      if (operation === undefined) return out;
      const authorization = request.headers.authorization ?? '';
      const signing = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'unsigned';
      // Put back as a stream: signed-request.ts reads the body as one.
      await this.#record(fn, `${IAM_PREFIX[signing] ?? signing}:${operation}`, [], out.response, (bytes) =>
        Readable.from([Buffer.from(bytes)]),
      );
      return out;
    };
  }

  async #record(
    fn: FunctionName,
    action: string,
    parts: readonly string[],
    response: HttpResponse,
    rebody: (bytes: Uint8Array) => unknown = (bytes) => bytes,
  ): Promise<void> {
    if (response.statusCode === 403) {
      const bytes = await bodyText(response.body);
      // Put the body back for the caller's own error parsing.
      response.body = rebody(bytes);
      this.refusals.push({ fn, action, ...errorOf(Buffer.from(bytes).toString('utf8')) });
      return;
    }
    const used = this.used.get(fn) ?? new Map<string, Set<string>>();
    for (const a of parts.length > 0 ? parts : [action])
      used.set(a, (used.get(a) ?? new Set()).add(this.suite));
    this.used.set(fn, used);
  }

  async #observe(
    fn: FunctionName,
    context: HandlerExecutionContext,
    next: DeserializeHandler<object, MetadataBearer>,
    args: DeserializeHandlerArguments<object>,
  ): Promise<DeserializeHandlerOutput<MetadataBearer>> {
    const request = args.request as HttpRequest;
    const headers = request.headers;
    const authorization = headers.authorization ?? headers.Authorization ?? '';
    const signing = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? 'unsigned';
    const action = `${IAM_PREFIX[signing] ?? signing}:${(context.commandName ?? '?').replace(/Command$/, '')}`;
    const actions = partsOf(action, request.body) ?? [action];
    this.#fromCommands.add(request);
    const out = await next(args);
    await this.#record(fn, action, actions, out.response as HttpResponse);
    return out;
  }

  /**
   * Records one call seen on the wire (the IAM proof's recording proxy, for functions whose
   * clients it cannot reach): `signing` and `operation` as the request names them, `body` the
   * request's (a transaction's parts are read from it), `status` and `answer` moto's.
   */
  recordWire(
    fn: FunctionName,
    call: { signing: string; operation: string; body: string; status: number; answer: string },
  ): void {
    const action = `${IAM_PREFIX[call.signing] ?? call.signing}:${call.operation}`;
    if (call.status === 403) {
      this.refusals.push({ fn, action, ...errorOf(call.answer) });
      return;
    }
    const used = this.used.get(fn) ?? new Map<string, Set<string>>();
    for (const a of partsOf(action, call.body) ?? [action])
      used.set(a, (used.get(a) ?? new Set()).add(this.suite));
    this.used.set(fn, used);
  }

  /** Every refusal as a line naming the role and the action, for a failing assertion. */
  refusalLines(roleOf: (fn: FunctionName) => string): string[] {
    return this.refusals.map(
      (r) => `role ${roleOf(r.fn)} (${r.fn}) was refused ${r.action}: ${r.code} ${r.message}`,
    );
  }
}
