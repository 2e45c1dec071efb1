/**
 * Drift: typed differences between the current snapshot and last known good (DESIGN.md "Drift").
 *
 * Each check is a pure rule with an explicit id, in the manner of cdk-nag, so that a finding can
 * be traced to the rule that raised it and a rule can be tested alone. Matching follows what
 * survives a change on ALB: listeners by port and protocol (a recreated listener has a new ARN),
 * rules by ARN and then by identical conditions (a deleted-and-recreated rule has a new ARN),
 * target groups by ARN. Pure reordering by the API is never drift; tags are not in the snapshot.
 */
import type { DriftRule } from './drift/define-rule.ts';
import {
  listenerSettingsChanged,
  ruleTransformsChanged,
  unrepresentedChanged,
} from './drift/element-rules.ts';
import {
  defaultActionChanged,
  listenerAdded,
  listenerRemoved,
  ruleActionsChanged,
  ruleAdded,
  ruleConditionsChanged,
  rulePriorityChanged,
  ruleRemoved,
  weightsChanged,
} from './drift/listener-rules.ts';
import {
  healthCheckChanged,
  targetGroupRemoved,
  targetsDeregistered,
  targetsRegistered,
} from './drift/target-group-rules.ts';
import type { Drift, LbSnapshot } from './types.ts';

export { compareActions } from './drift/actions.ts';
export type { DriftRule } from './drift/define-rule.ts';
export {
  conditionsKey,
  type ListenerPair,
  pairSnapshots,
  type RulePair,
  type SnapshotPairing,
  type TargetGroupPair,
  type UnpairedRule,
} from './drift/pairing.ts';

/** Every drift rule, in the order their findings are reported. */
export const DRIFT_RULES: readonly DriftRule[] = [
  listenerRemoved,
  listenerAdded,
  weightsChanged,
  defaultActionChanged,
  ruleActionsChanged,
  ruleConditionsChanged,
  ruleTransformsChanged,
  rulePriorityChanged,
  ruleRemoved,
  ruleAdded,
  listenerSettingsChanged,
  unrepresentedChanged,
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
