/**
 * Drift: typed differences between the current snapshot and last known good (DESIGN.md "Drift").
 *
 * Each check is a pure rule with an explicit id, in the manner of cdk-nag, so that a finding can
 * be traced to the rule that raised it and a rule can be tested alone. Matching follows what
 * survives a change on ALB: listeners by port and protocol (a recreated listener has a new ARN),
 * rules by ARN and then by identical conditions (a deleted-and-recreated rule has a new ARN),
 * target groups by ARN. Pure reordering by the API is never drift; tags are not in the snapshot.
 */
import {
  canonicalJson,
  describeActions,
  describeConditions,
  describeRule,
  describeTargets,
  type GroupNamer,
  groupNamer,
  normaliseConditions,
  normaliseSnapshot,
} from './snapshot.ts';
import type {
  Action,
  Drift,
  DriftKind,
  ForwardAction,
  LbSnapshot,
  Listener,
  Rule,
  Target,
  TargetGroup,
} from './types.ts';
import { targetKey } from './types.ts';

/** A pure drift check (cdk-nag style): one kind, an explicit id, no I/O. */
export interface DriftRule {
  readonly id: string;
  readonly kind: DriftKind;
  readonly description: string;
  check(current: LbSnapshot, lastGood: LbSnapshot): Drift[];
}

// ---------------------------------------------------------------------------------------------
// Pairing: which part of the current snapshot is which part of last known good
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Action comparison
// ---------------------------------------------------------------------------------------------

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
function describeWeights(current: readonly Action[], lastGood: readonly Action[], name: GroupNamer): string {
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

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

function listenerLabel(l: Listener): string {
  return `listener :${l.port}`;
}

function ruleLabel(l: Listener, rule: Rule): string {
  return `${listenerLabel(l)} ${describeRule(rule)}`;
}

function defineRule(
  id: string,
  kind: DriftKind,
  description: string,
  find: (p: SnapshotPairing) => Omit<Drift, 'ruleId' | 'kind'>[],
): DriftRule {
  return {
    id,
    kind,
    description,
    check: (current, lastGood) =>
      find(pairSnapshots(current, lastGood)).map((d) => ({ ruleId: id, kind, ...d })),
  };
}

const listenerRemoved = defineRule(
  'LBG-D1',
  'listener-removed',
  'A listener of last known good (by port and protocol) is gone.',
  (p) =>
    p.removedListeners.map((l) => ({
      listenerArn: l.arn,
      summary: `${listenerLabel(l)} ${l.protocol} removed (last known good had it with ${l.rules.length} rule(s), default ${describeActions(l.defaultActions, p.name)})`,
      before: l,
      remediable: false,
    })),
);

const listenerAdded = defineRule(
  'LBG-D2',
  'listener-added',
  'A listener that last known good did not have.',
  (p) =>
    p.addedListeners.map((l) => ({
      listenerArn: l.arn,
      summary: `${listenerLabel(l)} ${l.protocol} added (default ${describeActions(l.defaultActions, p.name)})`,
      after: l,
      remediable: false,
    })),
);

/** Default actions and rule actions alike: only forward weights differ. */
const weightsChanged = defineRule(
  'LBG-D3',
  'weights-changed',
  'Only the weights of a weighted forward changed (default action or rule).',
  (p) => [
    ...p.listeners
      .filter((l) => compareActions(l.current.defaultActions, l.lastGood.defaultActions) === 'weights')
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${listenerLabel(l.current)} default action ${describeWeights(l.current.defaultActions, l.lastGood.defaultActions, p.name)}`,
        before: l.lastGood.defaultActions,
        after: l.current.defaultActions,
        remediable: true,
      })),
    ...p.rules
      .filter((r) => compareActions(r.current.actions, r.lastGood.actions) === 'weights')
      .map((r) => ({
        listenerArn: r.listener.current.arn,
        ruleArn: r.current.arn,
        summary: `${ruleLabel(r.listener.current, r.lastGood)} ${describeWeights(r.current.actions, r.lastGood.actions, p.name)}`,
        before: r.lastGood.actions,
        after: r.current.actions,
        remediable: true,
      })),
  ],
);

const defaultActionChanged = defineRule(
  'LBG-D4',
  'default-action-changed',
  "A listener's default action changed other than in weights (another group, a fixed response, …).",
  (p) =>
    p.listeners
      .filter((l) => compareActions(l.current.defaultActions, l.lastGood.defaultActions) === 'other')
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${listenerLabel(l.current)} default action ${describeActions(l.lastGood.defaultActions, p.name)} → ${describeActions(l.current.defaultActions, p.name)}`,
        before: l.lastGood.defaultActions,
        after: l.current.defaultActions,
        remediable: true,
      })),
);

const ruleActionsChanged = defineRule(
  'LBG-D5',
  'rule-actions-changed',
  "A rule's actions changed other than in weights.",
  (p) =>
    p.rules
      .filter((r) => compareActions(r.current.actions, r.lastGood.actions) === 'other')
      .map((r) => ({
        listenerArn: r.listener.current.arn,
        ruleArn: r.current.arn,
        summary: `${ruleLabel(r.listener.current, r.lastGood)} actions ${describeActions(r.lastGood.actions, p.name)} → ${describeActions(r.current.actions, p.name)}`,
        before: r.lastGood.actions,
        after: r.current.actions,
        remediable: true,
      })),
);

const ruleConditionsChanged = defineRule(
  'LBG-D6',
  'rule-conditions-changed',
  "A rule's conditions changed (same rule ARN).",
  (p) =>
    p.rules
      .filter((r) => conditionsKey(r.current) !== conditionsKey(r.lastGood))
      .map((r) => ({
        listenerArn: r.listener.current.arn,
        ruleArn: r.current.arn,
        summary: `${ruleLabel(r.listener.current, r.lastGood)} conditions ${describeConditions(r.lastGood.conditions)} → ${describeConditions(r.current.conditions) || 'none'}`,
        before: r.lastGood.conditions,
        after: r.current.conditions,
        remediable: true,
      })),
);

const rulePriorityChanged = defineRule(
  'LBG-D7',
  'rule-priority-changed',
  "A rule's priority changed, so it is evaluated in a different place.",
  (p) =>
    p.rules
      .filter((r) => r.current.priority !== r.lastGood.priority)
      .map((r) => ({
        listenerArn: r.listener.current.arn,
        ruleArn: r.current.arn,
        summary: `${ruleLabel(r.listener.current, r.lastGood)} priority ${r.lastGood.priority} → ${r.current.priority}`,
        before: r.lastGood.priority,
        after: r.current.priority,
        remediable: true,
      })),
);

const ruleRemoved = defineRule(
  'LBG-D8',
  'rule-removed',
  'A rule of last known good is gone (no rule with its ARN or its conditions). Restoring it means CreateRule, which the policy must allow.',
  (p) =>
    p.removedRules.map(({ listener, rule }) => ({
      listenerArn: listener.current.arn,
      ruleArn: rule.arn,
      summary: `${ruleLabel(listener.current, rule)} removed (was ${describeActions(rule.actions, p.name)})`,
      before: rule,
      remediable: true,
    })),
);

const ruleAdded = defineRule(
  'LBG-D9',
  'rule-added',
  'A rule that last known good did not have. lbguard never deletes rules.',
  (p) =>
    p.addedRules.map(({ listener, rule }) => ({
      listenerArn: listener.current.arn,
      ruleArn: rule.arn,
      summary: `${ruleLabel(listener.current, rule)} added (${describeActions(rule.actions, p.name)})`,
      after: rule,
      remediable: false,
    })),
);

const targetGroupRemoved = defineRule(
  'LBG-D10',
  'target-group-removed',
  'A target group of last known good is no longer in the snapshot.',
  (p) =>
    p.removedTargetGroups.map((g) => ({
      targetGroupArn: g.arn,
      summary: `target group ${g.name} is no longer attached to the load balancer (deleted, or nothing forwards to it)`,
      before: g,
      remediable: false,
    })),
);

function missingTargets(from: readonly Target[], present: readonly Target[]): Target[] {
  const keys = new Set(present.map(targetKey));
  return from.filter((t) => !keys.has(targetKey(t)));
}

const targetsDeregistered = defineRule(
  'LBG-D11',
  'targets-deregistered',
  'Targets registered in last known good are no longer registered.',
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const gone = missingTargets(lastGood.targets, current.targets);
      if (gone.length === 0) return [];
      const remaining = lastGood.targets.length - gone.length;
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${gone.length} target(s) deregistered (${describeTargets(gone)}); ${remaining} of ${lastGood.targets.length} last-known-good targets remain`,
          before: lastGood.targets,
          after: current.targets,
          remediable: true,
        },
      ];
    }),
);

const targetsRegistered = defineRule(
  'LBG-D12',
  'targets-registered',
  'Targets registered since last known good (benign: more capacity).',
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const added = missingTargets(current.targets, lastGood.targets);
      if (added.length === 0) return [];
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${added.length} target(s) registered (${describeTargets(added)})`,
          before: lastGood.targets,
          after: current.targets,
          remediable: false,
        },
      ];
    }),
);

/** The target-group settings that decide which targets receive traffic. */
function groupSettings(g: TargetGroup): Record<string, unknown> {
  return {
    healthCheck: g.healthCheck,
    unhealthyStateRouting: g.unhealthyStateRouting,
    loadBalancingAlgorithm: g.loadBalancingAlgorithm,
    protocol: g.protocol,
    port: g.port,
    targetType: g.targetType,
  };
}

/** `{ healthCheck: { path: '/x' } }` → `healthCheck.path` → `"/x"` (canonical JSON). */
function flatten(value: unknown, prefix: string, into: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, into);
  } else if (value !== undefined) {
    into.set(prefix, canonicalJson(value));
  }
  return into;
}

const healthCheckChanged = defineRule(
  'LBG-D13',
  'health-check-changed',
  "A target group's health check or other traffic-deciding setting changed (reported, not planned).",
  (p) =>
    p.targetGroups.flatMap(({ current, lastGood }) => {
      const now = flatten(groupSettings(current), '', new Map());
      const before = flatten(groupSettings(lastGood), '', new Map());
      const changes = [...new Set([...before.keys(), ...now.keys()])]
        .sort()
        .filter((k) => now.get(k) !== before.get(k))
        .map((k) => `${k} ${before.get(k) ?? 'unset'} → ${now.get(k) ?? 'unset'}`);
      if (changes.length === 0) return [];
      return [
        {
          targetGroupArn: current.arn,
          summary: `target group ${current.name}: ${changes.join(', ')}`,
          before: groupSettings(lastGood),
          after: groupSettings(current),
          remediable: false,
        },
      ];
    }),
);

/** Every drift rule, in the order their findings are reported. */
export const DRIFT_RULES: readonly DriftRule[] = [
  listenerRemoved,
  listenerAdded,
  weightsChanged,
  defaultActionChanged,
  ruleActionsChanged,
  ruleConditionsChanged,
  rulePriorityChanged,
  ruleRemoved,
  ruleAdded,
  targetGroupRemoved,
  targetsDeregistered,
  targetsRegistered,
  healthCheckChanged,
];

/**
 * Every drift between `current` and `lastGood`, by running each rule of `DRIFT_RULES`.
 * Empty when the two route identically (whatever order the API listed things in).
 */
export function diffSnapshots(current: LbSnapshot, lastGood: LbSnapshot): Drift[] {
  return DRIFT_RULES.flatMap((rule) => rule.check(current, lastGood));
}
