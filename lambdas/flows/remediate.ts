import { awaitingApproval } from '../../lib/approval.ts';
import type { LbGuardConfig, ServiceConfig } from '../../lib/config/index.ts';
import {
  INCIDENT_HISTORY,
  type Incident,
  type IncidentEvent,
  type IncidentState,
  type TransitionContext,
} from '../../lib/incident.ts';
import type { LastGood } from '../../lib/last-good.ts';
import { dryRunPlanNotification } from '../../lib/messages.ts';
import { type StackOwner, stackDriftLines } from '../../lib/owners.ts';
import { describeStep, type PlanOutcome } from '../../lib/plan.ts';
import { admitRemediation } from '../../lib/remediation-admission.ts';
import { StateIntegrityError } from '../../lib/state-integrity.ts';
import { type LbSnapshot, targetKey } from '../../lib/types.ts';
import { dataPlaneNotFollowing } from '../../lib/verification.ts';
import type { ApplyOnce } from '../adapters/apply-once.ts';
import { isPermanent } from '../adapters/aws-call.ts';
import type { Now, Sleep } from '../adapters/clock.ts';
import type { DeploymentOwners } from '../adapters/deployment-owners.ts';
import type { LoadBalancerTags } from '../adapters/elbv2/guard-tags.ts';
import type { LoadBalancerReader, LoadBalancerWriter } from '../adapters/elbv2/ports.ts';
import type { Prober } from '../adapters/http-prober.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { PlannedSnapshotStore } from '../adapters/state-store/planned-snapshots.ts';
import type { EvidenceStore, IncidentStore, SnapshotStore } from '../adapters/state-store/ports.ts';
import type { ZonalShifts } from '../adapters/zonal-shifts.ts';
import type { RemediateRequest } from '../runtime/remediate-events.ts';
import { gateOnApproval, nudgeApproval } from './approval.ts';
import { type GuardedDeps, readGuarded } from './guarded.ts';
import { advanceIncident } from './incidents.ts';
import { checkOwners } from './owners.ts';
import { readServiceState, readZonalShifts } from './read-service.ts';
import { awaitRecovery, replan } from './recovery.ts';
import { noLongerGuarded } from './still-guarded.ts';

export interface RemediateDeps extends GuardedDeps {
  readonly config: LbGuardConfig;
  /** A tag-enrolled load balancer's tags, re-read under the lock before any write. */
  readonly tags?: LoadBalancerTags;
  /** Incident transitions for the hub; none when absent. */
  readonly hub?: HubReporter;
  readonly reader: LoadBalancerReader;
  readonly writer: LoadBalancerWriter;
  /** Evidence: the probe function's results, for the probes remediate cannot run itself. */
  readonly store: SnapshotStore &
    IncidentStore &
    Pick<EvidenceStore, 'recentProbeResults' | 'recentConfigChanges' | 'recentServedBySamples'>;
  readonly notifier: Notifier;
  /** Approve mode: the snapshot a plan awaiting approval was made against, for "what changed". */
  readonly planned: PlannedSnapshotStore;
  /** Who owns the routing a plan writes: a deployment in flight defers every write. */
  readonly owners: DeploymentOwners;
  /** Zonal shifts in effect: the re-plan sends no traffic back to a zone shifted away. */
  readonly zonalShifts?: ZonalShifts;
  readonly prober: Prober;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  readonly applyOnce: ApplyOnce;
  readonly now: Now;
  readonly sleep: Sleep;
  /** Who holds the lock: the invocation's request id, which Lambda keeps across async retries. */
  readonly lockOwner: string;
}

export type RemediateOutcome =
  | {
      readonly outcome: 'resolved';
      readonly incidentId: string;
      readonly planHash?: string;
      readonly applied: readonly string[];
      /** Write → first observation of the data plane serving the modelled shares; absent when unobserved. */
      readonly propagationLagSeconds?: number;
    }
  | {
      readonly outcome: 'verification-failed';
      readonly incidentId: string;
      readonly applied: readonly string[];
      readonly evidence: readonly string[];
      /** Set when the configuration converged and the traffic did not follow it by the deadline. */
      readonly cause?: 'data-plane-not-following';
    }
  | {
      readonly outcome: 'failed';
      readonly incidentId: string;
      readonly error: string;
      readonly applied: readonly string[];
    }
  | { readonly outcome: 'lock-held'; readonly incidentId: string; readonly heldBy: string }
  /** A deployment owns the routing now (or whether one does is unknown): nothing was written. */
  | { readonly outcome: 'deferred'; readonly incidentId: string; readonly owners: readonly string[] }
  | {
      readonly outcome: 'dry-run';
      readonly incidentId: string;
      readonly planHash?: string;
      readonly steps: readonly string[];
    }
  | { readonly outcome: 'disabled'; readonly incidentId: string }
  /** Approve mode: held steps wait for `lbguard approve` (trusted ones, if any, were applied). */
  | {
      readonly outcome: 'awaiting-approval';
      readonly incidentId: string;
      readonly planHash: string;
      readonly applied: readonly string[];
    }
  | { readonly outcome: 'stale'; readonly incidentId: string; readonly reason: string }
  /** The incident records no remediation decision that respected the guardrails (forged or replayed). */
  | { readonly outcome: 'refused'; readonly incidentId: string; readonly reason: string };

/** The lock outlives the verification deadline by this much, covering apply and the last poll. */
export const LOCK_SLACK_SECONDS = 180;
const ACTIVE: ReadonlySet<IncidentState> = new Set(['confirmed', 'mitigating', 'verifying']);

/**
 * Remediates one incident: lock, re-read live state and re-plan under the lock, apply once per
 * (incident, plan), verify config and probes within the deadline, and record every step on the
 * incident. An error that a retry may cure (throttling past the SDK's retries, a timeout) is
 * thrown, so Lambda retries and the retry re-plans from what is now live; an error that it cannot
 * (access denied, a refused request) escalates with the steps already applied.
 */
export async function remediate(request: RemediateRequest, deps: RemediateDeps): Promise<RemediateOutcome> {
  const incidentId = request.incidentId;
  const guarded = await readGuarded(deps);
  const service = guarded.services.find((s) => s.name === request.service);
  if (service === undefined) return stale(deps, incidentId, `no guarded service named ${request.service}`);
  const incident = await deps.store.getIncident(service.name, incidentId);
  if (incident === undefined) return stale(deps, incidentId, 'no such incident');
  if (!ACTIVE.has(incident.state)) return stale(deps, incidentId, `incident is already ${incident.state}`);

  const ctx: TransitionContext = { policy: service.remediation, thresholds: service.thresholds };
  const ttl = service.remediation.verifyDeadlineSeconds + LOCK_SLACK_SECONDS;
  const lock = await deps.store.acquireLock(service.name, deps.lockOwner, ttl, deps.now().toISOString());
  if (!lock.acquired) {
    const lockHeld = { type: 'lock-held', at: deps.now().toISOString() } as const;
    await advanceIncident(deps, incident, lockHeld, ctx, service.loadBalancerArn);
    deps.logger.info('remediation lock held; not acting twice', { incidentId, heldBy: lock.heldBy });
    return { outcome: 'lock-held', incidentId, heldBy: lock.heldBy };
  }
  try {
    return await remediateUnderLock(service, request, ctx, deps, guarded.tagEnrolled.has(service.name));
  } finally {
    await release(service.name, deps);
  }
}

async function remediateUnderLock(
  service: ServiceConfig,
  request: RemediateRequest,
  ctx: TransitionContext,
  deps: RemediateDeps,
  tagEnrolled: boolean,
): Promise<RemediateOutcome> {
  const incidentId = request.incidentId;
  // Re-read under the lock: whoever held it before may have moved the incident on.
  let incident = await deps.store.getIncident(service.name, incidentId);
  if (incident === undefined || !ACTIVE.has(incident.state)) {
    return stale(deps, incidentId, `incident is ${incident?.state ?? 'gone'} after taking the lock`);
  }
  const advance = async (event: IncidentEvent): Promise<Incident> => {
    const current = incident ?? (await deps.store.getIncident(service.name, incidentId));
    if (current === undefined) throw new Error(`incident ${incidentId} vanished`);
    incident = (await advanceIncident(deps, current, event, ctx, service.loadBalancerArn)).incident;
    return incident;
  };
  const asked = incident.approval;
  if (service.remediation.mode === 'approve' && asked !== undefined && awaitingApproval(asked, iso(deps))) {
    // Asked and unanswered: the only news is a reminder or an escalation falling due (inspect looks).
    await nudgeApproval(service, incident, iso(deps), deps);
    return { outcome: 'awaiting-approval', incidentId, planHash: asked.planHash, applied: [] };
  }
  const fail = async (error: string, applied: readonly string[]): Promise<RemediateOutcome> => {
    await advance({ type: 'remediation-failed', at: iso(deps), error });
    deps.metrics.emit(service.name, [{ name: 'RemediationFailed', unit: 'Count', value: 1 }]);
    deps.logger.error('remediation failed', { incidentId, error, applied });
    return { outcome: 'failed', incidentId, error, applied };
  };

  let lastGood: LastGood | undefined;
  try {
    lastGood = await deps.store.getLastGood(service.name);
  } catch (error) {
    // Never a plan from an item lbguard did not write: escalate, naming what failed.
    if (error instanceof StateIntegrityError) return fail(error.message, []);
    throw error;
  }
  if (lastGood === undefined) return fail('no last known good to restore', []);
  const [live, shifts] = await Promise.all([
    readServiceState(deps.reader, service, lastGood.snapshot),
    readZonalShifts(deps.zonalShifts, service.loadBalancerArn, deps.logger),
  ]);
  const outcome = replan(service, live, lastGood, shifts);

  switch (service.remediation.mode) {
    case 'off':
      deps.logger.info('remediation is off for this service; nothing done', { incidentId });
      return { outcome: 'disabled', incidentId };
    case 'dry-run':
      return showPlan(incident, outcome, live.snapshot, deps);
    case 'approve':
    case 'auto':
      break;
  }
  // A request is a message, not an authority: the guardrails inspect applied are checked again
  // against the incident and the service's history before anything is written.
  const history = await deps.store.listIncidents(service.name, INCIDENT_HISTORY);
  const admission = admitRemediation(incident, {
    ...ctx,
    previousRemediations: history.filter((i) => i.id !== incidentId).flatMap((i) => i.remediations),
  });
  if (!admission.admitted) {
    deps.logger.error('remediation request refused; nothing done', { incidentId, reason: admission.reason });
    return { outcome: 'refused', incidentId, reason: admission.reason };
  }
  const released = tagEnrolled ? await noLongerGuarded(service.loadBalancerArn, deps.tags) : undefined;
  if (released !== undefined) {
    deps.logger.error('remediation refused: the load balancer left lbguard since enrolment', {
      incidentId,
      released,
    });
    return { outcome: 'refused', incidentId, reason: released };
  }
  if (outcome.kind === 'rejected') {
    return fail(`plan rejected under the lock (${outcome.reason}): ${outcome.detail}`, []);
  }

  let plan = outcome.kind === 'plan' ? outcome.plan : undefined;
  // The last look before the first write, under the lock and after admission, so a deferral never
  // counts as an attempt. A deployment that starts between this look and the writes (a second or
  // two) is not seen: README "Deployments in flight".
  let stacks: readonly StackOwner[] = [];
  if (plan !== undefined) {
    const owners = await checkOwners(service, plan.steps, deps);
    switch (owners.kind) {
      case 'refuse':
        return fail(`could not check for a deployment in flight: ${owners.error}`, []);
      case 'defer':
        await advance({
          type: 'remediation-deferred',
          at: iso(deps),
          owners: owners.owners,
          lines: owners.lines,
        });
        deps.logger.info('deployment in flight; remediation deferred, nothing written', {
          incidentId,
          owners: owners.owners,
        });
        return { outcome: 'deferred', incidentId, owners: owners.owners };
      case 'clear':
        stacks = owners.stacks;
    }
  }
  // Approve mode: trusted steps run and held ones wait, unless an approval that still binds is here.
  let approved: readonly string[] | undefined;
  if (service.remediation.mode === 'approve' && plan !== undefined) {
    const reread = async () => {
      const state = await readServiceState(deps.reader, service, lastGood.snapshot);
      return { live: state, outcome: replan(service, state, lastGood, shifts) };
    };
    const gate = await gateOnApproval({ service, incident, plan, live, replan: reread }, deps);
    if (gate.kind === 'held') {
      const { planHash, applied } = gate;
      if (gate.refused === undefined) return { outcome: 'awaiting-approval', incidentId, planHash, applied };
      deps.logger.info('approved plan not applied', { incidentId, reason: gate.refused });
      return { outcome: 'refused', incidentId, reason: gate.refused };
    }
    ({ incident, plan, notes: approved } = gate);
  }
  const notes =
    approved !== undefined
      ? approved
      : plan !== undefined && plan.hash !== request.planHash
        ? [
            `re-planned under the lock: live state moved since plan ${request.planHash}; applying plan ${plan.hash}`,
          ]
        : [];
  if (notes.length > 0)
    deps.logger.info('re-planned under the lock', {
      incidentId,
      requested: request.planHash,
      fresh: plan?.hash,
    });
  await advance({ type: 'remediation-started', at: iso(deps), planHash: plan?.hash ?? request.planHash });

  let applied: readonly string[] = [];
  // The propagation lag runs from when the API accepted the last write, not from when the
  // incident recorded it (a transition may take seconds against a busy table).
  let writtenAt: string | undefined;
  if (plan === undefined) {
    // A retry after a crash that had already applied everything, or a change put right by hand.
    applied = [];
  } else {
    const done: string[] = [];
    try {
      const record = await deps.applyOnce.run({ incidentId, planHash: plan.hash }, async () => {
        for (const step of plan.steps) {
          const result = await deps.writer.apply(step);
          writtenAt = iso(deps);
          const skipped = result.skippedTargets ?? [];
          done.push(
            skipped.length === 0
              ? describeStep(step, live.snapshot)
              : `${describeStep(step, live.snapshot)} (refused as no longer valid, left out: ${skipped.map(targetKey).join(', ')})`,
          );
        }
        return { applied: [...done] };
      });
      applied = record.applied;
    } catch (error) {
      if (isPermanent(error)) {
        const message = error instanceof Error ? error.message : String(error);
        const partial =
          done.length === 0 ? 'no step was applied' : `applied before the failure: ${done.join('; ')}`;
        return fail(`${message}; ${partial}`, done);
      }
      // Retryable: leave the incident mitigating; the retry re-plans from what is now live.
      deps.logger.error('apply failed; Lambda will retry and re-plan from the live state', {
        incidentId,
        applied: done,
        error,
      });
      throw error;
    }
  }
  const summary =
    applied.length === 0 ? ['nothing left to apply: live routing already matches last known good'] : applied;
  await advance({ type: 'remediation-applied', at: iso(deps), steps: [...notes, ...summary] });

  const verdict = await awaitRecovery(service, lastGood, shifts, writtenAt ?? iso(deps), deps);
  // What a stack holds and lbguard rewrote has drifted from its template, fixed or not.
  const drift = applied.length === 0 ? [] : stackDriftLines(stacks);
  if (verdict.dataPlane?.kind === 'converged') {
    deps.metrics.emit(service.name, [
      {
        name: 'PropagationLag',
        unit: 'Milliseconds',
        value: Math.round(verdict.dataPlane.lagSeconds * 1000),
      },
    ]);
  }
  if (verdict.ok) {
    await advance({ type: 'verified', at: iso(deps), evidence: [...verdict.evidence, ...drift] });
    deps.logger.info('remediation verified', { incidentId, applied });
    return {
      outcome: 'resolved',
      incidentId,
      ...(plan === undefined ? {} : { planHash: plan.hash }),
      applied,
      ...(verdict.dataPlane?.kind === 'converged'
        ? { propagationLagSeconds: verdict.dataPlane.lagSeconds }
        : {}),
    };
  }
  // The API took the plan and the traffic did not move: a cause of its own, never "verified".
  const diagnosis =
    verdict.configConverged && verdict.dataPlane?.kind === 'not-following'
      ? dataPlaneNotFollowing({
          dataPlane: verdict.dataPlane,
          written: summary,
          deadlineSeconds: service.remediation.verifyDeadlineSeconds,
        })
      : undefined;
  await advance({
    type: 'verification-failed',
    at: iso(deps),
    evidence: [...(diagnosis?.evidence ?? []), ...verdict.evidence, ...drift],
    ...(diagnosis === undefined ? {} : { diagnosis }),
  });
  deps.metrics.emit(service.name, [{ name: 'RemediationFailed', unit: 'Count', value: 1 }]);
  deps.logger.error('remediation did not verify', { incidentId, evidence: verdict.evidence });
  return {
    outcome: 'verification-failed',
    incidentId,
    applied,
    evidence: verdict.evidence,
    ...(diagnosis === undefined ? {} : { cause: 'data-plane-not-following' as const }),
  };
}

/** Dry-run: tell people exactly what would be done; change nothing, move no incident. */
async function showPlan(
  incident: Incident,
  outcome: PlanOutcome,
  snapshot: LbSnapshot,
  deps: RemediateDeps,
): Promise<RemediateOutcome> {
  const plan = outcome.kind === 'nothing-to-do' ? undefined : outcome.plan;
  const steps = plan?.steps.map((s) => describeStep(s, snapshot)) ?? [];
  const why =
    outcome.kind === 'rejected'
      ? [`The plan would be refused in auto mode (${outcome.reason}): ${outcome.detail}`]
      : outcome.kind === 'nothing-to-do'
        ? ['Nothing to restore: live routing already matches last known good.']
        : [];
  await deps.notifier.notify(dryRunPlanNotification({ incident, planHash: plan?.hash, steps, why }));
  deps.logger.info('dry-run plan notified', { incidentId: incident.id, planHash: plan?.hash, steps });
  return {
    outcome: 'dry-run',
    incidentId: incident.id,
    ...(plan === undefined ? {} : { planHash: plan.hash }),
    steps,
  };
}

async function release(service: string, deps: RemediateDeps): Promise<void> {
  try {
    const released = await deps.store.releaseLock(service, deps.lockOwner);
    if (!released.released) deps.logger.warn('lock was no longer ours at release', { service, ...released });
  } catch (error) {
    // Never mask the invocation's own outcome or error; the lock expires on its own.
    deps.logger.error('could not release the remediation lock; it will expire', { service, error });
  }
}

function stale(deps: RemediateDeps, incidentId: string, reason: string): RemediateOutcome {
  deps.logger.info('remediation request is stale; nothing done', { incidentId, reason });
  return { outcome: 'stale', incidentId, reason };
}

function iso(deps: RemediateDeps): string {
  return deps.now().toISOString();
}
