/**
 * The words of a diagnosis: its one-sentence summary and the evidence lines, ordered so the line
 * a person needs first (who changed what, or why the load balancer is not the cause) comes first.
 */
import { plural } from '../format.ts';
import { describeProtection } from '../intent.ts';
import { describeRoute, formatPercent } from '../routing.ts';
import { describePerTargetShares } from '../served-by.ts';
import type { ConfigChange, Drift, HealthCheck, RootCause, TargetHealth } from '../types.ts';
import { targetKey } from '../types.ts';
import { hasNoHealthyTargets, isShrunk } from './classify.ts';
import { type Facts, orderDrift, type Survivor } from './facts.ts';

/** The one sentence for a notification subject or a status line, naming the change behind it when known. */
export function summarise(cause: RootCause, f: Facts): string {
  const who = changeClause(f);
  switch (cause) {
    case 'healthy': {
      // Green is a claim about probe results: with none in the window, only routing is known.
      const unknown = f.signals.probes.length === 0;
      if (f.drift.length === 0)
        return unknown
          ? 'Routing as expected; no probe results, health unknown'
          : 'Healthy: probes green and routing as expected';
      const benign = `${plural(f.drift.length, 'benign difference')} from last known good`;
      return unknown
        ? `Routing as expected, ${benign}; no probe results, health unknown`
        : `Healthy: probes green; ${benign}`;
    }
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
    case 'lb-protecting':
      return `The load balancer is protecting the site on purpose: ${f.protections.map(describeProtection).join('; ')}; not a routing fault, not remediated`;
    case 'unknown':
      return 'Probes failing with no explanation in routing, target health or drift';
    case 'data-plane-not-following':
      return `The data plane is not following the configuration${who}: the routing model says balanced, observed traffic is still concentrated past the deadline; not remediated`;
    case 'state-integrity':
      return `lbguard's state failed its integrity check (${(f.signals.stateIntegrity ?? [])
        .map((x) => x.item)
        .join(', ')}): nothing is remediated until an operator promotes a last known good`;
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

/** The evidence lines for `cause`, most telling first; may repeat a line, which `diagnose` removes. */
export function explain(cause: RootCause, f: Facts): string[] {
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
        ...(f.signals.dataPlane === undefined ? [] : [f.signals.dataPlane.line]),
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
    case 'state-integrity':
      return [
        ...(f.signals.stateIntegrity ?? []).map(
          (x) => `state table: the ${x.item} failed its integrity check: ${x.problem}`,
        ),
        'Not used: no plan is built from it and nothing is remediated. Something other than lbguard wrote to its state table (or the key changed): check who can write it (CloudTrail data events on the table) before anything else.',
        'To recover once the table is trusted again: lbguard snapshot --promote --service NAME (signs the live configuration as last known good).',
        ...observed,
        ...health,
        ...change,
        ...driftLines,
      ];
    case 'data-plane-not-following':
      return [
        ...(f.signals.dataPlane === undefined
          ? []
          : [f.signals.dataPlane.line, ...f.signals.dataPlane.evidence]),
        ...f.observedSkew,
        ...observed,
        ...change,
        ...health,
        'Not remediated: the configuration already says what it should. Compare the load balancer with what the data plane serves (served-by samples, access logs), then open an AWS support case with the write time and the request ids above; do not scale the old targets away until traffic has moved.',
        ...driftLines,
      ];
    case 'lb-protecting':
      return [
        ...f.protections.map(describeProtection),
        ...f.intended,
        ...observed,
        ...health,
        'Not remediated, and no plan sends traffic back to these targets or zones: look at the target (its logs, its latency) or at the shift, not at the load balancer.',
        ...change,
        ...driftLines,
        ...noLastGood,
      ];
    case 'healthy':
      return [
        f.signals.probes.length === 0
          ? 'probes: no results in the window, health unknown'
          : `probes: ${f.signals.probes.length} result(s), none failing`,
        ...(f.signals.dataPlane === undefined ? [] : [f.signals.dataPlane.line]),
        ...f.intended,
        ...driftLines,
        ...change,
        ...noLastGood,
      ];
  }
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
