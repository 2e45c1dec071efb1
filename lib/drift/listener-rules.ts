/** Drift rules about listeners and their rules (LBG-D1 to LBG-D9): what decides where requests go. */
import { describeActions, describeConditions, describeListener } from '../snapshot.ts';
import { compareActions, describeWeights } from './actions.ts';
import { defineRule, ruleLabel } from './define-rule.ts';
import { conditionsKey } from './pairing.ts';

export const listenerRemoved = defineRule(
  'LBG-D1',
  'listener-removed',
  'A listener of last known good (by port and protocol) is gone.',
  (p) =>
    p.removedListeners.map((l) => ({
      listenerArn: l.arn,
      summary: `${describeListener(l)} ${l.protocol} removed (last known good had it with ${l.rules.length} rule(s), default ${describeActions(l.defaultActions, p.name)})`,
      before: l,
      remediable: false,
    })),
);

export const listenerAdded = defineRule(
  'LBG-D2',
  'listener-added',
  'A listener that last known good did not have.',
  (p) =>
    p.addedListeners.map((l) => ({
      listenerArn: l.arn,
      summary: `${describeListener(l)} ${l.protocol} added (default ${describeActions(l.defaultActions, p.name)})`,
      after: l,
      remediable: false,
    })),
);

/** Default actions and rule actions alike: only forward weights differ. */
export const weightsChanged = defineRule(
  'LBG-D3',
  'weights-changed',
  'Only the weights of a weighted forward changed (default action or rule).',
  (p) => [
    ...p.listeners
      .filter((l) => compareActions(l.current.defaultActions, l.lastGood.defaultActions) === 'weights')
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${describeListener(l.current)} default action ${describeWeights(l.current.defaultActions, l.lastGood.defaultActions, p.name)}`,
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

export const defaultActionChanged = defineRule(
  'LBG-D4',
  'default-action-changed',
  "A listener's default action changed other than in weights (another group, a fixed response, …).",
  (p) =>
    p.listeners
      .filter((l) => compareActions(l.current.defaultActions, l.lastGood.defaultActions) === 'other')
      .map((l) => ({
        listenerArn: l.current.arn,
        summary: `${describeListener(l.current)} default action ${describeActions(l.lastGood.defaultActions, p.name)} → ${describeActions(l.current.defaultActions, p.name)}`,
        before: l.lastGood.defaultActions,
        after: l.current.defaultActions,
        remediable: true,
      })),
);

export const ruleActionsChanged = defineRule(
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

export const ruleConditionsChanged = defineRule(
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

export const rulePriorityChanged = defineRule(
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

export const ruleRemoved = defineRule(
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

export const ruleAdded = defineRule(
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
