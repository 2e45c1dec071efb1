/**
 * Diagnosis (DESIGN.md "Diagnosis"): from everything inspect knows at one moment, exactly one
 * root-cause class with evidence lines a human can check, most telling first.
 *
 * The load-balancer classes are tried first because they are the ones lbguard can fix; the
 * non-LB classes are as important, because they are what stops lbguard from "fixing" a load
 * balancer that is not the cause. Deliberate changes are not faults: a reweight that keeps the
 * spread, or targets churned by auto scaling, show up as drift in the evidence of a healthy
 * diagnosis, and only become a cause when they concentrate traffic, empty or halve a routed
 * group, or coincide with customer impact. Traffic concentrated by health rather than by
 * configuration (the single survivor) is its own class and never remediated: re-registering
 * targets or rewriting rules cannot make failing targets pass their health checks.
 *
 * Every diagnosis involving drift names the change behind it: the CloudTrail call, principal,
 * source and time, with the drift it explains (before → after); drift no event explains is dated
 * between the last observation that matched last known good and now.
 */
import { diffSnapshots } from './drift.ts';
import {
  type ConfigSkewFinding,
  describeRoute,
  destinationKey,
  detectConfigSkew,
  expectedGroupShares,
  formatPercent,
  modelRouting,
  targetGroupName,
} from './routing.ts';
import {
  describePerTargetShares,
  type PerTargetShares,
  sharesFromInstanceCounts,
  sharesFromServedBy,
} from './served-by.ts';
import { testSkew } from './skew.ts';
import { groupName } from './snapshot.ts';
import type {
  AlbMetrics,
  ConfigChange,
  Diagnosis,
  Drift,
  DriftKind,
  HealthCheck,
  LbSnapshot,
  ProbeResult,
  RootCause,
  RouteModel,
  RoutingModel,
  Severity,
  Signals,
  TargetGroup,
  TargetHealth,
  Thresholds,
} from './types.ts';
import { targetKey } from './types.ts';

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
]);

/** Statuses ALB itself generates; a probe seeing one of these has not heard from a backend. */
const LB_GENERATED_STATUS: ReadonlySet<number> = new Set([460, 463, 464, 502, 503, 504, 561]);

/** Everything `diagnose` derives from the signals before it picks a class. */
interface Facts {
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
interface GroupFacts {
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
interface Survivor {
  readonly facts: GroupFacts;
  readonly group: TargetGroup;
  readonly survivor: string;
  /** The first route whose traffic it takes alone. */
  readonly route: RouteModel;
  /** Health records of the targets out of service (failing their checks, or stopped). */
  readonly failing: readonly TargetHealth[];
}

/** Drift explained by CloudTrail events, and what no event explains. */
interface Attribution {
  readonly byChange: readonly { readonly change: ConfigChange; readonly drift: readonly Drift[] }[];
  readonly unattributed: readonly Drift[];
  /** The newest event that explains no drift: still worth showing when it is the last change seen. */
  readonly unexplained?: ConfigChange;
  /** When unattributed drift happened: since the last observation matching last known good, until now. */
  readonly from: string;
  readonly to: string;
}

/**
 * Diagnoses the signals of one service at one moment. Pure: the same signals always give the
 * same diagnosis, so a diagnosis can be re-derived under the remediation lock and compared.
 */
export function diagnose(signals: Signals, thresholds: Thresholds): Diagnosis {
  const facts = gatherFacts(signals, thresholds);
  const cause = classify(facts);
  const lbFault = cause === 'routing-skew' || cause === 'missing-targets' || cause === 'listener-drift';
  return {
    cause,
    lbFault,
    remediable: lbFault && facts.lastGood !== undefined && facts.drift.some((d) => d.remediable),
    severity: severityOf(cause, facts),
    summary: summarise(cause, facts),
    evidence: dedupe(explain(cause, facts)),
    drift: facts.drift,
  };
}

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

function gatherFacts(signals: Signals, thresholds: Thresholds): Facts {
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
    observedSkew: observeSkew(signals, liveNow, thresholds, perTarget),
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
): string[] {
  const lines: string[] = [];
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
      if (result.kind === 'skewed') {
        lines.push(`CloudWatch RequestCount per target group for ${describeRoute(route)}:`);
        lines.push(...result.evidence.map((e) => `  ${e}`));
      }
    }
  }
  for (const shares of perTarget) {
    if (shares.test.kind === 'tested' && shares.test.skew.kind === 'skewed') {
      lines.push(`${describePerTargetShares(shares)}:`, ...shares.test.skew.evidence.map((e) => `  ${e}`));
    }
  }
  return lines;
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

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

function classify(f: Facts): RootCause {
  const emptied = f.groups.filter((g) => g.registered === 0);
  const shrunk = f.groups.filter(isShrunk);
  if (f.configSkew.length > 0) return 'routing-skew';
  if (emptied.length > 0 || (shrunk.length > 0 && f.impact) || f.groups.some(isHalved))
    return 'missing-targets';
  if (f.routingDrift.some((d) => d.remediable) && (f.impact || f.newDenials.length > 0))
    return 'listener-drift';
  if (f.survivors.length > 0) return 'single-survivor';
  if (f.groups.some(hasNoHealthyTargets)) return 'no-healthy-targets';
  if (f.groups.some((g) => (g.health?.unhealthy ?? 0) > 0)) return 'targets-unhealthy-balanced';
  if (f.observedSkew.length > 0) return 'routing-skew';
  if (f.impact) {
    const backend = f.backendProbeFailures || (f.signals.metrics?.target5xx ?? 0) > 0;
    return backend ? 'backend-errors-balanced' : 'unknown';
  }
  return 'healthy';
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

function isShrunk(g: GroupFacts): boolean {
  return g.registeredBefore !== undefined && g.registered < g.registeredBefore;
}

/** Half the capacity gone (one survivor of two included) is a risk before any customer notices. */
function isHalved(g: GroupFacts): boolean {
  return g.registeredBefore !== undefined && g.registered * 2 <= g.registeredBefore;
}

function hasNoHealthyTargets(g: GroupFacts): boolean {
  return g.registered > 0 && g.health !== undefined && g.health.healthy === 0 && g.health.unhealthy > 0;
}

function severityOf(cause: RootCause, f: Facts): Severity {
  if (cause === 'healthy') return 'info';
  // An emptied routed group answers 503 to its share of customers whether or not a probe hit it.
  if (f.impact || f.groups.some((g) => g.registered === 0)) return 'critical';
  return 'warning';
}

// ---------------------------------------------------------------------------------------------
// Words
// ---------------------------------------------------------------------------------------------

function summarise(cause: RootCause, f: Facts): string {
  const who = changeClause(f);
  switch (cause) {
    case 'healthy':
      return f.drift.length === 0
        ? 'Healthy: probes green and routing as expected'
        : `Healthy: probes green; ${plural(f.drift.length, 'benign difference')} from last known good`;
    case 'routing-skew': {
      const finding = f.configSkew[0];
      if (finding === undefined)
        return 'Routing skew: observed traffic is concentrated beyond what routing and health explain';
      const route =
        finding.priority === 'default'
          ? `listener :${finding.listenerPort} default action`
          : `listener :${finding.listenerPort} rule ${finding.priority}`;
      return `Routing skew on ${route}: ${finding.targetsNow} of ${finding.targetsBefore} targets receive traffic, ${finding.heaviest.key} takes ${formatPercent(finding.heaviest.share)}${who}`;
    }
    case 'missing-targets': {
      const groups = f.groups
        .filter((g) => g.registered === 0 || isShrunk(g))
        .map((g) => {
          const before =
            g.registeredBefore === undefined ? '' : ` of ${g.registeredBefore} in last known good`;
          return `${g.name} has ${plural(g.registered, 'registered target')}${before}`;
        });
      return `Missing targets: ${groups.join('; ')}${who}`;
    }
    case 'listener-drift': {
      const changes = f.routingDrift.filter((d) => d.remediable).map((d) => d.summary);
      return `Listener drift: ${changes.join('; ')}${who}`;
    }
    case 'no-healthy-targets':
      return `No healthy targets in ${f.groups
        .filter(hasNoHealthyTargets)
        .map((g) => g.name)
        .join(', ')}: ALB fails open to unhealthy targets`;
    case 'targets-unhealthy-balanced': {
      const unhealthy = f.groups.reduce((n, g) => n + (g.health?.unhealthy ?? 0), 0);
      const total = f.groups.reduce((n, g) => n + g.registered, 0);
      return `${unhealthy} of ${total} targets failing health checks with balanced routing; not a load balancer fault`;
    }
    case 'backend-errors-balanced':
      return 'Backend errors with balanced routing and healthy targets; not a load balancer fault';
    case 'single-survivor':
      return `Single survivor: ${f.survivors
        .map(
          (s) =>
            `${s.facts.name} sends all its traffic to ${s.survivor}, ${s.failing.length} of ${s.facts.registered} targets out of service (${reasonsOf(s.failing)})`,
        )
        .join('; ')}; not a routing fault, not remediated`;
    case 'unknown':
      return 'Probes failing with no explanation in routing, target health or drift';
  }
}

/** ` after ModifyListener by role deploy-pipeline`, or when the change was made, for a summary. */
function changeClause(f: Facts): string {
  const { byChange, unattributed, unexplained } = f.attribution;
  const explaining = byChange.findLast((b) => b.drift.some((d) => d.remediable)) ?? byChange.at(-1);
  if (explaining !== undefined)
    return ` after ${explaining.change.eventName} by ${explaining.change.principal}`;
  if (unattributed.some((d) => d.remediable))
    return `; changed between ${span(f.attribution.from, f.attribution.to)} (no CloudTrail event seen)`;
  // With no last known good nothing can be matched to the event; it still came first.
  if (unexplained !== undefined && f.lastGood === undefined)
    return ` after ${unexplained.eventName} by ${unexplained.principal}`;
  return '';
}

function explain(cause: RootCause, f: Facts): string[] {
  // Events first for load-balancer faults (who did it is the line that saves the hour); drift no
  // event explains is only dated, so it follows the evidence of what is wrong.
  const { events, undated } = attributionLines(f);
  const change = [...events, ...undated];
  const driftLines = orderDrift(f.drift).map((d) => `drift ${d.ruleId}: ${d.summary}`);
  const noLastGood =
    f.lastGood === undefined
      ? ['No last known good snapshot yet: configuration skew and drift cannot be compared (first run)']
      : [];
  const observed = [...f.probeLines, ...(f.metricsLine === undefined ? [] : [f.metricsLine])];
  const health = healthLines(f);
  switch (cause) {
    case 'routing-skew':
      return [
        ...events,
        ...f.configSkew.map((s) => s.evidence),
        ...groupLines(f),
        ...f.observedSkew,
        ...undated,
        ...driftLines,
        ...observed,
        ...health,
        ...noLastGood,
      ];
    case 'missing-targets':
      return [...events, ...groupLines(f), ...undated, ...driftLines, ...observed, ...health, ...noLastGood];
    case 'listener-drift':
      return [...events, ...f.newDenials, ...undated, ...driftLines, ...observed, ...health];
    case 'no-healthy-targets':
    case 'targets-unhealthy-balanced':
      return [
        notTheCause(cause, f),
        ...health,
        ...observed,
        ...f.observedSkew,
        ...f.perTarget.map(describePerTargetShares),
        ...change,
        ...driftLines,
        ...noLastGood,
      ];
    case 'backend-errors-balanced':
      return [
        notTheCause(cause, f),
        ...observed,
        ...health,
        ...f.perTarget.map(describePerTargetShares),
        ...change,
        ...driftLines,
        ...noLastGood,
      ];
    case 'single-survivor':
      return [
        ...survivorLines(f),
        ...healthCheckDrift(f),
        ...(f.perTarget.length === 0 ? [NO_PER_TARGET_SOURCE] : f.perTarget.map(describePerTargetShares)),
        ...observed,
        ...health,
        NOT_REMEDIATED,
        ...change,
        ...driftLines,
        ...noLastGood,
      ];
    case 'unknown':
      return [
        ...observed,
        'No explanation found: routing matches its configuration, routed targets are healthy, no backend 5xx reported',
        ...health,
        ...change,
        ...driftLines,
        ...noLastGood,
      ];
    case 'healthy':
      return [
        `probes: ${f.signals.probes.length} result(s), none failing`,
        ...driftLines,
        ...change,
        ...noLastGood,
      ];
  }
}

/** Remediable drift first: it is what a plan would restore. */
function orderDrift(drift: readonly Drift[]): Drift[] {
  return [...drift.filter((d) => d.remediable), ...drift.filter((d) => !d.remediable)];
}

/**
 * `ModifyListener by role deploy-pipeline from 10.0.0.5 at 14:02:11Z changed listener :80 default
 * action weights web-a/web-b 50/50 → 100/0`, one line per call; then drift no call explains,
 * dated by observation; then the newest call if it explains nothing, with what it touched.
 */
function attributionLines(f: Facts): { events: string[]; undated: string[] } {
  const { byChange, unattributed, unexplained } = f.attribution;
  const events = byChange.map(({ change, drift }) => `${describeCall(change)} changed ${listDrift(drift)}`);
  if (unexplained !== undefined) {
    const where =
      unexplained.resources.length === 0 ? '' : ` (${unexplained.resources.map(shortArn).join(', ')})`;
    events.push(`${describeCall(unexplained)}${where}`);
  }
  const undated =
    unattributed.length === 0
      ? []
      : [
          `changed between ${span(f.attribution.from, f.attribution.to)} (no CloudTrail event seen): ${listDrift(unattributed)}`,
        ];
  return { events, undated };
}

const IP_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.]+)$/i;

/** `ModifyListener by role deploy-pipeline from 10.0.0.5 at 14:02:11Z`; AWS services act `via` their name. */
function describeCall(change: ConfigChange): string {
  const source =
    change.sourceIp === undefined
      ? ''
      : IP_ADDRESS.test(change.sourceIp)
        ? ` from ${change.sourceIp}`
        : ` via ${change.sourceIp}`;
  return `${change.eventName} by ${change.principal}${source} at ${timeOf(change.at)}`;
}

const SHOWN_DRIFT = 3;

function listDrift(drift: readonly Drift[]): string {
  const shown = drift.slice(0, SHOWN_DRIFT).map((d) => d.summary);
  const more = drift.length > SHOWN_DRIFT ? `; … and ${drift.length - SHOWN_DRIFT} more` : '';
  return `${shown.join('; ')}${more}`;
}

/** `13:00:00Z and 14:05:00Z on 2025-02-25`, or both dates when the span crosses midnight. */
function span(from: string, to: string): string {
  const a = ISO_TIME.exec(from);
  const b = ISO_TIME.exec(to);
  if (a === null || b === null) return `${from} and ${to}`;
  return a[1] === b[1] ? `${a[2]}Z and ${b[2]}Z on ${a[1]}` : `${a[1]} ${a[2]}Z and ${b[1]} ${b[2]}Z`;
}

const ISO_TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/;

function timeOf(iso: string): string {
  const match = ISO_TIME.exec(iso);
  return match === null ? iso : `${match[2]}Z`;
}

/** `arn:…:listener/app/shop/50dc…/abc` → `listener/app/shop/…/abc`. */
function shortArn(arn: string): string {
  const resource = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/.exec(arn)?.[1] ?? arn;
  const parts = resource.split('/');
  return parts.length > 4 ? `${parts.slice(0, 3).join('/')}/…/${parts.at(-1)}` : resource;
}

function clock(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}

/** "listener :80 default action forwards 100% to web-a; web-a has 1 registered target of 2 in last known good". */
function groupLines(f: Facts): string[] {
  return f.groups
    .filter((g) => g.registered === 0 || isShrunk(g))
    .map((g) => {
      const head = `${describeRoute(g.route)} forwards ${formatPercent(g.share)} to ${g.name}`;
      if (g.registered === 0) {
        const before = g.registeredBefore === undefined ? '' : ` (${g.registeredBefore} in last known good)`;
        return `${head}; ${g.name} has no registered targets${before}, so ALB answers 503`;
      }
      return `${head}; ${g.name} has ${plural(g.registered, 'registered target')} of ${g.registeredBefore} in last known good`;
    });
}

/** "web-b: 0 of 2 targets healthy (Target.FailedHealthChecks)", plus the single-survivor warning. */
function healthLines(f: Facts): string[] {
  return f.groups.flatMap((g) => {
    if (g.health === undefined) return [];
    const lines: string[] = [];
    if (g.health.healthy < g.registered) {
      const reasons = g.health.reasons.length === 0 ? '' : ` (${g.health.reasons.join(', ')})`;
      lines.push(`${g.name}: ${g.health.healthy} of ${g.registered} targets healthy${reasons}`);
    }
    const survivor = f.survivors.find((s) => s.facts === g);
    if (survivor !== undefined) lines.push(guardLine(survivor));
    else if (g.health.healthy === 1 && g.registered > 1 && g.group?.unhealthyStateRouting === undefined) {
      lines.push(
        `${g.name}: a single healthy target takes all of its traffic, and no minimum-healthy-targets requirement makes ALB fail open instead (lint rule LBG-L7)`,
      );
    }
    return lines;
  });
}

const NOT_REMEDIATED =
  'Not remediated: restoring last known good cannot make targets pass their health checks, and lbguard never re-registers targets or rewrites rules for this; fix the failing targets or the health check';

const NO_PER_TARGET_SOURCE =
  "no per-target counts: CloudWatch counts requests per target group only (RequestCountPerTarget is the group's count divided by its healthy targets, flat when one takes everything); a served-by header or instance counters would show each target's share";

const SHOWN_FAILING = 5;

/** The single-survivor evidence: what concentrated traffic, why the others fail, what guard is missing. */
function survivorLines(f: Facts): string[] {
  return f.survivors.flatMap((s) => {
    const name = s.facts.name;
    const failing = s.failing.slice(0, SHOWN_FAILING).map((h) => {
      const why = h.description === undefined ? '' : ` (${h.description})`;
      return `${targetKey(h)} ${h.reason ?? 'no reason given'}${why}`;
    });
    const more = s.failing.length > SHOWN_FAILING ? `, … and ${s.failing.length - SHOWN_FAILING} more` : '';
    return [
      `Traffic is concentrated by health, not by configuration: ${describeRoute(s.route)} sends all of its traffic to ${s.survivor}, the only one of the ${s.facts.registered} targets of ${name} passing health checks; ${routingVerdict(f)}`,
      `${name}: ${s.failing.length} of ${s.facts.registered} targets out of service: ${failing.join(', ')}${more}`,
      `${name} health check: ${describeHealthCheck(s.group.healthCheck)}`,
      guardLine(s),
    ];
  });
}

function reasonsOf(records: readonly TargetHealth[]): string {
  return [...new Set(records.map((h) => h.reason ?? 'no reason given'))].sort().join(', ');
}

/** `path /health, port traffic-port, interval 30 s, …`: the settings that decide who is healthy. */
function describeHealthCheck(hc: HealthCheck): string {
  const parts = [
    hc.protocol === undefined ? '' : `protocol ${hc.protocol}`,
    hc.path === undefined ? '' : `path ${hc.path}`,
    hc.port === undefined ? '' : `port ${hc.port}`,
    hc.intervalSeconds === undefined ? '' : `interval ${hc.intervalSeconds} s`,
    hc.timeoutSeconds === undefined ? '' : `timeout ${hc.timeoutSeconds} s`,
    hc.healthyThreshold === undefined ? '' : `healthy threshold ${hc.healthyThreshold}`,
    hc.unhealthyThreshold === undefined ? '' : `unhealthy threshold ${hc.unhealthyThreshold}`,
    hc.matcher === undefined ? '' : `matcher ${hc.matcher}`,
  ].filter((p) => p !== '');
  if (parts.length === 0) return 'settings not reported';
  const timing =
    hc.intervalSeconds === undefined ||
    hc.unhealthyThreshold === undefined ||
    hc.healthyThreshold === undefined
      ? ''
      : ` (a target is out after ${hc.unhealthyThreshold * hc.intervalSeconds} s of failed checks and back after ${hc.healthyThreshold * hc.intervalSeconds} s of passing ones)`;
  return `${parts.join(', ')}${timing}`;
}

const GUARD_FIX =
  'lint rule LBG-L7: add target_group_health.unhealthy_state_routing.minimum_healthy_targets.count=2 so ALB fails open instead of piling everything on one target';

/** Whether ALB's own guard against the single survivor is set, and what to set. */
function guardLine(s: Survivor): string {
  const name = s.facts.name;
  const routing = s.group.unhealthyStateRouting;
  const required = [
    routing?.minimumHealthyTargetsCount === undefined ? '' : `count ${routing.minimumHealthyTargetsCount}`,
    routing?.minimumHealthyTargetsPercentage === undefined
      ? ''
      : `${routing.minimumHealthyTargetsPercentage}%`,
  ].filter((p) => p !== '');
  if (required.length === 0) {
    return `${name} has no minimum-healthy-targets guard (unhealthyStateRouting.minimumHealthyTargets* not set), so ALB keeps sending everything to the one healthy target; ${GUARD_FIX}`;
  }
  return `${name} requires minimum healthy targets ${required.join(' and ')}, which its one healthy target of ${s.facts.registered} still meets, so ALB does not fail open; ${GUARD_FIX}`;
}

function healthCheckDrift(f: Facts): string[] {
  return f.drift
    .filter((d) => d.kind === 'health-check-changed')
    .map(
      (d) =>
        `Health check settings changed since last known good (${d.summary}); lbguard reports this but does not restore it`,
    );
}

/** The line that saves the 40 minutes spent on the wrong lead when the load balancer is fine. */
function notTheCause(cause: RootCause, f: Facts): string {
  const healthCheck = f.drift.find((d) => d.kind === 'health-check-changed');
  if (cause === 'no-healthy-targets' && healthCheck !== undefined) {
    return `Health check settings changed since last known good (${healthCheck.summary}); a health check that fails every target is itself a load balancer setting, which lbguard reports but does not restore`;
  }
  const routing = routingVerdict(f);
  if (cause === 'no-healthy-targets') {
    const names = f.groups.filter(hasNoHealthyTargets).map((g) => g.name);
    return `The load balancer is not the cause: ${routing}; every target of ${names.join(', ')} fails its health check, so ALB fails open and sends them traffic anyway.`;
  }
  const healthy = new Set<string>();
  for (const route of f.liveNow.routes) {
    for (const { destination, share } of route.shares) {
      if (
        destination.kind === 'target' &&
        share > 0 &&
        !route.failOpen.includes(destination.targetGroupArn)
      ) {
        healthy.add(targetKey(destination));
      }
    }
  }
  return `The load balancer is not the cause: ${routing} and spreads traffic over ${plural(healthy.size, 'healthy target')}.`;
}

function routingVerdict(f: Facts): string {
  if (f.lastGood === undefined)
    return 'routing has no configuration fault lbguard can see (no last known good to compare with yet)';
  return f.routingDrift.length === 0
    ? 'routing matches last known good'
    : 'routing spreads traffic as last known good did';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function dedupe(lines: readonly string[]): string[] {
  return [...new Set(lines)];
}
