/**
 * The targets part of a plan: `RegisterTargets` for last-known-good targets that are gone and
 * still exist, and the guard that keeps a plan from pointing traffic at a group left empty.
 */
import type { SnapshotPairing } from '../drift.ts';
import { describeTargets } from '../snapshot.ts';
import type { Action, Drift, LeftAlone, PlanStep, Target } from '../types.ts';
import { targetKey } from '../types.ts';

export interface TargetsPart {
  readonly steps: PlanStep[];
  readonly fixes: Drift[];
  readonly leftAlone: LeftAlone[];
  /** Target group ARN → targets the plan registers. */
  readonly registered: ReadonlyMap<string, readonly Target[]>;
  /** Target group ARN → last-known-good targets that no longer exist. */
  readonly vanished: ReadonlyMap<string, readonly Target[]>;
}

/**
 * One `RegisterTargets` per group for its last-known-good targets that are gone and may still
 * exist (`existing`, when given); the others are left alone, with why.
 */
export function planTargets(
  p: SnapshotPairing,
  remediable: readonly Drift[],
  existing: ReadonlySet<string> | undefined,
  refuse: (targetGroupArn: string, target: Target) => string | undefined = () => undefined,
): TargetsPart {
  const steps: PlanStep[] = [];
  const fixes: Drift[] = [];
  const leftAlone: LeftAlone[] = [];
  const registered = new Map<string, readonly Target[]>();
  const vanished = new Map<string, readonly Target[]>();
  for (const { current, lastGood } of p.targetGroups) {
    const present = new Set(current.targets.map(targetKey));
    const gone = lastGood.targets.filter((t) => !present.has(targetKey(t)));
    if (gone.length === 0) continue;
    const related = remediable.filter(
      (d) => d.kind === 'targets-deregistered' && d.targetGroupArn === current.arn,
    );
    const candidates = gone.filter((t) => existing === undefined || existing.has(t.id));
    const refused = candidates.flatMap((t) => {
      const why = refuse(current.arn, t);
      return why === undefined ? [] : [{ target: t, why }];
    });
    const restorable = candidates.filter((t) => !refused.some((r) => r.target === t));
    const lost = gone.filter((t) => !candidates.includes(t));
    if (restorable.length > 0) {
      steps.push({ op: 'RegisterTargets', targetGroupArn: current.arn, targets: restorable });
      registered.set(current.arn, restorable);
      fixes.push(...related.map((d) => narrowTargets(d, current.name, restorable, gone)));
    }
    for (const { target, why } of refused) {
      leftAlone.push(...related.map((d) => ({ drift: narrowTargets(d, current.name, [target], gone), why })));
    }
    // Compared as absent on both sides by the routing check, like targets that no longer exist.
    const absent = [...lost, ...refused.map((r) => r.target)];
    if (absent.length > 0) vanished.set(current.arn, absent);
    if (lost.length > 0) {
      leftAlone.push(
        ...related.map((d) => ({
          drift: narrowTargets(d, current.name, lost, gone),
          why: `${describeTargets(lost)} no longer exist (not among the targets known to exist); lbguard re-registers only targets that still exist`,
        })),
      );
    }
  }
  return { steps, fixes, leftAlone, registered, vanished };
}

/** The part of a `targets-deregistered` drift about `some` of the targets gone. */
function narrowTargets(drift: Drift, name: string, some: readonly Target[], gone: readonly Target[]): Drift {
  if (some.length === gone.length) return drift;
  return {
    ...drift,
    summary: `target group ${name}: ${describeTargets(some)} deregistered (${some.length} of ${gone.length} targets gone since last known good)`,
    before: some,
  };
}

/**
 * Refuses to restore actions that ELBv2 would reject or that would make things worse: a forward
 * to a group no longer attached, or traffic sent to a group that will have no registered
 * target after the plan although last known good had some (its targets are gone: 503s).
 */
export function actionGuard(
  p: SnapshotPairing,
  registered: ReadonlyMap<string, readonly Target[]>,
): (actions: readonly Action[]) => string | undefined {
  const current = new Map(p.current.targetGroups.map((g) => [g.arn, g]));
  const hadTargets = new Set(p.lastGood.targetGroups.filter((g) => g.targets.length > 0).map((g) => g.arn));
  return (actions) => {
    for (const action of actions) {
      if (action.type !== 'forward') continue;
      for (const { targetGroupArn, weight } of action.targetGroups) {
        const group = current.get(targetGroupArn);
        if (group === undefined) {
          return `forwards to target group ${p.name(targetGroupArn)}, which is no longer attached to the load balancer (deleted, or nothing forwards to it)`;
        }
        const after = group.targets.length + (registered.get(targetGroupArn)?.length ?? 0);
        if (weight > 0 && after === 0 && hadTargets.has(targetGroupArn)) {
          return `target group ${group.name} would have no registered target (its last-known-good targets no longer exist), so restoring would send traffic to an empty group that answers 503`;
        }
      }
    }
    return undefined;
  };
}
