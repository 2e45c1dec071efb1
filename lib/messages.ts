import { approveCommand, type Nudge, type PendingApproval, SHORT_HASH } from './approval.ts';
import type { HysteresisSettings, ProbeNotification } from './hysteresis.ts';
import type { Effect, Incident, IncidentState } from './incident.ts';
import { type ReadOnlyListener, readOnlyReason } from './read-only.ts';
import type { Drift, Severity } from './types.ts';

// Everything lbguard tells people, in one place: incident transitions, dry-run plans, probe
// changes. Flows decide when to speak; this module decides what is said.

/** Probe hysteresis changes (lib/hysteresis.ts), as the `state` attribute subscribers filter on. */
export type ProbeNotificationState = 'probe-failing' | 'probe-recovered' | 'probe-flapping' | 'probe-settled';

/** A new last known good, as the `state` attribute subscribers filter on. */
export type BaselineNotificationState = 'last-good-promoted';

/** A change of the listeners guarded read-only (lib/read-only.ts). */
export type ReadOnlyNotificationState = 'listeners-read-only';

/** A load balancer enrolled, released or re-read by the spoke's sweep (lib/fleet/reports.ts). */
export type EnrolmentNotificationState = 'enrolled' | 'released' | 'enrolment-updated';

export interface NotificationLink {
  readonly label: string;
  readonly url: string;
}

/** One message to the people who run the service. */
export interface Notification {
  readonly service: string;
  readonly severity: Severity;
  /** The incident's state, or a probe's declared change (`probe-failing`, `probe-flapping`…). */
  readonly state:
    | IncidentState
    | ProbeNotificationState
    | BaselineNotificationState
    | ReadOnlyNotificationState
    | EnrolmentNotificationState;
  /** One line; the notifier makes it fit its channel (SNS: ASCII, under 100 characters). */
  readonly subject: string;
  /** Summary paragraph(s), one line each. */
  readonly lines: readonly string[];
  /** Lines a human can check, most telling first. */
  readonly evidence?: readonly string[];
  /** Readable plan steps, in order. */
  readonly plan?: readonly string[];
  readonly links?: readonly NotificationLink[];
}

/** Plain-text body for e-mail and chat: header, summary, evidence, plan, links. */
export function renderNotificationBody(n: Notification): string {
  const out: string[] = [
    n.subject,
    '',
    `Service: ${n.service}    State: ${n.state}    Severity: ${n.severity}`,
    '',
    ...n.lines,
  ];
  const section = (title: string, items: readonly string[] | undefined, bullet: (i: number) => string) => {
    if (!items || items.length === 0) return;
    out.push('', title, ...items.map((item, i) => `${bullet(i)}${item}`));
  };
  section('Evidence', n.evidence, () => '  - ');
  section('Plan', n.plan, (i) => `  ${i + 1}. `);
  section(
    'Links',
    n.links?.map((l) => `${l.label}: ${l.url}`),
    () => '  - ',
  );
  return `${out.join('\n')}\n`;
}

/** An incident's transition. The plan travels with it while it is still something people may act on. */
export function incidentNotification(
  incident: Incident,
  effect: Extract<Effect, { type: 'notify' }>,
): Notification {
  const summary = incident.diagnosis?.summary;
  const plan = incident.state === 'resolved' ? undefined : incident.planSteps;
  return {
    service: incident.service,
    severity: effect.severity,
    state: incident.state,
    subject: effect.subject,
    lines: [...(summary === undefined ? [] : [summary]), `Incident ${incident.id}`],
    evidence: effect.lines,
    ...(plan === undefined || plan.length === 0 ? {} : { plan }),
  };
}

/**
 * A plan lbguard would apply in dry-run mode, whether the incident's own effect announced it or
 * remediate re-planned it under the lock. `why` says why it would not be applied as it is (a
 * guardrail would refuse it, or there is nothing left to restore).
 */
export function dryRunPlanNotification(input: {
  readonly incident: Incident;
  readonly planHash: string | undefined;
  readonly steps: readonly string[];
  readonly why?: readonly string[];
}): Notification {
  const { incident, planHash } = input;
  const summary = incident.diagnosis?.summary;
  return {
    service: incident.service,
    severity: 'warning',
    state: incident.state,
    subject: `lbguard ${incident.service}: dry-run plan${planHash === undefined ? '' : ` ${planHash.slice(0, 12)}`} (not applied)`,
    lines: [
      'Dry-run: lbguard would apply the plan below to restore last known good; nothing was changed.',
      ...(input.why ?? []),
      ...(summary === undefined ? [] : [summary]),
      `Incident ${incident.id}${planHash === undefined ? '' : `, plan ${planHash}`}`,
    ],
    evidence: incident.diagnosis?.evidence ?? [],
    plan: input.steps,
  };
}

/** The hysteresis rule in words, so a reader of the message knows what "failing" meant. */
function ruleOf(s: HysteresisSettings): string {
  return `failing after ${s.consecutiveFailures} failures in a row or ${s.failuresInWindow} of the last ${s.windowSize}; recovered after ${s.consecutiveSuccesses} successes in a row; flapping at ${s.maxChangesPerHour} changes an hour`;
}

/** One probe's declared change (lib/hysteresis.ts). */
export function probeNotification(
  service: string,
  { probe, notification: n }: ProbeNotification,
  settings: HysteresisSettings,
): Notification {
  const rule = `Rule: ${ruleOf(settings)} (thresholds.hysteresis).`;
  switch (n.kind) {
    case 'failing':
      return {
        service,
        severity: 'warning',
        state: 'probe-failing',
        subject: `lbguard ${service}: probe ${probe} failing (${n.reason})`,
        lines: [
          `Probe ${probe} was declared failing at ${n.at}: ${n.reason}.`,
          'If the load balancer is involved, lbguard says so in an incident message of its own.',
          rule,
        ],
      };
    case 'recovered':
      return {
        service,
        severity: 'info',
        state: 'probe-recovered',
        subject: `lbguard ${service}: probe ${probe} recovered`,
        lines: [`Probe ${probe} was declared passing again at ${n.at}: ${n.reason}.`, rule],
      };
    case 'flapping':
      return {
        service,
        severity: 'warning',
        state: 'probe-flapping',
        subject: `lbguard ${service}: probe ${probe} flapping (${n.changesInLastHour} changes in an hour)`,
        lines: [
          `Probe ${probe} changed between passing and failing ${n.changesInLastHour} times in the hour up to ${n.at}; it is ${n.status} right now.`,
          'Further changes are not notified one by one until it settles (an hour at most half as many changes); one of N targets failing behind the load balancer looks like this.',
          rule,
        ],
      };
    case 'settled':
      return {
        service,
        severity: 'info',
        state: 'probe-settled',
        subject: `lbguard ${service}: probe ${probe} stopped flapping (${n.status})`,
        lines: [
          `Probe ${probe}, flapping since ${n.flappingSince}, settled ${n.status} at ${n.at}; changes are notified one by one again.`,
          rule,
        ],
      };
  }
}

/**
 * A new last known good. lbguard restores whatever it promotes, so a promotion is news: a quiet
 * change that soaked healthy becomes the baseline only in plain sight, with every difference from
 * the baseline it replaces.
 */
export function baselineNotification(input: {
  readonly service: string;
  readonly hash: string;
  readonly reason: string;
  /** The baseline replaced; absent for the service's first. */
  readonly previousHash?: string;
  /** `diffSnapshots(promoted, previous)`: what the new baseline changes. */
  readonly changes: readonly Drift[];
}): Notification {
  const { service, hash, previousHash, changes } = input;
  return {
    service,
    severity: 'info',
    state: 'last-good-promoted',
    subject: `lbguard ${service}: new last known good ${hash.slice(0, 12)} (${changes.length} change${changes.length === 1 ? '' : 's'})`,
    lines: [
      previousHash === undefined
        ? `First last known good recorded: ${input.reason}.`
        : `Last known good moved from ${previousHash.slice(0, 12)} to ${hash.slice(0, 12)}: ${input.reason}.`,
      `lbguard restores this configuration if routing breaks. If a change below was not meant, undo it on the load balancer, then record the corrected configuration: lbguard snapshot --service ${service} --promote.`,
    ],
    evidence:
      previousHash === undefined
        ? []
        : changes.length === 0
          ? ['no routing difference from the previous last known good']
          : changes.map((d) => d.summary),
  };
}

/**
 * The listeners guarded read-only changed: sent once per change of the set, not every cycle.
 * Says which listener, which element, why, and what to do.
 */
export function readOnlyNotification(
  service: string,
  before: readonly ReadOnlyListener[],
  now: readonly ReadOnlyListener[],
): Notification {
  const was = new Set(before.map((l) => l.listenerArn));
  const still = new Set(now.map((l) => l.listenerArn));
  const freed = before.filter((l) => !still.has(l.listenerArn));
  return {
    service,
    severity: now.length > 0 ? 'warning' : 'info',
    state: 'listeners-read-only',
    subject: `lbguard ${service}: ${now.length} listener(s) guarded read-only`,
    lines: [
      ...now.map(
        (l) =>
          `${readOnlyReason(l)}${was.has(l.listenerArn) ? ' (its elements changed)' : ''}. It is still watched and diagnosed; plans leave it alone.`,
      ),
      ...freed.map((l) => `listener :${l.port} is writable again: lbguard may restore it.`),
    ],
    evidence: now.flatMap((l) => l.elements.map((e) => `listener :${l.port} ${e}`)),
  };
}

/**
 * Approve mode: the held steps of a plan wait for a person. The message carries what binds the
 * approval (the plan hash, the hash of the snapshot it was planned against, the expiry) and the
 * exact command, plus what ran without approval and, when asking again, why and what changed.
 */
export function approvalRequestNotification(input: {
  readonly incident: Incident;
  readonly pending: PendingApproval;
  readonly trustedApplied: readonly string[];
  /** Set when asking again: why the earlier request no longer holds, and the differences. */
  readonly stale?: { readonly why: string; readonly changes: readonly string[] };
}): Notification {
  const { incident, pending, stale } = input;
  const command = approveCommand(incident.service, pending.planHash);
  return {
    service: incident.service,
    severity: 'warning',
    state: incident.state,
    subject: `lbguard ${incident.service}: approve plan ${pending.planHash.slice(0, SHORT_HASH)}${stale === undefined ? '' : ' (asked again)'}`,
    lines: [
      ...(stale === undefined ? [] : [`Asking again: ${stale.why}.`]),
      `The plan below waits for approval. To apply it, run: ${command}`,
      `Plan ${pending.planHash}, planned against snapshot ${pending.snapshotHash}; the approval expires at ${pending.expiresAt}.`,
      ...(input.trustedApplied.length === 0
        ? []
        : [`Applied without approval (trusted): ${input.trustedApplied.join('; ')}`]),
      `Incident ${incident.id}`,
    ],
    evidence: [
      ...(stale === undefined ? [] : stale.changes.map((c) => `changed since the plan: ${c}`)),
      ...(incident.diagnosis?.evidence ?? []),
    ],
    plan: pending.steps,
  };
}

/** Nobody approved in time: one reminder, then one escalation (critical). */
export function approvalNudgeNotification(
  incident: Incident,
  pending: PendingApproval,
  nudge: Nudge,
): Notification {
  const command = approveCommand(incident.service, pending.planHash);
  const escalate = nudge === 'escalate';
  return {
    service: incident.service,
    severity: escalate ? 'critical' : 'warning',
    state: incident.state,
    subject: `lbguard ${incident.service}: ${escalate ? 'ESCALATION: nobody approved' : 'reminder: approve'} plan ${pending.planHash.slice(0, SHORT_HASH)}`,
    lines: [
      `Plan ${pending.planHash} has waited for approval since ${pending.askedAt}; it expires at ${pending.expiresAt}.`,
      `To apply it, run: ${command}`,
      `Incident ${incident.id}`,
    ],
    plan: pending.steps,
  };
}
