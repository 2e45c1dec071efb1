/**
 * The load-balancer configuration linter: "patch the configuration so it cannot happen again"
 * (issue 8). Each rule is a pure check with an explicit id, in the manner of cdk-nag, answering
 * compliant, non-compliant (with findings) or not applicable for one snapshot.
 *
 * The same rules run from `lbguard lint`, inside `verify`, and in users' own CDK apps through
 * infra/lint-plugin.ts, where the snapshot is built from a synthesized template. A template does
 * not always know a group's targets (an Auto Scaling group or ECS service registers them at run
 * time); rules that need them are not applicable to such groups rather than guessing.
 *
 * docs/lint-rules.md is the rules table (id, what, why, how to fix); keep it in step.
 */
import { describeActions, describeRule, groupName, normaliseActions, normaliseSnapshot } from './snapshot.ts';
import type {
  Condition,
  ForwardAction,
  HealthCheck,
  LbSnapshot,
  Listener,
  Rule,
  Target,
  TargetGroup,
  TargetHealth,
  TargetHealthState,
} from './types.ts';
import { targetKey } from './types.ts';

export type LintLevel = 'error' | 'warning';

/** What a finding is about, with an identity a tool can act on and a name a person can read. */
export interface LintResource {
  readonly kind: 'listener' | 'rule' | 'target-group';
  /** ARN from the API, or logical id when the snapshot was built from a template. */
  readonly arn: string;
  /** `listener :443`, `listener :443 rule 10 (path /api/*)`, `target group web-a`. */
  readonly name: string;
}

export interface LintFinding {
  /** `LBG-L1` … */
  readonly ruleId: string;
  readonly level: LintLevel;
  readonly resource: LintResource;
  /** What is wrong here, in one sentence naming the parts involved. */
  readonly message: string;
  /** What to change, concretely. */
  readonly fix: string;
}

/** cdk-nag's three answers. */
export type LintOutcome =
  | { readonly kind: 'compliant' }
  | { readonly kind: 'non-compliant'; readonly findings: readonly LintFinding[] }
  | { readonly kind: 'not-applicable'; readonly why: string };

/** What a rule sees: the snapshot in canonical order, target health when known, and options. */
export interface LintContext {
  readonly snapshot: LbSnapshot;
  /** Health records by group ARN; absent when no health was given. */
  readonly health?: ReadonlyMap<string, readonly TargetHealth[]>;
  /** Groups whose registered targets the snapshot cannot know. */
  readonly unknownTargets: ReadonlySet<string>;
}

export interface LintRule {
  readonly id: string;
  readonly level: LintLevel;
  /** Short slug, e.g. `forward-concentrated`. */
  readonly name: string;
  /** What the rule flags. */
  readonly what: string;
  /** Why it matters. */
  readonly why: string;
  /** How to fix it, in general. */
  readonly fix: string;
  check(context: LintContext): LintOutcome;
}

export interface LintOptions {
  /**
   * Target groups (by ARN) whose registered targets the snapshot does not show, e.g. groups an
   * Auto Scaling group or ECS service registers into at run time. Rules about target counts and
   * zones skip them.
   */
  readonly unknownTargets?: readonly string[];
}

export interface LintReport {
  readonly findings: readonly LintFinding[];
  readonly errors: number;
  readonly warnings: number;
  /** Every rule's answer, in `LINT_RULES` order. */
  readonly outcomes: readonly { readonly ruleId: string; readonly outcome: LintOutcome['kind'] }[];
}

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

/** States in which a registered target takes no traffic, not even when ALB fails open. */
const OUT_OF_SERVICE: ReadonlySet<TargetHealthState> = new Set(['draining', 'unhealthy.draining', 'unused']);

// ---------------------------------------------------------------------------------------------
// Shared views of the snapshot
// ---------------------------------------------------------------------------------------------

/** A place a forward action sits: a listener's default action or one of its rules. */
interface ForwardSite {
  readonly listener: Listener;
  readonly rule?: Rule;
  readonly action: ForwardAction;
}

function forwardSites(snapshot: LbSnapshot): ForwardSite[] {
  return snapshot.listeners.flatMap((listener) => [
    ...forwardsIn(listener.defaultActions).map((action) => ({ listener, action })),
    ...listener.rules.flatMap((rule) =>
      forwardsIn(rule.actions).map((action) => ({ listener, rule, action })),
    ),
  ]);
}

function forwardsIn(actions: ForwardSite['listener']['defaultActions']): ForwardAction[] {
  return actions.filter((a): a is ForwardAction => a.type === 'forward');
}

function siteResource(site: { readonly listener: Listener; readonly rule?: Rule }): LintResource {
  if (site.rule === undefined) return listenerResource(site.listener);
  return {
    kind: 'rule',
    arn: site.rule.arn,
    name: `${listenerName(site.listener)} ${describeRule(site.rule)}`,
  };
}

function siteName(site: { readonly listener: Listener; readonly rule?: Rule }): string {
  return site.rule === undefined
    ? `${listenerName(site.listener)} default action`
    : `${listenerName(site.listener)} ${describeRule(site.rule)}`;
}

function listenerName(listener: Listener): string {
  return `listener :${listener.port}`;
}

function listenerResource(listener: Listener): LintResource {
  return { kind: 'listener', arn: listener.arn, name: listenerName(listener) };
}

function groupResource(group: TargetGroup): LintResource {
  return { kind: 'target-group', arn: group.arn, name: `target group ${group.name}` };
}

/**
 * Registered targets that can take traffic: all of them without health records, else those not
 * draining or unused (routing.ts models those as gone).
 */
function inServiceTargets(context: LintContext, group: TargetGroup): readonly Target[] {
  const records = context.health?.get(group.arn);
  if (records === undefined) return group.targets;
  const states = new Map(records.map((r) => [targetKey(r), r.state]));
  const byId = new Map(records.map((r) => [r.targetId, r.state]));
  return group.targets.filter((t) => {
    const state = states.get(targetKey(t)) ?? byId.get(t.id);
    return state === undefined || !OUT_OF_SERVICE.has(state);
  });
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Build an outcome from the findings of the applicable parts; none applicable → not applicable. */
function outcomeOf(applicable: number, findings: readonly LintFinding[], whyNot: string): LintOutcome {
  if (findings.length > 0) return { kind: 'non-compliant', findings };
  return applicable === 0 ? { kind: 'not-applicable', why: whyNot } : { kind: 'compliant' };
}

/** Groups a rule about targets can judge: not lambda (one function per group), targets known. */
function groupsWithKnownTargets(context: LintContext): TargetGroup[] {
  return context.snapshot.targetGroups.filter(
    (g) => g.targetType !== 'lambda' && !context.unknownTargets.has(g.arn),
  );
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

const forwardConcentrated: LintRule = {
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

const forwardToEmptyGroup: LintRule = {
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

const ruleShadowed: LintRule = {
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
            message: `${listenerName(listener)} ${describeRule(later)} is unreachable: ${describeRule(earlier)} comes first and ${same ? 'has the same conditions' : 'matches every request it would'}`,
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

const defaultFixed5xx: LintRule = {
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
          message: `${listenerName(listener)} default action answers every unmatched request with fixed-response ${routing.statusCode}`,
          fix: `Change the default action of ${listenerName(listener)} to forward to the service's target group(s); if the ${routing.statusCode} is a maintenance switch, put it in a rule with a condition (e.g. header X-Maintenance: on).`,
        },
      ];
    });
    return outcomeOf(listeners.length, findings, 'no listeners');
  },
};

const tooFewTargets: LintRule = {
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

const singleZone: LintRule = {
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

const noHealthyMinimum: LintRule = {
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

const healthCheckTooLax: LintRule = {
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

const healthCheckTooStrict: LintRule = {
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

/** Every lint rule, errors first, in the order their findings are reported. */
export const LINT_RULES: readonly LintRule[] = [
  forwardConcentrated,
  forwardToEmptyGroup,
  ruleShadowed,
  defaultFixed5xx,
  tooFewTargets,
  singleZone,
  noHealthyMinimum,
  healthCheckTooLax,
  healthCheckTooStrict,
];

/**
 * Run every rule of `LINT_RULES` over `snapshot` (and target health, when given). Deterministic:
 * the snapshot is put in canonical order first, so the same routing always gives the same report.
 */
export function lintSnapshot(
  snapshot: LbSnapshot,
  health?: readonly TargetHealth[],
  options: LintOptions = {},
): LintReport {
  const context: LintContext = {
    snapshot: normaliseSnapshot(snapshot),
    unknownTargets: new Set(options.unknownTargets ?? []),
    ...(health === undefined ? {} : { health: groupHealth(health) }),
  };
  const outcomes = LINT_RULES.map((rule) => ({ ruleId: rule.id, outcome: rule.check(context) }));
  const findings = outcomes.flatMap(({ outcome }) =>
    outcome.kind === 'non-compliant' ? outcome.findings : [],
  );
  return {
    findings,
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
    outcomes: outcomes.map(({ ruleId, outcome }) => ({ ruleId, outcome: outcome.kind })),
  };
}

function groupHealth(health: readonly TargetHealth[]): Map<string, TargetHealth[]> {
  const byGroup = new Map<string, TargetHealth[]>();
  for (const record of health) {
    const list = byGroup.get(record.targetGroupArn) ?? [];
    list.push(record);
    byGroup.set(record.targetGroupArn, list);
  }
  return byGroup;
}

/**
 * The report as text for a terminal: one block per finding (level, rule id, resource, message,
 * fix), then a count line. `No findings.` when clean.
 */
export function formatLintReport(report: LintReport): string {
  const blocks = report.findings.map(
    (f) =>
      `${f.level.padEnd(7)} ${f.ruleId}  ${f.resource.name}\n        ${f.message}\n        fix: ${f.fix}`,
  );
  const summary =
    report.findings.length === 0
      ? 'No findings.'
      : `${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`;
  return [...blocks, summary].join('\n');
}
