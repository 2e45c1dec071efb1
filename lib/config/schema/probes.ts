/** The `probes` section: single requests and journeys, normalised so every probe has `steps`. */
import * as z from 'zod/mini';
import { DEFAULTS } from '../defaults.ts';
import {
  classifyUrlHost,
  FORBIDDEN_RANGES,
  FORBIDDEN_TARGETS,
  type ForbiddenTarget,
  isRefused,
} from '../probe-targets.ts';
import '../zod-english.ts';
import {
  checkUniqueNames,
  hasIssuesAt,
  intIn,
  isRecord,
  maxChars,
  maxItems,
  strict,
  whenObject,
  withMaxEntries,
} from './helpers.ts';
import {
  headerExpectationSchema,
  headerNameSchema,
  headersSchema,
  httpUrlSchema,
  nameSchema,
  regexSchema,
} from './leaves.ts';
import { orSecretReference } from './secret-refs.ts';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const BODYLESS_METHODS: readonly string[] = ['GET', 'HEAD'];
const REQUEST_FIELDS = ['method', 'headers', 'body', 'expect'] as const;

const STATUS_MESSAGE = 'must be an HTTP status code from 100 to 599';

/** The response headers a probe checks; exported for the JSON Schema's `maxProperties` (schema-docs.ts). */
export const expectedHeadersSchema = withMaxEntries(
  z.record(headerNameSchema, headerExpectationSchema),
  'expectedHeaders',
  'headers',
  'check the headers that tell a good answer from a bad one',
);

const expectSchema = strict({
  status: z._default(
    z
      .array(z.int().check(z.minimum(100, STATUS_MESSAGE), z.maximum(599, STATUS_MESSAGE)), {
        error: 'must be a list of HTTP status codes like [200] or [200, 302]',
      })
      .check(z.minLength(1, 'must list at least one status code, like [200]')),
    () => [...DEFAULTS.probe.expect.status],
  ),
  bodyContains: z.optional(
    z.string().check(maxChars('expectationChars', 'check a short, distinctive part of the text')),
  ),
  bodyMatches: z.optional(regexSchema),
  headers: z._default(expectedHeadersSchema, () => ({})),
});

// A body that carries a credential: its reference (resolved by probe at run time, never stored).
const bodySchema = orSecretReference(
  z
    .string()
    .check(
      maxChars(
        'requestBodyChars',
        'send a smaller representative body (the config travels in each function’s 4 KB environment)',
      ),
    ),
);

const methodSchema = z.enum(HTTP_METHODS, {
  error: `must be one of ${HTTP_METHODS.join(', ')} (uppercase)`,
});

function checkBodyAllowed(
  request: { readonly method?: string | undefined; readonly body?: unknown },
  ctx: z.core.ParsePayload,
): void {
  const method = request.method ?? DEFAULTS.probe.method;
  if (
    request.body !== undefined &&
    BODYLESS_METHODS.includes(method) &&
    !hasIssuesAt(ctx, 'method', 'body')
  ) {
    ctx.issues.push({
      code: 'custom',
      path: ['body'],
      message: `is not allowed with ${method}; set method: POST (or another method that takes a body) or remove body`,
      input: undefined,
    });
  }
}

const stepSchema = strict({
  name: nameSchema,
  url: httpUrlSchema,
  method: z._default(methodSchema, DEFAULTS.probe.method),
  headers: z._default(headersSchema, () => ({})),
  body: z.optional(bodySchema),
  expect: z.prefault(expectSchema, {}),
}).check(z.superRefine(checkBodyAllowed, whenObject));

const servedBySampleSchema = strict({
  requests: z._default(intIn(1, 1000), DEFAULTS.probe.servedBySample.requests),
  concurrency: z._default(intIn(1, 50), DEFAULTS.probe.servedBySample.concurrency),
}).check(
  z.superRefine((sample, ctx) => {
    if (!hasIssuesAt(ctx, 'requests', 'concurrency') && sample.concurrency > sample.requests) {
      ctx.addIssue({
        code: 'custom',
        path: ['concurrency'],
        message: `must be at most requests (${sample.requests})`,
      });
    }
  }, whenObject),
);

/** Why no flag opens a kind of target, for the message that refuses it. */
const NEVER_REACHABLE: Readonly<Record<Exclude<ForbiddenTarget, 'loopback'>, string>> = {
  'instance-metadata': 'it hands out the credentials of the function that runs the probe',
  'link-local': "the platform's own services live there (instance metadata, ECS task credentials, DNS)",
  unspecified: 'it reaches the probing machine itself',
};

function targetMessage(kind: ForbiddenTarget): string {
  const what = `points at ${FORBIDDEN_TARGETS[kind]} (${FORBIDDEN_RANGES[kind]})`;
  return kind === 'loopback'
    ? `${what}, which a deployed lbguard must not probe (inside Lambda it is the runtime's own API); use the site's address, or set allowLoopback: true on this probe when the site runs on this machine (a local drill, test or bench)`
    : `${what}, which no probe may reach: ${NEVER_REACHABLE[kind]}; use the site's or the load balancer's address`;
}

/**
 * Refuses probe URLs whose host is, by its spelling, an address no probe may reach; loopback only
 * without the probe's `allowLoopback`. Names resolve at run time, where the prober applies the
 * same rule to every address before connecting.
 */
function checkTargets(
  probe: { readonly url?: unknown; readonly steps?: unknown; readonly allowLoopback?: unknown },
  ctx: z.core.ParsePayload,
): void {
  const allowLoopback = probe.allowLoopback === true;
  const check = (url: unknown, path: readonly (string | number)[]) => {
    // A URL already refused for its form (not http, say) gets no second message.
    const reported = ctx.issues.some((issue) => path.every((segment, i) => issue.path?.[i] === segment));
    const kind = typeof url === 'string' && !reported ? classifyUrlHost(url) : undefined;
    if (isRefused(kind, allowLoopback)) {
      ctx.issues.push({ code: 'custom', path: [...path], message: targetMessage(kind), input: undefined });
    }
  };
  check(probe.url, ['url']);
  if (Array.isArray(probe.steps)) {
    probe.steps.forEach((step: unknown, index) => {
      if (isRecord(step)) check(step.url, ['steps', index, 'url']);
    });
  }
}

const probeObjectSchema = strict({
  name: nameSchema,
  url: z.optional(httpUrlSchema),
  method: z.optional(methodSchema),
  headers: z.optional(headersSchema),
  body: z.optional(bodySchema),
  expect: z.optional(expectSchema),
  steps: z.optional(
    z
      .array(stepSchema)
      .check(
        z.minLength(1, 'must have at least one step'),
        maxItems('stepsPerProbe', 'steps', 'split the journey into two probes'),
      ),
  ),
  allowLoopback: z.optional(z.boolean()),
  timeoutMs: z._default(intIn(100, 60_000), DEFAULTS.probe.timeoutMs),
  latencyBudgetMs: z._default(intIn(1, 60_000), DEFAULTS.probe.latencyBudgetMs),
  servedBySample: z.optional(servedBySampleSchema),
}).check(
  z.superRefine((probe, ctx) => {
    const hasUrl = probe.url !== undefined;
    const hasSteps = probe.steps !== undefined;
    if (hasUrl && hasSteps) {
      ctx.addIssue({
        code: 'custom',
        message:
          'has both url and steps; give url (with method, headers, body, expect) for a single request, or steps for a journey, not both',
      });
    } else if (!hasUrl && !hasSteps) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs url (a single request) or steps (a journey of requests); add one of them',
      });
    }
    if (hasSteps) {
      for (const field of REQUEST_FIELDS) {
        if (probe[field] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [field],
            message: 'belongs on each step when the probe has steps; move it into the steps that need it',
          });
        }
      }
    } else {
      checkBodyAllowed(probe, ctx);
    }
    if (!hasIssuesAt(ctx, 'timeoutMs', 'latencyBudgetMs') && probe.latencyBudgetMs > probe.timeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['latencyBudgetMs'],
        message: `must be at most timeoutMs (${probe.timeoutMs}): a request that times out cannot meet its budget`,
      });
    }
    checkUniqueNames(probe.steps, 'steps', ctx);
    checkTargets(probe, ctx);
  }, whenObject),
);

/** Normalises a single-request probe into a one-step journey, so consumers always iterate `steps`. */
export const probeSchema = z.pipe(
  probeObjectSchema,
  z.transform((probe: z.output<typeof probeObjectSchema>) => {
    const single = (): ProbeStepConfig[] => [
      {
        name: probe.name,
        // The refinement above guarantees url whenever steps is absent; transforms only run on valid input.
        url: probe.url as string,
        method: probe.method ?? DEFAULTS.probe.method,
        headers: probe.headers ?? {},
        ...(probe.body === undefined ? {} : { body: probe.body }),
        expect: probe.expect ?? expectSchema.parse({}),
      },
    ];
    return {
      name: probe.name,
      steps: probe.steps ?? single(),
      timeoutMs: probe.timeoutMs,
      latencyBudgetMs: probe.latencyBudgetMs,
      // The prober reads it from the probe it runs: no wiring or port carries it.
      ...(probe.allowLoopback === undefined ? {} : { allowLoopback: probe.allowLoopback }),
      ...(probe.servedBySample === undefined ? {} : { servedBySample: probe.servedBySample }),
    };
  }),
);

/** A probe after parsing: always a journey of one or more steps. */
export type ProbeConfig = z.output<typeof probeSchema>;
/** One request of a probe. */
export type ProbeStepConfig = z.output<typeof stepSchema>;
export type ExpectConfig = z.output<typeof expectSchema>;
export type ServedBySampleConfig = z.output<typeof servedBySampleSchema>;
