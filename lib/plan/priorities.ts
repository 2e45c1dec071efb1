/**
 * The priorities part of a plan: `SetRulePriorities` calls that put rules back in their
 * last-known-good order without ever asking for a priority in use (moto refuses even a swap).
 */
import type { RulePair, SnapshotPairing } from '../drift.ts';
import { describeRule } from '../snapshot.ts';
import type { Drift, LeftAlone, PlanStep } from '../types.ts';

/** ALB's highest rule priority; temporary moves go down from here. */
const MAX_PRIORITY = 50_000;

interface Move {
  readonly pair: RulePair;
  from: number;
  readonly to: number;
}

export interface PrioritiesPart {
  readonly steps: PlanStep[];
  readonly fixes: Drift[];
  readonly leftAlone: LeftAlone[];
  /** `listenerArn|priority` for every priority held once the plan has run. */
  readonly taken: Set<string>;
}

/**
 * Moves rules back to their last-known-good priorities, per listener. A move whose priority is
 * held by a rule lbguard does not move is left alone, with why.
 */
export function planPriorities(p: SnapshotPairing, remediable: readonly Drift[]): PrioritiesPart {
  const part: PrioritiesPart = { steps: [], fixes: [], leftAlone: [], taken: new Set() };
  for (const listener of p.listeners) {
    const related = (pair: RulePair) =>
      remediable.filter((d) => d.kind === 'rule-priority-changed' && d.ruleArn === pair.current.arn);
    let moves: Move[] = p.rules
      .filter((r) => r.listener === listener && r.current.priority !== r.lastGood.priority)
      .map((pair) => ({ pair, from: pair.current.priority, to: pair.lastGood.priority }));

    // A rule lbguard does not move (one added since last known good, or one whose own move was
    // given up) may sit on a wanted priority; the move waiting for it is given up in turn.
    const finalPriority = (arn: string, priority: number) =>
      moves.find((m) => m.pair.current.arn === arn)?.to ?? priority;
    for (;;) {
      const blocked = moves.find((m) =>
        listener.current.rules.some(
          (r) => r.arn !== m.pair.current.arn && finalPriority(r.arn, r.priority) === m.to,
        ),
      );
      if (blocked === undefined) break;
      const holder = listener.current.rules.filter(
        (r) => r.arn !== blocked.pair.current.arn && finalPriority(r.arn, r.priority) === blocked.to,
      );
      moves = moves.filter((m) => m !== blocked);
      part.leftAlone.push(
        ...related(blocked.pair).map((drift) => ({
          drift,
          why: `priority ${blocked.to} is held by ${holder.map(describeRule).join(', ')}, which lbguard does not move or delete`,
        })),
      );
    }
    for (const r of listener.current.rules)
      part.taken.add(`${listener.current.arn}|${finalPriority(r.arn, r.priority)}`);
    for (const m of moves) part.fixes.push(...related(m.pair));
    part.steps.push(
      ...sequenceMoves(
        listener.current.rules.map((r) => r.priority),
        moves,
      ),
    );
  }
  return part;
}

/**
 * Calls that move rules to their priorities without ever asking for one in use: each call moves
 * every rule whose target is free; a cycle (a swap) is broken by parking one rule on a free
 * priority first.
 */
function sequenceMoves(priorities: readonly number[], moves: readonly Move[]): PlanStep[] {
  const occupied = new Set(priorities);
  const pending = moves.map((m) => ({ ...m }));
  const steps: PlanStep[] = [];
  for (;;) {
    const [first] = pending;
    if (first === undefined) return steps;
    const ready = pending.filter((m) => !occupied.has(m.to));
    const batch =
      ready.length > 0
        ? ready.map((m) => ({ move: m, priority: m.to }))
        : [{ move: first, priority: freePriority(occupied, pending) }];
    for (const { move, priority } of batch) {
      occupied.delete(move.from);
      occupied.add(priority);
      move.from = priority;
      if (priority === move.to) pending.splice(pending.indexOf(move), 1);
    }
    steps.push({
      op: 'SetRulePriorities',
      priorities: batch.map(({ move, priority }) => ({ ruleArn: move.pair.current.arn, priority })),
    });
  }
}

function freePriority(occupied: ReadonlySet<number>, pending: readonly Move[]): number {
  const wanted = new Set(pending.map((m) => m.to));
  let priority = MAX_PRIORITY;
  while (occupied.has(priority) || wanted.has(priority)) priority -= 1;
  return priority;
}
