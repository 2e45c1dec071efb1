/**
 * The incident state machine (DESIGN.md "Incident" and "Guardrails on remediation").
 *
 * `transition(incident, event, ctx)` is pure: it returns the next incident and the effects the
 * caller must carry out (notifications, invoking remediate, paging). Guardrails — mode,
 * cooldown, hourly budget — are decided here so that they are tested once, not per lambda.
 */
import { awaitingApproval } from './approval.ts';
import { plural } from './format.ts';
import { breachesToConfirm } from './hysteresis.ts';
import { attributeLate } from './incident-attribution.ts';
import { attemptsSinceConfirmed, enteredAt, HOUR_MS, remediationTimes } from './incident-clock.ts';
import type {
  Incident,
  IncidentEvent,
  IncidentState,
  TimelineEntry,
  TransitionContext,
  TransitionResult,
} from './types/incident.ts';
import type { Diagnosis, Severity } from './types.ts';

export { enteredAt, HOUR_MS, remediationTimes } from './incident-clock.ts';
export type {
  Effect,
  Incident,
  IncidentEvent,
  IncidentState,
  TimelineEntry,
  TransitionContext,
  TransitionResult,
} from './types/incident.ts';

/** Past incidents read to count a service's remediations against the hourly budget and the cooldown. */
export const INCIDENT_HISTORY = 20;

/**
 * Deterministic, sortable incident id: `service#at`. Ids of one service sort by opening time
 * because ISO-8601 UTC strings sort lexically.
 */
export function newIncidentId(service: string, at: string): string {
  return `${service}#${at}`;
}

/** A fresh incident for `service`, in state `ok`, with an empty timeline. */
export function startIncident(service: string, at: string): Incident {
  return {
    id: newIncidentId(service, at),
    service,
    state: 'ok',
    openedAt: at,
    updatedAt: at,
    breaches: 0,
    remediations: [],
    timeline: [],
  };
}

/**
 * Applies one event to an incident. Events that make no sense in the current state are ignored
 * (same incident, no effects): lambdas retry and race, so a late or duplicated event must be
 * harmless rather than an exception. `resolved` is terminal (the caller starts a new incident
 * for the next problem); `escalated` only leaves for `resolved`, on a healthy observation.
 */
export function transition(
  incident: Incident,
  event: IncidentEvent,
  ctx: TransitionContext,
): TransitionResult {
  switch (event.type) {
    case 'observed':
      return onObserved(incident, event, ctx);
    case 'remediation-started':
      if (incident.state !== 'confirmed') return ignore(incident);
      return onRemediationStarted(incident, event);
    case 'remediation-applied':
      if (incident.state !== 'mitigating') return ignore(incident);
      return move(incident, event.at, 'verifying', {
        what: `Plan applied (${plural(event.steps.length, 'step')}); verifying config and probes`,
        evidence: event.steps,
        severity: 'info',
        patch: { planSteps: event.steps },
      });
    case 'remediation-failed':
      if (!isActive(incident.state)) return ignore(incident);
      return escalate(incident, event.at, `remediation failed: ${event.error}`, []);
    case 'verified':
      if (incident.state !== 'verifying') return ignore(incident);
      return move(incident, event.at, 'resolved', {
        what: 'Verified: routing restored and probes green',
        evidence: event.evidence,
        severity: 'info',
        patch: { closedAt: event.at },
      });
    case 'verification-failed':
      if (incident.state !== 'verifying') return ignore(incident);
      return escalate(
        incident,
        event.at,
        event.diagnosis === undefined
          ? 'verification failed after remediation'
          : `verification failed after remediation: ${event.diagnosis.summary}`,
        event.evidence,
        event.diagnosis === undefined ? {} : { diagnosis: event.diagnosis },
      );
    case 'remediation-deferred':
      if (incident.state !== 'confirmed' && incident.state !== 'mitigating') return ignore(incident);
      return onDeferred(incident, event);
    case 'lock-held':
      if (!isActive(incident.state)) return ignore(incident);
      return {
        incident: append(incident, {
          at: event.at,
          from: incident.state,
          to: incident.state,
          what: 'Remediation lock held by another run; not acting twice',
          evidence: [],
        }),
        effects: [],
      };
  }
}

/** Confirmed, mitigating or verifying: remediation may be under way. */
export function isActive(state: IncidentState): boolean {
  return state === 'confirmed' || state === 'mitigating' || state === 'verifying';
}

function onObserved(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'observed' }>,
  ctx: TransitionContext,
): TransitionResult {
  const healthy = event.diagnosis.cause === 'healthy';
  switch (incident.state) {
    case 'ok': {
      if (healthy) return ignore(incident);
      const suspected = move(withObservation(incident, event, 1), event.at, 'suspected', {
        what: `Breach 1 of ${ctx.thresholds.consecutiveBreaches}: ${event.diagnosis.summary}`,
        evidence: event.diagnosis.evidence,
        // One bad minute pages nobody: a suspicion is recorded, not announced.
        quiet: true,
        severity: 'info',
      });
      return breachesToConfirm(event.diagnosis, ctx.thresholds.consecutiveBreaches) <= 1
        ? confirm(suspected.incident, event, ctx)
        : suspected;
    }
    case 'suspected': {
      if (healthy) {
        const { diagnosis: _blip, ...cleared } = withoutPlan(incident);
        return move(cleared, event.at, 'ok', {
          what: `Cleared after ${plural(incident.breaches, 'breach', 'breaches')}: ${event.diagnosis.summary}`,
          evidence: event.diagnosis.evidence,
          // Nobody was told about the suspicion, so telling them it cleared would be noise.
          quiet: true,
          severity: 'info',
          patch: { breaches: 0 },
        });
      }
      const next = withObservation(incident, event, incident.breaches + 1);
      if (next.breaches < breachesToConfirm(event.diagnosis, ctx.thresholds.consecutiveBreaches))
        return { incident: next, effects: [] };
      return confirm(next, event, ctx);
    }
    case 'confirmed': {
      if (healthy) {
        return move(incident, event.at, 'resolved', {
          what: `Recovered without remediation: ${event.diagnosis.summary}`,
          evidence: event.diagnosis.evidence,
          severity: 'info',
          patch: { closedAt: event.at, breaches: 0 },
        });
      }
      return reconsider(incident, event, ctx);
    }
    case 'mitigating':
    case 'verifying': {
      const stalled = checkStall(incident, event.at, ctx);
      return stalled.incident === incident ? attributeLate(incident, event) : stalled;
    }
    case 'escalated':
      // lbguard has stopped acting and a human owns it, so bad news is not re-paged; a healthy site
      // closes it, or no fresh incident would ever open. A data plane not following closes only
      // once no write is still converging (a write first seen now is given its deadline again).
      if (!healthy || (incident.diagnosis?.cause === 'data-plane-not-following' && !settled(event)))
        return attributeLate(incident, event);
      return move(incident, event.at, 'resolved', {
        what: `Recovered after escalation: ${event.diagnosis.summary}`,
        evidence: event.diagnosis.evidence,
        severity: 'info',
        patch: { closedAt: event.at, breaches: 0 },
      });
    case 'resolved':
      return ignore(incident);
  }
}

const settled = (e: { readonly dataPlane?: string }) => (e.dataPlane ?? 'converged') === 'converged';

/** suspected → confirmed, then the guardrail decision for the first time. */
function confirm(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'observed' }>,
  ctx: TransitionContext,
): TransitionResult {
  const diagnosis = event.diagnosis;
  const decision = decideRemediation(incident, diagnosis, event.at, ctx);
  const confirmed = move(incident, event.at, 'confirmed', {
    what: `Confirmed ${diagnosis.decisive === undefined ? `after ${plural(incident.breaches, 'consecutive breach', 'consecutive breaches')}` : `on configuration evidence alone (${diagnosis.decisive})`}: ${diagnosis.summary} (${describeDecision(decision)})`,
    evidence: diagnosis.evidence,
    severity: diagnosis.severity === 'info' ? 'warning' : diagnosis.severity,
  });
  return act(confirmed, decision, event, undefined);
}

/** Still confirmed and still unhealthy: re-run the guardrails (a cooldown may have expired). */
function reconsider(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'observed' }>,
  ctx: TransitionContext,
): TransitionResult {
  const updated = withObservation(incident, event, incident.breaches + 1);
  const decision = decideRemediation(updated, event.diagnosis, event.at, ctx);
  // A dry-run plan is shown again only when it changed, so a long incident does not page every minute.
  const shownPlan = incident.planHash;
  return act({ incident: updated, effects: [] }, decision, event, shownPlan);
}

type Decision =
  | { readonly kind: 'invoke'; readonly planHash: string }
  | { readonly kind: 'show-plan'; readonly planHash: string; readonly steps: readonly string[] }
  | { readonly kind: 'notify-only'; readonly why: string }
  | { readonly kind: 'cooldown'; readonly until: string }
  | { readonly kind: 'escalate'; readonly reason: string };

/**
 * The guardrails, in the order a cautious operator would apply them: never touch a load balancer
 * that is not the cause; never act without a last known good to restore; respect the mode; then
 * the circuit breaker before the cooldown, because an open circuit is final and a cooldown is not.
 */
function decideRemediation(
  incident: Incident,
  diagnosis: Diagnosis,
  at: string,
  ctx: TransitionContext,
): Decision {
  if (!diagnosis.lbFault) {
    return {
      kind: 'escalate',
      reason: `the load balancer is not the cause (${diagnosis.cause}); page the service owner`,
    };
  }
  if (!diagnosis.remediable) {
    return {
      kind: 'escalate',
      reason: `load balancer fault (${diagnosis.cause}) that restoring last known good cannot fix; a human must repair routing`,
    };
  }
  const { policy } = ctx;
  switch (policy.mode) {
    case 'off':
      return { kind: 'notify-only', why: 'remediation is off for this service' };
    case 'dry-run':
      return incident.planHash === undefined
        ? { kind: 'notify-only', why: 'dry-run and no plan was produced' }
        : { kind: 'show-plan', planHash: incident.planHash, steps: incident.planSteps ?? [] };
    case 'approve':
    case 'auto': {
      // Asked and unanswered: remediate is not handed the same question again until it expires.
      if (policy.mode === 'approve' && awaitingApproval(incident.approval, at)) {
        return { kind: 'notify-only', why: 'awaiting approval (lbguard approve)' };
      }
      const now = Date.parse(at);
      const attempts = remediationTimes(incident, ctx).filter((t) => t <= now);
      const lastHour = attempts.filter((t) => now - t < HOUR_MS).length;
      if (lastHour >= policy.maxPerHour) {
        return {
          kind: 'escalate',
          reason: `circuit open: ${plural(lastHour, 'remediation')} in the last hour`,
        };
      }
      const latest = Math.max(Number.NEGATIVE_INFINITY, ...attempts);
      const until = latest + policy.cooldownSeconds * 1000;
      if (now < until) return { kind: 'cooldown', until: new Date(until).toISOString() };
      if (incident.planHash === undefined) {
        return { kind: 'escalate', reason: 'remediable but no remediation plan was produced' };
      }
      return { kind: 'invoke', planHash: incident.planHash };
    }
  }
}

function describeDecision(decision: Decision): string {
  switch (decision.kind) {
    case 'invoke':
      return `remediating with plan ${decision.planHash}`;
    case 'show-plan':
      return `dry-run: plan ${decision.planHash} not applied`;
    case 'notify-only':
      return decision.why;
    case 'cooldown':
      return `remediation in cooldown until ${decision.until}`;
    case 'escalate':
      return `escalating: ${decision.reason}`;
  }
}

/**
 * Turns a decision into effects. Only an invoke, a new dry-run plan or an escalation produce
 * effects; `off` and cooldown were announced (or will be) by the confirming notification.
 */
function act(
  result: TransitionResult,
  decision: Decision,
  event: Extract<IncidentEvent, { type: 'observed' }>,
  shownPlan: string | undefined,
): TransitionResult {
  const { incident, effects } = result;
  const at = event.at;
  switch (decision.kind) {
    case 'invoke':
      return {
        incident: { ...incident, remediations: [...incident.remediations, at] },
        effects: [
          ...effects,
          { type: 'invoke-remediation', incidentId: incident.id, planHash: decision.planHash },
        ],
      };
    case 'show-plan':
      if (decision.planHash === shownPlan) return result;
      return {
        incident,
        effects: [...effects, { type: 'notify-plan', planHash: decision.planHash, steps: decision.steps }],
      };
    case 'notify-only':
    case 'cooldown':
      return result;
    case 'escalate': {
      const escalated = escalate(incident, at, decision.reason, event.diagnosis.evidence);
      return { incident: escalated.incident, effects: [...effects, ...escalated.effects] };
    }
  }
}

function onRemediationStarted(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'remediation-started' }>,
): TransitionResult {
  // An invoke records its attempt when it is emitted; a start with no such record (an operator's
  // `lbguard restore`) still counts against the cooldown and the hourly budget.
  const recorded = attemptsSinceConfirmed(incident).length > 0;
  return move(incident, event.at, 'mitigating', {
    what: `Remediation started with plan ${event.planHash}`,
    evidence: incident.planHash === event.planHash ? (incident.planSteps ?? []) : [],
    severity: 'warning',
    patch: {
      planHash: event.planHash,
      ...(recorded ? {} : { remediations: [...incident.remediations, event.at] }),
    },
  });
}

/**
 * A deployment owns the routing right now, so remediate wrote nothing. The attempt it was admitted
 * for is handed back: a deferral spends neither the hourly budget nor the cooldown, so the next
 * inspection that still sees the fault hands off again, and remediate looks again. The incident
 * is (again) `confirmed`. People hear once per set of owners, not at every look.
 */
function onDeferred(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'remediation-deferred' }>,
): TransitionResult {
  // ISO-8601 UTC times sort lexically: the last one since confirmation is the admitted attempt.
  const confirmedAt = enteredAt(incident, 'confirmed');
  const refunded = incident.remediations
    .filter((t) => t >= confirmedAt)
    .sort()
    .at(-1);
  const owners = [...new Set(event.owners)].sort();
  const same = incident.deferral?.owners.join('\n') === owners.join('\n');
  const patch = {
    remediations: incident.remediations.filter((t) => t !== refunded),
    deferral: {
      owners,
      since: same ? (incident.deferral?.since ?? event.at) : event.at,
      lastCheckedAt: event.at,
    },
  };
  if (same && incident.state === 'confirmed') {
    return { incident: { ...incident, ...patch, updatedAt: event.at }, effects: [] };
  }
  return move(incident, event.at, 'confirmed', {
    what: `Remediation deferred: ${owners.join(', ')} in flight; nothing written`,
    evidence: event.lines,
    severity: 'warning',
    patch,
  });
}

/**
 * Remediate reports back within its verification deadline; if it crashed without reporting, the
 * incident must not sit in `mitigating` forever. Twice the deadline leaves room for the apply
 * itself and for the verifier's last poll.
 */
function checkStall(incident: Incident, at: string, ctx: TransitionContext): TransitionResult {
  const since = enteredAt(incident, 'mitigating');
  const waited = (Date.parse(at) - Date.parse(since)) / 1000;
  if (waited <= 2 * ctx.policy.verifyDeadlineSeconds) return ignore(incident);
  return escalate(
    incident,
    at,
    `remediation stalled: no verification ${Math.round(waited)} s after it started (deadline ${ctx.policy.verifyDeadlineSeconds} s)`,
    [],
  );
}

/**
 * Moves to `escalated` and pages. No `closedAt`: lbguard has stopped acting, but the problem is
 * not over until a human says so.
 */
function escalate(
  incident: Incident,
  at: string,
  reason: string,
  evidence: readonly string[],
  patch: Move['patch'] = {},
): TransitionResult {
  const moved = move(incident, at, 'escalated', {
    what: `Escalated: ${reason}`,
    evidence,
    severity: 'critical',
    patch,
  });
  return { incident: moved.incident, effects: [...moved.effects, { type: 'escalate', reason }] };
}

interface Move {
  readonly what: string;
  readonly evidence: readonly string[];
  /** Severity of the notification; ignored when `quiet`. */
  readonly severity: Severity;
  readonly quiet?: boolean;
  readonly patch?: Partial<Omit<Incident, 'id' | 'service' | 'state' | 'timeline'>>;
}

/** One state change: a timeline entry and (unless quiet) a notification. */
function move(incident: Incident, at: string, to: IncidentState, m: Move): TransitionResult {
  const next = append(
    { ...incident, ...m.patch, state: to },
    { at, from: incident.state, to, what: m.what, evidence: m.evidence },
  );
  if (m.quiet === true) return { incident: next, effects: [] };
  return {
    incident: next,
    effects: [
      {
        type: 'notify',
        severity: m.severity,
        subject: `lbguard ${incident.service}: ${to} — ${m.what}`,
        lines: m.evidence,
      },
    ],
  };
}

function append(incident: Incident, entry: TimelineEntry): Incident {
  return { ...incident, updatedAt: entry.at, timeline: [...incident.timeline, entry] };
}

/**
 * Records an unhealthy observation; a healthy one never replaces the root cause. The plan is
 * replaced wholesale: a plan computed for an earlier observation must never be invoked for this one.
 */
function withObservation(
  incident: Incident,
  event: Extract<IncidentEvent, { type: 'observed' }>,
  breaches: number,
): Incident {
  return {
    ...withoutPlan(incident),
    updatedAt: event.at,
    breaches,
    diagnosis: event.diagnosis,
    ...(event.planHash === undefined ? {} : { planHash: event.planHash }),
    ...(event.planSteps === undefined ? {} : { planSteps: event.planSteps }),
  };
}

function withoutPlan(incident: Incident): Incident {
  const { planHash: _hash, planSteps: _steps, ...rest } = incident;
  return rest;
}

function ignore(incident: Incident): TransitionResult {
  return { incident, effects: [] };
}
