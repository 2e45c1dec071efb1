import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
import { diagnose } from '../../lib/diagnosis.ts';
import { LbGuardError } from '../../lib/errors.ts';
import { type HysteresisSettings, replayHysteresis } from '../../lib/hysteresis.ts';
import { type Incident, startIncident } from '../../lib/incident.ts';
import { countsByInstance } from '../../lib/instance-counters.ts';
import { describeStep, planRemediation } from '../../lib/plan.ts';
import { hashSnapshot } from '../../lib/snapshot.ts';
import type {
  AlbMetrics,
  ConfigChange,
  Diagnosis,
  LbSnapshot,
  ProbeResult,
  Severity,
  Signals,
  StoredSnapshot,
  TargetHealth,
} from '../../lib/types.ts';
import { type CloudTrailEventDetail, translateCloudTrailEvent } from '../adapters/cloudtrail.ts';
import type { AlbMetricsReader } from '../adapters/cloudwatch.ts';
import type { LoadBalancerReader } from '../adapters/elbv2.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { LastGood, StateStore } from '../adapters/state-store.ts';
import { atColdStart } from '../runtime/cold-start.ts';
import { readEnv, requireRemediationTopic } from '../runtime/env.ts';
import type { CloudTrailElbv2Event, InspectEvent, VerifyRequest } from '../runtime/events.ts';
import { InspectEventSchema } from '../runtime/events.ts';
import { knownExistingTargetIds } from '../shared/existing-targets.ts';
import { advanceIncident } from '../flows/incidents.ts';
import { createInspectRuntime } from '../runtime/inspect-runtime.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import { createHandler } from '../runtime/middleware.ts';
import { notifyProbeChanges } from '../flows/probe-notifications.ts';
import { type RemediationInvoker, SnsRemediationInvoker } from '../adapters/remediation-handoff.ts';
import { knownAttributesOf, readServiceState, type TargetGroupDescriber } from '../flows/read-service.ts';

export interface InspectDeps {
  readonly config: LbGuardConfig;
  readonly reader: LoadBalancerReader;
  readonly describer: TargetGroupDescriber;
  readonly albMetrics: AlbMetricsReader;
  readonly store: StateStore;
  readonly notifier: Notifier;
  readonly invoker?: RemediationInvoker;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  readonly now: () => Date;
}

export type InspectTrigger = 'schedule' | 'config-change' | 'alarm';

/** What one inspection of one service found and did. */
export interface ServiceInspection {
  readonly service: string;
  readonly snapshotHash: string;
  readonly diagnosis: Diagnosis;
  readonly planHash?: string;
  readonly incidentId?: string;
  readonly incidentState: Incident['state'];
  readonly promoted: boolean;
}

export interface VerifyFinding {
  readonly service: string;
  readonly ok: boolean;
  readonly cause: Diagnosis['cause'];
  readonly severity: Severity;
  readonly summary: string;
  readonly evidence: readonly string[];
}

export type InspectOutcome =
  | {
      readonly kind: 'inspected';
      readonly trigger: InspectTrigger;
      readonly services: readonly ServiceInspection[];
    }
  | { readonly kind: 'ignored'; readonly reason: string }
  | {
      readonly kind: 'verify';
      readonly ok: boolean;
      readonly findings: readonly VerifyFinding[];
      readonly failOnFindings: boolean;
    };

/** Probe results this recent describe "now": one probe invocation loops for under a minute. */
const PROBE_WINDOW_MS = 90_000;

/**
 * How far back probe results are read: at least 90 s, and long enough to hold the results the
 * hysteresis rules count ("N in a row", "X of the last Y", "M successes"). With 1-minute probing
 * (one round per invocation) 90 s holds one or two results, so "3 in a row" could never be met
 * and a dead site would never be declared failing.
 */
export function probeWindowMs(schedule: LbGuardConfig['schedule'], hysteresis: HysteresisSettings): number {
  const roundsPerMinute = Math.max(1, Math.floor(schedule.probeLoopSeconds / schedule.probeIntervalSeconds));
  const needed =
    Math.max(hysteresis.consecutiveFailures, hysteresis.windowSize, hysteresis.consecutiveSuccesses) + 1;
  return Math.max(PROBE_WINDOW_MS, Math.ceil(needed / roundsPerMinute) * 60_000);
}
/** Served-by samples are taken once a minute; a few minutes give the skew test enough requests. */
const SERVED_BY_WINDOW_MS = 5 * 60_000;
/** A change older than this is no longer the likely cause of what is seen now. */
const CHANGE_WINDOW_MS = 60 * 60_000;
const INCIDENT_HISTORY = 20;
/** CloudTrail events that change what `DescribeTargetGroupAttributes` says about their groups. */
const ATTRIBUTE_EVENTS: ReadonlySet<string> = new Set(['ModifyTargetGroupAttributes', 'ModifyTargetGroup']);
/**
 * Target groups whose attributes an ordinary cycle re-reads, in rotation. Attribute changes wake
 * inspect through CloudTrail and are re-read at once; the rotation is the safety net for a missed
 * event, and keeping it to a few groups a cycle keeps every cycle within the call budget
 * (listeners + rule pages + groups + metric pages + a constant), however large the fleet.
 */
export const ATTRIBUTE_REREADS_PER_CYCLE = 5;

interface InspectOptions {
  readonly forceMetrics: boolean;
  /** Groups whose attributes changed (CloudTrail): re-read now, on top of the rotation. */
  readonly rereadAttributesOf: readonly string[];
}

/**
 * The slice of `targetGroupArns` (sorted) whose attributes the cycle at `at` re-reads: at most
 * `perCycle` groups, consecutive cycles taking consecutive slices, so that each group is re-read
 * at least once every ⌈groups / perCycle⌉ cycles. Stateless: the slice follows from the time.
 */
export function attributeRotation(
  targetGroupArns: readonly string[],
  at: Date,
  inspectRateMinutes: number,
  perCycle: number = ATTRIBUTE_REREADS_PER_CYCLE,
): string[] {
  const sorted = [...new Set(targetGroupArns)].sort();
  if (sorted.length <= perCycle) return sorted;
  const slices = Math.ceil(sorted.length / perCycle);
  const cycle = Math.floor(at.getTime() / (inspectRateMinutes * 60_000));
  const slice = ((cycle % slices) + slices) % slices;
  return sorted.slice(slice * perCycle, (slice + 1) * perCycle);
}

/** Raised by the post-deploy verification so the deployment fails. */
export class VerificationFailedError extends LbGuardError {
  readonly findings: readonly VerifyFinding[];

  constructor(findings: readonly VerifyFinding[]) {
    const bad = findings.filter((f) => !f.ok);
    super(`lbguard verification failed: ${bad.map((f) => `${f.service}: ${f.summary}`).join('; ')}`);
    this.name = 'VerificationFailedError';
    this.findings = findings;
  }
}

/**
 * Inspects on schedule, on an ELBv2 configuration change (only the services it touched), on an
 * alarm, or verifies on request. Verification only reads: it backs `lbguard verify` and the
 * post-deploy gate, neither of which should open incidents or move last known good.
 */
export async function run(event: InspectEvent, deps: InspectDeps): Promise<InspectOutcome> {
  if ('kind' in event) return verify(event, deps);
  switch (event.source) {
    case 'aws.events':
      return inspectAll(deps.config.services, 'schedule', deps, {
        forceMetrics: false,
        rereadAttributesOf: [],
      });
    case 'aws.cloudwatch':
      deps.logger.info('woken by alarm', { alarm: event.detail.alarmName, state: event.detail.state.value });
      return inspectAll(deps.config.services, 'alarm', deps, {
        forceMetrics: true,
        rereadAttributesOf: [],
      });
    case 'aws.elasticloadbalancing':
      return onConfigChange(event, deps);
  }
}

/** Throws when a gating verification found routing wrong; otherwise passes the outcome on. */
export function enforceVerification(outcome: InspectOutcome): InspectOutcome {
  if (outcome.kind === 'verify' && outcome.failOnFindings && !outcome.ok) {
    throw new VerificationFailedError(outcome.findings);
  }
  return outcome;
}

async function onConfigChange(event: CloudTrailElbv2Event, deps: InspectDeps): Promise<InspectOutcome> {
  // zod types optional fields as `T | undefined`; the event arrived as JSON, so a JSON round
  // trip yields exactly the fields present, which is what the translator's types say.
  const detail = JSON.parse(JSON.stringify(event.detail)) as CloudTrailEventDetail;
  const translated = translateCloudTrailEvent(detail);
  if (translated.kind === 'ignored') {
    deps.logger.info('config change ignored', { reason: translated.reason });
    return { kind: 'ignored', reason: translated.reason };
  }
  const change = translated.change;
  const touched: ServiceConfig[] = [];
  for (const service of deps.config.services) {
    if (await touches(service, change, deps.store)) touched.push(service);
  }
  if (touched.length === 0) {
    const reason = `${change.eventName} touches no guarded service`;
    deps.logger.info('config change ignored', { reason, resources: change.resources });
    return { kind: 'ignored', reason };
  }
  for (const service of touched) await deps.store.putConfigChange(service.name, change);
  return inspectAll(touched, 'config-change', deps, {
    forceMetrics: false,
    rereadAttributesOf: ATTRIBUTE_EVENTS.has(change.eventName)
      ? change.resources.filter((arn) => arn.includes(':targetgroup/'))
      : [],
  });
}

/**
 * Whether a change touched a service: its load balancer, a listener or rule of it (their ARNs
 * embed the load balancer's), or a target group it uses now or used when last known good.
 */
async function touches(service: ServiceConfig, change: ConfigChange, store: StateStore): Promise<boolean> {
  const lb = service.loadBalancerArn;
  const prefixes = [
    lb.replace(':loadbalancer/', ':listener/'),
    lb.replace(':loadbalancer/', ':listener-rule/'),
  ].map((p) => `${p}/`);
  const direct = change.resources.some((arn) => arn === lb || prefixes.some((p) => arn.startsWith(p)));
  if (direct) return true;
  const groups = change.resources.filter((arn) => arn.includes(':targetgroup/'));
  if (groups.length === 0) return false;
  const [lastGood, latest] = await Promise.all([
    store.getLastGood(service.name),
    store.getLatestSnapshot(service.name),
  ]);
  const known = new Set([lastGood, latest].flatMap((s) => s?.snapshot.targetGroups.map((g) => g.arn) ?? []));
  return groups.some((arn) => known.has(arn));
}

async function inspectAll(
  services: readonly ServiceConfig[],
  trigger: InspectTrigger,
  deps: InspectDeps,
  options: InspectOptions,
): Promise<InspectOutcome> {
  // One service at a time: ELBv2 Describe* calls share one per-account rate limit.
  const inspected: ServiceInspection[] = [];
  for (const service of services) inspected.push(await inspectService(service, trigger, deps, options));
  return { kind: 'inspected', trigger, services: inspected };
}

export interface Observation {
  readonly at: Date;
  /** The newest stored snapshot before this observation (history is written on hash change). */
  readonly latest?: StoredSnapshot;
  readonly snapshot: LbSnapshot;
  readonly snapshotHash: string;
  readonly health: readonly TargetHealth[];
  readonly lastGood?: LastGood;
  /** Every probe result under the current routing, blips included (the soak wants them all). */
  readonly probes: readonly ProbeResult[];
  /** Every probe result in the window, whatever the routing: a probe's history is the site's. */
  readonly recentProbes: readonly ProbeResult[];
  /** What the diagnosis was given. */
  readonly signals: Signals;
  readonly diagnosis: Diagnosis;
}

/** What an observation reads through: inspect's deps, or the CLI's own adapters. */
export type ObserveDeps = Pick<
  InspectDeps,
  'config' | 'reader' | 'describer' | 'albMetrics' | 'store' | 'now'
>;

/**
 * Everything inspect knows about one service now, diagnosed. Reads only. Exported so that
 * `lbguard status`, `restore` and `snapshot` see the same signals, filtered the same way, as
 * the inspect function does.
 */
export async function observe(
  service: ServiceConfig,
  deps: ObserveDeps,
  options: {
    readonly fetchMetrics: 'always' | 'never' | 'on-schedule-or-suspicion';
    /** `reread`: every group's attributes; otherwise the rotation plus `rereadOf`. */
    readonly attributes: 'reread' | { readonly rereadOf: readonly string[] };
  },
): Promise<Observation> {
  const at = deps.now();
  const name = service.name;
  const [lastGood, latest] = await Promise.all([
    deps.store.getLastGood(name),
    deps.store.getLatestSnapshot(name),
  ]);
  // Target group attributes change rarely, and changing them wakes inspect with a re-read of the
  // groups changed; in between, those of the latest snapshot stand, a few groups re-read a cycle.
  const knownAttributes =
    options.attributes === 'reread' || latest === undefined
      ? undefined
      : withoutGroups(knownAttributesOf(latest.snapshot), [
          ...attributeRotation(
            latest.snapshot.targetGroups.map((g) => g.arn),
            at,
            deps.config.schedule.inspectRateMinutes,
          ),
          ...options.attributes.rereadOf,
        ]);
  const state = await readServiceState(
    deps.reader,
    deps.describer,
    service,
    lastGood?.snapshot,
    knownAttributes === undefined ? {} : { knownAttributes },
  );
  const snapshotHash = hashSnapshot(state.snapshot);
  const [recentProbes, recentSamples, changes] = await Promise.all([
    deps.store.recentProbeResults(
      name,
      isoBefore(at, probeWindowMs(deps.config.schedule, service.thresholds.hysteresis)),
    ),
    deps.store.recentServedBySamples(name, isoBefore(at, SERVED_BY_WINDOW_MS)),
    deps.store.recentConfigChanges(name, isoBefore(at, CHANGE_WINDOW_MS)),
  ]);
  // Probe results and served-by samples taken before routing last changed describe routing that
  // is gone: judged against the new routing they read as skew (an intended blue/green shift
  // "reverted") or as failures after a fix (a page after the all-clear). Only evidence gathered
  // under the current routing counts; the configuration itself is judged from the snapshot.
  const routingSince = latest?.hash === snapshotHash ? latest.takenAt : at.toISOString();
  const underCurrentRouting = (t: { readonly at: string }) => t.at >= routingSince;
  const probes = recentProbes.filter(underCurrentRouting);
  const samples = recentSamples.filter(underCurrentRouting);
  const wantMetrics =
    options.fetchMetrics === 'always' ||
    (options.fetchMetrics === 'on-schedule-or-suspicion' &&
      (probes.some((p) => !p.ok) || isMetricsTick(at, deps.config.schedule)));
  const read = wantMetrics ? await readMetrics(service, state.snapshot, at, deps) : undefined;
  const metrics = read?.metrics;
  const instanceCounts = read?.instanceCounts;
  const servedBy = samples.at(-1);
  const lastChange = changes.at(-1);
  const signals: Signals = {
    at: at.toISOString(),
    service: name,
    snapshot: state.snapshot,
    health: state.health,
    probes: judgeProbes(probes, service.thresholds.hysteresis),
    ...(lastGood === undefined ? {} : { lastGood }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(instanceCounts === undefined ? {} : { instanceCounts }),
    ...(servedBy === undefined ? {} : { servedBy }),
    ...(lastChange === undefined ? {} : { lastChange }),
    ...(changes.length === 0 ? {} : { changes }),
  };
  return {
    at,
    ...(latest === undefined ? {} : { latest }),
    snapshot: state.snapshot,
    snapshotHash,
    health: state.health,
    ...(lastGood === undefined ? {} : { lastGood }),
    probes,
    recentProbes,
    signals,
    diagnosis: diagnose(signals, service.thresholds),
  };
}

function withoutGroups<V>(known: ReadonlyMap<string, V>, arns: readonly string[]): ReadonlyMap<string, V> {
  const kept = new Map(known);
  for (const arn of arns) kept.delete(arn);
  return kept;
}

/**
 * The probe results diagnosis may see: each probe's results in the window are replayed, oldest
 * first, through hysteresis. A probe declared `failing` or `flapping` is handed over as it is; a
 * probe still declared `passing` keeps only its successes, so a single blip (or any failures short
 * of the rule) never counts as evidence and never opens an incident. Metrics are still fetched on
 * a blip and the soak still restarts on one: looking closer and not vouching are cheap, paging is not.
 */
export function judgeProbes(results: readonly ProbeResult[], settings: HysteresisSettings): ProbeResult[] {
  const byProbe = new Map<string, ProbeResult[]>();
  for (const r of results) byProbe.set(r.probe, [...(byProbe.get(r.probe) ?? []), r]);
  const passing = new Set<string>();
  for (const [probe, runs] of byProbe) {
    // Hysteresis ignores a result older than one already folded in, so the replay must be in order.
    const ordered = runs.toSorted((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    if (replayHysteresis(ordered, settings).status === 'passing') passing.add(probe);
  }
  return results.filter((r) => r.ok || !passing.has(r.probe));
}

/**
 * ALB metrics cost money per metric fetched, so they are read once per `metricsPeriodSeconds`
 * (on the first scheduled inspection after a period boundary) and whenever probes fail.
 */
export function isMetricsTick(at: Date, schedule: LbGuardConfig['schedule']): boolean {
  const period = schedule.metricsPeriodSeconds * 1000;
  const rate = schedule.inspectRateMinutes * 60_000;
  const t = at.getTime();
  return Math.floor(t / period) !== Math.floor((t - rate) / period);
}

/**
 * ALB metrics and, in the same GetMetricData calls, the applications' per-instance counters
 * (docs/per-target-distribution.md), mapped to target keys. Each identity queried is one more
 * metric fetched, so only the identities the docs tell applications to print are asked for.
 */
async function readMetrics(
  service: ServiceConfig,
  snapshot: LbSnapshot,
  at: Date,
  deps: ObserveDeps,
): Promise<{ readonly metrics: AlbMetrics; readonly instanceCounts?: Record<string, number> }> {
  const periodSeconds = deps.config.schedule.metricsPeriodSeconds;
  const zones = new Set(
    snapshot.targetGroups.flatMap((g) =>
      g.targets.flatMap((t) => (t.availabilityZone ? [t.availabilityZone] : [])),
    ),
  );
  const { instanceRequests, ...metrics } = await deps.albMetrics.read({
    loadBalancerArn: service.loadBalancerArn,
    targetGroupArns: snapshot.targetGroups.map((g) => g.arn),
    availabilityZones: [...zones].sort(),
    ...(service.instanceCounters ? { instanceIds: counterIdentities(snapshot) } : {}),
    service: service.name,
    start: isoBefore(at, periodSeconds * 1000),
    end: at.toISOString(),
    periodSeconds,
  });
  const datapoints = Object.entries(instanceRequests ?? {}).map(([instanceId, count]) => ({
    service: service.name,
    instanceId,
    count,
  }));
  if (datapoints.length === 0) return { metrics };
  return { metrics, instanceCounts: countsByInstance(datapoints, { snapshot }) };
}

/**
 * The `InstanceId` values applications are told to print: the target id, `ip:port` for IP
 * targets, and `id:port` for an id registered on several ports (its bare id is asked too).
 */
function counterIdentities(snapshot: LbSnapshot): string[] {
  const ports = new Map<string, Set<number>>();
  const ids = new Set<string>();
  for (const group of snapshot.targetGroups) {
    for (const t of group.targets) {
      const port = t.port ?? group.port;
      if (group.targetType === 'ip' && port !== undefined) ids.add(`${t.id}:${port}`);
      else ids.add(t.id);
      if (port !== undefined) ports.set(t.id, (ports.get(t.id) ?? new Set<number>()).add(port));
    }
  }
  for (const [id, set] of ports) if (set.size > 1) for (const port of set) ids.add(`${id}:${port}`);
  return [...ids].sort();
}

interface Planned {
  readonly diagnosis: Diagnosis;
  readonly planHash?: string;
  readonly planSteps?: readonly string[];
}

/**
 * The plan a remediable diagnosis would need. Why there is none (nothing restorable, a guardrail
 * refused it) is added to the evidence, so the escalation says it.
 */
function planFor(service: ServiceConfig, o: Observation): Planned {
  const { diagnosis, lastGood } = o;
  if (!diagnosis.remediable || lastGood === undefined) return { diagnosis };
  const outcome = planRemediation({
    current: o.snapshot,
    lastGood: lastGood.snapshot,
    health: o.health,
    existingTargetIds: knownExistingTargetIds(o.snapshot, lastGood.snapshot, o.health),
    policy: service.remediation,
  });
  const note = (line: string): Planned => ({
    diagnosis: { ...diagnosis, evidence: [...diagnosis.evidence, line] },
  });
  switch (outcome.kind) {
    case 'plan':
      return {
        diagnosis,
        planHash: outcome.plan.hash,
        planSteps: outcome.plan.steps.map((s) => describeStep(s, o.snapshot)),
      };
    case 'nothing-to-do':
      return note(
        `no plan: nothing restorable (${outcome.leftAlone.map((l) => `${l.drift.summary}: ${l.why}`).join('; ') || 'no remediable drift'})`,
      );
    case 'rejected':
      return note(`plan rejected (${outcome.reason}): ${outcome.detail}`);
  }
}

async function inspectService(
  service: ServiceConfig,
  trigger: InspectTrigger,
  deps: InspectDeps,
  options: InspectOptions,
): Promise<ServiceInspection> {
  const name = service.name;
  const o = await observe(service, deps, {
    fetchMetrics: options.forceMetrics ? 'always' : 'on-schedule-or-suspicion',
    attributes: { rereadOf: options.rereadAttributesOf },
  });
  const atIso = o.at.toISOString();
  if (o.latest?.hash !== o.snapshotHash) {
    await deps.store.putSnapshot(name, { hash: o.snapshotHash, takenAt: atIso, snapshot: o.snapshot });
  }

  const planned = planFor(service, o);
  const open = await deps.store.getOpenIncident(name);
  let incident: Incident | undefined = open;
  if (open !== undefined || planned.diagnosis.cause !== 'healthy') {
    const history = await deps.store.listIncidents(name, INCIDENT_HISTORY);
    const result = await advanceIncident(
      deps,
      open ?? startIncident(name, atIso),
      {
        type: 'observed',
        at: atIso,
        diagnosis: planned.diagnosis,
        ...(planned.planHash === undefined ? {} : { planHash: planned.planHash }),
        ...(planned.planSteps === undefined ? {} : { planSteps: planned.planSteps }),
      },
      {
        policy: service.remediation,
        thresholds: service.thresholds,
        previousRemediations: history.filter((i) => i.id !== open?.id).flatMap((i) => i.remediations),
      },
    );
    incident = result.changed || open !== undefined ? result.incident : undefined;
  }

  const state = incident?.state ?? 'ok';
  const promoted = await soak(service, o, state, deps);
  // Last, so that SNS refusing a probe message (which fails the run for Lambda to retry) never
  // keeps the incident and its remediation from moving this cycle.
  await notifyProbeChanges(name, o.recentProbes, service.thresholds.hysteresis, atIso, deps);
  deps.metrics.emit(name, [
    { name: 'SkewDetected', unit: 'Count', value: o.diagnosis.cause === 'routing-skew' ? 1 : 0 },
    { name: 'DriftCount', unit: 'Count', value: o.diagnosis.drift.length },
  ]);
  deps.logger.info('inspected', {
    service: name,
    trigger,
    cause: o.diagnosis.cause,
    summary: o.diagnosis.summary,
    incidentId: incident?.id,
    incidentState: state,
    snapshotHash: o.snapshotHash,
    promoted,
  });
  return {
    service: name,
    snapshotHash: o.snapshotHash,
    diagnosis: planned.diagnosis,
    ...(planned.planHash === undefined ? {} : { planHash: planned.planHash }),
    ...(incident === undefined ? {} : { incidentId: incident.id }),
    incidentState: state,
    promoted,
  };
}

/**
 * Last known good moves only after `soakSeconds` of healthy observations of one snapshot: probes
 * green (and some probe results to prove it), diagnosis healthy, no incident under way. Any
 * other observation restarts the soak.
 */
async function soak(
  service: ServiceConfig,
  o: Observation,
  incidentState: Incident['state'],
  deps: InspectDeps,
): Promise<boolean> {
  const name = service.name;
  const healthy =
    o.diagnosis.cause === 'healthy' &&
    o.probes.length > 0 &&
    o.probes.every((p) => p.ok) &&
    (incidentState === 'ok' || incidentState === 'resolved');
  const marker = await deps.store.getSoak(name);
  if (!healthy) {
    if (marker !== undefined) await deps.store.clearSoak(name);
    return false;
  }
  if (o.lastGood?.hash === o.snapshotHash) return false;
  const atIso = o.at.toISOString();
  if (marker === undefined || marker.hash !== o.snapshotHash) {
    await deps.store.setSoak(name, { hash: o.snapshotHash, since: atIso });
    return false;
  }
  const soakedSeconds = (o.at.getTime() - Date.parse(marker.since)) / 1000;
  if (soakedSeconds < service.thresholds.soakSeconds) return false;
  const reason = `healthy for ${Math.round(soakedSeconds)} s since ${marker.since}: probes green, routing as expected, no open incident`;
  await deps.store.promoteLastGood(
    name,
    { hash: o.snapshotHash, takenAt: atIso, snapshot: o.snapshot },
    reason,
    atIso,
  );
  deps.logger.info('last known good promoted', {
    service: name,
    hash: o.snapshotHash,
    previous: o.lastGood?.hash,
    reason,
  });
  return true;
}

async function verify(event: VerifyRequest, deps: InspectDeps): Promise<InspectOutcome> {
  const services = deps.config.services.filter(
    (s) => event.service === undefined || s.name === event.service,
  );
  const failOnFindings = event.failOnFindings === true;
  if (services.length === 0) {
    const finding: VerifyFinding = {
      service: event.service ?? '(none)',
      ok: false,
      cause: 'unknown',
      severity: 'warning',
      summary: `no guarded service named ${event.service ?? '(none)'}`,
      evidence: [],
    };
    return { kind: 'verify', ok: false, findings: [finding], failOnFindings };
  }
  const findings: VerifyFinding[] = [];
  for (const service of services) {
    const o = await observe(service, deps, { fetchMetrics: 'never', attributes: 'reread' });
    const d = o.diagnosis;
    findings.push({
      service: service.name,
      // Verification gates deployments on the load balancer's configuration; an application
      // fault is reported in the summary but is not the deployment's routing to block.
      ok: !d.lbFault,
      cause: d.cause,
      severity: d.severity,
      summary: d.summary,
      evidence: d.evidence,
    });
  }
  const ok = findings.every((f) => f.ok);
  deps.logger.info('verified', {
    ok,
    findings: findings.map((f) => ({ service: f.service, cause: f.cause })),
  });
  return { kind: 'verify', ok, findings, failOnFindings };
}

function isoBefore(at: Date, ms: number): string {
  return new Date(at.getTime() - ms).toISOString();
}

const deps = atColdStart((): InspectDeps => {
  const env = readEnv(process.env);
  const remediationTopicArn = requireRemediationTopic(env);
  const runtime = createInspectRuntime(env);
  return {
    config: runtime.env.config,
    reader: runtime.reader,
    describer: runtime.describer,
    albMetrics: runtime.albMetrics,
    store: runtime.store,
    notifier: runtime.notifier,
    invoker: new SnsRemediationInvoker(runtime.clients.sns, remediationTopicArn),
    metrics: runtime.metrics,
    logger: runtime.logger,
    now: () => new Date(),
  };
});

export const handler = createHandler(InspectEventSchema, async (event) =>
  enforceVerification(await run(event, deps())),
);
