/**
 * The predictive pre-deploy gate (`lbguard verify --plan`, issue 17): before a template is
 * deployed, apply its ELBv2 changes to the live load balancer (lib/predict/apply.ts), model where
 * traffic goes before and after with the routing model (lib/routing.ts), and fail when the change
 * would concentrate traffic beyond policy given live health — even when the template passes the
 * static linter, which cannot see which targets are healthy now.
 *
 * Policy (each a finding that fails the gate):
 * - `single-healthy-target`: a group that has two or more healthy targets now would carry its
 *   traffic on one, or a route that reaches two or more healthy targets now would reach one;
 * - `no-healthy-target`: a route would send traffic (any weight) to a group with no healthy
 *   target — empty, all unhealthy, or only targets still `initial` — more than it does now;
 * - `route-removed`: a rule or listener that is the only route to a group carrying traffic now is
 *   deleted, so its requests fall to another rule or the default action, or are refused.
 * Problems already live before the deploy are listed as notes, not findings: the gate judges the
 * change; `lbguard verify` without `--plan` judges the load balancer as it is.
 */
import { type AppliedTemplate, applyTemplate, type LiveState } from './predict/apply.ts';
import type { CfnTemplate, PlanContext } from './predict/resolve.ts';
import { describeRoute, destinationKey, formatPercent, modelRouting, targetGroupName } from './routing.ts';
import type { LbSnapshot, RouteModel, RoutingModel, TargetGroup, TargetHealth } from './types.ts';
import { targetKey } from './types.ts';

export { declaresRouting, type LiveState, ROUTING_TYPES } from './predict/apply.ts';
export type { CfnTemplate, PlanContext, StackResource } from './predict/resolve.ts';

export type PlanFindingKind = 'single-healthy-target' | 'no-healthy-target' | 'route-removed';

/** One reason the gate fails, with why in words a reviewer can check. */
export interface PlanFinding {
  readonly kind: PlanFindingKind;
  readonly route: string;
  readonly targetGroup: string;
  readonly why: string;
}

/** One destination of one route, its predicted share of the route's requests before and after. */
export interface ShareRow {
  readonly destination: string;
  readonly group?: string;
  readonly before: number;
  readonly after: number;
}

export interface RouteShares {
  readonly route: string;
  readonly rows: readonly ShareRow[];
}

export type PlanVerdict =
  | {
      readonly kind: 'predicted';
      readonly ok: boolean;
      readonly findings: readonly PlanFinding[];
      readonly routes: readonly RouteShares[];
      readonly changes: readonly string[];
      readonly notes: readonly string[];
    }
  | { readonly kind: 'cannot-predict'; readonly ok: false; readonly reasons: readonly string[] }
  /** The template forwards to target groups by ARN, or declares them by name, that the caller must read first. */
  | {
      readonly kind: 'needs-groups';
      readonly ok: false;
      readonly targetGroupArns: readonly string[];
      readonly targetGroupNames: readonly string[];
    };

/**
 * Judges one template against the live state of one load balancer. Pure: the caller reads the
 * live state, the stack's resources and the template; this decides.
 */
export function judgePlan(input: {
  readonly template: CfnTemplate;
  readonly context: PlanContext;
  readonly live: LiveState;
  /** Set once the caller has read `needs-groups`: groups still missing then are absent (503) or new. */
  readonly groupsRead?: boolean;
}): PlanVerdict {
  const applied: AppliedTemplate = applyTemplate(input.template, input.context, input.live);
  if (applied.kind === 'cannot-predict')
    return { kind: 'cannot-predict', ok: false, reasons: applied.reasons };
  if (applied.unknownGroups.length + applied.unknownGroupNames.length > 0 && input.groupsRead !== true)
    return {
      kind: 'needs-groups',
      ok: false,
      targetGroupArns: applied.unknownGroups,
      targetGroupNames: applied.unknownGroupNames,
    };
  const liveSnapshot: LbSnapshot = {
    ...input.live.snapshot,
    targetGroups: [...input.live.snapshot.targetGroups, ...(input.live.otherGroups ?? [])],
  };
  const before = side(liveSnapshot, input.live.health);
  const after = side(applied.snapshot, applied.health);
  const { findings, notes } = findConcentrations(before, after);
  return {
    kind: 'predicted',
    ok: findings.length === 0,
    findings,
    routes: shareTable(before, after),
    changes: applied.changes,
    notes: [...applied.notes, ...notes],
  };
}

/** One side of the comparison: the routing model and each group's healthy targets. */
interface Side {
  readonly model: RoutingModel;
  readonly groups: ReadonlyMap<string, TargetGroup>;
  /** Group ARN → target keys that pass health checks. */
  readonly healthy: ReadonlyMap<string, ReadonlySet<string>>;
}

function side(snapshot: LbSnapshot, health: readonly TargetHealth[]): Side {
  const healthy = new Map<string, Set<string>>();
  for (const g of snapshot.targetGroups) {
    const keys = new Set(g.targets.map((t) => targetKey(t)));
    const ok = health.filter(
      (h) =>
        h.targetGroupArn === g.arn &&
        (h.state === 'healthy' || (h.state === 'unavailable' && h.reason === 'Target.HealthCheckDisabled')),
    );
    healthy.set(g.arn, new Set(ok.map((h) => (keys.has(targetKey(h)) ? targetKey(h) : h.targetId))));
  }
  return {
    model: modelRouting(snapshot, health),
    groups: new Map(snapshot.targetGroups.map((g) => [g.arn, g])),
    healthy,
  };
}

function routeId(route: RouteModel): string {
  return `${route.listenerArn}|${route.ruleArn}`;
}

/** Group ARN → its share of the route (targets and 503s alike), for groups given any traffic. */
function groupShares(route: RouteModel): Map<string, number> {
  const shares = new Map<string, number>();
  for (const { destination, share } of route.shares) {
    if (share <= 0 || (destination.kind !== 'target' && destination.kind !== 'empty-group')) continue;
    shares.set(destination.targetGroupArn, (shares.get(destination.targetGroupArn) ?? 0) + share);
  }
  return shares;
}

/** Healthy targets a route reaches: targets with a share in groups not failing open. */
function healthyReached(route: RouteModel, s: Side): Set<string> {
  const keys = new Set<string>();
  for (const { destination, share } of route.shares) {
    if (share <= 0 || destination.kind !== 'target') continue;
    if (s.healthy.get(destination.targetGroupArn)?.has(targetKey(destination)) === true)
      keys.add(targetKey(destination));
  }
  return keys;
}

function findConcentrations(before: Side, after: Side): { findings: PlanFinding[]; notes: string[] } {
  const findings: PlanFinding[] = [];
  const notes: string[] = [];
  const beforeRoutes = new Map(before.model.routes.map((r) => [routeId(r), r]));
  const afterRoutes = new Map(after.model.routes.map((r) => [routeId(r), r]));
  const name = (arn: string, s: Side) => s.groups.get(arn)?.name ?? targetGroupName(arn);
  for (const route of after.model.routes) {
    const was = beforeRoutes.get(routeId(route));
    const label = describeRoute(route);
    const wasShares = was === undefined ? new Map<string, number>() : groupShares(was);
    for (const [arn, share] of groupShares(route)) {
      const healthyNow = after.healthy.get(arn)?.size ?? 0;
      const healthyBefore = before.healthy.get(arn)?.size ?? 0;
      const group = name(arn, after);
      if (healthyNow === 0) {
        // Already sending as much to it now: the deploy does not make it worse.
        const already = healthyBefore === 0 && share <= (wasShares.get(arn) ?? 0) + 1e-9;
        const line = `${label} sends ${formatPercent(share)} to ${group}, which has no healthy target${describeGroupState(arn, after)}`;
        if (already) notes.push(`already live: ${line}`);
        else
          findings.push({
            kind: 'no-healthy-target',
            route: label,
            targetGroup: group,
            why: `${line}: ALB answers 503 or fails open to failing targets`,
          });
      } else if (healthyNow === 1 && healthyBefore >= 2) {
        findings.push({
          kind: 'single-healthy-target',
          route: label,
          targetGroup: group,
          why: `${label} sends ${formatPercent(share)} to ${group}, which keeps 1 healthy target of the ${healthyBefore} it has now: that one target would carry all of the group's traffic`,
        });
      }
    }
    if (was === undefined || findings.some((f) => f.route === label)) continue;
    const reachedBefore = healthyReached(was, before);
    const reachedAfter = healthyReached(route, after);
    const [only] = [...reachedAfter];
    if (reachedBefore.size >= 2 && reachedAfter.size === 1 && only !== undefined) {
      findings.push({
        kind: 'single-healthy-target',
        route: label,
        targetGroup: [...groupShares(route).keys()].map((a) => name(a, after)).join(', '),
        why: `${label} reaches ${reachedBefore.size} healthy targets now and would reach only ${only}: one target would take all of its traffic`,
      });
    }
  }
  const stillRouted = new Set(after.model.routes.flatMap((r) => [...groupShares(r).keys()]));
  const listenersAfter = new Set(after.model.routes.map((r) => r.listenerArn));
  for (const was of before.model.routes) {
    if (afterRoutes.has(routeId(was))) continue;
    // A rule's requests fall through to the next match; a deleted listener's are refused.
    const fate = listenersAfter.has(was.listenerArn)
      ? 'those requests would fall to another rule or the default action'
      : 'the listener is deleted, so those requests would be refused';
    for (const [arn, share] of groupShares(was)) {
      if (stillRouted.has(arn) || (before.healthy.get(arn)?.size ?? 0) === 0) continue;
      const label = describeRoute(was);
      findings.push({
        kind: 'route-removed',
        route: label,
        targetGroup: name(arn, before),
        why: `${label} is removed; it is the only route to ${name(arn, before)}, which takes ${formatPercent(share)} of it now: ${fate}`,
      });
    }
  }
  return { findings, notes };
}

function describeGroupState(arn: string, s: Side): string {
  const group = s.groups.get(arn);
  if (group === undefined) return ' (the target group does not exist)';
  if (group.targets.length === 0) return ' (no registered targets)';
  return ` (${group.targets.length} registered, none healthy)`;
}

/** Per route (before and after, matched by listener and rule), each destination's share. */
function shareTable(before: Side, after: Side): RouteShares[] {
  const routes = new Map<string, { label: string; before?: RouteModel; after?: RouteModel }>();
  for (const r of before.model.routes) routes.set(routeId(r), { label: describeRoute(r), before: r });
  for (const r of after.model.routes) {
    const entry = routes.get(routeId(r));
    routes.set(routeId(r), { ...entry, label: describeRoute(r), after: r });
  }
  return [...routes.values()].map(({ label, before: b, after: a }) => {
    const rows = new Map<string, { group?: string; before: number; after: number }>();
    const add = (route: RouteModel | undefined, s: Side, which: 'before' | 'after') => {
      for (const { destination, share } of route?.shares ?? []) {
        const key = destinationKey(destination, (arn) => s.groups.get(arn)?.name ?? targetGroupName(arn));
        const group =
          destination.kind === 'target'
            ? (s.groups.get(destination.targetGroupArn)?.name ?? targetGroupName(destination.targetGroupArn))
            : undefined;
        const row = rows.get(key) ?? { ...(group === undefined ? {} : { group }), before: 0, after: 0 };
        row[which] += share;
        rows.set(key, row);
      }
    };
    add(b, before, 'before');
    add(a, after, 'after');
    return {
      route: b === undefined ? `${label} (new)` : a === undefined ? `${label} (removed)` : label,
      rows: [...rows].map(([destination, row]) => ({ destination, ...row })),
    };
  });
}
