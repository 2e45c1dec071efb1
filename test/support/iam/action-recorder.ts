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

export class ActionRecorder {
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
    return clients;
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
    const out = await next(args);
    const response = out.response as HttpResponse;
    if (response.statusCode === 403) {
      const bytes = await bodyText(response.body);
      // Put the body back for the SDK's own error parsing.
      response.body = bytes;
      this.refusals.push({ fn, action, ...errorOf(Buffer.from(bytes).toString('utf8')) });
    } else {
      const used = this.used.get(fn) ?? new Map<string, Set<string>>();
      for (const a of actions) used.set(a, (used.get(a) ?? new Set()).add(this.suite));
      this.used.set(fn, used);
    }
    return out;
  }

  /** Every refusal as a line naming the role and the action, for a failing assertion. */
  refusalLines(roleOf: (fn: FunctionName) => string): string[] {
    return this.refusals.map(
      (r) => `role ${roleOf(r.fn)} (${r.fn}) was refused ${r.action}: ${r.code} ${r.message}`,
    );
  }
}
