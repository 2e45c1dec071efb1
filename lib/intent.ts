/**
 * The load balancer's own intent (DESIGN.md "Intent"): ways ALB spreads traffic unevenly on
 * purpose. Skew is unevenness the configuration causes and the intent does not explain, so
 * observed per-target unevenness is first offered to the intent:
 *
 * - `least_outstanding_requests`: shares follow latency; any spread inside the group is intended.
 * - The target optimizer (`TargetControlPort`): an agent caps each target's concurrency, so
 *   shares follow capacity; treated as least outstanding requests.
 * - Anomaly mitigation in effect on a target (`weighted_random` + `anomaly_mitigation=on`): ALB
 *   lowers that target's share step by step; it explains that target receiving *less*, nothing else.
 * - Slow start: a target registered since last known good may still be ramping (ALB does not say
 *   when a target was registered; last known good is promoted after a soak, so it bounds it).
 *   Explains only less.
 * - A zonal shift or autoshift: targets in the shifted zone receive less (nothing, once it took
 *   effect). When no target's zone is known, any target may be in it.
 * - Stickiness: requests follow sessions, and probe journeys carry their cookies, so counts are
 *   lumpy; it explains unevenness in either direction, but not all traffic on one target of
 *   several, which sessions spread over a fleet do not produce (the outage's shape still pages).
 *
 * The targets those explain are taken out of the test and the rest re-tested against their own
 * expected shares: what the intent does not explain still pages as skew. Configuration skew
 * (weights, registrations) is judged by comparing configurations and is never excused here.
 */
import type { PerTargetShares } from './served-by.ts';
import { testSkew } from './skew.ts';
import type {
  LbSnapshot,
  RouteModel,
  SkewThresholds,
  TargetGroup,
  TargetHealth,
  ZonalShift,
} from './types.ts';
import { targetKey } from './types.ts';

/** A share above which stickiness no longer explains concentration (all traffic on one of several). */
const STICKY_CONCENTRATION = 0.9;

/** What the load balancer is doing on purpose right now, for diagnosis and the plan. */
export interface Intent {
  readonly snapshot: LbSnapshot;
  readonly health: readonly TargetHealth[];
  readonly lastGood?: LbSnapshot;
  readonly zonalShifts: readonly ZonalShift[];
}

/** A target or zone the load balancer is sending less traffic on purpose. */
export type Protection =
  | {
      readonly kind: 'mitigation';
      readonly targetGroupArn: string;
      readonly group: string;
      readonly target: string;
      readonly result: 'anomalous' | 'normal';
    }
  | { readonly kind: 'zonal-shift'; readonly shift: ZonalShift };

/** Targets under mitigation in groups of the snapshot, then the zonal shifts in effect. */
export function findProtections(intent: Intent): Protection[] {
  const groups = new Map(intent.snapshot.targetGroups.map((g) => [g.arn, g]));
  const mitigated = intent.health.flatMap((h): Protection[] => {
    const group = groups.get(h.targetGroupArn);
    if (group === undefined || h.anomaly?.mitigationInEffect !== true) return [];
    return [
      {
        kind: 'mitigation',
        targetGroupArn: h.targetGroupArn,
        group: group.name,
        target: targetKey(h),
        result: h.anomaly.result,
      },
    ];
  });
  return [...mitigated, ...intent.zonalShifts.map((shift) => ({ kind: 'zonal-shift' as const, shift }))];
}

/** The one sentence of a protection: "the load balancer is protecting you from target X". */
export function describeProtection(p: Protection): string {
  if (p.kind === 'mitigation') {
    return `the load balancer is protecting you from target ${p.target} of ${p.group}: anomaly mitigation is in effect (detection result ${p.result})`;
  }
  const until = p.shift.expiry === undefined ? '' : ` until ${p.shift.expiry}`;
  const by = p.shift.kind === 'autoshift' ? 'zonal autoshift' : 'zonal shift';
  return `zone ${p.shift.zone} is shifted away (${by} ${p.shift.id}${until})`;
}

/**
 * Whether the load balancer's intent explains a skewed per-target result, with the line that says
 * how; undefined when it does not (or the result was not skewed): then it is skew.
 */
export function explainPerTargetSkew(
  result: PerTargetShares,
  intent: Intent,
  thresholds: SkewThresholds,
): string | undefined {
  const test = result.test;
  if (test.kind !== 'tested' || test.skew.kind !== 'skewed') return undefined;
  const groupsOf = new Map<string, TargetGroup[]>();
  for (const { destination } of test.route.shares) {
    if (destination.kind !== 'target') continue;
    const group = intent.snapshot.targetGroups.find((g) => g.arn === destination.targetGroupArn);
    const key = targetKey(destination);
    if (group !== undefined) groupsOf.set(key, [...(groupsOf.get(key) ?? []), group]);
  }
  const observed = new Map(result.shares.map((s) => [s.key, s.count]));
  const total = [...observed.values()].reduce((a, b) => a + b, 0);
  const expectedTotal = Object.values(test.expected).reduce((a, b) => a + b, 0);
  const deficit = (key: string) =>
    total > 0 && (observed.get(key) ?? 0) / total <= (test.expected[key] ?? 0) / (expectedTotal || 1);
  const concentrated = isAllOnOne(result, test.expected);
  const shifted = shiftedZones(intent);
  const mitigated = new Set(
    intent.health
      .filter((h) => h.anomaly?.mitigationInEffect === true)
      .map((h) => `${h.targetGroupArn}|${targetKey(h)}`),
  );
  const reasons = new Set<string>();
  const excused = new Set<string>();
  for (const [key, groups] of groupsOf) {
    const why = groups
      .map((g) => reasonFor(g, key, { deficit: deficit(key), concentrated, shifted, mitigated, intent }))
      .find((r) => r !== undefined);
    if (why === undefined) continue;
    excused.add(key);
    reasons.add(why);
  }
  if (excused.size === 0) return undefined;
  const rest = (record: ReadonlyMap<string, number> | Readonly<Record<string, number>>) =>
    Object.fromEntries(
      (record instanceof Map ? [...record] : Object.entries(record)).filter(([key]) => !excused.has(key)),
    );
  const retest = testSkew(rest(observed), rest(test.expected), thresholds);
  if (retest.kind === 'skewed') return undefined;
  return `${result.source} shares uneven as the load balancer intends: ${[...reasons].join('; ')}`;
}

interface Context {
  readonly deficit: boolean;
  readonly concentrated: boolean;
  readonly shifted: ReadonlySet<string> | 'any';
  readonly mitigated: ReadonlySet<string>;
  readonly intent: Intent;
}

/** Why `group`'s target `key` may receive an uneven share on purpose, or undefined. */
function reasonFor(group: TargetGroup, key: string, c: Context): string | undefined {
  if (group.loadBalancingAlgorithm === 'least_outstanding_requests') {
    return `${group.name} uses least outstanding requests (shares follow latency)`;
  }
  if (group.targetControlPort !== undefined) {
    return `${group.name} uses the target optimizer (shares follow each target's concurrency limit)`;
  }
  if (group.stickiness !== undefined && !c.concentrated) {
    return `${group.name} has sticky sessions (${group.stickiness.type})`;
  }
  if (!c.deficit) return undefined;
  if (c.mitigated.has(`${group.arn}|${key}`)) return `anomaly mitigation lowers ${key} in ${group.name}`;
  const target = group.targets.find((t) => targetKey(t) === key);
  if (
    c.shifted === 'any' ||
    (target?.availabilityZone !== undefined && c.shifted.has(target.availabilityZone))
  ) {
    return `${key} may be in a zone shifted away`;
  }
  const before = c.intent.lastGood?.targetGroups.find((g) => g.arn === group.arn);
  const isNew = before !== undefined && !before.targets.some((t) => targetKey(t) === key);
  if (group.slowStartSeconds !== undefined && isNew) {
    return `${key} is new in ${group.name} and may still be in its ${group.slowStartSeconds} s slow start`;
  }
  return undefined;
}

/**
 * Zones shifted away; `any` when shifts are in effect but no target's zone is one of them: ARC
 * names zones by id (`euw1-az2`), ELBv2 targets by name (`eu-west-1b`) when at all, so a shift
 * whose zone no target names may still be any target's.
 */
function shiftedZones(intent: Intent): ReadonlySet<string> | 'any' {
  const zones = new Set(intent.zonalShifts.map((s) => s.zone));
  if (zones.size === 0) return zones;
  const named = intent.snapshot.targetGroups.some((g) =>
    g.targets.some((t) => t.availabilityZone !== undefined && zones.has(t.availabilityZone)),
  );
  return named ? zones : 'any';
}

/** One target takes nearly everything while the route spreads over several. */
function isAllOnOne(result: PerTargetShares, expected: Readonly<Record<string, number>>): boolean {
  const heaviest = result.shares[0];
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  const most = Math.max(0, ...Object.values(expected));
  return heaviest !== undefined && heaviest.share >= STICKY_CONCENTRATION && total > 0 && most / total <= 0.5;
}

/**
 * Whether the route's forward has target-group stickiness: clients stay on the group they first
 * reached, so per-group counts follow sessions (short of everything on one group).
 */
export function hasGroupStickiness(snapshot: LbSnapshot, route: RouteModel): boolean {
  const listener = snapshot.listeners.find((l) => l.arn === route.listenerArn);
  const actions =
    route.ruleArn === 'default'
      ? listener?.defaultActions
      : listener?.rules.find((r) => r.arn === route.ruleArn)?.actions;
  return (actions ?? []).some((a) => a.type === 'forward' && a.stickiness?.enabled === true);
}

/** Whether a target (by group and key) is one traffic must not be sent back to. */
export function isProtectedTarget(
  intent: Pick<Intent, 'health' | 'zonalShifts'>,
  targetGroupArn: string,
  target: { readonly id: string; readonly port?: number; readonly availabilityZone?: string },
): string | undefined {
  const key = targetKey(target);
  const record = intent.health.find((h) => h.targetGroupArn === targetGroupArn && targetKey(h) === key);
  if (record?.anomaly?.mitigationInEffect === true) {
    return `anomaly mitigation is in effect on ${key}`;
  }
  const shift = intent.zonalShifts.find((s) => s.zone === target.availabilityZone);
  return shift === undefined ? undefined : `${key} is in zone ${shift.zone}, shifted away (${shift.id})`;
}
