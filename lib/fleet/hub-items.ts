/**
 * The hub table's items as a reader sees them (docs/fleet.md "Hub"; keys `pk`/`sk`): per spoke its
 * last heartbeat, per load balancer its last heartbeat line, per service its last finding and
 * transition, and the coverage check's latest result. The hub's functions write them; a reader
 * still checks each item's shape, and skips (and counts) one it cannot use rather than fail on it.
 */
import * as z from 'zod/mini';
import type { LoadBalancerRecord, SpokeRecord } from './hub-records.ts';

/** The last heartbeat of one spoke (pk `SPOKE`, sk `<account>#<region>`), as hub-ingest writes it. */
export type HubSpokeItem = Omit<SpokeRecord, 'expiresAt'>;

/** One load balancer's line in its spoke's last heartbeat that listed it (pk `LB#<account>#<region>`). */
export type HubLoadBalancerItem = Omit<LoadBalancerRecord, 'expiresAt'>;

/** The latest finding and incident transition of one service (pk `SERVICE#<account>#<region>`). */
export interface HubServiceItem {
  readonly account: string;
  readonly region: string;
  readonly service: string;
  readonly loadBalancerArn: string;
  readonly lastFinding?: { readonly at: string; readonly diagnosis: string; readonly summary: string };
  readonly lastTransition?: {
    readonly at: string;
    readonly incidentId: string;
    readonly from: string;
    readonly to: string;
    readonly summary: string;
  };
  readonly updatedAt: string;
}

/** A load balancer that should be guarded and is not, by the coverage check. */
export interface UncoveredLoadBalancer {
  readonly account: string;
  readonly region: string;
  readonly loadBalancerArn: string;
  readonly loadBalancer: string;
  readonly reason: string;
}

/** The coverage check's latest result (pk `COVERAGE`, sk `LATEST`). */
export interface HubCoverageItem {
  readonly at: string;
  readonly uncovered: readonly UncoveredLoadBalancer[];
  readonly scopes: number;
  readonly unreadable: readonly {
    readonly account: string;
    readonly region: string;
    readonly error: string;
  }[];
}

/** Everything read from the hub table, by kind. */
export interface HubTable {
  readonly spokes: readonly HubSpokeItem[];
  readonly loadBalancers: readonly HubLoadBalancerItem[];
  readonly services: readonly HubServiceItem[];
  /** Absent until the coverage check has run once. */
  readonly coverage?: HubCoverageItem;
  /** Items whose shape was not the layout's (named by their keys), left out of the above. */
  readonly malformed: readonly string[];
}

const text = z.string();
const count = z.number().check(z.gte(0));
const refused = z.object({ loadBalancerArn: text, code: text, message: text });

const spoke = z.object({
  lastHeartbeatAt: text,
  lbguardVersion: text,
  guarded: count,
  refused: z.array(refused),
});
const loadBalancer = z.object({
  loadBalancerArn: text,
  service: text,
  status: z.enum(['inspected', 'failed']),
  diagnosis: z.optional(text),
  incidentState: z.optional(text),
  heartbeatAt: text,
});
const service = z.object({
  loadBalancerArn: text,
  lastFinding: z.optional(z.object({ at: text, diagnosis: text, summary: text })),
  lastTransition: z.optional(z.object({ at: text, incidentId: text, from: text, to: text, summary: text })),
  updatedAt: text,
});
const coverage = z.object({
  at: text,
  uncovered: z.array(
    z.object({ account: text, region: text, loadBalancerArn: text, loadBalancer: text, reason: text }),
  ),
  scopes: count,
  unreadable: z.array(z.object({ account: text, region: text, error: text })),
});

/** `<account>#<region>` as the layout writes it into keys. */
const SCOPE = /^(\d{12})#([a-z0-9-]+)$/;

/** The fields of `schema` in `value` (zod objects drop the others: keys, TTL), or undefined. */
function pick<T>(schema: z.ZodMiniType, value: unknown): T | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? (parsed.data as T) : undefined;
}

/**
 * Sorts the hub table's items by kind, checking each one's shape. Items past their `expiresAt`
 * (epoch seconds; DynamoDB deletes them within days, not at once) are left out as if deleted, and
 * items of kinds a reader does not know (pk prefixes added later) are ignored.
 */
export function readHubItems(items: readonly Readonly<Record<string, unknown>>[], now: Date): HubTable {
  const spokes: HubSpokeItem[] = [];
  const loadBalancers: HubLoadBalancerItem[] = [];
  const services: HubServiceItem[] = [];
  const malformed: string[] = [];
  let latest: HubCoverageItem | undefined;
  const epoch = now.getTime() / 1000;
  for (const item of items) {
    const { pk, sk, expiresAt } = item;
    if (typeof expiresAt === 'number' && expiresAt <= epoch) continue;
    if (typeof pk !== 'string' || typeof sk !== 'string') {
      malformed.push('(an item without pk/sk)');
      continue;
    }
    const [kind, account, region] = pk.split('#');
    const bad = () => malformed.push(`${pk} ${sk}`);
    if (pk === 'SPOKE') {
      const where = SCOPE.exec(sk);
      const s = pick<Omit<HubSpokeItem, 'account' | 'region'>>(spoke, item);
      if (where === null || s === undefined) bad();
      else spokes.push({ account: where[1] as string, region: where[2] as string, ...s });
    } else if (pk === 'COVERAGE') {
      if (sk !== 'LATEST') continue;
      latest = pick<HubCoverageItem>(coverage, item);
      if (latest === undefined) bad();
    } else if (kind === 'LB' || kind === 'SERVICE') {
      if (!SCOPE.test(`${account}#${region}`)) {
        bad();
        continue;
      }
      const scope = { account: account as string, region: region as string };
      if (kind === 'LB') {
        const lb = pick<Omit<HubLoadBalancerItem, 'account' | 'region'>>(loadBalancer, item);
        if (lb === undefined || lb.loadBalancerArn !== sk) bad();
        else loadBalancers.push({ ...scope, ...lb });
      } else {
        const s = pick<Omit<HubServiceItem, 'account' | 'region' | 'service'>>(service, item);
        if (s === undefined) bad();
        else services.push({ ...scope, service: sk, ...s });
      }
    }
  }
  return {
    spokes,
    loadBalancers,
    services,
    ...(latest === undefined ? {} : { coverage: latest }),
    malformed,
  };
}
