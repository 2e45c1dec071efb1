// zod/mini, not `zod`: the chained classes of classic zod keep all of it in every bundle.
import * as z from 'zod/mini';
import '../../lib/config/zod-english.ts';

// The approval endpoint's events, apart from events.ts so that no other function carries them.
// Lambda checks the caller's SigV4 signature before the function runs (the URL's AuthType is
// AWS_IAM) and writes who it was into `requestContext.authorizer.iam`: an event without that
// identity did not come through the URL, and is rejected before anything is read or written.

const IamIdentitySchema = z.object({
  accountId: z.string().check(z.regex(/^\d{12}$/)),
  /** The caller's ARN (an assumed role's session ARN names the person's session), as STS says it. */
  userArn: z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/)),
  callerId: z.optional(z.nullable(z.string())),
});

/**
 * A Lambda function URL request (payload format 2.0) as an IAM-authorised URL delivers it. Only
 * what the handler reads is checked; AWS may add fields to the envelope, so it is not strict.
 */
export const ApproveEventSchema = z.object({
  version: z.literal('2.0'),
  rawPath: z.string(),
  headers: z.optional(z.record(z.string(), z.string())),
  requestContext: z.object({
    requestId: z.string(),
    http: z.object({ method: z.string(), sourceIp: z.optional(z.string()) }),
    authorizer: z.object({ iam: IamIdentitySchema }),
  }),
  body: z.optional(z.string()),
  isBase64Encoded: z.boolean(),
});

export type FunctionUrlEvent = z.infer<typeof ApproveEventSchema>;

/** What a chat tool sends: the service and the plan hash the notification carried. */
export const ApproveBodySchema = z.strictObject({
  service: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a service name from the config')),
  planHash: z
    .string()
    .check(
      z.regex(/^[0-9a-f]{12,64}$/, 'must be the plan hash from the notification (12–64 hex characters)'),
    ),
});

export type ApproveBody = z.infer<typeof ApproveBodySchema>;

/** A body larger than this is no approval; refused before it is parsed. */
const MAX_BODY_BYTES = 1024;

export type BodyResult =
  | { readonly ok: true; readonly body: ApproveBody }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The approval in a request body, or one line per problem, each naming its field. */
export function readApproveBody(event: Pick<FunctionUrlEvent, 'body' | 'isBase64Encoded'>): BodyResult {
  const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
  if (raw === undefined || raw.trim() === '') {
    return { ok: false, problems: ['body: must be JSON {"service": "…", "planHash": "…"}'] };
  }
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    return { ok: false, problems: [`body: must be at most ${MAX_BODY_BYTES} bytes`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, problems: ['body: is not JSON; send {"service": "…", "planHash": "…"}'] };
  }
  const parsed = ApproveBodySchema.safeParse(json);
  if (parsed.success) return { ok: true, body: parsed.data };
  // Messages never quote the value received: a body is the caller's text.
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => {
      if (i.code === 'unrecognized_keys')
        return `${i.keys.join(', ')}: unknown field; send only service and planHash`;
      if (i.path.length === 0) return 'body: must be a JSON object {"service": "…", "planHash": "…"}';
      const given = typeof json === 'object' && json !== null && String(i.path[0]) in json;
      if (i.code !== 'invalid_type') return `${i.path.join('.')}: ${i.message}`;
      return `${i.path.join('.')}: ${given ? `must be a ${i.expected}` : 'is required'}`;
    }),
  };
}
