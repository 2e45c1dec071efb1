/**
 * Lint rules about listeners and their rules (LBG-L1 to LBG-L4): where a forward sends traffic,
 * which rules can match at all, and what an unmatched request gets.
 */

import { plural } from '../format.ts';
import { describeActions, describeListener, describeRule, groupName, normaliseActions } from '../snapshot.ts';
import type { Condition, ForwardAction, Rule } from '../types.ts';
import type { LintFinding, LintRule } from './types.ts';
import {
  forwardSites,
  inServiceTargets,
  listenerResource,
  outcomeOf,
  siteName,
  siteResource,
} from './views.ts';

export const forwardConcentrated: LintRule = {
  id: 'LBG-L1',
  level: 'error',
  name: 'forward-concentrated',
  what: 'A weighted forward sends all traffic to one target group while the groups it weights 0 have registered targets.',
  why: 'This is the shape of the outage lbguard exists for: a deployment leaves 100/0, the idle group is later emptied, and one group (often one server) takes everything until it falls over.',
  fix: 'Weight every group that has registered targets (for example 50/50), or take the idle group out of the forward once the switch is finished.',
  check(context) {
    const sites = forwardSites(context.snapshot).filter((s) => s.action.targetGroups.length >= 2);
    const findings = sites.flatMap((site): LintFinding[] => {
      const [carrying, ...alsoCarrying] = site.action.targetGroups.filter((g) => g.weight > 0);
      if (carrying === undefined || alsoCarrying.length > 0) return [];
      const idle = site.action.targetGroups.flatMap((weighted) => {
        if (weighted.weight > 0) return [];
        const group = context.snapshot.targetGroups.find((g) => g.arn === weighted.targetGroupArn);
        if (group === undefined || context.unknownTargets.has(group.arn)) return [];
        const targets = inServiceTargets(context, group).length;
        return targets > 0 ? [`${group.name} (${plural(targets, 'registered target')})`] : [];
      });
      if (idle.length === 0) return [];
      const name = (arn: string) => groupName(context.snapshot, arn);
      const heavy = name(carrying.targetGroupArn);
      return [
        {
          ruleId: forwardConcentrated.id,
          level: forwardConcentrated.level,
          resource: siteResource(site),
          message: `${siteName(site)} is ${describeActions([site.action], name)}: ${heavy} carries all traffic while ${idle.join(', ')} get none`,
          fix: `Give ${idle.length === 1 ? 'the idle group' : 'each idle group'} a weight (e.g. ${site.action.targetGroups.map(() => '1').join('/')} for an even spread), or remove it from the forward and deregister its targets once the switch to ${heavy} is finished.`,
        },
      ];
    });
    return outcomeOf(sites.length, findings, 'no forward action weights two or more target groups');
  },
};

export const forwardToEmptyGroup: LintRule = {
  id: 'LBG-L2',
  level: 'error',
  name: 'forward-to-empty-group',
  what: 'A forward gives traffic (weight > 0) to a target group with no registered targets, or to a group that does not exist.',
  why: 'ALB answers 503 for every request that lands on an empty group; with weights, that is a steady share of customers.',
  fix: 'Register targets in the group before it takes traffic, or set its weight to 0 / remove it from the forward.',
  check(context) {
    const sites = forwardSites(context.snapshot);
    const findings = sites.flatMap((site) =>
      site.action.targetGroups.flatMap((weighted): LintFinding[] => {
        if (weighted.weight <= 0 || context.unknownTargets.has(weighted.targetGroupArn)) return [];
        const group = context.snapshot.targetGroups.find((g) => g.arn === weighted.targetGroupArn);
        const name = groupName(context.snapshot, weighted.targetGroupArn);
        if (group === undefined) {
          return [
            {
              ruleId: forwardToEmptyGroup.id,
              level: forwardToEmptyGroup.level,
              resource: siteResource(site),
              message: `${siteName(site)} forwards to ${name}, which is not a target group of this load balancer`,
              fix: `Point the forward at an existing target group, or create ${name}.`,
            },
          ];
        }
        if (group.targetType === 'lambda' && group.targets.length > 0) return [];
        if (inServiceTargets(context, group).length > 0) return [];
        const state =
          group.targets.length === 0 ? 'has no registered targets' : 'has only draining or unused targets';
        return [
          {
            ruleId: forwardToEmptyGroup.id,
            level: forwardToEmptyGroup.level,
            resource: siteResource(site),
            message: `${siteName(site)} sends ${shareOf(site.action, weighted.weight)} to ${name}, which ${state}: ALB answers 503 for that share`,
            fix: `Register targets in ${name} before giving it weight, or set its weight to 0 in ${siteName(site)}.`,
          },
        ];
      }),
    );
    return outcomeOf(sites.length, findings, 'no forward actions');
  },
};

function shareOf(action: ForwardAction, weight: number): string {
  const total = action.targetGroups.reduce((sum, g) => sum + Math.max(0, g.weight), 0);
  return `${Math.round((weight / total) * 100)}% of requests`;
}

export const ruleShadowed: LintRule = {
  id: 'LBG-L3',
  level: 'error',
  name: 'rule-shadowed',
  what: 'A listener rule can never match because a rule with a lower priority number matches every request it would.',
  why: 'ALB evaluates rules by ascending priority and stops at the first match, so the later rule is dead configuration: its routing silently never happens.',
  fix: 'Give the more specific rule the lower priority number, narrow the earlier rule, or delete the unreachable one.',
  check(context) {
    const listeners = context.snapshot.listeners.filter((l) => l.rules.length >= 2);
    const findings = listeners.flatMap((listener) =>
      listener.rules.flatMap((later, index): LintFinding[] => {
        const earlier = listener.rules
          .slice(0, index)
          .find((r) => r.priority < later.priority && covers(r, later));
        if (earlier === undefined) return [];
        const same = covers(later, earlier);
        return [
          {
            ruleId: ruleShadowed.id,
            level: ruleShadowed.level,
            resource: siteResource({ listener, rule: later }),
            message: `${describeListener(listener)} ${describeRule(later)} is unreachable: ${describeRule(earlier)} comes first and ${same ? 'has the same conditions' : 'matches every request it would'}`,
            fix: same
              ? `Delete ${describeRule(later)} or change its conditions; as it stands only ${describeRule(earlier)} ever routes these requests.`
              : `Move ${describeRule(later)} before rule ${earlier.priority} (a priority number below ${earlier.priority}), or narrow rule ${earlier.priority}.`,
          },
        ];
      }),
    );
    return outcomeOf(listeners.length, findings, 'no listener has two or more rules');
  },
};

/**
 * Whether every request matching `narrow` also matches `broad`. Conditions are ANDed, the values
 * of one condition ORed; so each condition of `broad` must be implied by some condition of
 * `narrow`. Wildcards are compared conservatively: when inclusion is not certain, the answer is
 * no, because a false "unreachable" error is worse than a missed one.
 */
function covers(broad: Rule, narrow: Rule): boolean {
  return broad.conditions.every((wide) =>
    narrow.conditions.some(
      (tight) =>
        conditionKey(tight) === conditionKey(wide) &&
        tight.values.length > 0 &&
        tight.values.every((value) => wide.values.some((pattern) => valueCovers(wide.field, pattern, value))),
    ),
  );
}

function conditionKey(c: Condition): string {
  return c.field === 'http-header' ? `${c.field}:${(c.headerName ?? '').toLowerCase()}` : c.field;
}

/** ALB compares host names, header values and query strings without regard to case. */
function valueCovers(field: Condition['field'], pattern: string, value: string): boolean {
  const fold = field === 'host-header' || field === 'http-header' || field === 'query-string';
  const p = fold ? pattern.toLowerCase() : pattern;
  const v = fold ? value.toLowerCase() : value;
  if (p === v) return true;
  // Method and source-ip values are literal (CIDR containment is not attempted).
  if (field === 'http-request-method' || field === 'source-ip') return false;
  if (p === '*') return true;
  const wildcard = /[*?]/;
  if (!wildcard.test(v)) return globToRegExp(p).test(v);
  // `v` is itself a pattern: decide only the prefix*/*suffix shapes, where inclusion is exact.
  const star = p.indexOf('*');
  if (star !== p.lastIndexOf('*') || p.includes('?')) return false;
  if (star === p.length - 1) return v.startsWith(p.slice(0, -1));
  if (star === 0) return v.endsWith(p.slice(1));
  return false;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

export const defaultFixed5xx: LintRule = {
  id: 'LBG-L4',
  level: 'error',
  name: 'default-fixed-5xx',
  what: "A listener's default action is a fixed response with a 5xx status.",
  why: 'Every request that no rule matches gets an error; a maintenance page left as the default action is an outage that health checks and target metrics never see.',
  fix: 'Make the default action forward to the service (or a redirect, or a 404 fixed response for unknown hosts); put maintenance pages behind a rule with a condition.',
  check(context) {
    const listeners = context.snapshot.listeners;
    const findings = listeners.flatMap((listener): LintFinding[] => {
      const routing = normaliseActions(listener.defaultActions)
        .filter((a) => a.type === 'forward' || a.type === 'fixed-response' || a.type === 'redirect')
        .at(-1);
      if (routing?.type !== 'fixed-response' || !routing.statusCode.startsWith('5')) return [];
      return [
        {
          ruleId: defaultFixed5xx.id,
          level: defaultFixed5xx.level,
          resource: listenerResource(listener),
          message: `${describeListener(listener)} default action answers every unmatched request with fixed-response ${routing.statusCode}`,
          fix: `Change the default action of ${describeListener(listener)} to forward to the service's target group(s); if the ${routing.statusCode} is a maintenance switch, put it in a rule with a condition (e.g. header X-Maintenance: on).`,
        },
      ];
    });
    return outcomeOf(listeners.length, findings, 'no listeners');
  },
};
