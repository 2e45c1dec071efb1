// zod/mini: the same zod v4 core as `zod`, without the method-chaining classes, which keep all of
// zod in every function bundle (~95 KiB against ~25 KiB). The schema below is, check for check,
// what the chained spelling builds; test/unit/config.test.ts holds the JSON Schema to the file.
import * as z from 'zod/mini';
import { DEFAULTS } from './defaults.ts';
import './zod-english.ts';

/**
 * The one schema of `lbguard.config.yaml`, shared by the CDK app, the lambdas and the CLI.
 *
 * Messages are written for the person fixing the file: each names what is expected and, where
 * it helps, an example. They never quote the value received, because header values, request
 * bodies and notification URLs routinely carry tokens. Cross-field checks run even when other
 * fields are broken (zod's `when`), so one run lists every problem.
 */

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
/** RFC 9110 `token`: what an HTTP header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const SINGLE_LINE = /^[^\r\n]*$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const ARN_HEAD = String.raw`arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}`;
const ALB_ARN = new RegExp(`^${ARN_HEAD}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32}$`);
const LISTENER_ARN = new RegExp(
  `^${ARN_HEAD}:listener/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{1,32}/[0-9a-f]{1,32}$`,
);

const EXAMPLE_ALB_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop/50dc6c495c0c9188';
const EXAMPLE_LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const BODYLESS_METHODS: readonly string[] = ['GET', 'HEAD'];
const REQUEST_FIELDS = ['method', 'headers', 'body', 'expect'] as const;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Run an object's cross-field check whenever the object itself is an object, broken or not. */
const whenObject = { when: (payload: z.core.ParsePayload): boolean => isRecord(payload.value) };

/** Whether any issue was already raised at or under one of these fields of the current object. */
function hasIssuesAt(ctx: z.core.ParsePayload, ...fields: readonly string[]): boolean {
  return ctx.issues.some((issue) => fields.includes(String(issue.path?.[0])));
}

/** Levenshtein distance; memoised on prefix lengths, which is plenty for key names. */
function editDistance(a: string, b: string, memo = new Map<string, number>()): number {
  if (a === '') return b.length;
  if (b === '') return a.length;
  const key = `${a.length},${b.length}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const substitution = a.at(-1) === b.at(-1) ? 0 : 1;
  const distance = Math.min(
    editDistance(a.slice(0, -1), b, memo) + 1,
    editDistance(a, b.slice(0, -1), memo) + 1,
    editDistance(a.slice(0, -1), b.slice(0, -1), memo) + substitution,
  );
  memo.set(key, distance);
  return distance;
}

/**
 * The known key an unknown key was most likely meant to be: a near spelling, a different case,
 * or a fragment (`timeout` → `timeoutMs`).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const scored = known
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(
      ({ candidate, distance }) =>
        distance <= Math.max(1, Math.floor(key.length / 3)) ||
        (lower.length >= 4 && candidate.toLowerCase().includes(lower)),
    )
    .sort((a, b) => a.distance - b.distance);
  return scored[0]?.candidate;
}

function describeUnknownKey(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  return suggestion === undefined
    ? `unknown key; expected one of: ${known.join(', ')}`
    : `unknown key; did you mean ${suggestion}?`;
}

/**
 * A strict object whose unknown-key error says, per key, what was probably meant. The message
 * holds one line per unknown key, in the order of the issue's `keys`.
 */
function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => describeUnknownKey(key, known)).join('\n')
        : undefined,
  });
}

function intIn(min: number, max: number, why = '') {
  const message = `must be a whole number from ${min} to ${max}${why}`;
  return z.int().check(z.minimum(min, message), z.maximum(max, message));
}

/**
 * A copy of `schema` carrying `meta` in the global registry (where JSON Schema generation reads
 * descriptions and formats), as classic zod's `.meta()` does: the copy inherits the original's
 * metadata, and the original, shared by several fields, keeps its own.
 */
function withMeta<T extends z.ZodMiniType>(schema: T, meta: z.core.GlobalMeta): T {
  const copy = schema.clone();
  z.globalRegistry.add(copy, meta);
  return copy;
}

/** Classic zod's `.describe()`: the JSON Schema `description` editors show for a field. */
function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  return withMeta(schema, { description });
}

function parseUrl(text: string): URL | undefined {
  return URL.canParse(text) ? new URL(text) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

const nameSchema = z
  .string()
  .check(
    z.regex(
      NAME,
      'must be 1–40 lowercase letters, digits or hyphens, starting with a letter or digit, like shop or checkout-journey (it becomes part of metric dimensions and resource names)',
    ),
  );

const headerNameSchema = z
  .string()
  .check(
    z.regex(
      HEADER_NAME,
      'must be an HTTP header name: letters, digits and - (no spaces or colons), like X-Served-By',
    ),
  );

const regexSchema = z.string().check(
  z.superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (error) {
      // The engine's message quotes the pattern; keep only the reason after the last colon.
      const reason = String(error).split(': ').pop();
      ctx.addIssue({
        code: 'custom',
        message: `must be a valid JavaScript regular expression (${reason}); escape literal characters such as ( [ . ? with a backslash`,
      });
    }
  }),
);

const httpUrlSchema = withMeta(
  z.string().check(
    z.superRefine((text, ctx) => {
      const url = parseUrl(text);
      if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be an absolute http(s) URL like https://shop.example.com/health',
        });
      } else if (url.username !== '' || url.password !== '') {
        ctx.addIssue({
          code: 'custom',
          message: 'must not carry credentials (user:password@); send them in headers, e.g. Authorization',
        });
      }
    }),
  ),
  { format: 'uri' },
);

const httpsEndpointSchema = withMeta(
  z.string().check(
    z.superRefine((text, ctx) => {
      const protocol = parseUrl(text)?.protocol;
      if (protocol === 'http:') {
        ctx.addIssue({
          code: 'custom',
          message:
            'must use https, not http: change http:// to https:// (notifications carry incident details and the URL may carry a token)',
        });
      } else if (protocol !== 'https:') {
        ctx.addIssue({
          code: 'custom',
          message: 'must be an absolute https URL like https://hooks.example.com/lbguard',
        });
      }
    }),
  ),
  { format: 'uri', pattern: '^https://' },
);

const NOT_AN_ALB: readonly [RegExp, string][] = [
  [/:loadbalancer\/net\//, 'is a Network Load Balancer; only Application Load Balancers are supported'],
  [/:loadbalancer\/gwy\//, 'is a Gateway Load Balancer; only Application Load Balancers are supported'],
  [/:targetgroup\//, 'is a target group ARN; give the ARN of the load balancer (…:loadbalancer/app/…)'],
  [/:listener\//, 'is a listener ARN; put it in listenerArns and give the load balancer ARN here'],
];

const loadBalancerArnSchema = withMeta(
  z.string().check(
    z.superRefine((arn, ctx) => {
      if (ALB_ARN.test(arn)) return;
      const known = NOT_AN_ALB.find(([pattern]) => pattern.test(arn));
      ctx.addIssue({
        code: 'custom',
        message: known?.[1] ?? `must be an Application Load Balancer ARN like ${EXAMPLE_ALB_ARN}`,
      });
    }),
  ),
  { pattern: ALB_ARN.source },
);

const listenerArnSchema = z
  .string()
  .check(
    z.regex(LISTENER_ARN, `must be an Application Load Balancer listener ARN like ${EXAMPLE_LISTENER_ARN}`),
  );

const headersSchema = z.record(
  headerNameSchema,
  z.string().check(z.regex(SINGLE_LINE, 'must be a single line (no line breaks)')),
);

const headerExpectationSchema = z.union([z.string(), strict({ matches: regexSchema })], {
  error: 'must be the exact value expected (a string) or { matches: <regular expression> }',
});

// ---------------------------------------------------------------------------------------------
// Probes
// ---------------------------------------------------------------------------------------------

const STATUS_MESSAGE = 'must be an HTTP status code from 100 to 599';

const expectSchema = strict({
  status: described(
    z._default(
      z
        .array(z.int().check(z.minimum(100, STATUS_MESSAGE), z.maximum(599, STATUS_MESSAGE)), {
          error: 'must be a list of HTTP status codes like [200] or [200, 302]',
        })
        .check(z.minLength(1, 'must list at least one status code, like [200]')),
      () => [...DEFAULTS.probe.expect.status],
    ),
    'Status codes that count as success.',
  ),
  bodyContains: described(z.optional(z.string()), 'Text the response body must contain.'),
  bodyMatches: described(
    z.optional(regexSchema),
    'JavaScript regular expression the response body must match.',
  ),
  headers: described(
    z._default(z.record(headerNameSchema, headerExpectationSchema), () => ({})),
    'Response headers: exact value, or { matches: regex }.',
  ),
});

const methodSchema = z.enum(HTTP_METHODS, {
  error: `must be one of ${HTTP_METHODS.join(', ')} (uppercase)`,
});

function checkBodyAllowed(
  request: { readonly method?: string | undefined; readonly body?: string | undefined },
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
  name: described(nameSchema, 'Step name, unique within the probe (e.g. home, product, cart).'),
  url: httpUrlSchema,
  method: z._default(methodSchema, DEFAULTS.probe.method),
  headers: described(
    z._default(headersSchema, () => ({})),
    'Request headers. Values are never logged.',
  ),
  body: described(z.optional(z.string()), 'Request body. Never logged.'),
  expect: z.prefault(expectSchema, {}),
}).check(z.superRefine(checkBodyAllowed, whenObject));

const servedBySampleSchema = strict({
  requests: described(
    z._default(intIn(1, 1000), DEFAULTS.probe.servedBySample.requests),
    'Requests sent per sample to count which target answered.',
  ),
  concurrency: described(
    z._default(intIn(1, 50), DEFAULTS.probe.servedBySample.concurrency),
    'Requests in flight at once.',
  ),
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

function checkUniqueNames(items: unknown, field: string, ctx: z.core.ParsePayload): void {
  if (!Array.isArray(items)) return;
  const firstIndex = new Map<string, number>();
  items.forEach((item: unknown, index) => {
    if (!isRecord(item) || typeof item.name !== 'string') return;
    const first = firstIndex.get(item.name);
    if (first === undefined) {
      firstIndex.set(item.name, index);
      return;
    }
    ctx.issues.push({
      code: 'custom',
      path: [field, index, 'name'],
      message: `duplicates the name ${item.name} of ${field}[${first}]; names must be unique, rename one of them`,
      input: undefined,
    });
  });
}

const probeObjectSchema = strict({
  name: described(nameSchema, 'Probe name, unique within the service.'),
  url: described(z.optional(httpUrlSchema), 'A single request. Give url or steps, not both.'),
  method: z.optional(methodSchema),
  headers: z.optional(headersSchema),
  body: z.optional(z.string()),
  expect: z.optional(expectSchema),
  steps: described(
    z.optional(z.array(stepSchema).check(z.minLength(1, 'must have at least one step'))),
    'A journey of requests run in order (home → product → cart → checkout).',
  ),
  timeoutMs: described(z._default(intIn(100, 60_000), DEFAULTS.probe.timeoutMs), 'Per-request timeout.'),
  latencyBudgetMs: described(
    z._default(intIn(1, 60_000), DEFAULTS.probe.latencyBudgetMs),
    'A request slower than this fails the probe.',
  ),
  servedBySample: described(
    z.optional(servedBySampleSchema),
    "Sample a burst of the probe's first request and count the service's servedByHeader values.",
  ),
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
  }, whenObject),
);

/** Normalises a single-request probe into a one-step journey, so consumers always iterate `steps`. */
const probeSchema = z.pipe(
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
      ...(probe.servedBySample === undefined ? {} : { servedBySample: probe.servedBySample }),
    };
  }),
);

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

/** A number greater than 0 and at most `max`, with one message for both bounds. */
function fractionUpTo(max: number, message: string) {
  return z.number().check(z.gt(0, message), z.maximum(max, message));
}

const skewSchema = strict({
  minSamples: described(
    z._default(intIn(10, 1_000_000), DEFAULTS.thresholds.skew.minSamples),
    'Fewer observed requests than this is insufficient data, never skew.',
  ),
  falsePositiveRate: described(
    z._default(
      fractionUpTo(0.05, 'must be greater than 0 and at most 0.05, like 0.0001'),
      DEFAULTS.thresholds.skew.falsePositiveRate,
    ),
    'Significance level of the skew test: tolerated false-positive rate per test.',
  ),
  minEffectSize: described(
    z._default(
      fractionUpTo(1, 'must be greater than 0 and at most 1 (a total variation distance), like 0.2'),
      DEFAULTS.thresholds.skew.minEffectSize,
    ),
    'Smallest difference in traffic shares (0–1) worth raising.',
  ),
});

const hysteresisSchema = strict({
  consecutiveFailures: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveFailures),
    'Probe failures in a row that declare a passing probe failing.',
  ),
  failuresInWindow: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.failuresInWindow),
    'Failures among the last windowSize results that declare a passing probe failing.',
  ),
  windowSize: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.windowSize),
    'How many recent results "failuresInWindow of the last windowSize" looks at.',
  ),
  consecutiveSuccesses: described(
    z._default(intIn(1, 100), DEFAULTS.thresholds.hysteresis.consecutiveSuccesses),
    'Successes in a row before a failing probe is declared recovered.',
  ),
  maxChangesPerHour: described(
    z._default(intIn(2, 60), DEFAULTS.thresholds.hysteresis.maxChangesPerHour),
    'State changes per hour at which a probe is flapping: one notification, not a stream.',
  ),
}).check(
  z.superRefine((h, ctx) => {
    if (
      typeof h.failuresInWindow === 'number' &&
      typeof h.windowSize === 'number' &&
      h.failuresInWindow > h.windowSize
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['failuresInWindow'],
        message: 'must be at most windowSize (it counts failures among the last windowSize results)',
      });
    }
  }, whenObject),
);

const thresholdsSchema = strict({
  skew: z.prefault(skewSchema, {}),
  hysteresis: z.prefault(hysteresisSchema, {}),
  errorRate: described(
    z._default(
      fractionUpTo(1, 'must be a fraction greater than 0 and at most 1, like 0.05 for 5%'),
      DEFAULTS.thresholds.errorRate,
    ),
    '5xx share of requests above which a window breaches.',
  ),
  consecutiveBreaches: described(
    z._default(intIn(1, 60), DEFAULTS.thresholds.consecutiveBreaches),
    'Breaching observations in a row before an incident is confirmed.',
  ),
  soakSeconds: described(
    z._default(intIn(60, 86_400), DEFAULTS.thresholds.soakSeconds),
    'Healthy seconds before a snapshot becomes last known good.',
  ),
});

const remediationSchema = strict({
  mode: described(
    z._default(
      z.enum(['off', 'dry-run', 'auto'], { error: 'must be off, dry-run or auto' }),
      DEFAULTS.remediation.mode,
    ),
    'off: diagnose only; dry-run: plan and notify; auto: apply plans under guardrails.',
  ),
  cooldownSeconds: described(
    z._default(intIn(60, 86_400), DEFAULTS.remediation.cooldownSeconds),
    'Seconds after a remediation before another may start.',
  ),
  maxPerHour: described(
    z._default(intIn(1, 20), DEFAULTS.remediation.maxPerHour),
    'Remediations per hour before the circuit opens and lbguard escalates.',
  ),
  maxSteps: described(
    z._default(intIn(1, 50), DEFAULTS.remediation.maxSteps),
    'Largest plan (in API calls) lbguard may apply.',
  ),
  allowCreateRule: described(
    z._default(z.boolean(), DEFAULTS.remediation.allowCreateRule),
    'Let a plan recreate a deleted listener rule.',
  ),
  verifyDeadlineSeconds: described(
    z._default(intIn(30, 3600), DEFAULTS.remediation.verifyDeadlineSeconds),
    'Seconds after apply by which config must converge and probes be green.',
  ),
});

const notificationsSchema = strict({
  emails: described(
    z._default(z.array(z.email({ error: 'must be an email address like oncall@example.com' })), () => [
      ...DEFAULTS.notifications.emails,
    ]),
    'Email addresses subscribed to incident notifications.',
  ),
  httpsEndpoints: described(
    z._default(z.array(httpsEndpointSchema), () => [...DEFAULTS.notifications.httpsEndpoints]),
    'HTTPS endpoints subscribed to incident notifications (SNS https protocol).',
  ),
});

// ---------------------------------------------------------------------------------------------
// Service and file
// ---------------------------------------------------------------------------------------------

const serviceSchema = strict({
  name: described(
    nameSchema,
    'Service name, unique in the file; used in metric dimensions and resource names.',
  ),
  loadBalancerArn: described(
    loadBalancerArnSchema,
    'ARN of the Application Load Balancer in front of the service.',
  ),
  listenerArns: described(
    z.optional(
      z
        .array(listenerArnSchema)
        .check(z.minLength(1, 'must list at least one listener ARN, or be left out to guard every listener')),
    ),
    'Listeners to guard (default: all listeners of the load balancer).',
  ),
  probes: described(
    z
      .array(probeSchema)
      .check(z.minLength(1, 'must have at least one probe, e.g. a GET of https://shop.example.com/health')),
    'Synthetic checks and journeys.',
  ),
  servedByHeader: described(
    z.optional(headerNameSchema),
    'Response header naming the target that answered (e.g. X-Served-By).',
  ),
  instanceCounters: described(
    z._default(z.boolean(), false),
    'Read the per-instance request counters the application prints (docs/per-target-distribution.md) with the ALB metrics. Each registered target is one more metric fetched per read ($0.01 per 1,000), so it is off unless the application prints them.',
  ),
  thresholds: z.prefault(thresholdsSchema, {}),
  remediation: z.prefault(remediationSchema, {}),
  notifications: z.prefault(notificationsSchema, {}),
}).check(
  z.superRefine((service, ctx) => {
    if (!hasIssuesAt(ctx, 'loadBalancerArn') && Array.isArray(service.listenerArns)) {
      const prefix = `${service.loadBalancerArn.replace(':loadbalancer/', ':listener/')}/`;
      service.listenerArns.forEach((arn: unknown, index) => {
        if (typeof arn === 'string' && LISTENER_ARN.test(arn) && !arn.startsWith(prefix)) {
          ctx.addIssue({
            code: 'custom',
            path: ['listenerArns', index],
            message: `belongs to another load balancer; listeners of loadBalancerArn look like ${prefix}<listener id>`,
          });
        }
      });
    }
    if (
      !hasIssuesAt(ctx, 'servedByHeader') &&
      service.servedByHeader === undefined &&
      Array.isArray(service.probes)
    ) {
      service.probes.forEach((probe: unknown, index) => {
        if (isRecord(probe) && probe.servedBySample !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['probes', index, 'servedBySample'],
            message:
              "needs the service's servedByHeader (the response header naming the target, e.g. X-Served-By); add it or remove servedBySample",
          });
        }
      });
    }
    checkUniqueNames(service.probes, 'probes', ctx);
  }, whenObject),
);

const scheduleSchema = strict({
  probeIntervalSeconds: described(
    z._default(intIn(5, 60), DEFAULTS.schedule.probeIntervalSeconds),
    'Seconds between probe runs inside one probe invocation.',
  ),
  probeLoopSeconds: described(
    z._default(
      intIn(5, 59, ' (the probe lambda is started every minute and must finish before the next)'),
      DEFAULTS.schedule.probeLoopSeconds,
    ),
    'How long one probe invocation keeps probing.',
  ),
  inspectRateMinutes: described(
    z._default(intIn(1, 60), DEFAULTS.schedule.inspectRateMinutes),
    'Minutes between scheduled inspections (config changes also trigger one at once).',
  ),
  metricsPeriodSeconds: described(
    z._default(
      intIn(60, 3600).check(
        z.multipleOf(60, 'must be a multiple of 60 (CloudWatch periods are whole minutes), like 300'),
      ),
      DEFAULTS.schedule.metricsPeriodSeconds,
    ),
    'Seconds between ALB metric fetches (GetMetricData is billed per metric).',
  ),
}).check(
  z.superRefine((schedule, ctx) => {
    if (
      !hasIssuesAt(ctx, 'probeIntervalSeconds', 'probeLoopSeconds') &&
      schedule.probeLoopSeconds < schedule.probeIntervalSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['probeLoopSeconds'],
        message: `must be at least probeIntervalSeconds (${schedule.probeIntervalSeconds}) so each invocation probes at least once`,
      });
    }
  }, whenObject),
);

/** The schema of `lbguard.config.yaml` (and `.json`). Parse through `parseConfig` for readable issues. */
export const configSchema = strict({
  $schema: described(z.optional(z.string()), 'JSON Schema reference for editors; ignored.'),
  version: z._default(
    z.literal(DEFAULTS.version, { error: 'must be 1 (the only config version this lbguard understands)' }),
    DEFAULTS.version,
  ),
  region: described(
    z.optional(z.string().check(z.regex(REGION, 'must be an AWS region like eu-west-1'))),
    'Region to deploy to; every load balancer must be in it.',
  ),
  tableName: described(
    z.optional(
      z
        .string()
        .check(z.regex(TABLE_NAME, 'must be 3–255 letters, digits, _ - or . (a DynamoDB table name)')),
    ),
    'DynamoDB state table name (default: generated by CloudFormation).',
  ),
  schedule: z.prefault(scheduleSchema, {}),
  services: described(
    z
      .array(serviceSchema)
      .check(z.minLength(1, 'must list at least one service; see lbguard.config.example.yaml')),
    'The services to guard, one per load balancer.',
  ),
}).check(
  z.superRefine((config, ctx) => {
    checkUniqueNames(config.services, 'services', ctx);
    if (config.region === undefined || hasIssuesAt(ctx, 'region') || !Array.isArray(config.services)) return;
    config.services.forEach((service: unknown, index) => {
      const arn = isRecord(service) ? service.loadBalancerArn : undefined;
      if (typeof arn !== 'string' || !ALB_ARN.test(arn)) return;
      const arnRegion = arn.split(':')[3];
      if (arnRegion !== config.region) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', index, 'loadBalancerArn'],
          message: `is in ${arnRegion} but region is ${config.region}; deploy one lbguard per region, or fix region`,
        });
      }
    });
  }, whenObject),
);

export type LbGuardConfig = z.output<typeof configSchema>;
/** What a person may write: every field with a default is optional. */
export type LbGuardConfigInput = z.input<typeof configSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
/** A probe after parsing: always a journey of one or more steps. */
export type ProbeConfig = z.output<typeof probeSchema>;
/** One request of a probe. */
export type ProbeStepConfig = z.output<typeof stepSchema>;
export type ExpectConfig = z.output<typeof expectSchema>;
export type ServedBySampleConfig = z.output<typeof servedBySampleSchema>;
export type ThresholdsConfig = z.output<typeof thresholdsSchema>;
export type RemediationConfig = z.output<typeof remediationSchema>;
export type NotificationsConfig = z.output<typeof notificationsSchema>;

/**
 * The JSON Schema editors validate against, as committed in `schema/lbguard.config.schema.json`.
 * Input mode, so fields with defaults are optional.
 */
export function renderConfigJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, title: 'lbguard configuration' }, null, 2)}\n`;
}
