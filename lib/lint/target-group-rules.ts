/**
 * Lint rules about target groups (LBG-L5 to LBG-L9): enough targets, in enough zones, a guard
 * against the single survivor, and health checks neither too lax nor too strict.
 */
import type { HealthCheck, TargetGroup } from '../types.ts';
import { targetKey } from '../types.ts';
import type { LintContext, LintFinding, LintRule } from './types.ts';
import { groupResource, groupsWithKnownTargets, inServiceTargets, outcomeOf } from './views.ts';

/** Seconds beyond which a health check reacts too slowly (to a dead target, or to a new one). */
const SLOW_REACTION_SECONDS = 300;

/** ALB's health-check defaults for HTTP/HTTPS target groups, used where a field is unset. */
const HEALTH_CHECK_DEFAULTS = {
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  matcher: '200',
} as const;

export const tooFewTargets: LintRule = {
  id: 'LBG-L5',
  level: 'warning',
  name: 'too-few-targets',
  what: 'A target group has fewer than two registered targets.',
  why: 'With one target there is nothing to fail over to: when it crashes, or is replaced, the group answers 503.',
  fix: 'Register at least two targets, ideally in different Availability Zones.',
  check(context) {
    const groups = groupsWithKnownTargets(context);
    const findings = groups.flatMap((group): LintFinding[] => {
      const inService = inServiceTargets(context, group);
      if (inService.length >= 2) return [];
      return [
        {
          ruleId: tooFewTargets.id,
          level: tooFewTargets.level,
          resource: groupResource(group),
          message:
            inService.length === 0
              ? `target group ${group.name} has no registered targets in service`
              : `target group ${group.name} has a single target in service (${inService.map(targetKey).join(', ')}): nothing to fail over to`,
          fix: `Register at least two targets in ${group.name}, in different Availability Zones (or raise the minimum size of what registers them).`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'no instance, ip or alb target group with known targets');
  },
};

export const singleZone: LintRule = {
  id: 'LBG-L6',
  level: 'warning',
  name: 'single-zone',
  what: 'All targets of a target group are in one Availability Zone (checked when every target says which).',
  why: 'One zone failing, or one zone losing its load balancer node, takes the whole group down.',
  fix: 'Spread targets over at least two Availability Zones.',
  check(context) {
    const groups = groupsWithKnownTargets(context).filter(
      (g) =>
        g.targets.length >= 2 &&
        g.targets.every((t) => t.availabilityZone !== undefined && t.availabilityZone !== 'all'),
    );
    const findings = groups.flatMap((group): LintFinding[] => {
      const zones = new Set(group.targets.map((t) => t.availabilityZone));
      if (zones.size >= 2) return [];
      return [
        {
          ruleId: singleZone.id,
          level: singleZone.level,
          resource: groupResource(group),
          message: `target group ${group.name}: all ${group.targets.length} targets are in ${[...zones].join('')}`,
          fix: `Register targets of ${group.name} in a second Availability Zone.`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'no group with two or more targets whose zones are known');
  },
};

export const noHealthyMinimum: LintRule = {
  id: 'LBG-L7',
  level: 'warning',
  name: 'no-minimum-healthy-targets',
  what: 'A target group with two or more targets has no unhealthy-state-routing minimum (target_group_health.unhealthy_state_routing.minimum_healthy_targets.count above 1, or .percentage).',
  why: 'ALB fails open only when every target is unhealthy. If a bad health check or an overload fails all but one target, the last one takes all traffic and falls over too: the single survivor. A minimum makes ALB fail open (spread over all targets) before that.',
  fix: 'Set target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage (e.g. 50) or .count (e.g. half the targets) on the target group.',
  check(context) {
    const groups = groupsWithKnownTargets(context).filter((g) => g.targets.length >= 2);
    const findings = groups.flatMap((group): LintFinding[] => {
      const routing = group.unhealthyStateRouting;
      const guarded =
        (routing?.minimumHealthyTargetsCount ?? 1) > 1 || (routing?.minimumHealthyTargetsPercentage ?? 0) > 0;
      if (guarded) return [];
      const half = Math.ceil(group.targets.length / 2);
      return [
        {
          ruleId: noHealthyMinimum.id,
          level: noHealthyMinimum.level,
          resource: groupResource(group),
          message: `target group ${group.name} (${group.targets.length} targets) sets no minimum of healthy targets: if ${group.targets.length - 1} fail their health checks, the last one takes all traffic`,
          fix: `On ${group.name}, set target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage to 50 (or .count to ${half}).`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'no group with two or more known targets');
  },
};

/** Health-check settings with ALB's defaults filled in. */
type EffectiveHealthCheck = Required<Pick<HealthCheck, keyof typeof HEALTH_CHECK_DEFAULTS>>;

function effectiveHealthCheck(check: HealthCheck): EffectiveHealthCheck {
  return {
    path: check.path ?? HEALTH_CHECK_DEFAULTS.path,
    intervalSeconds: check.intervalSeconds ?? HEALTH_CHECK_DEFAULTS.intervalSeconds,
    timeoutSeconds: check.timeoutSeconds ?? HEALTH_CHECK_DEFAULTS.timeoutSeconds,
    healthyThreshold: check.healthyThreshold ?? HEALTH_CHECK_DEFAULTS.healthyThreshold,
    unhealthyThreshold: check.unhealthyThreshold ?? HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
    matcher: check.matcher ?? HEALTH_CHECK_DEFAULTS.matcher,
  };
}

/** Lambda groups have health checks off by default and no thresholds that shape routing. */
function checkedGroups(context: LintContext): TargetGroup[] {
  return context.snapshot.targetGroups.filter((g) => g.targetType !== 'lambda');
}

/** Whether a matcher (`200`, `200-299`, `200,302`) accepts `code`. */
function matcherAccepts(matcher: string, code: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-').map(Number);
    return low !== undefined && code >= low && code <= (high ?? low);
  });
}

export const healthCheckTooLax: LintRule = {
  id: 'LBG-L8',
  level: 'warning',
  name: 'health-check-too-lax',
  what: 'A health check that calls a broken target healthy, or takes more than 5 minutes to notice a dead one: a matcher accepting 404 or 5xx, or unhealthy threshold × interval above 300 s.',
  why: 'ALB keeps routing to a target until its health check fails; a check that accepts errors (a `/` that answers 404 when the application is gone) or reacts slowly sends customers to dead targets.',
  fix: 'Check a path that exercises the application (e.g. /health), accept only 200 (or 200-399), and keep unhealthy threshold × interval within 300 s.',
  check(context) {
    const groups = checkedGroups(context);
    const findings = groups.flatMap((group): LintFinding[] => {
      const hc = effectiveHealthCheck(group.healthCheck);
      const problems: string[] = [];
      const acceptsErrors = matcherAccepts(hc.matcher, 404)
        ? '404'
        : [500, 502, 503, 504].find((code) => matcherAccepts(hc.matcher, code));
      if (acceptsErrors !== undefined) {
        problems.push(
          `matcher ${hc.matcher} on path ${hc.path} accepts ${acceptsErrors}${hc.path === '/' ? ', so any web server answering at all passes' : ''}`,
        );
      }
      const deadAfter = hc.unhealthyThreshold * hc.intervalSeconds;
      if (deadAfter > SLOW_REACTION_SECONDS) {
        problems.push(
          `a dead target keeps traffic for ${deadAfter} s (unhealthy threshold ${hc.unhealthyThreshold} × interval ${hc.intervalSeconds} s)`,
        );
      }
      if (problems.length === 0) return [];
      return [
        {
          ruleId: healthCheckTooLax.id,
          level: healthCheckTooLax.level,
          resource: groupResource(group),
          message: `target group ${group.name} health check is too lax: ${problems.join('; ')}`,
          fix: `On ${group.name}: health-check a path that exercises the application with matcher 200 (or 200-399), and keep unhealthy threshold × interval ≤ ${SLOW_REACTION_SECONDS} s (e.g. 2 × 30 s).`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'only lambda target groups');
  },
};

export const healthCheckTooStrict: LintRule = {
  id: 'LBG-L9',
  level: 'warning',
  name: 'health-check-too-strict',
  what: 'A health check that fails healthy targets or holds new ones back: timeout ≥ interval, or healthy threshold × interval above 300 s.',
  why: 'A timeout as long as the interval makes slow-but-working targets flap unhealthy (the way N−1 targets fail at once and leave a single survivor); a long healthy threshold keeps a re-registered target `initial` for minutes, so a fix takes minutes to take effect.',
  fix: 'Keep the timeout well below the interval (e.g. 5 s of 30 s) and healthy threshold × interval within 300 s (e.g. 3 × 30 s).',
  check(context) {
    const groups = checkedGroups(context);
    const findings = groups.flatMap((group): LintFinding[] => {
      const hc = effectiveHealthCheck(group.healthCheck);
      const problems: string[] = [];
      if (hc.timeoutSeconds >= hc.intervalSeconds) {
        problems.push(`timeout ${hc.timeoutSeconds} s is not shorter than interval ${hc.intervalSeconds} s`);
      }
      const initialFor = hc.healthyThreshold * hc.intervalSeconds;
      if (initialFor > SLOW_REACTION_SECONDS) {
        problems.push(
          `a new target waits ${initialFor} s before taking traffic (healthy threshold ${hc.healthyThreshold} × interval ${hc.intervalSeconds} s)`,
        );
      }
      if (problems.length === 0) return [];
      return [
        {
          ruleId: healthCheckTooStrict.id,
          level: healthCheckTooStrict.level,
          resource: groupResource(group),
          message: `target group ${group.name} health check is too strict: ${problems.join('; ')}`,
          fix: `On ${group.name}: keep the timeout well below the interval and healthy threshold × interval ≤ ${SLOW_REACTION_SECONDS} s (e.g. timeout 5 s, interval 30 s, healthy threshold 3).`,
        },
      ];
    });
    return outcomeOf(groups.length, findings, 'only lambda target groups');
  },
};
