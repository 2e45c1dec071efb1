/**
 * The routing model: where an ALB sends each listener rule's traffic, computed from a snapshot
 * and target health before any request arrives (DESIGN.md "Routing model").
 *
 * Semantics followed, per route (one per rule in priority order, then the default action):
 * - Authenticate actions are skipped; the routing action is the last action by `order`
 *   (array position when `order` is absent), as ALB runs them.
 * - `forward` gives each target group `weight / sum(weights)`. ALB rejects a forward whose
 *   weights are all 0; should one appear anyway, nothing can be served, so the route is modelled
 *   as 503s split evenly over `empty-group` destinations, one per group.
 * - Within a group, round robin over routable targets: `healthy` ones, plus lambda targets
 *   reported `unavailable` with `Target.HealthCheckDisabled` (ALB invokes them regardless).
 *   A target with no health record counts as routable only when the whole group has no health
 *   record, so a config-only model (no health known) still spreads traffic; in a group with
 *   health records, a target missing from them has not been seen registered yet and gets nothing.
 * - When no target is routable, or fewer than the group's unhealthy-state-routing minimum
 *   (count or percentage), ALB fails open: every registered target that is not draining or
 *   unused shares the group's traffic and the group is listed in `failOpen`.
 * - A group with no registered targets, absent from the snapshot, or whose targets are all
 *   draining/unused answers 503: its share goes to `{ kind: 'empty-group' }`.
 * - `fixed-response` and `redirect` take the whole route.
 * - A route with no routing action, or a forward to no group (both rejected by ALB), has no shares.
 */

import { plural } from './format.ts';
import { describeCondition } from './snapshot.ts';
import type {
  Action,
  Condition,
  Destination,
  ForwardAction,
  LbSnapshot,
  Listener,
  RouteModel,
  RouteShare,
  RoutingModel,
  Target,
  TargetGroup,
  TargetHealth,
  TargetHealthState,
} from './types.ts';
import { targetKey } from './types.ts';

type RoutingAction = Exclude<
  Action,
  { type: 'authenticate-oidc' | 'authenticate-cognito' | 'jwt-validation' }
>;

/** States whose targets ALB never sends new requests to, not even when failing open. */
const OUT_OF_SERVICE: ReadonlySet<TargetHealthState> = new Set(['draining', 'unhealthy.draining', 'unused']);

/**
 * Model where each listener rule of `snapshot` sends its traffic, given current target health.
 * Routes come listener by listener, rules by ascending priority, the default action last.
 */
export function modelRouting(snapshot: LbSnapshot, health: readonly TargetHealth[]): RoutingModel {
  const groups = new Map(snapshot.targetGroups.map((g) => [g.arn, g]));
  const healthIndex = indexHealth(health);
  const routes = snapshot.listeners.flatMap((listener) => modelListener(listener, groups, healthIndex));
  return { routes };
}

function modelListener(
  listener: Listener,
  groups: ReadonlyMap<string, TargetGroup>,
  health: HealthIndex,
): RouteModel[] {
  const rules = [...listener.rules].sort((a, b) => a.priority - b.priority);
  const ruleRoutes = rules.map((rule) =>
    modelRoute(
      { listenerArn: listener.arn, listenerPort: listener.port, ruleArn: rule.arn, priority: rule.priority },
      rule.conditions,
      rule.actions,
      groups,
      health,
    ),
  );
  const defaultRoute = modelRoute(
    { listenerArn: listener.arn, listenerPort: listener.port, ruleArn: 'default', priority: 'default' },
    [],
    listener.defaultActions,
    groups,
    health,
  );
  return [...ruleRoutes, defaultRoute];
}

interface RouteId {
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly ruleArn: string;
  readonly priority: number | 'default';
}

function modelRoute(
  id: RouteId,
  conditions: readonly Condition[],
  actions: readonly Action[],
  groups: ReadonlyMap<string, TargetGroup>,
  health: HealthIndex,
): RouteModel {
  const action = selectRoutingAction(actions);
  if (action === undefined) return { ...id, conditions, failOpen: [], shares: [] };
  switch (action.type) {
    case 'forward': {
      const { shares, failOpen } = modelForward(action, groups, health);
      return { ...id, conditions, failOpen, shares };
    }
    case 'fixed-response':
      return {
        ...id,
        conditions,
        failOpen: [],
        shares: [{ destination: { kind: 'fixed-response', statusCode: action.statusCode }, share: 1 }],
      };
    case 'redirect':
      return { ...id, conditions, failOpen: [], shares: [{ destination: { kind: 'redirect' }, share: 1 }] };
  }
}

/** ALB runs actions by ascending order; the routing action is the last one. */
function selectRoutingAction(actions: readonly Action[]): RoutingAction | undefined {
  const ordered = actions
    .map((action, index) => ({ action, rank: action.order ?? index }))
    .sort((a, b) => a.rank - b.rank)
    .map((a) => a.action)
    .filter(
      (a): a is RoutingAction => a.type === 'forward' || a.type === 'fixed-response' || a.type === 'redirect',
    );
  return ordered.at(-1);
}

function modelForward(
  action: ForwardAction,
  groups: ReadonlyMap<string, TargetGroup>,
  health: HealthIndex,
): { shares: RouteShare[]; failOpen: string[] } {
  if (action.targetGroups.length === 0) return { shares: [], failOpen: [] };
  const total = action.targetGroups.reduce((sum, g) => sum + Math.max(0, g.weight), 0);
  if (total <= 0) {
    const even = 1 / action.targetGroups.length;
    return {
      shares: mergeShares(
        action.targetGroups.map((g) => ({
          destination: { kind: 'empty-group', targetGroupArn: g.targetGroupArn },
          share: even,
        })),
      ),
      failOpen: [],
    };
  }
  const shares: RouteShare[] = [];
  const failOpen: string[] = [];
  for (const weighted of action.targetGroups) {
    const groupShare = Math.max(0, weighted.weight) / total;
    if (groupShare === 0) continue;
    const spread = spreadWithinGroup(weighted.targetGroupArn, groups.get(weighted.targetGroupArn), health);
    if (spread.failOpen && !failOpen.includes(weighted.targetGroupArn))
      failOpen.push(weighted.targetGroupArn);
    if (spread.targets.length === 0) {
      shares.push({
        destination: { kind: 'empty-group', targetGroupArn: weighted.targetGroupArn },
        share: groupShare,
      });
      continue;
    }
    const each = groupShare / spread.targets.length;
    for (const target of spread.targets) {
      shares.push({ destination: targetDestination(weighted.targetGroupArn, target), share: each });
    }
  }
  return { shares: mergeShares(shares), failOpen };
}

function targetDestination(targetGroupArn: string, target: Target): Destination {
  return target.port === undefined
    ? { kind: 'target', targetGroupArn, targetId: target.id }
    : { kind: 'target', targetGroupArn, targetId: target.id, port: target.port };
}

interface Spread {
  readonly targets: readonly Target[];
  readonly failOpen: boolean;
}

function spreadWithinGroup(arn: string, group: TargetGroup | undefined, health: HealthIndex): Spread {
  if (group === undefined || group.targets.length === 0) return { targets: [], failOpen: false };
  const groupHealth = health.get(arn);
  if (groupHealth === undefined) return { targets: group.targets, failOpen: false };
  const states = group.targets.map((target) => ({ target, health: lookupHealth(groupHealth, target) }));
  const routable = states.filter((s) => isRoutable(s.health)).map((s) => s.target);
  if (routable.length > 0 && meetsHealthyMinimum(group, routable.length)) {
    return { targets: routable, failOpen: false };
  }
  const inService = states.filter((s) => s.health === undefined || !OUT_OF_SERVICE.has(s.health.state));
  return { targets: inService.map((s) => s.target), failOpen: inService.length > 0 };
}

function isRoutable(health: TargetHealth | undefined): boolean {
  if (health === undefined) return false;
  return (
    health.state === 'healthy' ||
    (health.state === 'unavailable' && health.reason === 'Target.HealthCheckDisabled')
  );
}

/** ALB's unhealthy-state-routing requirement: below it, the group fails open. */
function meetsHealthyMinimum(group: TargetGroup, routable: number): boolean {
  const minCount = group.unhealthyStateRouting?.minimumHealthyTargetsCount ?? 1;
  const minPercent = group.unhealthyStateRouting?.minimumHealthyTargetsPercentage ?? 0;
  return routable >= minCount && (routable / group.targets.length) * 100 >= minPercent;
}

/** Health by group, then by target key; a record without port also answers for its id alone. */
type HealthIndex = ReadonlyMap<string, ReadonlyMap<string, TargetHealth>>;

function indexHealth(health: readonly TargetHealth[]): HealthIndex {
  const index = new Map<string, Map<string, TargetHealth>>();
  for (const record of health) {
    let group = index.get(record.targetGroupArn);
    if (group === undefined) {
      group = new Map();
      index.set(record.targetGroupArn, group);
    }
    group.set(targetKey(record), record);
    // A port-less snapshot target (instance registered on the group's port) matches by id.
    if (!group.has(record.targetId)) group.set(record.targetId, record);
  }
  return index;
}

function lookupHealth(
  groupHealth: ReadonlyMap<string, TargetHealth>,
  target: Target,
): TargetHealth | undefined {
  return groupHealth.get(targetKey(target)) ?? groupHealth.get(target.id);
}

function mergeShares(shares: readonly RouteShare[]): RouteShare[] {
  const merged = new Map<string, RouteShare>();
  for (const s of shares) {
    const key =
      s.destination.kind === 'target'
        ? `${s.destination.targetGroupArn}|${targetKey(s.destination)}`
        : destinationKey(s.destination);
    const prior = merged.get(key);
    merged.set(key, prior === undefined ? s : { destination: s.destination, share: prior.share + s.share });
  }
  return [...merged.values()];
}

/**
 * A stable identity for a destination: the target key (`id:port`) for targets, so the same
 * server reached through two groups counts once; a readable tag for everything else, naming an
 * empty group by `name` (its name from the ARN unless the caller knows better).
 */
export function destinationKey(
  destination: Destination,
  name: (targetGroupArn: string) => string = targetGroupName,
): string {
  switch (destination.kind) {
    case 'target':
      return targetKey(destination);
    case 'empty-group':
      return `empty-group:${name(destination.targetGroupArn)}`;
    case 'fixed-response':
      return `fixed-response:${destination.statusCode}`;
    case 'redirect':
      return 'redirect';
  }
}

/** `arn:…:targetgroup/web-a/0123` → `web-a`; anything else is returned unchanged. */
export function targetGroupName(arn: string): string {
  const match = /:targetgroup\/([^/]+)\//.exec(arn);
  return match?.[1] ?? arn;
}

// ---------------------------------------------------------------------------------------------
// Configuration skew: the routing model now against last known good
// ---------------------------------------------------------------------------------------------

export interface ConfigSkewFinding {
  readonly listenerArn: string;
  readonly listenerPort: number;
  readonly ruleArn: string;
  readonly priority: number | 'default';
  /** targets receiving any share now vs in last known good */
  readonly targetsNow: number;
  readonly targetsBefore: number;
  readonly heaviest: { readonly key: string; readonly share: number };
  readonly evidence: string; // e.g. "listener :80 default action sends 100% to web-a (1 target: i-0a:80); last known good spread it over 4 targets in web-a, web-b"
}

/**
 * Traffic that lost all its targets below this share is a sliver (e.g. a weight-1-of-999 canary
 * removed), not a concentration worth waking anyone for.
 */
const NON_TRIVIAL_SHARE = 0.01;
/** The heaviest target's share must grow by this factor … */
const SHARE_RISE_FACTOR = 1.5;
/** … and by at least this much, before concentration alone is reported. */
const SHARE_RISE_FLOOR = 0.1;

/**
 * Routes of `current` that concentrate traffic on fewer targets than `lastGood` did, or put
 * clearly more of it on one target than last known good put on any. Routes are matched by
 * listener port and rule conditions (rule ARNs change when rules are recreated), or as the
 * default action. Reweighting that keeps the spread (50/50 → 60/40) and adding targets are benign.
 */
export function detectConfigSkew(current: RoutingModel, lastGood: RoutingModel): ConfigSkewFinding[] {
  const findings: ConfigSkewFinding[] = [];
  const currentByMatch = liveRoutesByMatch(current);
  for (const [key, before] of liveRoutesByMatch(lastGood)) {
    const now = currentByMatch.get(key);
    if (now === undefined) continue;
    const spreadBefore = summariseSpread(before);
    if (spreadBefore.targets.size === 0) continue;
    const spreadNow = summariseSpread(now);
    const heaviestNow = heaviestDestination(now);
    const fewerTargets =
      spreadNow.targets.size < spreadBefore.targets.size &&
      lostShare(spreadBefore, spreadNow) >= NON_TRIVIAL_SHARE;
    // Against every destination, 503s included: a target added to an emptied group takes over
    // the group's 503 share, which is a spread getting better, not traffic concentrating.
    const maxBefore = heaviestDestination(before).share;
    const concentrated =
      heaviestNow.share >= maxBefore * SHARE_RISE_FACTOR && heaviestNow.share - maxBefore >= SHARE_RISE_FLOOR;
    if (!fewerTargets && !concentrated) continue;
    findings.push({
      listenerArn: now.listenerArn,
      listenerPort: now.listenerPort,
      ruleArn: now.ruleArn,
      priority: now.priority,
      targetsNow: spreadNow.targets.size,
      targetsBefore: spreadBefore.targets.size,
      heaviest: heaviestNow,
      evidence: describeSkew(
        now,
        spreadNow,
        spreadBefore,
        heaviestNow,
        maxBefore,
        concentrated && !fewerTargets,
      ),
    });
  }
  return findings;
}

/** Of two rules with the same conditions only the first by priority ever matches a request. */
function liveRoutesByMatch(model: RoutingModel): Map<string, RouteModel> {
  const byMatch = new Map<string, RouteModel>();
  for (const route of model.routes) {
    const key = routeMatchKey(route);
    if (!byMatch.has(key)) byMatch.set(key, route);
  }
  return byMatch;
}

interface SpreadSummary {
  /** Target key → share, for every target that receives any. */
  readonly targets: ReadonlyMap<string, number>;
  /** Groups that carry those targets, in route order. */
  readonly groups: readonly string[];
}

function summariseSpread(route: RouteModel): SpreadSummary {
  const targets = new Map<string, number>();
  const groups: string[] = [];
  for (const { destination, share } of route.shares) {
    // A hand-built model may list a target at share 0; it receives nothing.
    if (destination.kind !== 'target' || share <= 0) continue;
    const key = targetKey(destination);
    targets.set(key, (targets.get(key) ?? 0) + share);
    const name = targetGroupName(destination.targetGroupArn);
    if (!groups.includes(name)) groups.push(name);
  }
  return { targets, groups };
}

/** Share last known good sent to targets that receive nothing now. */
function lostShare(before: SpreadSummary, now: SpreadSummary): number {
  let lost = 0;
  for (const [key, share] of before.targets) if (!now.targets.has(key)) lost += share;
  return lost;
}

function heaviestDestination(route: RouteModel): { key: string; share: number } {
  const byKey = new Map<string, number>();
  for (const { destination, share } of route.shares) {
    const key = destinationKey(destination);
    byKey.set(key, (byKey.get(key) ?? 0) + share);
  }
  let heaviest = { key: 'none', share: 0 };
  for (const [key, share] of byKey) if (share > heaviest.share) heaviest = { key, share };
  return heaviest;
}

function describeSkew(
  now: RouteModel,
  spreadNow: SpreadSummary,
  spreadBefore: SpreadSummary,
  heaviest: { key: string; share: number },
  maxBefore: number,
  concentrationOnly: boolean,
): string {
  const keys = [...spreadNow.targets.keys()];
  const targetList =
    keys.length === 0
      ? 'no target'
      : keys.length <= 4
        ? `${plural(keys.length, 'target')}: ${keys.join(', ')}`
        : `${plural(keys.length, 'target')}, heaviest ${heaviest.key} at ${formatPercent(heaviest.share)}`;
  const head = `${describeRoute(now)} sends ${describeGroupShares(now)} (${targetList})`;
  const before = `last known good spread it over ${plural(spreadBefore.targets.size, 'target')} in ${spreadBefore.groups.join(', ')}`;
  const rise = concentrationOnly
    ? `; ${heaviest.key} now takes ${formatPercent(heaviest.share)} where last known good sent at most ${formatPercent(maxBefore)}`
    : '';
  return `${head}; ${before}${rise}`;
}

/** `100% to web-a`, `90% to web-a, 10% to web-b (no targets: 503)`, `100% fixed-response 503`. */
function describeGroupShares(route: RouteModel): string {
  const parts = new Map<string, number>();
  for (const { destination, share } of route.shares) {
    const label =
      destination.kind === 'target'
        ? `to ${targetGroupName(destination.targetGroupArn)}`
        : destination.kind === 'empty-group'
          ? `to ${targetGroupName(destination.targetGroupArn)} (no targets: 503)`
          : destination.kind === 'fixed-response'
            ? `fixed-response ${destination.statusCode}`
            : 'redirect';
    parts.set(label, (parts.get(label) ?? 0) + share);
  }
  if (parts.size === 0) return 'nothing';
  return [...parts]
    .sort((a, b) => b[1] - a[1])
    .map(([label, share]) => `${formatPercent(share)} ${label}`)
    .join(', ');
}

/** `listener :80 default action`, `listener :443 rule 10 (host shop.example.com and path /checkout/*)`. */
export function describeRoute(route: RouteModel): string {
  const listener = `listener :${route.listenerPort}`;
  if (route.priority === 'default') return `${listener} default action`;
  const conditions = route.conditions.map(describeCondition).join(' and ');
  return conditions === ''
    ? `${listener} rule ${route.priority}`
    : `${listener} rule ${route.priority} (${conditions})`;
}

/** `0.5` → `50%`; shares under 1% keep one decimal so they do not read as nothing. */
export function formatPercent(share: number): string {
  const percent = share * 100;
  if (percent > 0 && percent < 1) return `${percent.toFixed(1)}%`;
  return `${Math.round(percent)}%`;
}

function routeMatchKey(route: RouteModel): string {
  if (route.priority === 'default') return `${route.listenerPort}|default`;
  const conditions = route.conditions
    .map((c) => JSON.stringify([c.field, c.headerName?.toLowerCase() ?? '', [...c.values].sort()]))
    .sort();
  return `${route.listenerPort}|${conditions.join(',')}`;
}

/**
 * Expected share of a route's requests per target group (keyed by target group ARN), by weight:
 * the denominator CloudWatch's per-group `RequestCount` is tested against. A group's share counts
 * whether its targets are healthy or not (its 503s are still its share); fixed-response and
 * redirect shares reach no group and are left out, so the result sums to 1 or is empty.
 */
export function expectedGroupShares(route: RouteModel): Record<string, number> {
  const byGroup: Record<string, number> = {};
  let total = 0;
  for (const { destination, share } of route.shares) {
    if (destination.kind !== 'target' && destination.kind !== 'empty-group') continue;
    byGroup[destination.targetGroupArn] = (byGroup[destination.targetGroupArn] ?? 0) + share;
    total += share;
  }
  for (const arn of Object.keys(byGroup)) byGroup[arn] = (byGroup[arn] ?? 0) / total;
  return byGroup;
}
