/**
 * The plan's side of read-only listeners (lib/read-only.ts): which listeners a plan must leave
 * alone, and the last check that no step writes to one, whatever last known good says.
 */
import type { SnapshotPairing } from '../drift.ts';
import { readOnlyReason, unrepresentedElements } from '../read-only.ts';
import type { Listener, PlanStep } from '../types.ts';

/**
 * Listeners no plan may write, by current ARN (last known good's ARN for a listener gone since):
 * those holding an unrepresented element now or in last known good, because a write built from
 * either side would drop it.
 */
export function readOnlyListeners(p: SnapshotPairing): Map<string, Listener> {
  const out = new Map<string, Listener>();
  for (const { current, lastGood } of p.listeners) {
    if (unrepresentedElements(current).length > 0 || unrepresentedElements(lastGood).length > 0) {
      out.set(current.arn, current);
    }
  }
  for (const l of [...p.addedListeners, ...p.removedListeners]) {
    if (unrepresentedElements(l).length > 0) out.set(l.arn, l);
  }
  return out;
}

/** The listener a step writes to, if any (RegisterTargets writes a target group). */
function listenerOf(p: SnapshotPairing, step: PlanStep): string[] {
  const ofRule = (ruleArn: string) =>
    p.current.listeners.filter((l) => l.rules.some((r) => r.arn === ruleArn)).map((l) => l.arn);
  switch (step.op) {
    case 'RegisterTargets':
      return [];
    case 'ModifyListener':
    case 'CreateRule':
      return [step.listenerArn];
    case 'ModifyRule':
      return ofRule(step.ruleArn);
    case 'SetRulePriorities':
      return step.priorities.flatMap((x) => ofRule(x.ruleArn));
  }
}

/** Why the plan must be refused when a step writes to a read-only listener; undefined otherwise. */
export function readOnlyWrites(
  p: SnapshotPairing,
  steps: readonly PlanStep[],
  readOnly: ReadonlyMap<string, Listener>,
): string | undefined {
  const hits = steps.flatMap((s) => listenerOf(p, s).flatMap((arn) => readOnly.get(arn) ?? []));
  const first = hits[0];
  return first === undefined ? undefined : `${readOnlyReason(first)}; a step would write to it`;
}
