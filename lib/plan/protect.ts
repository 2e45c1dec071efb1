/**
 * The plan never sends traffic back to what the load balancer steers away from on purpose: a
 * target under anomaly mitigation or a target in a zone shifted away (lib/intent.ts).
 *
 * - A target to re-register that sits in a shifted zone is left out of `RegisterTargets`.
 * - A rule or default action whose restore gives a target group a larger share is refused when
 *   every target of that group that could serve it is protected: the extra traffic would land
 *   on them alone. A group that also has unprotected serving targets may gain weight: ALB keeps
 *   mitigating per target inside the group (and keeps a shifted zone out), so the protected
 *   target stays at its lowered share while the others take the rest.
 */
import { isProtectedTarget } from '../intent.ts';
import type { Action, LbSnapshot, TargetHealth, ZonalShift } from '../types.ts';
import { targetKey } from '../types.ts';

/** What the plan needs to know of the load balancer's protections. */
export interface Protections {
  readonly health: readonly TargetHealth[];
  readonly zonalShifts: readonly ZonalShift[];
}

/** Why registering `target` in a group would send traffic where ALB keeps it away, or undefined. */
export function refuseRegistration(
  protections: Protections,
): (
  targetGroupArn: string,
  target: { readonly id: string; readonly port?: number; readonly availabilityZone?: string },
) => string | undefined {
  return (targetGroupArn, target) => isProtectedTarget(protections, targetGroupArn, target);
}

/**
 * A guard over a restore from `before` (live) to `after` (last known good) actions: the reason to
 * refuse it when a group it gives more traffic serves only from protected targets.
 */
export function protectionGuard(
  current: LbSnapshot,
  protections: Protections,
): (before: readonly Action[], after: readonly Action[]) => string | undefined {
  const groups = new Map(current.targetGroups.map((g) => [g.arn, g]));
  return (before, after) => {
    const was = forwardShares(before);
    for (const [arn, share] of forwardShares(after)) {
      if (share <= (was.get(arn) ?? 0)) continue;
      const group = groups.get(arn);
      if (group === undefined) continue;
      const serving = group.targets.filter((t) => isServing(protections.health, arn, targetKey(t)));
      const reasons = serving.map((t) => isProtectedTarget(protections, arn, t));
      if (serving.length === 0 || reasons.some((r) => r === undefined)) continue;
      return `restoring would send more traffic to target group ${group.name}, whose every serving target the load balancer keeps traffic away from (${reasons.join('; ')})`;
    }
    return undefined;
  };
}

/** Share of a forward's traffic per group (weights normalised); the first forward of the actions. */
function forwardShares(actions: readonly Action[]): Map<string, number> {
  const forward = actions.find((a) => a.type === 'forward');
  const shares = new Map<string, number>();
  if (forward?.type !== 'forward') return shares;
  const total = forward.targetGroups.reduce((sum, g) => sum + Math.max(0, g.weight), 0);
  if (total === 0) return shares;
  for (const g of forward.targetGroups) shares.set(g.targetGroupArn, Math.max(0, g.weight) / total);
  return shares;
}

/** Healthy, or not yet reported: a target that would take the group's traffic. */
function isServing(health: readonly TargetHealth[], arn: string, key: string): boolean {
  const record = health.find((h) => h.targetGroupArn === arn && targetKey(h) === key);
  return record === undefined || record.state === 'healthy';
}
