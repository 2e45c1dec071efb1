/**
 * Pairing: which part of the current snapshot is which part of last known good. Listeners pair
 * by port and protocol, rules by ARN and then by identical conditions, target groups by ARN.
 */
import {
  canonicalJson,
  type GroupNamer,
  groupNamer,
  normaliseConditions,
  normaliseSnapshot,
} from '../snapshot.ts';
import type { LbSnapshot, Listener, Rule, TargetGroup } from '../types.ts';

export interface ListenerPair {
  readonly current: Listener;
  readonly lastGood: Listener;
}

export interface RulePair {
  readonly listener: ListenerPair;
  readonly current: Rule;
  readonly lastGood: Rule;
}

export interface UnpairedRule {
  readonly listener: ListenerPair;
  readonly rule: Rule;
}

export interface TargetGroupPair {
  readonly current: TargetGroup;
  readonly lastGood: TargetGroup;
}

/** Both snapshots normalised, with their parts paired up. */
export interface SnapshotPairing {
  readonly current: LbSnapshot;
  readonly lastGood: LbSnapshot;
  readonly listeners: readonly ListenerPair[];
  readonly removedListeners: readonly Listener[];
  readonly addedListeners: readonly Listener[];
  readonly rules: readonly RulePair[];
  readonly removedRules: readonly UnpairedRule[];
  readonly addedRules: readonly UnpairedRule[];
  readonly targetGroups: readonly TargetGroupPair[];
  readonly removedTargetGroups: readonly TargetGroup[];
  /** Readable target group names, current snapshot first. */
  readonly name: GroupNamer;
}

/** Pair the parts of `current` with those of `lastGood` (both are normalised first). */
export function pairSnapshots(current: LbSnapshot, lastGood: LbSnapshot): SnapshotPairing {
  const now = normaliseSnapshot(current);
  const before = normaliseSnapshot(lastGood);
  const currentListeners = new Map(now.listeners.map((l) => [listenerKey(l), l]));
  const listeners: ListenerPair[] = [];
  const removedListeners: Listener[] = [];
  for (const l of before.listeners) {
    const match = currentListeners.get(listenerKey(l));
    if (match === undefined) removedListeners.push(l);
    else listeners.push({ current: match, lastGood: l });
  }
  const paired = new Set(listeners.map((p) => p.current));
  const addedListeners = now.listeners.filter((l) => !paired.has(l));

  const rules: RulePair[] = [];
  const removedRules: UnpairedRule[] = [];
  const addedRules: UnpairedRule[] = [];
  for (const listener of listeners) {
    const r = pairRules(listener);
    rules.push(...r.pairs);
    removedRules.push(...r.removed);
    addedRules.push(...r.added);
  }

  const currentGroups = new Map(now.targetGroups.map((g) => [g.arn, g]));
  const targetGroups: TargetGroupPair[] = [];
  const removedTargetGroups: TargetGroup[] = [];
  for (const g of before.targetGroups) {
    const match = currentGroups.get(g.arn);
    if (match === undefined) removedTargetGroups.push(g);
    else targetGroups.push({ current: match, lastGood: g });
  }

  return {
    current: now,
    lastGood: before,
    listeners,
    removedListeners,
    addedListeners,
    rules,
    removedRules,
    addedRules,
    targetGroups,
    removedTargetGroups,
    name: groupNamer(now, before),
  };
}

function listenerKey(l: Listener): string {
  return `${l.port}/${l.protocol}`;
}

/** Identity of a rule's conditions, whatever order the API listed them in. */
export function conditionsKey(rule: Pick<Rule, 'conditions'>): string {
  return canonicalJson(normaliseConditions(rule.conditions));
}

function pairRules(listener: ListenerPair): {
  pairs: RulePair[];
  removed: UnpairedRule[];
  added: UnpairedRule[];
} {
  const unmatched = new Map(listener.current.rules.map((r) => [r.arn, r]));
  const pairs: RulePair[] = [];
  const pending: Rule[] = [];
  for (const rule of listener.lastGood.rules) {
    const match = unmatched.get(rule.arn);
    if (match === undefined) {
      pending.push(rule);
      continue;
    }
    pairs.push({ listener, current: match, lastGood: rule });
    unmatched.delete(rule.arn);
  }
  // A rule deleted and recreated comes back with a new ARN but the same conditions.
  const removed: UnpairedRule[] = [];
  for (const rule of pending) {
    const key = conditionsKey(rule);
    const match = [...unmatched.values()].find((r) => conditionsKey(r) === key);
    if (match === undefined) {
      removed.push({ listener, rule });
      continue;
    }
    pairs.push({ listener, current: match, lastGood: rule });
    unmatched.delete(match.arn);
  }
  pairs.sort((a, b) => a.lastGood.priority - b.lastGood.priority);
  return { pairs, removed, added: [...unmatched.values()].map((rule) => ({ listener, rule })) };
}
