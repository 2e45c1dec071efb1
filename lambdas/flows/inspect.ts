import { dueNudge } from '../../lib/approval.ts';
import type { ServiceConfig } from '../../lib/config/index.ts';
import { lagToPublish } from '../../lib/convergence.ts';
import { diffSnapshots } from '../../lib/drift.ts';
import { judgeEventInspection } from '../../lib/event-inspection.ts';
import { INCIDENT_HISTORY, type Incident, startIncident } from '../../lib/incident.ts';
import { judgeSoak, type SoakMarker, soakWaitsOnIncident } from '../../lib/last-good.ts';
import { baselineNotification } from '../../lib/messages.ts';
import { isoBefore } from '../../lib/observation.ts';
import { describeStep, planRestore } from '../../lib/plan.ts';
import { ATTRIBUTE_EVENT_NAMES } from '../../lib/routing-events.ts';
import type { ConfigChange, Diagnosis } from '../../lib/types.ts';
import { allInOrder } from '../adapters/all-in-order.ts';
import { translateCloudTrailEvent } from '../adapters/cloudtrail.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { RemediationInvoker } from '../adapters/remediation-handoff.ts';
import type { StateStore } from '../adapters/state-store/ports.ts';
import type { CloudTrailElbv2Event, InspectEvent } from '../runtime/events.ts';
import { type GuardedDeps, readGuarded } from './guarded.ts';
import { advanceIncident } from './incidents.ts';
import { inspectEachAndReport } from './inspect-report.ts';
import { type Observation, type ObserveDeps, observe } from './observe.ts';
import { notifyProbeChanges } from './probe-notifications.ts';
import { notifyReadOnlyChange } from './read-only-notifications.ts';
import { VerificationFailedError, type VerifyOutcome, verifyDeployment } from './verify.ts';

export interface InspectDeps extends ObserveDeps, GuardedDeps {
  readonly store: StateStore;
  /** Heartbeats, findings and incident transitions for the hub; none when absent. */
  readonly hub?: HubReporter;
  readonly notifier: Notifier;
  readonly invoker: RemediationInvoker;
  readonly metrics: MetricsSink;
  readonly logger: Log;
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
  /** Set when a CloudTrail event was only recorded, with why (lib/event-inspection.ts). */
  readonly recordedOnly?: string;
}

export type InspectOutcome =
  | {
      readonly kind: 'inspected';
      readonly trigger: InspectTrigger;
      readonly services: readonly ServiceInspection[];
    }
  | { readonly kind: 'ignored'; readonly reason: string }
  | VerifyOutcome;

interface InspectOptions {
  readonly forceMetrics: boolean;
  /** Groups whose attributes changed (CloudTrail): re-read now, on top of the rotation. */
  readonly rereadAttributesOf: readonly string[];
  /** The change that woke inspect being recorded, by service: its window is read after it. */
  readonly recording?: ReadonlyMap<string, Promise<void>>;
}

/**
 * Inspects on schedule, on an ELBv2 configuration change (only the services it touched), on an
 * alarm, or verifies on request. Verification only reads: it backs `lbguard verify` and the
 * post-deploy gate, neither of which should open incidents or move last known good.
 */
export async function inspect(event: InspectEvent, deps: InspectDeps): Promise<InspectOutcome> {
  const guarded = await readGuarded(deps);
  if ('kind' in event) return verifyDeployment(event, deps, guarded.services);
  switch (event.source) {
    case 'aws.events': {
      const options = { forceMetrics: false, rereadAttributesOf: [] };
      const inspectOne = (s: ServiceConfig) => inspectService(s, 'schedule', deps, options);
      const services = await inspectEachAndReport(guarded, inspectOne, deps);
      return { kind: 'inspected', trigger: 'schedule', services };
    }
    case 'aws.cloudwatch':
      deps.logger.info('woken by alarm', { alarm: event.detail.alarmName, state: event.detail.state.value });
      return inspectAll(guarded.services, 'alarm', deps, {
        forceMetrics: true,
        rereadAttributesOf: [],
      });
    case 'aws.elasticloadbalancing':
      return onConfigChange(event, guarded.services, deps);
  }
}

/** Throws when a gating verification found routing wrong, so the deployment fails; otherwise passes the outcome on. */
export function enforceVerification(outcome: InspectOutcome): InspectOutcome {
  if (outcome.kind === 'verify' && outcome.failOnFindings && !outcome.ok) {
    throw new VerificationFailedError(outcome.findings);
  }
  return outcome;
}

async function onConfigChange(
  event: CloudTrailElbv2Event,
  guarded: readonly ServiceConfig[],
  deps: InspectDeps,
): Promise<InspectOutcome> {
  const translated = translateCloudTrailEvent(event.detail);
  if (translated.kind === 'ignored') {
    deps.logger.info('config change ignored', { reason: translated.reason });
    return { kind: 'ignored', reason: translated.reason };
  }
  const change = translated.change;
  const groups = change.resources.filter((arn) => arn.includes(':targetgroup/'));
  const touched: ServiceConfig[] = [];
  for (const service of guarded) {
    if (await touches(service, change, groups, deps.store)) touched.push(service);
  }
  if (touched.length === 0) {
    const reason = `${change.eventName} touches no guarded service`;
    deps.logger.info('config change ignored', { reason, resources: change.resources });
    return { kind: 'ignored', reason };
  }
  // Recorded while each service is read rather than before: only its change window waits for it.
  const recording = new Map(touched.map((s) => [s.name, deps.store.putConfigChange(s.name, change)]));
  // Each is awaited by its service's inspection; after an earlier service failed, a later one's
  // failure has nowhere to go but the failed invocation already under way.
  for (const put of recording.values()) put.catch(() => undefined);
  return inspectAll(touched, 'config-change', deps, {
    forceMetrics: false,
    rereadAttributesOf: ATTRIBUTE_EVENT_NAMES.has(change.eventName) ? groups : [],
    recording,
  });
}

/**
 * Whether a change touched a service: its load balancer, a listener or rule of it (their ARNs
 * embed the load balancer's), or a target group (`groups`: those the change names) it uses now or
 * used when last known good.
 */
async function touches(
  service: ServiceConfig,
  change: ConfigChange,
  groups: readonly string[],
  store: StateStore,
): Promise<boolean> {
  const lb = service.loadBalancerArn;
  const prefixes = [
    lb.replace(':loadbalancer/', ':listener/'),
    lb.replace(':loadbalancer/', ':listener-rule/'),
  ].map((p) => `${p}/`);
  const direct = change.resources.some((arn) => arn === lb || prefixes.some((p) => arn.startsWith(p)));
  if (direct) return true;
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
  const outcome = planRestore({
    current: o.snapshot,
    lastGood: lastGood.snapshot,
    health: o.health,
    attachments: o.attachments,
    policy: service.remediation,
    ...(o.signals.zonalShifts === undefined ? {} : { zonalShifts: o.signals.zonalShifts }),
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
  const recorded = options.recording?.get(name) ?? Promise.resolve();
  // A change usually moves the incident, so on the event path its reads go beside the
  // observation's instead of after it (history included: events are few, a wasted read is cheap).
  const early = trigger === 'config-change' ? readIncident(name, true, deps) : undefined;
  // Awaited after the observation; when the observation fails first, that is the error named.
  early?.catch(() => undefined);
  if (early !== undefined) {
    const deferred = await recordOnly(service, early, recorded, deps);
    if (deferred !== undefined) return deferred;
  }
  // The change's write is named before any read's failure, as when it was written first.
  const [, o] = await allInOrder([
    recorded,
    observe(service, deps, {
      fetchMetrics: options.forceMetrics
        ? 'always'
        : trigger === 'config-change'
          ? 'on-suspicion'
          : 'on-schedule-or-suspicion',
      // The rotation is the scheduled cycles' safety net for a missed event; an inspection woken by
      // an event re-reads only the groups it names, one round trip per group fewer to a diagnosis.
      attributes: { rereadOf: options.rereadAttributesOf, rotate: trigger !== 'config-change' },
      changesRecorded: recorded,
    }),
  ]);
  const atIso = o.at.toISOString();
  const planned = planFor(service, o);
  const unhealthy = planned.diagnosis.cause !== 'healthy';
  // The snapshot's history and the probe-change notifications depend on the observation alone, so
  // they are written beside the incident rather than before or after it: on decisive evidence the
  // incident's hand-off to remediate is this very inspection, and it waits on no bookkeeping. All
  // run to the end whatever the others do; the incident's failure is the one named when several
  // fail, and any fails the run for Lambda to retry (SNS refusing a probe message, say, never
  // keeps the remediation from moving).
  const [{ incident, promoted }] = await allInOrder([
    advanceAndSoak(service, o, planned, early ?? readIncident(name, unhealthy, deps), deps),
    recordSnapshot(name, o, atIso, deps),
    notifyProbeChanges(name, o.recentProbes, service.thresholds.hysteresis, atIso, deps),
  ]);

  // Approve mode: a reminder or escalation due on an unanswered request is remediate's to send.
  const asked = incident?.approval;
  if (
    asked &&
    incident &&
    service.remediation.mode === 'approve' &&
    dueNudge(asked, atIso, service.remediation.approval)
  ) {
    const request = { incidentId: incident.id, planHash: asked.planHash, requestedAt: atIso };
    await deps.invoker.invoke({ kind: 'remediate', service: name, ...request });
  }
  const state = incident?.state ?? 'ok';
  const lag = lagToPublish(
    o.convergence,
    o.write,
    isoBefore(o.at, deps.config.schedule.inspectRateMinutes * 60_000),
  );
  deps.metrics.emit(name, [
    { name: 'SkewDetected', unit: 'Count', value: o.diagnosis.cause === 'routing-skew' ? 1 : 0 },
    { name: 'DriftCount', unit: 'Count', value: o.diagnosis.drift.length },
    ...(lag === undefined ? [] : [{ name: 'PropagationLag', unit: 'Milliseconds', value: lag } as const]),
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
 * The incident this observation opens or moves (handing a confirmed one to remediate), and the
 * soak towards a new last known good; the reads both need go in one round trip. The soak's write
 * waits for the incident only when its verdict depends on the incident's state (a healthy
 * observation); otherwise it goes beside it, so a confirmed outage's hand-off waits on no
 * bookkeeping. The incident's failure is the one named when both fail.
 */
async function advanceAndSoak(
  service: ServiceConfig,
  o: Observation,
  planned: Planned,
  reads: IncidentReads,
  deps: InspectDeps,
): Promise<{ readonly incident?: Incident; readonly promoted: boolean }> {
  const name = service.name;
  const atIso = o.at.toISOString();
  const unhealthy = planned.diagnosis.cause !== 'healthy';
  const [open, earlier, marker] = await reads;
  const advance = async (): Promise<Incident | undefined> => {
    if (open === undefined && !unhealthy) return undefined;
    const history = earlier ?? (await deps.store.listIncidents(name, INCIDENT_HISTORY));
    const result = await advanceIncident(
      deps,
      open ?? startIncident(name, atIso),
      {
        type: 'observed',
        at: atIso,
        diagnosis: planned.diagnosis,
        ...(o.convergence === undefined ? {} : { dataPlane: o.convergence.kind }),
        ...(planned.planHash === undefined ? {} : { planHash: planned.planHash }),
        ...(planned.planSteps === undefined ? {} : { planSteps: planned.planSteps }),
      },
      {
        policy: service.remediation,
        thresholds: service.thresholds,
        previousRemediations: history.filter((i) => i.id !== open?.id).flatMap((i) => i.remediations),
      },
      service.loadBalancerArn,
    );
    return result.changed || open !== undefined ? result.incident : undefined;
  };
  let incident: Incident | undefined;
  let promoted: boolean;
  if (soakWaitsOnIncident(o)) {
    incident = await advance();
    promoted = await soak(service, o, incident?.state ?? 'ok', marker, deps);
  } else {
    // The verdict is the same whatever the incident's state (lib/last-good.ts).
    [incident, promoted] = await allInOrder([advance(), soak(service, o, open?.state ?? 'ok', marker, deps)]);
  }
  return { ...(incident === undefined ? {} : { incident }), promoted };
}

/**
 * On the event path, while lbguard's own remediation is in flight for an incident that already
 * names the change's author (lib/event-inspection.ts): the change is recorded and nothing read
 * from the load balancer. Waits for the incident read first, so an event that must observe
 * starts its observation one DynamoDB round trip later; the change's write failing is still the
 * error named first.
 */
async function recordOnly(
  service: ServiceConfig,
  early: IncidentReads,
  recorded: Promise<unknown>,
  deps: InspectDeps,
): Promise<ServiceInspection | undefined> {
  const at = deps.now().toISOString();
  const [open] = await early.catch(() => [undefined] as const);
  const judged = judgeEventInspection(open, at, service.remediation.verifyDeadlineSeconds);
  if (judged.kind === 'observe' || open === undefined || open.diagnosis === undefined) return undefined;
  const [, latest] = await allInOrder([recorded, deps.store.getLatestSnapshot(service.name)]);
  deps.logger.info('inspected', {
    service: service.name,
    trigger: 'config-change',
    recordedOnly: judged.why,
    incidentId: open.id,
    incidentState: open.state,
  });
  return {
    service: service.name,
    snapshotHash: latest?.hash ?? '',
    diagnosis: open.diagnosis,
    ...(open.planHash === undefined ? {} : { planHash: open.planHash }),
    incidentId: open.id,
    incidentState: open.state,
    promoted: false,
    recordedOnly: judged.why,
  };
}

type IncidentReads = Promise<readonly [Incident | undefined, Incident[] | undefined, SoakMarker | undefined]>;

/** The open incident, the recent ones when `withHistory` (cooldowns), and the soak marker: one round trip. */
function readIncident(name: string, withHistory: boolean, deps: InspectDeps): IncidentReads {
  return allInOrder([
    deps.store.getOpenIncident(name),
    withHistory ? deps.store.listIncidents(name, INCIDENT_HISTORY) : Promise.resolve(undefined),
    deps.store.getSoak(name),
  ]);
}

/** A new snapshot joins the history (and a read-only change is told) when its hash changed. */
async function recordSnapshot(name: string, o: Observation, atIso: string, deps: InspectDeps): Promise<void> {
  if (o.latest?.hash === o.snapshotHash) return;
  await notifyReadOnlyChange(name, o.latest?.snapshot, o.snapshot, deps);
  await deps.store.putSnapshot(name, { hash: o.snapshotHash, takenAt: atIso, snapshot: o.snapshot });
}

/** Records what the soak rule (lib/last-good.ts) says of this observation; true when it promoted. */
async function soak(
  service: ServiceConfig,
  o: Observation,
  incidentState: Incident['state'],
  marker: SoakMarker | undefined,
  deps: InspectDeps,
): Promise<boolean> {
  const name = service.name;
  const verdict = judgeSoak({
    at: o.at,
    snapshotHash: o.snapshotHash,
    diagnosis: o.diagnosis,
    probes: o.probes,
    incidentState,
    lastGoodHash: o.lastGood?.hash,
    marker,
    soakSeconds: service.thresholds.soakSeconds,
  });
  switch (verdict.kind) {
    case 'wait':
      return false;
    case 'clear':
      await deps.store.clearSoak(name);
      return false;
    case 'start':
      await deps.store.setSoak(name, verdict.marker);
      return false;
    case 'promote': {
      const atIso = o.at.toISOString();
      await deps.store.promoteLastGood(
        name,
        { hash: o.snapshotHash, takenAt: atIso, snapshot: o.snapshot },
        verdict.reason,
        atIso,
      );
      deps.logger.info('last known good promoted', {
        service: name,
        hash: o.snapshotHash,
        previous: o.lastGood?.hash,
        reason: verdict.reason,
      });
      await deps.notifier.notify(
        baselineNotification({
          service: name,
          hash: o.snapshotHash,
          reason: verdict.reason,
          ...(o.lastGood === undefined ? {} : { previousHash: o.lastGood.hash }),
          changes: o.lastGood === undefined ? [] : diffSnapshots(o.snapshot, o.lastGood.snapshot),
        }),
      );
      return true;
    }
  }
}
