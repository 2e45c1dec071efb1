import type { LbSnapshot, TargetHealth } from '../types.ts';

/**
 * Target ids a plan may re-register: every target of last known good or registered now, minus
 * those the health records show are gone (`unused` with `Target.InvalidState`: the instance is
 * stopped or terminated). A deregistered target has no health record at all, so absence proves
 * nothing; only positive evidence removes a target. Re-registering a target that turns out to be
 * gone is harmless (it stays `unused` and verification reports it); dropping a live one is not.
 */
export function knownExistingTargetIds(
  current: LbSnapshot,
  lastGood: LbSnapshot,
  health: readonly TargetHealth[],
): Set<string> {
  const gone = new Set(
    health.filter((h) => h.state === 'unused' && h.reason === 'Target.InvalidState').map((h) => h.targetId),
  );
  const ids = new Set<string>();
  for (const snapshot of [current, lastGood]) {
    for (const group of snapshot.targetGroups) {
      for (const t of group.targets) if (!gone.has(t.id)) ids.add(t.id);
    }
  }
  return ids;
}
