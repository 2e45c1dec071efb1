/**
 * The facts a diagnosis rests on: everything `diagnose` derives from the signals before it picks
 * a class. Gathered once, so classification and the evidence read the same numbers.
 */
import { diffSnapshots } from '../drift.ts';
import {
  explainPerTargetSkew,
  findProtections,
  hasGroupStickiness,
  type Intent,
  type Protection,
} from '../intent.ts';
import {
  type ConfigSkewFinding,
  describeRoute,
  destinationKey,
  detectConfigSkew,
  expectedGroupShares,
  formatPercent,
  modelRouting,
  targetGroupName,
} from '../routing.ts';
import {
  describePerTargetShares,
  type PerTargetShares,
  sharesFromInstanceCounts,
  sharesFromServedBy,
} from '../served-by.ts';
import { testSkew } from '../skew.ts';
import { groupName } from '../snapshot.ts';
import type {
  AlbMetrics,
  ConfigChange,
  Drift,
  DriftKind,
  LbSnapshot,
  ProbeResult,
  RouteModel,
  RoutingModel,
  Signals,
  TargetGroup,
  TargetHealth,
  Thresholds,
} from '../types.ts';
import { targetKey } from '../types.ts';

/** Drift kinds that change where requests go (as opposed to capacity or health-check settings). */
const ROUTING_DRIFT: ReadonlySet<DriftKind> = new Set([
  'listener-removed',
  'default-action-changed',
  'weights-changed',
  'rule-added',
  'rule-removed',
  'rule-actions-changed',
  'rule-conditions-changed',
  'rule-priority-changed',
  'rule-transforms-changed',
  'listener-settings-changed',
  'unrepresented-changed',
]);

/** Statuses ALB itself generates; a probe seeing one of these has not heard from a backend. */
const LB_GENERATED_STATUS: ReadonlySet<number> = new Set([460, 463, 464, 502, 503, 504, 561]);

/** Everything `diagnose` derives from the signals before it picks a class. */
export interface Facts {
  readonly signals: Signals;
  readonly thresholds: Thresholds;
  readonly lastGood?: LbSnapshot;
  /** Configuration alone (no health): where the current config sends traffic. */
  readonly configNow: RoutingModel;
  readonly configBefore?: RoutingModel;
  /** Configuration plus current target health: where traffic actually goes now. */
  readonly liveNow: RoutingModel;
  readonly drift: readonly Drift[];
  readonly routingDrift: readonly Drift[];
  /** Config skew findings on routes whose routing changed (see `findRoutingSkew`). */
  readonly configSkew: readonly ConfigSkewFinding[];
  readonly groups: readonly GroupFacts[];
  readonly probeLines: readonly string[];
  readonly probesFailing: boolean;
  readonly backendProbeFailures: boolean;
  readonly metricsLine?: string;
  readonly errorRate: number;
  readonly observedSkew: readonly string[];
  /** Observed unevenness the load balancer's intent explains (lib/intent.ts): evidence, never skew. */
  readonly intended: readonly string[];
  /** Targets and zones the load balancer is sending less traffic on purpose. */
  readonly protections: readonly Protection[];
  /** Per-target shares from served-by samples and instance counters, whichever exist. */
  readonly perTarget: readonly PerTargetShares[];
  /** Groups whose traffic all goes to their one healthy target while others fail health checks. */
  readonly survivors: readonly Survivor[];
  readonly attribution: Attribution;
  /** Routes that now answer with a fixed 4xx/5xx where last known good did not. */
  readonly newDenials: readonly string[];
  readonly impact: boolean;
}

/** A target group the current configuration sends traffic to. */
export interface GroupFacts {
  readonly arn: string;
  readonly name: string;
  /** First route that sends it traffic, and the share of that route's forwarded traffic. */
  readonly route: RouteModel;
  readonly share: number;
  readonly registered: number;
  readonly registeredBefore?: number;
  /** Undefined when no health record exists for the group. */
  readonly health?: {
    readonly healthy: number;
    readonly unhealthy: number;
    readonly reasons: readonly string[];
  };
  readonly group?: TargetGroup;
}

/** A routed group whose traffic health (not configuration) has concentrated on one target. */
export interface Survivor {
  readonly facts: GroupFacts;
  readonly group: TargetGroup;
  readonly survivor: string;
  /** The first route whose traffic it takes alone. */
  readonly route: RouteModel;
  /** Health records of the targets out of service (failing their checks, or stopped). */
  readonly failing: readonly TargetHealth[];
}

/** Drift explained by CloudTrail events, and what no event explains. */
export interface Attribution {
  readonly byChange: readonly { readonly change: ConfigChange; readonly drift: readonly Drift[] }[];
  readonly unattributed: readonly Drift[];
  /** The newest event that explains no drift: still worth showing when it is the last change seen. */
  readonly unexplained?: ConfigChange;
  /** When unattributed drift happened: since the last observation matching last known good, until now. */
  readonly from: string;
  readonly to: string;
}

/** Every fact `diagnose` decides on, derived once from the signals. */
export function gatherFacts(signals: Signals, thresholds: Thresholds): Facts {
  const lastGood = signals.lastGood?.snapshot;
  const configNow = modelRouting(signals.snapshot, []);
  const configBefore = lastGood === undefined ? undefined : modelRouting(lastGood, []);
  const liveNow = modelRouting(signals.snapshot, signals.health);
  const drift = lastGood === undefined ? [] : diffSnapshots(signals.snapshot, lastGood);
  const routingDrift = drift.filter((d) => ROUTING_DRIFT.has(d.kind));
  const probes = summariseProbes(signals.probes);
  const metrics = summariseMetrics(signals.metrics);
  const perTarget = measurePerTarget(signals, liveNow, thresholds);
  const groups = routedGroups(signals, configNow, lastGood);
  const intent: Intent = {
    snapshot: signals.snapshot,
    health: signals.health,
    ...(lastGood === undefined ? {} : { lastGood }),
    zonalShifts: signals.zonalShifts ?? [],
  };
  const observed = observeSkew(signals, liveNow, thresholds, perTarget, intent);
  return {
    signals,
    thresholds,
    ...(lastGood === undefined ? {} : { lastGood }),
    configNow,
    ...(configBefore === undefined ? {} : { configBefore }),
    liveNow,
    drift,
    routingDrift,
    configSkew:
      configBefore === undefined
        ? []
        : findRoutingSkew(detectConfigSkew(configNow, configBefore), routingDrift),
    groups,
    probeLines: probes.lines,
    probesFailing: probes.failing,
    backendProbeFailures: probes.backend,
    ...(metrics.line === undefined ? {} : { metricsLine: metrics.line }),
    errorRate: metrics.errorRate,
    observedSkew: observed.skew,
    intended: observed.intended,
    protections: findProtections(intent),
    perTarget,
    survivors: findSurvivors(groups, liveNow, signals.health),
    attribution: attributeDrift(
      changesOf(signals),
      drift,
      signals.previousObservationAt ?? signals.lastGood?.takenAt ?? signals.at,
      signals.at,
    ),
    newDenials: configBefore === undefined ? [] : findNewDenials(configNow, configBefore),
    impact: probes.failing || metrics.errorRate >= thresholds.errorRate,
  };
}

function routedGroups(
  signals: Signals,
  config: RoutingModel,
  lastGood: LbSnapshot | undefined,
): GroupFacts[] {
  const byArn = new Map<string, GroupFacts>();
  for (const route of config.routes) {
    for (const [arn, share] of Object.entries(expectedGroupShares(route))) {
      const seen = byArn.get(arn);
      // Describe the group by the route that gives it most traffic; the default action on a tie.
      if (share <= 0 || (seen !== undefined && seen.share > share)) continue;
      const group = signals.snapshot.targetGroups.find((g) => g.arn === arn);
      const before = lastGood?.targetGroups.find((g) => g.arn === arn);
      const records = signals.health.filter((h) => h.targetGroupArn === arn);
      byArn.set(arn, {
        arn,
        name: groupName(signals.snapshot, arn),
        route,
        share,
        registered: group?.targets.length ?? 0,
        ...(before === undefined ? {} : { registeredBefore: before.targets.length }),
        ...(records.length === 0 ? {} : { health: summariseHealth(records) }),
        ...(group === undefined ? {} : { group }),
      });
    }
  }
  return [...byArn.values()];
}

function summariseHealth(records: readonly TargetHealth[]): NonNullable<GroupFacts['health']> {
  const unhealthy = records.filter(isOutOfService);
  return {
    healthy: records.filter((r) => r.state === 'healthy').length,
    unhealthy: unhealthy.length,
    reasons: [...new Set(unhealthy.map((r) => r.reason ?? 'no reason given'))].sort(),
  };
}

/**
 * Routes whose traffic health alone has put on one target: the configuration spreads them over
 * two or more, ALB does not fail open (no guard, or one the survivor still meets), and the other
 * targets of the survivor's group fail their health checks. A group with one survivor behind a
 * route that still reaches other healthy targets is "unhealthy, balanced", with a warning.
 */
function findSurvivors(
  groups: readonly GroupFacts[],
  live: RoutingModel,
  health: readonly TargetHealth[],
): Survivor[] {
  const survivors: Survivor[] = [];
  for (const route of live.routes) {
    const receiving = route.shares.flatMap(({ destination, share }) =>
      destination.kind === 'target' && share > 0 ? [destination] : [],
    );
    const [only] = receiving;
    if (only === undefined || new Set(receiving.map(targetKey)).size !== 1) continue;
    if (route.failOpen.includes(only.targetGroupArn)) continue;
    const facts = groups.find((g) => g.arn === only.targetGroupArn);
    if (facts?.group === undefined || facts.registered < 2) continue;
    const failing = health.filter((h) => h.targetGroupArn === facts.arn && isOutOfService(h));
    const survivor = targetKey(only);
    if (failing.length === 0 || survivors.some((s) => s.facts === facts && s.survivor === survivor)) continue;
    survivors.push({ facts, group: facts.group, survivor, failing, route });
  }
  return survivors;
}

/**
 * A registered target that should serve but cannot: failing its health checks, or its instance
 * stopped (`unused` / `Target.InvalidState`, which is how a crashed server shows up). Draining
 * and never-seen targets are deliberate or transient and do not count.
 */
function isOutOfService(h: TargetHealth): boolean {
  return h.state === 'unhealthy' || (h.state === 'unused' && h.reason === 'Target.InvalidState');
}

/** Every CloudTrail change known, oldest first, `lastChange` folded in once. */
function changesOf(signals: Signals): ConfigChange[] {
  const all = [...(signals.changes ?? []), ...(signals.lastChange === undefined ? [] : [signals.lastChange])];
  const seen = new Set<string>();
  const unique = all.filter((c) => {
    const key = `${c.eventName}|${c.at}|${c.principal}|${c.resources.join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * Each drift goes to the newest call that touched its resource: a rule's drift to a call naming
 * the rule, a listener's default action to a call naming the listener, a group's targets or
 * settings to a call naming the group. CloudTrail carries no before/after; the drift does.
 */
function attributeDrift(
  changes: readonly ConfigChange[],
  drift: readonly Drift[],
  from: string,
  to: string,
): Attribution {
  const byChange = new Map<ConfigChange, Drift[]>();
  const unattributed: Drift[] = [];
  for (const d of orderDrift(drift)) {
    const change = changes.findLast((c) => touches(c, d));
    if (change === undefined) unattributed.push(d);
    else byChange.set(change, [...(byChange.get(change) ?? []), d]);
  }
  const last = changes.at(-1);
  return {
    byChange: changes.flatMap((change) => {
      const explained = byChange.get(change);
      return explained === undefined ? [] : [{ change, drift: explained }];
    }),
    unattributed,
    ...(last === undefined || byChange.has(last) ? {} : { unexplained: last }),
    from,
    to,
  };
}

function touches(change: ConfigChange, d: Drift): boolean {
  const resources = new Set(change.resources);
  if (d.ruleArn !== undefined) return resources.has(d.ruleArn);
  if (d.listenerArn !== undefined) return resources.has(d.listenerArn);
  return d.targetGroupArn !== undefined && resources.has(d.targetGroupArn);
}

interface ProbeSummary {
  readonly lines: readonly string[];
  readonly failing: boolean;
  /** Some failure carried a status a backend produced (not one ALB generates itself). */
  readonly backend: boolean;
}

function summariseProbes(results: readonly ProbeResult[]): ProbeSummary {
  const byProbe = new Map<string, ProbeResult[]>();
  for (const r of [...results].sort((a, b) => a.at.localeCompare(b.at))) {
    byProbe.set(r.probe, [...(byProbe.get(r.probe) ?? []), r]);
  }
  const lines: string[] = [];
  let backend = false;
  for (const [probe, runs] of byProbe) {
    const failed = runs.filter((r) => !r.ok);
    const last = failed.at(-1);
    if (last === undefined) continue;
    const step = last.steps.find((s) => !s.ok);
    const reason =
      step === undefined ? 'failed' : (step.failures[0] ?? step.error ?? `status ${step.status ?? 'none'}`);
    const where = step !== undefined && last.steps.length > 1 ? `step ${step.name}: ` : '';
    lines.push(`probe ${probe}: ${failed.length} of ${runs.length} failed, last: ${where}${reason}`);
    backend ||= failed.some((r) =>
      r.steps.some((s) => !s.ok && s.status !== undefined && !LB_GENERATED_STATUS.has(s.status)),
    );
  }
  return { lines, failing: lines.length > 0, backend };
}

function summariseMetrics(m: AlbMetrics | undefined): { line?: string; errorRate: number } {
  if (m === undefined) return { errorRate: 0 };
  const errors = m.elb5xx + m.target5xx;
  // ALB leaves requests it could not send to a target (an empty group's 503s) out of
  // RequestCount, so the count of errors can exceed it; never report a rate above 100%.
  if (errors === 0) return { errorRate: 0 };
  const requests = Math.max(m.requestCount, errors);
  const errorRate = errors / requests;
  const elb5xx = m.elb5xx === m.elb503 ? '' : `; ELB 5xx: ${m.elb5xx}`;
  return {
    line: `ELB 503: ${m.elb503} in window${elb5xx}; target 5xx: ${m.target5xx} (5xx rate ${formatPercent(errorRate)} of ${requests} requests, ${clock(m.windowStart)}–${clock(m.windowEnd)})`,
    errorRate,
  };
}

/**
 * Observed traffic against where the current configuration and health say it should go. A
 * mismatch the routing model cannot explain is the load balancer behaving unexpectedly; a
 * configuration that changed is caught by comparing configurations instead.
 */
function observeSkew(
  signals: Signals,
  live: RoutingModel,
  thresholds: Thresholds,
  perTarget: readonly PerTargetShares[],
  intent: Intent,
): { skew: string[]; intended: string[] } {
  const lines: string[] = [];
  const intended: string[] = [];
  const metrics = signals.metrics;
  if (metrics !== undefined) {
    for (const route of live.routes) {
      const expected = expectedGroupShares(route);
      const arns = Object.entries(expected)
        .filter(([, share]) => share > 0)
        .map(([arn]) => arn);
      // Per-group counts are load-balancer wide: only a route whose groups no other route uses
      // can be tested on them.
      if (arns.length < 2 || arns.some((arn) => usedElsewhere(live, route, arn))) continue;
      const observed = Object.fromEntries(
        arns.map((arn) => [arn, countFor(metrics.requestCountByTargetGroup, arn)]),
      );
      const result = testSkew(observed, expected, thresholds.skew);
      if (
        result.kind === 'skewed' &&
        hasGroupStickiness(intent.snapshot, route) &&
        result.heaviest.observedShare < 0.9
      ) {
        intended.push(
          `CloudWatch RequestCount per target group uneven for ${describeRoute(route)}: its forward keeps clients on one target group (group stickiness)`,
        );
      } else if (result.kind === 'skewed') {
        lines.push(`CloudWatch RequestCount per target group for ${describeRoute(route)}:`);
        lines.push(...result.evidence.map((e) => `  ${e}`));
      }
    }
  }
  for (const shares of perTarget) {
    if (shares.test.kind === 'tested' && shares.test.skew.kind === 'skewed') {
      const explained = explainPerTargetSkew(shares, intent, thresholds.skew);
      if (explained !== undefined) intended.push(explained, describePerTargetShares(shares));
      else
        lines.push(`${describePerTargetShares(shares)}:`, ...shares.test.skew.evidence.map((e) => `  ${e}`));
    }
  }
  return { skew: lines, intended };
}

/** Per-target shares from every source beyond CloudWatch that reported anything. */
function measurePerTarget(signals: Signals, live: RoutingModel, thresholds: Thresholds): PerTargetShares[] {
  const options = { snapshot: signals.snapshot, thresholds: thresholds.skew };
  const measured: PerTargetShares[] = [];
  if (signals.servedBy !== undefined) measured.push(sharesFromServedBy(signals.servedBy, live, options));
  if (signals.instanceCounts !== undefined && Object.keys(signals.instanceCounts).length > 0) {
    measured.push(sharesFromInstanceCounts(signals.instanceCounts, live, options));
  }
  return measured;
}

function usedElsewhere(model: RoutingModel, route: RouteModel, arn: string): boolean {
  return model.routes.some((r) => r !== route && (expectedGroupShares(r)[arn] ?? 0) > 0);
}

/** CloudWatch names a group by its ARN suffix (`targetgroup/web-a/0123…`); accept that, the ARN or the name. */
function countFor(counts: Readonly<Record<string, number>>, arn: string): number {
  const suffix = arn.slice(arn.indexOf(':targetgroup/') + 1);
  return counts[arn] ?? counts[suffix] ?? counts[targetGroupName(arn)] ?? 0;
}

/** Routes (by listener and rule) that answer a fixed error now but did not in last known good. */
function findNewDenials(now: RoutingModel, before: RoutingModel): string[] {
  const denies = (r: RouteModel) =>
    r.shares.some((s) => s.destination.kind === 'fixed-response' && Number(s.destination.statusCode) >= 400);
  const key = (r: RouteModel) => `${r.listenerPort}|${r.ruleArn}`;
  const deniedBefore = new Set(before.routes.filter(denies).map(key));
  return now.routes
    .filter((r) => denies(r) && !deniedBefore.has(key(r)))
    .map(
      (r) =>
        `${describeRoute(r)} now answers ${r.shares.map((s) => destinationKey(s.destination)).join(', ')}`,
    );
}

/**
 * Config skew caused by a routing change on the same route. Concentration caused only by
 * deregistered targets is judged as missing targets instead, where auto-scaling churn is
 * told apart from a real loss.
 */
function findRoutingSkew(
  findings: readonly ConfigSkewFinding[],
  routingDrift: readonly Drift[],
): ConfigSkewFinding[] {
  // A route that now reaches no target at all (a fixed 503, an emptied group) is not traffic
  // concentrating: it is listener drift or missing targets, judged below.
  return findings.filter(
    (finding) =>
      finding.targetsNow > 0 &&
      routingDrift.some(
        (d) =>
          d.listenerArn === finding.listenerArn &&
          (finding.ruleArn === 'default' ? d.ruleArn === undefined : d.ruleArn === finding.ruleArn),
      ),
  );
}

/** Remediable drift first: it is what a plan would restore. */
export function orderDrift(drift: readonly Drift[]): Drift[] {
  return [...drift.filter((d) => d.remediable), ...drift.filter((d) => !d.remediable)];
}

function clock(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}
