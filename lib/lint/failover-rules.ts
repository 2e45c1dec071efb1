/**
 * Lint rules about what happens when targets fail (LBG-L10, LBG-L11): traffic weighted onto a group that
 * has nothing healthy to serve it, and the order of ALB's two failover actions.
 */
import { plural } from '../format.ts';
import type { TargetHealth, UnhealthyStateRouting } from '../types.ts';
import type { LintFinding, LintRule } from './types.ts';
import {
  forwardSites,
  groupResource,
  groupsWithKnownTargets,
  inServiceTargets,
  outcomeOf,
  siteName,
  siteResource,
} from './views.ts';

/** Healthy targets below which a minimum acts, for `targets` registered; count and percentage both apply. */
function threshold(min: UnhealthyStateRouting | undefined, targets: number): number {
  const count = min?.minimumHealthyTargetsCount ?? 1;
  const percent = min?.minimumHealthyTargetsPercentage ?? 0;
  return Math.max(count, Math.ceil((percent / 100) * targets));
}

function describeMinimum(min: UnhealthyStateRouting | undefined, fallback: string): string {
  if (min === undefined) return fallback;
  const parts = [
    ...(min.minimumHealthyTargetsCount === undefined ? [] : [`count ${min.minimumHealthyTargetsCount}`]),
    ...(min.minimumHealthyTargetsPercentage === undefined ? [] : [`${min.minimumHealthyTargetsPercentage}%`]),
  ];
  return parts.join(' or ');
}

export const dnsFailoverBelowRouting: LintRule = {
  id: 'LBG-L11',
  level: 'warning',
  name: 'dns-failover-below-routing-failover',
  what: 'A target group whose DNS-failover minimum of healthy targets (target_group_health.dns_failover.minimum_healthy_targets.*) is below its routing-failover minimum (target_group_health.unhealthy_state_routing.minimum_healthy_targets.*).',
  why: 'AWS requires the DNS-failover threshold to be greater than or equal to the routing-failover threshold, so that DNS failover happens with or before routing failover. Below it, a zone losing targets first fails open (ALB sends its traffic to unhealthy targets too) while DNS still sends clients to that zone, instead of taking the zone out of DNS.',
  fix: 'Raise the DNS-failover minimum to at least the routing-failover minimum (same count, same percentage), or lower the routing-failover minimum.',
  check(context) {
    // Only where both are set, as AWS words the requirement: DNS failover at its default (count 1)
    // is ALB's own choice, and LBG-L7 asks for a routing minimum without asking for a DNS one.
    const groups = groupsWithKnownTargets(context).filter(
      (g) => g.unhealthyStateRouting !== undefined && g.dnsFailover !== undefined,
    );
    const findings = groups.flatMap((group): LintFinding[] => {
      const n = group.targets.length;
      const dns = threshold(group.dnsFailover, n);
      const routing = threshold(group.unhealthyStateRouting, n);
      if (dns >= routing) return [];
      return [
        {
          ruleId: dnsFailoverBelowRouting.id,
          level: dnsFailoverBelowRouting.level,
          resource: groupResource(group),
          message: `target group ${group.name} (${plural(n, 'target')}) fails over in DNS below ${plural(dns, 'healthy target')} (${describeMinimum(group.dnsFailover, '')}) but fails open below ${routing} (${describeMinimum(group.unhealthyStateRouting, '')}): between the two, a zone sends its traffic to unhealthy targets while DNS still points clients at it`,
          fix: `On ${group.name}, set target_group_health.dns_failover.minimum_healthy_targets to at least the unhealthy_state_routing minimum (${describeMinimum(group.unhealthyStateRouting, '')}); in CDK, targetGroupHealth.dnsMinimumHealthyTarget* ≥ routingMinimumHealthyTarget*.`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'no group with known targets sets both failover minimums');
  },
};

export const weightedToUnhealthyGroup: LintRule = {
  id: 'LBG-L10',
  level: 'error',
  name: 'weighted-forward-to-unhealthy-group',
  what: 'A weighted forward gives traffic (weight > 0) to a target group that has registered targets but none healthy (live health only).',
  why: "The canary-rollout 503 pattern: a deploy shifts weight to the new group before its targets pass their health checks. ALB still sends that group its share, and with no healthy target it answers 503 (targets still `initial`) or fails open onto failing targets; the other group's healthy targets do not take it over.",
  fix: 'Shift weight to a group only once its targets are healthy (gate on HealthyHostCount), or set its weight back to 0 until they are.',
  check(context) {
    const health = context.health;
    if (health === undefined)
      return { kind: 'not-applicable', why: 'no live target health (a template lint)' };
    const sites = forwardSites(context.snapshot).filter((s) => s.action.targetGroups.length >= 2);
    const groups = new Map(context.snapshot.targetGroups.map((g) => [g.arn, g]));
    const findings = sites.flatMap((site) =>
      site.action.targetGroups.flatMap((weighted): LintFinding[] => {
        const group = groups.get(weighted.targetGroupArn);
        if (weighted.weight <= 0 || group === undefined || group.targetType === 'lambda') return [];
        const serving = inServiceTargets(context, group);
        const records = health.get(group.arn) ?? [];
        if (serving.length === 0 || records.length === 0 || records.some((r) => r.state === 'healthy'))
          return [];
        const total = site.action.targetGroups.reduce((sum, g) => sum + Math.max(0, g.weight), 0);
        return [
          {
            ruleId: weightedToUnhealthyGroup.id,
            level: weightedToUnhealthyGroup.level,
            resource: siteResource(site),
            message: `${siteName(site)} sends ${Math.round((weighted.weight / total) * 100)}% of requests to ${group.name}, which has ${plural(serving.length, 'registered target')} and none healthy (${describeStates(records)}): that share gets 503s or errors`,
            fix: `Set ${group.name}'s weight to 0 in ${siteName(site)} until its targets pass their health checks, then shift weight step by step.`,
          },
        ];
      }),
    );
    return outcomeOf(sites.length, findings, 'no forward action weights two or more target groups');
  },
};

function describeStates(records: readonly TargetHealth[]): string {
  const byState = new Map<string, number>();
  for (const r of records) byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
  return [...byState]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}
