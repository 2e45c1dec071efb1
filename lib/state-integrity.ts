/**
 * What makes a snapshot or last known good read back from the state table trustworthy (issue 14,
 * finding 2): its shape (a strict schema of `LbSnapshot`), its content (the stored hash is the
 * hash of the snapshot), and who wrote it (a MAC over the item's identity and that hash, made by a
 * key only inspect and an operator may use). The MAC itself is computed by an adapter (KMS
 * `GenerateMac`/`VerifyMac`); this module decides what it covers and what a failure says.
 */
import * as z from 'zod/mini';
import { LbGuardError } from './errors.ts';
import { canonicalJson, hashSnapshot, sha256 } from './snapshot.ts';
import { CONDITION_FIELDS, type LbSnapshot } from './types.ts';

/** KMS's name for the algorithm; the key is an HMAC_256 key. */
export const STATE_MAC_ALGORITHM = 'HMAC_SHA_256';

/** The items a MAC protects: the two a plan is built from. */
export type ProtectedItemKind = 'snapshot' | 'last-good';

/** Everything a MAC binds together; the snapshot enters through its hash. */
export interface ProtectedItem {
  readonly kind: ProtectedItemKind;
  readonly service: string;
  readonly hash: string;
  readonly takenAt: string;
  /** Last good only. */
  readonly promotedAt?: string;
  /** Last good only. */
  readonly reason?: string;
}

/**
 * The bytes a MAC is computed over: the SHA-256 of the versioned canonical JSON of the item's
 * identity (fixed size, whatever the length of a promotion's reason; KMS takes at most 4 KiB).
 * Binding the kind and the service means a valid snapshot of one service cannot be replayed as
 * another's last good; binding the hash means the snapshot itself cannot change.
 */
export function macMessage(item: ProtectedItem): string {
  return `lbguard-state-mac-v1 ${sha256(canonicalJson({ v: 1, ...item }))}`;
}

/** A stored item that failed a check: never used, reported as an incident of its own. */
export class StateIntegrityError extends LbGuardError {
  /** Which item, e.g. `last known good of shop`. */
  readonly item: string;
  /** What failed, e.g. `its MAC does not verify`. */
  readonly problem: string;

  constructor(item: string, problem: string) {
    super(`lbguard state table: the ${item} failed its integrity check: ${problem}`);
    this.name = 'StateIntegrityError';
    this.item = item;
    this.problem = problem;
  }
}

export function describeItem(kind: ProtectedItemKind, service: string): string {
  return kind === 'last-good' ? `last known good of ${service}` : `latest snapshot of ${service}`;
}

const text = z.string().check(z.minLength(1), z.maxLength(2048));
const arn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:[\w./-]{1,1024}$/));
const port = z.number().check(z.int(), z.gte(1), z.lte(65535));
const order = z.optional(z.number().check(z.int(), z.gte(1), z.lte(50000)));

const target = z.strictObject({
  id: z.string().check(z.minLength(1), z.maxLength(2048)),
  port: z.optional(port),
  availabilityZone: z.optional(text),
});

const healthCheck = z.strictObject({
  protocol: z.optional(text),
  port: z.optional(text),
  path: z.optional(text),
  intervalSeconds: z.optional(z.number()),
  timeoutSeconds: z.optional(z.number()),
  healthyThreshold: z.optional(z.number()),
  unhealthyThreshold: z.optional(z.number()),
  matcher: z.optional(text),
});

const targetGroup = z.strictObject({
  arn,
  name: text,
  protocol: z.optional(text),
  port: z.optional(port),
  targetType: z.enum(['instance', 'ip', 'lambda', 'alb']),
  healthCheck,
  targets: z.array(target).check(z.maxLength(10_000)),
  unhealthyStateRouting: z.optional(
    z.strictObject({
      minimumHealthyTargetsCount: z.optional(z.number()),
      minimumHealthyTargetsPercentage: z.optional(z.number()),
    }),
  ),
  dnsFailover: z.optional(
    z.strictObject({
      minimumHealthyTargetsCount: z.optional(z.number()),
      minimumHealthyTargetsPercentage: z.optional(z.number()),
    }),
  ),
  loadBalancingAlgorithm: z.optional(text),
  anomalyMitigation: z.optional(z.literal(true)),
  slowStartSeconds: z.optional(z.number().check(z.int(), z.gte(1))),
  stickiness: z.optional(z.strictObject({ type: text, durationSeconds: z.optional(z.number()) })),
  targetControlPort: z.optional(port),
});

const action = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('forward'),
    order,
    targetGroups: z
      .array(
        z.strictObject({
          targetGroupArn: arn,
          weight: z.number().check(z.int(), z.gte(0), z.lte(999)),
        }),
      )
      .check(z.minLength(1), z.maxLength(5)),
    stickiness: z.optional(z.strictObject({ enabled: z.boolean(), durationSeconds: z.optional(z.number()) })),
  }),
  z.strictObject({
    type: z.literal('fixed-response'),
    order,
    statusCode: z.string().check(z.regex(/^[2-5]\d\d$/)),
    contentType: z.optional(text),
    messageBody: z.optional(z.string().check(z.maxLength(1024))),
  }),
  z.strictObject({
    type: z.literal('redirect'),
    order,
    statusCode: z.enum(['HTTP_301', 'HTTP_302']),
    protocol: z.optional(text),
    host: z.optional(text),
    port: z.optional(text),
    path: z.optional(text),
    query: z.optional(z.string().check(z.maxLength(2048))),
  }),
  z.strictObject({
    type: z.enum(['authenticate-oidc', 'authenticate-cognito', 'jwt-validation']),
    order,
    config: z.record(z.string(), z.unknown()),
  }),
]);

// Empty when every action is one lbguard cannot represent (kept in `unrepresented`).
const actions = z.array(action).check(z.maxLength(10));

const values = z.array(z.string().check(z.maxLength(2048))).check(z.maxLength(100));

const condition = z.strictObject({
  field: z.enum(CONDITION_FIELDS),
  headerName: z.optional(text),
  values,
  regexValues: z.optional(values),
});

const transform = z.strictObject({
  type: z.enum(['host-header-rewrite', 'url-rewrite']),
  rewrites: z
    .array(z.strictObject({ regex: text, replace: z.string().check(z.maxLength(2048)) }))
    .check(z.maxLength(10)),
});

const unrepresented = z.optional(
  z
    .array(z.strictObject({ element: text, raw: z.string().check(z.maxLength(65536)) }))
    .check(z.maxLength(50)),
);

const listener = z.strictObject({
  arn,
  port,
  protocol: text,
  defaultActions: actions,
  rules: z
    .array(
      z.strictObject({
        arn,
        priority: z.number().check(z.int(), z.gte(1), z.lte(50000)),
        conditions: z.array(condition).check(z.maxLength(10)),
        actions,
        transforms: z.optional(z.array(transform).check(z.maxLength(2))),
        unrepresented,
      }),
    )
    .check(z.maxLength(1000)),
  mutualAuthentication: z.optional(
    z.strictObject({
      mode: text,
      trustStoreArn: z.optional(text),
      ignoreClientCertificateExpiry: z.optional(z.boolean()),
    }),
  ),
  unrepresented,
});

const snapshotSchema = z.strictObject({
  loadBalancerArn: arn,
  listeners: z.array(listener).check(z.maxLength(100)),
  targetGroups: z.array(targetGroup).check(z.maxLength(1000)),
});

/**
 * `value` parsed as `schema`, or a `StateIntegrityError` naming `item` and the first place it is
 * wrong: `it is not <what> (<path>: <message>)`. Every record read back from the table goes
 * through here (lib/stored-records.ts for those without a MAC).
 */
export function parseStored<T>(schema: z.ZodMiniType, value: unknown, item: string, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as T;
  const first = parsed.error.issues[0];
  const where = first?.path.map(String).join('.') || 'top';
  throw new StateIntegrityError(item, `it is not ${what} (${where}: ${first?.message ?? 'invalid'})`);
}

/**
 * The snapshot in a stored item, checked: it parses as an `LbSnapshot` (nothing missing, nothing
 * extra, every ARN an ELBv2 ARN) and hashes to `hash`. Throws `StateIntegrityError` otherwise.
 */
export function checkStoredSnapshot(value: unknown, hash: string, item: string): LbSnapshot {
  const snapshot = parseStored<LbSnapshot>(snapshotSchema, value, item, 'a load-balancer snapshot');
  if (hashSnapshot(snapshot) !== hash) {
    throw new StateIntegrityError(item, 'its snapshot does not match its recorded hash');
  }
  return snapshot;
}
