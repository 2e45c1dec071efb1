/** Comparing action lists, so a reweight is told apart from a forward to somewhere else. */
import { canonicalJson, type GroupNamer } from '../snapshot.ts';
import type { Action, ForwardAction } from '../types.ts';

type ActionChange = 'same' | 'weights' | 'other';

/** Compare normalised action lists: identical, different only in forward weights, or otherwise. */
export function compareActions(current: readonly Action[], lastGood: readonly Action[]): ActionChange {
  if (canonicalJson(current) === canonicalJson(lastGood)) return 'same';
  return canonicalJson(current.map(withoutWeights)) === canonicalJson(lastGood.map(withoutWeights))
    ? 'weights'
    : 'other';
}

function withoutWeights(a: Action): Action {
  if (a.type !== 'forward') return a;
  return { ...a, targetGroups: a.targetGroups.map((g) => ({ ...g, weight: 0 })) };
}

/** `weights web-a/web-b 50/50 → 100/0` for the forward whose weights differ. */
export function describeWeights(
  current: readonly Action[],
  lastGood: readonly Action[],
  name: GroupNamer,
): string {
  const forwards = (actions: readonly Action[]) =>
    actions.filter((a): a is ForwardAction => a.type === 'forward');
  const weights = (f: ForwardAction) => f.targetGroups.map((g) => g.weight).join('/');
  // Only called when the actions differ in weights alone, so the forwards pair up one to one.
  const now = forwards(current).map(weights);
  return forwards(lastGood)
    .flatMap((before, i) => {
      if (weights(before) === now[i]) return [];
      const groups = before.targetGroups.map((g) => name(g.targetGroupArn)).join('/');
      return [`weights ${groups} ${weights(before)} → ${now[i]}`];
    })
    .join('; ');
}
