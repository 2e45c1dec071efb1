/**
 * The deployment gate (`lbguard verify`): may a pipeline go on? It passes only when traffic is
 * spread as configured and the site is shown healthy by probe results that are recent. Traffic on
 * one target fails it whatever put it there, and the verdict names which of three causes did:
 * the configuration (weights, rules, deregistered targets), health (the others fail their checks)
 * or capacity (configuration and health spread it, the observed shares do not). Every difference
 * from last known good is listed with a verdict, so a deploy's change shows even when it passes.
 */
import type { ScheduleConfig } from './config/index.ts';
import { type Facts, gatherFacts } from './diagnosis/facts.ts';
import { describeRoute, detectConfigSkew, formatPercent } from './routing.ts';
import type {
  Diagnosis,
  Drift,
  ProbeResult,
  RouteModel,
  RoutingModel,
  Signals,
  Thresholds,
} from './types.ts';
import { targetKey } from './types.ts';

/** What concentrated traffic, or what else stops the gate. */
export type GateCause = 'configuration' | 'health' | 'capacity' | 'health-unknown';

/** Traffic of one route on one target. */
export interface Concentration {
  readonly cause: Exclude<GateCause, 'health-unknown'>;
  readonly route: string;
  readonly target: string;
  readonly share: number;
  readonly evidence: string;
}

/** Health as far as probe results show it: never claimed without one. */
export type GateHealth =
  | { readonly kind: 'green'; readonly since: string; readonly results: number }
  | { readonly kind: 'failing'; readonly since: string; readonly failures: readonly string[] }
  | { readonly kind: 'unknown'; readonly since: string };

/** One difference from last known good and whether it is the problem. */
export interface GateDifference {
  readonly ruleId: string;
  readonly kind: Drift['kind'];
  readonly summary: string;
  readonly verdict: 'benign' | 'harmful';
  readonly why: string;
}

export interface GateVerdict {
  readonly service: string;
  readonly ok: boolean;
  /** Why the gate fails; null when it passes. */
  readonly cause: GateCause | null;
  readonly summary: string;
  /** What to do; empty when it passes. */
  readonly action: string;
  readonly concentrations: readonly Concentration[];
  readonly health: GateHealth;
  readonly differences: readonly GateDifference[];
  /** Whether a last known good exists: without one, no difference can be listed. */
  readonly lastGood: boolean;
  readonly diagnosis: Pick<Diagnosis, 'cause' | 'summary' | 'evidence'>;
}

/**
 * How recent a probe result must be to speak for the site now: two of the longest gaps between
 * probe rounds (the interval inside an invocation's loop, or the pause between invocations).
 */
export function healthWindowMs(schedule: ScheduleConfig): number {
  const gap = Math.max(
    schedule.probeIntervalSeconds,
    60 - schedule.probeLoopSeconds + schedule.probeIntervalSeconds,
  );
  return 2 * gap * 1000;
}

/** Share of a route above which the observed heaviest target counts as concentration. */
const OBSERVED_RISE = 1.5;

const ACTIONS: Readonly<Record<GateCause, string>> = {
  configuration:
    'the load balancer configuration sends this traffic there: roll the deployment back, or run lbguard restore to see the plan that restores last known good',
  health:
    'the other targets fail their health checks: fix them or the health check (lbguard status shows why each fails); set a minimum-healthy-targets requirement (lint rule LBG-L7) so ALB fails open instead',
  capacity:
    'configuration and target health spread traffic, the observed shares do not: look for long-lived connections or stickiness pinning clients, and for targets too small to take their share; lbguard does not change the load balancer for this',
  'health-unknown':
    'run the probes (lbguard verify without --no-probe, from where the site is reachable) or wait for the probe function to report',
};

/**
 * Judges one service at the gate. `probes` are the results the caller ran itself and those
 * stored since `since` (the start of the health window); older ones say nothing about now.
 */
export function judgeGate(input: {
  readonly signals: Signals;
  readonly thresholds: Thresholds;
  readonly diagnosis: Diagnosis;
  readonly probes: readonly ProbeResult[];
  readonly since: string;
}): GateVerdict {
  const { signals, diagnosis } = input;
  const facts = gatherFacts(signals, input.thresholds);
  const concentrations = findConcentrations(facts);
  const health = judgeHealth(input.probes, input.since);
  const differences = facts.drift.map((d) => judgeDifference(d, facts, concentrations));
  const cause = gateCause(concentrations, diagnosis, health, facts.configSkew.length === 0);
  const first = concentrations[0];
  const summary =
    cause === null
      ? 'traffic is spread as configured and probes are green'
      : first !== undefined
        ? `${first.route} sends ${formatPercent(first.share)} of its traffic to ${first.target} (cause: ${first.cause})`
        : cause === 'health-unknown'
          ? unknownLine(input.since)
          : diagnosis.summary;
  return {
    service: signals.service,
    ok: cause === null,
    cause,
    summary,
    action: cause === null ? '' : ACTIONS[cause],
    concentrations,
    health,
    differences,
    lastGood: facts.lastGood !== undefined,
    diagnosis: { cause: diagnosis.cause, summary: diagnosis.summary, evidence: diagnosis.evidence },
  };
}

/** `no probe results since 12:00:00Z: health unknown`. */
export function unknownLine(since: string): string {
  return `no probe results since ${since}: health unknown`;
}

function gateCause(
  concentrations: readonly Concentration[],
  diagnosis: Diagnosis,
  health: GateHealth,
  configurationSpreads: boolean,
): GateCause | null {
  const first = concentrations[0];
  if (first !== undefined) return first.cause;
  // Skew only observed (the configuration spreads traffic as modelled) is not the configuration's.
  if (diagnosis.cause === 'routing-skew' && configurationSpreads) return 'capacity';
  if (diagnosis.lbFault || diagnosis.cause === 'state-integrity') return 'configuration';
  if (health.kind === 'failing' || !HEALTHY_CAUSES.has(diagnosis.cause)) return 'health';
  return health.kind === 'unknown' ? 'health-unknown' : null;
}

/** Diagnoses under which the site may pass: nothing wrong, or the load balancer protecting it on purpose. */
const HEALTHY_CAUSES: ReadonlySet<Diagnosis['cause']> = new Set(['healthy', 'lb-protecting']);

/** Routes on one target, by cause: configuration before health before capacity. */
function findConcentrations(f: Facts): Concentration[] {
  const found: Concentration[] = [];
  if (f.configBefore !== undefined) {
    for (const s of detectConfigSkew(f.configNow, f.configBefore)) {
      if (s.targetsNow !== 1) continue;
      found.push({
        cause: 'configuration',
        route: nameOf(f.configNow, s),
        target: s.heaviest.key,
        share: s.heaviest.share,
        evidence: s.evidence,
      });
    }
  }
  for (const live of f.liveNow.routes) {
    const only = soleTarget(live);
    const configured = f.configNow.routes.find(
      (r) => r.listenerArn === live.listenerArn && r.ruleArn === live.ruleArn,
    );
    if (only === undefined || configured === undefined || receivers(configured) < 2) continue;
    const route = describeRoute(live);
    if (found.some((c) => c.route === route)) continue;
    found.push({
      cause: 'health',
      route,
      target: only,
      share: 1,
      evidence: `${route} spreads traffic over ${receivers(configured)} targets by configuration; only ${only} passes its health checks`,
    });
  }
  for (const p of f.perTarget) {
    if (p.test.kind !== 'tested' || p.test.skew.kind !== 'skewed') continue;
    const h = p.test.skew.heaviest;
    if (h.observedShare < OBSERVED_RISE * h.expectedShare) continue;
    const route = describeRoute(p.test.route);
    if (found.some((c) => c.route === route)) continue;
    found.push({
      cause: 'capacity',
      route,
      target: h.key,
      share: h.observedShare,
      evidence: `${p.source} over ${p.samples} requests: ${h.key} served ${formatPercent(h.observedShare)} where configuration and health give it ${formatPercent(h.expectedShare)}`,
    });
  }
  return found;
}

/** The route's name as `describeRoute` gives it, so every list names a route the same way. */
function nameOf(
  model: RoutingModel,
  at: {
    readonly listenerArn: string;
    readonly ruleArn: string;
    readonly listenerPort: number;
    readonly priority: number | 'default';
  },
): string {
  const route = model.routes.find((r) => r.listenerArn === at.listenerArn && r.ruleArn === at.ruleArn);
  if (route !== undefined) return describeRoute(route);
  return at.priority === 'default'
    ? `listener :${at.listenerPort} default action`
    : `listener :${at.listenerPort} rule ${at.priority}`;
}

/** The one target a route sends everything to (not failing open), else undefined. */
function soleTarget(route: RouteModel): string | undefined {
  const keys = new Set<string>();
  for (const { destination, share } of route.shares) {
    if (share <= 0) continue;
    if (destination.kind !== 'target' || route.failOpen.includes(destination.targetGroupArn))
      return undefined;
    keys.add(targetKey(destination));
  }
  return keys.size === 1 ? [...keys][0] : undefined;
}

function receivers(route: RouteModel): number {
  return new Set(
    route.shares.flatMap((s) =>
      s.destination.kind === 'target' && s.share > 0 ? [targetKey(s.destination)] : [],
    ),
  ).size;
}

/** The newest result of each probe decides: an earlier blip already recovered says nothing now. */
function judgeHealth(results: readonly ProbeResult[], since: string): GateHealth {
  const recent = results.filter((r) => r.at >= since).sort((a, b) => a.at.localeCompare(b.at));
  if (recent.length === 0) return { kind: 'unknown', since };
  const newest = new Map(recent.map((r) => [r.probe, r]));
  const failures = [...newest.values()].filter((r) => !r.ok).map(describeFailure);
  return failures.length === 0
    ? { kind: 'green', since, results: recent.length }
    : { kind: 'failing', since, failures };
}

function describeFailure(r: ProbeResult): string {
  const step = r.steps.find((s) => !s.ok);
  const why =
    step?.failures[0] ?? step?.error ?? (step?.status === undefined ? 'failed' : `status ${step.status}`);
  return `probe ${r.probe} at ${r.at}: ${why}`;
}

/**
 * Harmful when it is part of what fails the gate: it concentrates a route, empties or halves a
 * routed group, makes a route answer an error, or is drift the diagnosis blames; benign otherwise.
 */
function judgeDifference(d: Drift, f: Facts, concentrations: readonly Concentration[]): GateDifference {
  const harmful = harmOf(d, f, concentrations);
  return {
    ruleId: d.ruleId,
    kind: d.kind,
    summary: d.summary,
    verdict: harmful === undefined ? 'benign' : 'harmful',
    why: harmful ?? benignReason(d, f),
  };
}

function harmOf(d: Drift, f: Facts, concentrations: readonly Concentration[]): string | undefined {
  const group = d.targetGroupArn === undefined ? undefined : f.groups.find((g) => g.arn === d.targetGroupArn);
  if (d.kind === 'targets-deregistered' && group !== undefined) {
    if (group.registered === 0) return `${group.name} has no registered targets left: ALB answers 503`;
    if (group.registeredBefore !== undefined && group.registered * 2 <= group.registeredBefore)
      return `${group.name} keeps ${group.registered} of ${group.registeredBefore} targets: half its capacity or more is gone`;
  }
  const routed = onRoute(d, f.configNow);
  const concentrated = concentrations.find((c) => c.cause === 'configuration' && routed.includes(c.route));
  if (concentrated !== undefined)
    return `${concentrated.route} now sends ${formatPercent(concentrated.share)} to ${concentrated.target}`;
  if (f.newDenials.length > 0 && routed.some((r) => f.newDenials.some((n) => n.startsWith(r))))
    return `${routed[0]} now answers an error`;
  if (d.kind === 'health-check-changed' && concentrations.some((c) => c.cause === 'health'))
    return 'the targets fail the changed health check';
  if (d.remediable && f.configSkew.length + f.newDenials.length > 0 && routed.length > 0)
    return 'part of the routing fault the diagnosis names';
  return undefined;
}

/** Routes (as `describeRoute` names them) a drift is on. */
function onRoute(d: Drift, model: RoutingModel): string[] {
  return model.routes
    .filter((r) =>
      d.ruleArn !== undefined
        ? r.ruleArn === d.ruleArn
        : d.listenerArn !== undefined
          ? r.listenerArn === d.listenerArn && r.ruleArn === 'default'
          : d.targetGroupArn !== undefined &&
            r.shares.some(
              (s) => 'targetGroupArn' in s.destination && s.destination.targetGroupArn === d.targetGroupArn,
            ),
    )
    .map(describeRoute);
}

function benignReason(d: Drift, f: Facts): string {
  if (d.kind === 'targets-registered') return 'adds capacity';
  if (d.kind === 'targets-deregistered') return 'the group keeps more than half its targets';
  const routed = onRoute(d, f.liveNow);
  const route = f.liveNow.routes.find((r) => routed[0] === describeRoute(r));
  return route === undefined
    ? 'no route sends traffic through it'
    : `${routed[0]} still spreads traffic over ${receivers(route)} targets`;
}
