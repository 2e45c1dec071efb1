import { LbGuardError } from '../../lib/errors.ts';
import { transitionEvent } from '../../lib/fleet/reports.ts';
import {
  type Effect,
  type Incident,
  type IncidentEvent,
  type TransitionContext,
  transition,
} from '../../lib/incident.ts';
import { dryRunPlanNotification, incidentNotification } from '../../lib/messages.ts';
import type { HubReporter } from '../adapters/hub-reporter.ts';
import type { Log } from '../adapters/log.ts';
import type { MetricsSink } from '../adapters/metrics-sink.ts';
import type { Notifier } from '../adapters/notifier.ts';
import type { RemediationInvoker } from '../adapters/remediation-handoff.ts';
import type { IncidentStore } from '../adapters/state-store/ports.ts';

export interface IncidentDeps {
  readonly store: IncidentStore;
  readonly notifier: Notifier;
  /** Only inspect hands incidents to remediate. */
  readonly invoker?: RemediationInvoker;
  readonly metrics: MetricsSink;
  readonly logger: Log;
  /** Where a change of the incident's state is reported for the hub; nowhere when absent. */
  readonly hub?: HubReporter;
}

export interface AdvanceResult {
  readonly incident: Incident;
  readonly effects: readonly Effect[];
  /** False when the event changed nothing (the state machine ignored it). */
  readonly changed: boolean;
}

/** Concurrent writers (inspect every minute, remediate) rarely collide more than once. */
const MAX_WRITE_ATTEMPTS = 3;

/**
 * Applies one event to an incident, persists it with optimistic concurrency, then carries out
 * the effects. Effects run only after the write succeeded, so two racing invocations never both
 * invoke remediate or page for the same transition; when the write loses a race, the event is
 * re-applied to what the other writer stored. A change of state is reported to the hub, naming
 * `loadBalancerArn` (the hub keys everything by load balancer).
 */
export async function advanceIncident(
  deps: IncidentDeps,
  incident: Incident,
  event: IncidentEvent,
  ctx: TransitionContext,
  loadBalancerArn?: string,
): Promise<AdvanceResult> {
  let base = incident;
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const next = transition(base, event, ctx);
    if (next.incident === base) return { incident: base, effects: [], changed: false };
    const put = await deps.store.putIncident(next.incident, { expectUpdatedAt: base.updatedAt });
    if (put.written) {
      const moved =
        loadBalancerArn === undefined ? undefined : transitionEvent(base, next.incident, loadBalancerArn);
      // Beside the effects, never before them: a hand-off to remediate waits on no report.
      await Promise.all([
        moved === undefined ? undefined : deps.hub?.report([moved]),
        executeEffects(deps, next.incident, next.effects, event.at),
      ]);
      return { incident: next.incident, effects: next.effects, changed: true };
    }
    if (put.current === undefined) {
      throw new LbGuardError(`incident ${incident.id} vanished while being updated`);
    }
    deps.logger.info('incident changed concurrently; re-applying event', {
      incidentId: incident.id,
      event: event.type,
    });
    base = put.current;
  }
  throw new LbGuardError(`incident ${incident.id} kept changing under ${event.type}; giving up this time`);
}

/**
 * Every effect is attempted even if one fails (a failed page must not stop remediation, nor the
 * reverse); failures are then thrown together so the invocation fails and is retried or alarmed.
 */
async function executeEffects(
  deps: IncidentDeps,
  incident: Incident,
  effects: readonly Effect[],
  at: string,
): Promise<void> {
  const settled = await Promise.allSettled(effects.map((e) => executeEffect(deps, incident, e, at)));
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} effects of incident ${incident.id} failed`);
  }
}

async function executeEffect(
  deps: IncidentDeps,
  incident: Incident,
  effect: Effect,
  at: string,
): Promise<void> {
  switch (effect.type) {
    case 'notify':
      await deps.notifier.notify(incidentNotification(incident, effect));
      return;
    case 'notify-plan':
      await deps.notifier.notify(
        dryRunPlanNotification({ incident, planHash: effect.planHash, steps: effect.steps }),
      );
      return;
    case 'invoke-remediation':
      if (deps.invoker === undefined) {
        throw new LbGuardError('an incident asked for remediation but no remediate function is configured');
      }
      await deps.invoker.invoke({
        kind: 'remediate',
        service: incident.service,
        incidentId: effect.incidentId,
        planHash: effect.planHash,
        requestedAt: at,
      });
      deps.logger.info('remediation requested', { incidentId: effect.incidentId, planHash: effect.planHash });
      return;
    case 'escalate':
      // The escalated state's own notification carries the reason; this is the paging signal.
      deps.metrics.emit(incident.service, [{ name: 'IncidentEscalated', unit: 'Count', value: 1 }]);
      deps.logger.error('incident escalated', { incidentId: incident.id, reason: effect.reason });
      return;
  }
}
